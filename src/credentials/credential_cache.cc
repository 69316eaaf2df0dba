#include "credentials/credential_cache.h"

#include <algorithm>

namespace signet::credentials::internal {

Status FetchThrew() {
  return Status(ErrorCode::kServerError, "internal",
                "fetching the destination credential failed unexpectedly");
}

CredentialCacheOptions Normalize(CredentialCacheOptions options) {
  options.min_remaining = std::max(options.min_remaining, std::chrono::seconds(0));
  options.refresh_ahead = std::max(options.refresh_ahead, options.min_remaining);
  return options;
}

Status AlreadyExpired() {
  return Status(ErrorCode::kServerError, "destination_credential_expired",
                "the destination returned a credential that has already expired");
}

}  // namespace signet::credentials::internal
