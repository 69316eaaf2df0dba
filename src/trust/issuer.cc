#include "trust/issuer.h"

#include "common/json.h"
#include "common/url.h"
#include "jose/reasons.h"

namespace signet::trust {
namespace {

// A discovery document is a few KiB; the cap bounds what a misbehaving issuer can make
// Signet parse (STANDARDS.md §2.2, fetch hardening).
constexpr size_t kMaxDiscoveryBytes = 64 * 1024;

Status ConfigError(const IssuerConfig& config, const std::string& problem) {
  return Status(ErrorCode::kInvalidConfig, "config_invalid",
                "issuer " + config.name + ": " + problem);
}

Status DiscoveryError(std::string_view reason, std::string message) {
  return Status(ErrorCode::kTemporarilyUnavailable, reason, std::move(message));
}

// RFC 8693 §2.2.2: whatever is wrong with the subject token, the client hears
// invalid_request; the reason stays jose's, for the audit trail and the developer.
Status Unacceptable(const Status& status) {
  return Status(ErrorCode::kInvalidRequest, status.reason(), status.message());
}

// OIDC Discovery §4: a terminating '/' of the issuer is removed before the suffix is
// appended ("https://a/t/" → "https://a/t/.well-known/openid-configuration").
std::string DiscoveryUrl(std::string_view issuer_url) {
  if (issuer_url.ends_with('/')) {
    issuer_url.remove_suffix(1);
  }
  return std::string(issuer_url) + "/.well-known/openid-configuration";
}

Status CheckKeySource(const IssuerConfig& config) {
  switch (config.key_source) {
    case KeySourceKind::kDiscovery:
      if (Status s = CheckSecureUrl(config.issuer_url); !s.ok()) {
        return ConfigError(config, "discovery needs an https issuer URL: " + s.message());
      }
      return Status::Ok();
    case KeySourceKind::kJwksUri:
      if (Status s = CheckSecureUrl(config.jwks_uri); !s.ok()) {
        return ConfigError(config, "jwks_uri: " + s.message());
      }
      return Status::Ok();
    case KeySourceKind::kInline:
      return Status::Ok();  // parsed by Create
  }
  return ConfigError(config, "unknown key source");
}

}  // namespace

Issuer::Issuer(IssuerConfig config, jose::JwtVerifier verifier, Fetcher& fetcher,
               const Clock& clock, KeyCacheCounters key_cache)
    : config_(std::move(config)),
      verifier_(std::move(verifier)),
      fetcher_(fetcher),
      clock_(clock),
      key_cache_(key_cache) {}

Result<std::unique_ptr<Issuer>> Issuer::Create(IssuerConfig config, Fetcher& fetcher,
                                               const Clock& clock, KeyCacheCounters key_cache) {
  // The two algorithms every mainstream workload issuer signs with: Kubernetes and
  // GitHub Actions use RS256, SPIRE defaults to ES256. Anything else is opted into. The
  // config keeps its empty list, so it still compares equal to the configuration it came
  // from (IssuerRegistry::Find).
  std::vector<jose::Algorithm> algorithms = config.algorithms;
  if (algorithms.empty()) {
    algorithms = {jose::Algorithm::kRS256, jose::Algorithm::kES256};
  }
  if (config.refetch_interval.count() <= 0 || config.keys_max_age.count() <= 0) {
    return ConfigError(config, "refetch_interval and keys_max_age must be positive");
  }
  SIGNET_RETURN_IF_ERROR(CheckKeySource(config));
  jose::JwtValidator::Builder builder;
  builder.ExpectIssuer(config.issuer_url)
      .AllowAlgorithms(algorithms)
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
  KeysPtr inline_keys;
  if (config.key_source == KeySourceKind::kInline) {
    Result<jose::Jwks> keys = jose::Jwks::Parse(config.inline_jwks);
    if (!keys.ok()) {
      return keys.status().WithContext("issuer " + config.name + " jwks");
    }
    if (keys->keys().empty()) {
      // Every token would fail; say why now rather than at each exchange.
      std::string why = keys->refused().empty() ? std::string("it has no keys")
                                                : keys->refused().front().status.message();
      return ConfigError(config, "jwks has no usable key: " + why);
    }
    inline_keys = std::make_shared<const jose::Jwks>(std::move(keys).value());
  }
  std::unique_ptr<Issuer> issuer(new Issuer(std::move(config),
                                            jose::JwtVerifier(std::move(validator).value()),
                                            fetcher, clock, key_cache));
  issuer->keys_ = std::move(inline_keys);
  return issuer;
}

std::pair<Issuer::KeysPtr, MonotonicTime> Issuer::Keys() const {
  std::lock_guard lock(keys_mu_);
  return {keys_, keys_fetched_};
}

Result<jose::Jwks> Issuer::FetchKeys() {
  std::string jwks_uri = config_.jwks_uri;
  if (config_.key_source == KeySourceKind::kDiscovery) {
    std::string url = DiscoveryUrl(config_.issuer_url);
    SIGNET_ASSIGN_OR_RETURN(std::string body, fetcher_.Get(url));
    if (body.size() > kMaxDiscoveryBytes) {
      return DiscoveryError("discovery_invalid", url + " is larger than " +
                                                     std::to_string(kMaxDiscoveryBytes) + " bytes");
    }
    SIGNET_ASSIGN_OR_RETURN(boost::json::object document, ParseJsonObject(body));
    const boost::json::value* issuer = document.if_contains("issuer");
    // OIDC Discovery §4.3: a document that does not name exactly the issuer it was
    // fetched for must not be used (it may be an attacker's, claiming an honest issuer).
    if (issuer == nullptr || !issuer->is_string() || issuer->get_string() != config_.issuer_url) {
      return DiscoveryError("discovery_issuer_mismatch",
                            url + " does not name " + config_.issuer_url + " as its issuer");
    }
    const boost::json::value* uri = document.if_contains("jwks_uri");
    if (uri == nullptr || !uri->is_string()) {
      return DiscoveryError("discovery_invalid", url + " has no jwks_uri");
    }
    jwks_uri = std::string(uri->get_string());
    if (Status secure = CheckSecureUrl(jwks_uri); !secure.ok()) {
      return DiscoveryError("discovery_invalid", "jwks_uri from " + url + ": " + secure.message());
    }
  }
  SIGNET_ASSIGN_OR_RETURN(std::string body, fetcher_.Get(jwks_uri));
  return jose::Jwks::Parse(body);
}

Result<Issuer::KeysPtr> Issuer::FetchAndInstall() {
  MonotonicTime now = clock_.MonotonicNow();
  last_attempt_ = now;  // a failed attempt counts: an issuer that is down is not hammered
  Result<jose::Jwks> fetched = FetchKeys();
  if (!fetched.ok()) {
    return Status(ErrorCode::kTemporarilyUnavailable, "issuer_keys_unavailable",
                  "keys of issuer " + config_.name + " unavailable: " + fetched.status().message());
  }
  auto fresh = std::make_shared<const jose::Jwks>(std::move(fetched).value());
  std::lock_guard lock(keys_mu_);
  keys_ = fresh;
  keys_fetched_ = now;
  return fresh;
}

Status Issuer::Refresh() {
  if (config_.key_source == KeySourceKind::kInline) {
    return Status::Ok();
  }
  std::lock_guard fetch_lock(fetch_mu_);
  return FetchAndInstall().status();
}

Issuer::KeysPtr Issuer::RefetchFor(const KeysPtr& seen, bool wait) {
  if (config_.key_source == KeySourceKind::kInline) {
    return nullptr;
  }
  std::unique_lock fetch_lock(fetch_mu_, std::defer_lock);
  if (wait) {
    fetch_lock.lock();
  } else if (!fetch_lock.try_lock()) {
    return nullptr;  // another request is fetching; this one goes on with `seen`
  }
  // Single flight: requests that queued behind a fetch use its result, not a fetch of
  // their own.
  if (KeysPtr current = Keys().first; current != seen) {
    return current;
  }
  if (last_attempt_ && clock_.MonotonicNow() - *last_attempt_ < config_.refetch_interval) {
    return nullptr;
  }
  Result<KeysPtr> fresh = FetchAndInstall();
  return fresh.ok() ? *fresh : nullptr;  // on failure the last good keys stay
}

Result<jose::VerifiedJwt> Issuer::Verify(const jose::ParsedJwt& token, SystemTime now) {
  auto [current, fetched] = Keys();
  bool needed_fetch = current == nullptr;
  if (current == nullptr) {
    // Never fetched (the issuer was down at start): try now, within the rate limit.
    current = RefetchFor(nullptr, /*wait=*/true);
    if (current == nullptr) {
      if (key_cache_.misses != nullptr) {
        key_cache_.misses->Increment();
      }
      return Status(ErrorCode::kTemporarilyUnavailable, "issuer_keys_unavailable",
                    "the keys of this token's issuer cannot be fetched now; retry shortly");
    }
  } else if (config_.key_source != KeySourceKind::kInline &&
             clock_.MonotonicNow() - fetched >= config_.keys_max_age) {
    needed_fetch = true;
    if (KeysPtr fresh = RefetchFor(current, /*wait=*/false)) {
      current = std::move(fresh);
    }
  }
  Result<jose::VerifiedJwt> verified = verifier_.Verify(token, *current, now);
  if (!verified.ok() && verified.status().reason() == jose::reason::kKidUnknown) {
    needed_fetch = true;
    if (KeysPtr fresh = RefetchFor(current, /*wait=*/true)) {
      verified = verifier_.Verify(token, *fresh, now);
    }
  }
  if (Counter* outcome = needed_fetch ? key_cache_.misses : key_cache_.hits) {
    outcome->Increment();
  }
  if (!verified.ok()) {
    return Unacceptable(verified.status());
  }
  return verified;
}

}  // namespace signet::trust
