#include "trust/issuer.h"

#include "common/json.h"
#include "common/url.h"
#include "jose/reasons.h"

namespace signet::trust {
namespace {

constexpr size_t kMaxDiscoveryBytes = 64 * 1024;

// RFC 8693 §2.2.2: whatever is wrong with the subject token, the client hears
// invalid_request; the reason stays jose's, for the audit trail and the developer.
Status Unacceptable(const Status& status) {
  return Status(ErrorCode::kInvalidRequest, status.reason(), status.message());
}

Status KeysUnavailable(const IssuerConfig& config, const Status& cause) {
  return Status(ErrorCode::kTemporarilyUnavailable, "issuer_keys_unavailable",
                "keys of issuer " + config.name + " unavailable: " + cause.message());
}

}  // namespace

Issuer::Issuer(IssuerConfig config, jose::JwtVerifier verifier, Fetcher& fetcher,
               const Clock& clock)
    : config_(std::move(config)),
      verifier_(std::move(verifier)),
      fetcher_(fetcher),
      clock_(clock) {}

Result<std::unique_ptr<Issuer>> Issuer::Create(IssuerConfig config, Fetcher& fetcher,
                                               const Clock& clock) {
  if (config.algorithms.empty()) {
    config.algorithms = {jose::Algorithm::kRS256, jose::Algorithm::kES256};
  }
  if (config.refetch_interval.count() <= 0) {
    return Status(ErrorCode::kInvalidConfig, "config_invalid",
                  "issuer " + config.name + ": refetch_interval must be positive");
  }
  jose::JwtValidator::Builder builder;
  builder.ExpectIssuer(config.issuer_url)
      .AllowAlgorithms(config.algorithms)
      .SetLeeway(config.leeway)
      .SetMaxLifetime(config.max_lifetime);
  for (const auto& audience : config.audiences) {
    builder.ExpectAudience(audience);
  }
  if (config.max_token_age) {
    builder.SetMaxTokenAge(*config.max_token_age);
  }
  Result<jose::JwtValidator> validator = builder.Build();
  if (!validator.ok()) {
    return validator.status().WithContext("issuer " + config.name);
  }
  std::shared_ptr<const jose::Jwks> inline_keys;
  if (config.key_source == KeySourceKind::kInline) {
    Result<jose::Jwks> keys = jose::Jwks::Parse(config.inline_jwks);
    if (!keys.ok()) {
      return keys.status().WithContext("issuer " + config.name + " jwks");
    }
    inline_keys = std::make_shared<const jose::Jwks>(std::move(keys).value());
  }
  std::unique_ptr<Issuer> issuer(new Issuer(
      std::move(config), jose::JwtVerifier(std::move(validator).value()), fetcher, clock));
  issuer->keys_ = std::move(inline_keys);
  return issuer;
}

std::shared_ptr<const jose::Jwks> Issuer::keys() const {
  std::lock_guard lock(keys_mu_);
  return keys_;
}

Result<jose::Jwks> Issuer::FetchKeys() {
  std::string jwks_uri = config_.jwks_uri;
  if (config_.key_source == KeySourceKind::kDiscovery) {
    std::string url = config_.issuer_url + "/.well-known/openid-configuration";
    SIGNET_ASSIGN_OR_RETURN(std::string body, fetcher_.Get(url));
    if (body.size() > kMaxDiscoveryBytes) {
      return Status(ErrorCode::kTemporarilyUnavailable, "discovery_invalid",
                    url + " is larger than " + std::to_string(kMaxDiscoveryBytes) + " bytes");
    }
    SIGNET_ASSIGN_OR_RETURN(boost::json::object document, ParseJsonObject(body));
    auto issuer = document.find("issuer");
    auto uri = document.find("jwks_uri");
    // OIDC Discovery §4.3: the document must name exactly the issuer it was fetched for.
    if (issuer == document.end() || !issuer->value().is_string() ||
        issuer->value().get_string() != config_.issuer_url) {
      return Status(ErrorCode::kTemporarilyUnavailable, "discovery_issuer_mismatch",
                    url + " does not name " + config_.issuer_url + " as its issuer");
    }
    if (uri == document.end() || !uri->value().is_string()) {
      return Status(ErrorCode::kTemporarilyUnavailable, "discovery_invalid",
                    url + " has no jwks_uri");
    }
    jwks_uri = std::string(uri->value().get_string());
    if (Status secure = CheckSecureUrl(jwks_uri); !secure.ok()) {
      return Status(ErrorCode::kTemporarilyUnavailable, "discovery_invalid",
                    "jwks_uri from " + url + ": " + secure.message());
    }
  }
  SIGNET_ASSIGN_OR_RETURN(std::string body, fetcher_.Get(jwks_uri));
  return jose::Jwks::Parse(body);
}

Status Issuer::Refresh() {
  if (config_.key_source == KeySourceKind::kInline) {
    return Status::Ok();
  }
  std::lock_guard fetch_lock(fetch_mu_);
  last_fetch_ = clock_.MonotonicNow();
  Result<jose::Jwks> fetched = FetchKeys();
  if (!fetched.ok()) {
    return KeysUnavailable(config_, fetched.status());
  }
  std::lock_guard lock(keys_mu_);
  keys_ = std::make_shared<const jose::Jwks>(std::move(fetched).value());
  return Status::Ok();
}

std::shared_ptr<const jose::Jwks> Issuer::RefetchAfterMiss(
    const std::shared_ptr<const jose::Jwks>& seen) {
  if (config_.key_source == KeySourceKind::kInline) {
    return nullptr;
  }
  std::lock_guard fetch_lock(fetch_mu_);
  if (std::shared_ptr<const jose::Jwks> current = keys(); current != seen) {
    return current;  // another request refetched while this one waited
  }
  MonotonicTime now = clock_.MonotonicNow();
  if (last_fetch_ && now - *last_fetch_ < config_.refetch_interval) {
    return nullptr;
  }
  last_fetch_ = now;
  Result<jose::Jwks> fetched = FetchKeys();
  if (!fetched.ok()) {
    return nullptr;  // the last good keys stay
  }
  auto fresh = std::make_shared<const jose::Jwks>(std::move(fetched).value());
  std::lock_guard lock(keys_mu_);
  keys_ = fresh;
  return fresh;
}

Result<jose::VerifiedJwt> Issuer::Verify(std::string_view token, SystemTime now) {
  std::shared_ptr<const jose::Jwks> current = keys();
  if (current == nullptr) {
    // Never fetched (the issuer was down at start): try now, within the rate limit.
    current = RefetchAfterMiss(nullptr);
    if (current == nullptr) {
      return Status(ErrorCode::kTemporarilyUnavailable, "issuer_keys_unavailable",
                    "the keys of this token's issuer cannot be fetched now; retry shortly");
    }
  }
  Result<jose::VerifiedJwt> verified = verifier_.Verify(token, *current, now);
  if (!verified.ok() && verified.status().reason() == jose::reason::kKidUnknown) {
    if (std::shared_ptr<const jose::Jwks> fresh = RefetchAfterMiss(current)) {
      verified = verifier_.Verify(token, *fresh, now);
    }
  }
  if (!verified.ok()) {
    return Unacceptable(verified.status());
  }
  return verified;
}

}  // namespace signet::trust
