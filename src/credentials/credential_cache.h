// CredentialCache: the credentials a provider fetched from a destination's token
// endpoint, kept until shortly before they expire.
//
// Providers that call out (Anthropic, AWS STS, ...) would otherwise make one round trip
// per workload request, and a burst of requests would hit the destination with identical
// exchanges. The cache holds one credential per key (the caller builds the key from the
// workload, the destination and the granted scopes, so a credential is only ever reused
// for exactly the grant it was fetched for) and:
//   - refreshes ahead of expiry: inside `refresh_ahead` the next request fetches a new
//     credential, while concurrent requests keep getting the cached one, and a failed
//     refresh keeps serving it, so a destination outage is felt only near expiry;
//   - runs at most one fetch per key at a time (single flight): callers that need a
//     credential while one runs wait for its outcome and share it, error included;
//   - never hands out a credential within `min_remaining` of its expiry, let alone an
//     expired one: a workload gets time to use what it is given.
// Expiry is judged on wall time (Clock::Now), since `expires_at` is wall time.
//
// There is no background thread: all work happens in Get. An entry whose credential has
// expired is dropped when a request finds it; keys come from configuration (workloads x
// destinations x grants), so the map stays bounded by what is configured.
//
// Thread safety: Get and size may be called concurrently from any thread, for the same
// or different keys. Fetches for different keys run in parallel; no cache lock is held
// while a fetch runs. A fetch must not call Get for its own key (it would wait for
// itself).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "common/status.h"
#include "credentials/provider.h"

namespace signet::credentials {

struct CredentialCacheOptions {
  // Within this much of expiry a cached credential is refreshed by the next request that
  // finds it, while concurrent requests keep getting the cached one; a failed refresh
  // keeps serving it.
  std::chrono::seconds refresh_ahead{120};
  // Within this much of expiry a cached credential is never handed out: the request
  // waits for a fresh one, and a failure is the request's error. A negative value is
  // taken as zero, and a `refresh_ahead` below it as equal to it (no refresh window).
  std::chrono::seconds min_remaining{30};
};

class CredentialCache {
 public:
  // Asks the destination for a new credential. Called without any cache lock held; may
  // block (a network round trip). Should not throw: an exception is turned into a
  // server_error (reason "internal") for every caller waiting on it.
  using Fetch = std::function<Result<Credential>()>;

  // `clock` must outlive the cache.
  explicit CredentialCache(const Clock& clock, CredentialCacheOptions options = {});
  CredentialCache(const CredentialCache&) = delete;
  CredentialCache& operator=(const CredentialCache&) = delete;

  // The credential for `key`: the cached one while it is fresh; otherwise one fetched
  // with `fetch` (at most one fetch per key runs at a time; callers that need a
  // credential while one runs wait for its outcome and share it, success or error).
  // A destination that answers with an already expired credential is a server_error
  // (reason "destination_credential_expired"); one that answers with a credential
  // within `min_remaining` of expiry has it returned to the callers that asked but not
  // cached.
  Result<Credential> Get(const std::string& key, const Fetch& fetch);

  // Keys with a cached credential or a fetch in flight (for tests and metrics).
  size_t size() const;

 private:
  // The fetch in flight for one key. Shared with its waiters, so that they can read the
  // outcome even after the entry is gone. Guarded by mu_.
  struct Flight {
    std::optional<Result<Credential>> outcome;
    std::condition_variable done;  // notified once `outcome` is set
  };
  struct Entry {
    std::optional<Credential> credential;  // only ever one with > min_remaining left
    std::shared_ptr<Flight> flight;        // null when no fetch runs for the key
  };

  // Runs `fetch` for `key` (whose entry holds `flight`), caches a usable credential and
  // publishes the outcome to the waiters. Called without mu_ held.
  Result<Credential> RunFlight(const std::string& key, const Fetch& fetch,
                               const std::shared_ptr<Flight>& flight);

  const Clock& clock_;
  const CredentialCacheOptions options_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace signet::credentials
