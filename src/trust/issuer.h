// Issuer: one trusted identity provider, its validation rules and its keys.
//
// Keys come from OIDC discovery (`{issuer}/.well-known/openid-configuration` →
// `jwks_uri`), from a configured `jwks_uri`, or inline. Fetched keys are cached; a token
// signed with an unknown `kid` (the issuer rotated) triggers one refetch, at most once
// per `refetch_interval` on the monotonic clock, so a flood of made-up kids cannot make
// Signet hammer the issuer. A failed fetch keeps the last good keys. Nothing named inside
// a token is ever fetched: the URLs come from configuration and the discovery document.
//
// Thread safety: Verify and Refresh may be called concurrently. Verification holds no
// lock; the keys are an immutable set swapped under a small mutex, and fetches are
// single-flight.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "jose/jwt.h"
#include "trust/fetcher.h"

namespace signet::trust {

enum class KeySourceKind { kDiscovery, kJwksUri, kInline };

struct IssuerConfig {
  std::string name;                         // the config name, used in logs and audit
  std::string issuer_url;                   // the exact `iss` value
  std::vector<std::string> audiences;       // accepted `aud` values
  std::vector<jose::Algorithm> algorithms;  // empty: RS256 and ES256
  KeySourceKind key_source = KeySourceKind::kDiscovery;
  std::string jwks_uri;     // kJwksUri
  std::string inline_jwks;  // kInline: JWKS JSON
  std::chrono::seconds refetch_interval{30};
  std::chrono::seconds leeway = jose::kDefaultLeeway;
  std::chrono::seconds max_lifetime = jose::kDefaultMaxLifetime;
  std::optional<std::chrono::seconds> max_token_age;
};

class Issuer {
 public:
  // Builds the validator and, for inline keys, parses them; fetches nothing.
  // invalid_config naming the issuer when a setting is refused.
  static Result<std::unique_ptr<Issuer>> Create(IssuerConfig config, Fetcher& fetcher,
                                                const Clock& clock);

  // Fetches the keys now (inline keys: nothing to do). On failure the last good keys
  // stay; temporarily_unavailable issuer_keys_unavailable says what failed.
  Status Refresh();

  // Verifies `token` with this issuer's rules and keys. Failures are invalid_request
  // (RFC 8693: an unacceptable subject token) with jose's reason, or
  // issuer_keys_unavailable when no keys could ever be fetched.
  Result<jose::VerifiedJwt> Verify(std::string_view token, SystemTime now);

  const IssuerConfig& config() const { return config_; }

 private:
  Issuer(IssuerConfig config, jose::JwtVerifier verifier, Fetcher& fetcher, const Clock& clock);

  std::shared_ptr<const jose::Jwks> keys() const;
  Result<jose::Jwks> FetchKeys();
  // Refetches unless one ran within refetch_interval, or another thread replaced
  // `seen` meanwhile; returns the keys to retry with, or nullptr.
  std::shared_ptr<const jose::Jwks> RefetchAfterMiss(const std::shared_ptr<const jose::Jwks>& seen);

  IssuerConfig config_;
  jose::JwtVerifier verifier_;
  Fetcher& fetcher_;
  const Clock& clock_;

  mutable std::mutex keys_mu_;
  std::shared_ptr<const jose::Jwks> keys_;  // guarded by keys_mu_; null until first fetch

  std::mutex fetch_mu_;                      // single-flight fetches
  std::optional<MonotonicTime> last_fetch_;  // guarded by fetch_mu_
};

}  // namespace signet::trust
