// Issuer: one trusted identity provider, its validation rules and its keys.
//
// Keys come from OIDC discovery (`{issuer}/.well-known/openid-configuration` →
// `jwks_uri`), from a configured `jwks_uri`, or inline. Fetched keys are cached and used
// until one of three things happens:
//   - a token names a `kid` the cached set lacks (the issuer rotated): the request waits
//     for one refetch and is retried once;
//   - the cached set is older than `keys_max_age`: the next request refetches, so a key
//     the issuer withdrew (revocation) stops being trusted; concurrent requests go on
//     with the cached set meanwhile;
//   - Refresh() is called.
// All fetches share one rate limit: at most one attempt per `refetch_interval` on the
// monotonic clock, a failed attempt included, so a flood of made-up kids cannot make
// Signet hammer the issuer. Fetches are single-flight. A failed fetch keeps the last
// good keys; a successful one replaces them entirely (a dropped key is gone). Nothing
// named inside a token is ever fetched: URLs come from configuration and the discovery
// document only.
//
// Thread safety: Verify and Refresh may be called concurrently. Verification holds no
// lock: the keys are an immutable set behind a shared_ptr swapped under a small mutex.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/status.h"
#include "jose/jwt.h"
#include "trust/fetcher.h"

namespace signet::trust {

enum class KeySourceKind { kDiscovery, kJwksUri, kInline };

struct IssuerConfig {
  std::string name;                         // the config name, used in logs and audit
  std::string issuer_url;                   // the exact `iss` value
  std::vector<std::string> audiences;       // accepted `aud` values; at least one
  std::vector<jose::Algorithm> algorithms;  // empty: RS256 and ES256
  KeySourceKind key_source = KeySourceKind::kDiscovery;
  std::string jwks_uri;     // kJwksUri: https, or http on a loopback host
  std::string inline_jwks;  // kInline: JWKS JSON with at least one usable key
  // The minimum gap between two fetch attempts.
  std::chrono::seconds refetch_interval{30};
  // Fetched keys older than this are refetched on the next token.
  std::chrono::seconds keys_max_age{300};
  std::chrono::seconds leeway = jose::kDefaultLeeway;
  std::chrono::seconds max_lifetime = jose::kDefaultMaxLifetime;
  std::optional<std::chrono::seconds> max_token_age;

  bool operator==(const IssuerConfig&) const = default;
};

// Where issuers count how their key caches serve tokens; null counters are not counted.
struct KeyCacheCounters {
  Counter* hits = nullptr;  // verified against the keys already held
  // A fetch was needed first: no keys yet, keys older than keys_max_age, or a kid the
  // held keys do not have.
  Counter* misses = nullptr;
};

class Issuer {
 public:
  // Builds the validator and, for inline keys, parses them; fetches nothing. Refuses
  // (invalid_config, the message naming the issuer) what jose's validator builder
  // refuses, a key-source URL that is not https (http only on a loopback host), an
  // inline JWKS without a usable key, and non-positive intervals.
  static Result<std::unique_ptr<Issuer>> Create(IssuerConfig config, Fetcher& fetcher,
                                                const Clock& clock,
                                                KeyCacheCounters key_cache = {});

  // Fetches the keys now, rate limit aside (inline keys: nothing to do). On failure the
  // last good keys stay and the result is temporarily_unavailable
  // issuer_keys_unavailable, saying what failed.
  Status Refresh();

  // Verifies `token` (parsed by jose::ParseJwt) with this issuer's rules and keys at wall
  // time `now`. Failures are
  // invalid_request (RFC 8693 §2.2.2: an unacceptable subject token) with jose's reason
  // and message, or temporarily_unavailable issuer_keys_unavailable when no key set was
  // ever fetched and none can be now.
  Result<jose::VerifiedJwt> Verify(const jose::ParsedJwt& token, SystemTime now);

  const IssuerConfig& config() const { return config_; }

 private:
  using KeysPtr = std::shared_ptr<const jose::Jwks>;

  Issuer(IssuerConfig config, jose::JwtVerifier verifier, Fetcher& fetcher, const Clock& clock,
         KeyCacheCounters key_cache);

  // The current key set (null until the first successful fetch) and when it was fetched.
  std::pair<KeysPtr, MonotonicTime> Keys() const;
  Result<jose::Jwks> FetchKeys();
  // One fetch attempt, installing the keys on success. REQUIRES: fetch_mu_ held.
  Result<KeysPtr> FetchAndInstall();
  // Refetches on behalf of a request that saw the set `seen`: unless another thread
  // replaced `seen` meanwhile (then returns the newer set) or an attempt ran within
  // refetch_interval. With `wait` false, gives up at once while another fetch is in
  // flight. Returns the set to use, or null when there is none newer than `seen`.
  KeysPtr RefetchFor(const KeysPtr& seen, bool wait);

  const IssuerConfig config_;
  const jose::JwtVerifier verifier_;
  Fetcher& fetcher_;
  const Clock& clock_;
  const KeyCacheCounters key_cache_;

  mutable std::mutex keys_mu_;
  KeysPtr keys_;                // guarded by keys_mu_
  MonotonicTime keys_fetched_;  // guarded by keys_mu_

  std::mutex fetch_mu_;                        // held for the whole of a fetch
  std::optional<MonotonicTime> last_attempt_;  // guarded by fetch_mu_
};

}  // namespace signet::trust
