// Admin tokens and roles: who may call signetd's admin API, and what each may do.
//
// A token is "signet_admin.<id>.<secret>": the id names it in listings and the audit
// trail; only the SHA-256 of the secret is stored, so a copy of the database lets no one
// call the API. Three roles:
//   admin     everything (only admin manages tokens, secrets and signing keys);
//   operator  read config, suspend and resume workloads, revoke tokens, read the audit;
//   auditor   read config and the audit trail only.
// Every token expires. On start-up, when no unexpired admin-role token exists (a new
// install, or every admin token expired or was deleted), signetd creates a bootstrap
// admin token and writes it to <data_dir>/admin.token (mode 0600): whoever controls the
// data directory controls Signet anyway (the master key is there too).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/random.h"
#include "common/secret.h"
#include "common/status.h"
#include "store/store.h"

namespace signet::server {

enum class Role { kAdmin, kOperator, kAuditor };

enum class Permission {
  kReadConfig,
  kReadAudit,
  kSuspend,  // suspend and resume workloads
  kRevoke,   // revoke issued tokens
  kManageTokens,
  kManageSecrets,
  kIntrospect,    // RFC 7662 introspection of Signet's tokens
  kManageKeys,    // rotate Signet's signing keys (admin only)
  kApplyConfig,   // apply or roll back the access configuration (admin only)
  kEnrollAgents,  // create signet-agent join tokens (admin only)
};

std::string_view RoleName(Role role);
// "admin" | "operator" | "auditor"; invalid_request role_invalid otherwise.
Result<Role> ParseRole(std::string_view name);
bool RoleAllows(Role role, Permission permission);

// The caller of an admin request, once its token checked out.
struct Principal {
  std::string token_id;
  Role role;
};

inline constexpr std::chrono::seconds kDefaultAdminTokenTtl = std::chrono::hours(24);
inline constexpr std::chrono::seconds kMaxAdminTokenTtl = std::chrono::hours(24 * 365);
inline constexpr std::chrono::seconds kBootstrapTokenTtl = std::chrono::hours(24 * 90);

class AdminTokens {
 public:
  AdminTokens(store::Store& store, const Clock& clock, Random& random);

  struct Issued {
    Secret token;  // the whole token: shown once, never stored
    store::AdminTokenRow row;
  };
  // A new token. invalid_request admin_token_ttl_invalid when `ttl` is not within
  // (0, kMaxAdminTokenTtl]; store errors pass through.
  Result<Issued> Create(Role role, std::chrono::seconds ttl, std::string description);

  // Checks an Authorization header value ("Bearer <token>"). invalid_token (401) with
  // reason admin_token_missing, admin_token_malformed, admin_token_unknown or
  // admin_token_expired; store errors pass through. The token itself never appears in a
  // message.
  Result<Principal> Authenticate(std::optional<std::string_view> authorization) const;

  // Authenticate, then access_denied (403) role_insufficient unless the role allows
  // `permission`.
  Result<Principal> Authorize(std::optional<std::string_view> authorization,
                              Permission permission) const;

  // Whether an unexpired admin-role token exists.
  Result<bool> HasUsableAdmin() const;

 private:
  store::Store& store_;
  const Clock& clock_;
  Random& random_;
};

// The token of an Authorization header value "Bearer <token>" (the scheme compared
// without case, RFC 7235 §2.1); nullopt for any other scheme.
std::optional<std::string_view> BearerToken(std::string_view authorization);

// Writes `token` to `path` with mode 0600, replacing any file there atomically.
// server_error bootstrap_token_unwritable naming the path when it cannot.
Status WriteTokenFile(const std::string& path, const Secret& token);

}  // namespace signet::server
