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

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

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

// The cache, for any value with an expiry: a destination's Credential here, an agent's
// credential with what signetd said of it in signet-agent.
template <typename T>
class ExpiringCache {
 public:
  // Asks the destination for a new value. Called without any cache lock held; may
  // block (a network round trip). Should not throw: an exception is turned into a
  // server_error (reason "internal") for every caller waiting on it.
  using Fetch = std::function<Result<T>()>;
  using ExpiresAt = SystemTime (*)(const T&);

  // `clock` must outlive the cache.
  ExpiringCache(const Clock& clock, ExpiresAt expires_at, CredentialCacheOptions options = {});
  ExpiringCache(const ExpiringCache&) = delete;
  ExpiringCache& operator=(const ExpiringCache&) = delete;

  // The value for `key`: the cached one while it is fresh; otherwise one fetched
  // with `fetch` (at most one fetch per key runs at a time; callers that need a
  // value while one runs wait for its outcome and share it, success or error).
  // A destination that answers with an already expired credential is a server_error
  // (reason "destination_credential_expired"); one that answers with a credential
  // within `min_remaining` of expiry has it returned to the callers that asked but not
  // cached.
  Result<T> Get(const std::string& key, const Fetch& fetch);

  // Never waits: the cached value for `key` when it is fresh, with no refresh due; else
  // nullopt, and the caller goes to Get (off any thread that must not block).
  std::optional<T> Peek(const std::string& key) const;

  // Drops every cached value for which `drop` is true; a fetch in flight whose outcome
  // `drop` matches hands it to its waiters without caching it (a fetch that started
  // before a suspension may return a credential granted just before it). Returns how
  // many cached values were dropped.
  size_t Purge(const std::function<bool(const T&)>& drop);

  // Keys with a cached value or a fetch in flight (for tests and metrics).
  size_t size() const;

 private:
  // The fetch in flight for one key. Shared with its waiters, so that they can read the
  // outcome even after the entry is gone. Guarded by mu_.
  struct Flight {
    std::optional<Result<T>> outcome;
    std::condition_variable done;  // notified once `outcome` is set
    // The Purge predicates that ran meanwhile: an outcome one of them matches is handed
    // to the waiters but not cached.
    std::vector<std::function<bool(const T&)>> purges;
  };
  struct Entry {
    std::optional<T> value;          // only ever one with > min_remaining left
    std::shared_ptr<Flight> flight;  // null when no fetch runs for the key
  };

  // Runs `fetch` for `key` (whose entry holds `flight`), caches a usable value and
  // publishes the outcome to the waiters. Called without mu_ held.
  Result<T> RunFlight(const std::string& key, const Fetch& fetch,
                      const std::shared_ptr<Flight>& flight);

  const Clock& clock_;
  const ExpiresAt expires_at_;
  const CredentialCacheOptions options_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

inline SystemTime CredentialExpiry(const Credential& credential) { return credential.expires_at; }

// The providers' cache: destination credentials.
class CredentialCache : public ExpiringCache<Credential> {
 public:
  explicit CredentialCache(const Clock& clock, CredentialCacheOptions options = {})
      : ExpiringCache(clock, &CredentialExpiry, options) {}
};

namespace internal {
// A fetch is provider code, possibly wrapping a third-party client: an exception must
// not escape past the waiters, who would then wait for an outcome that never comes.
Status FetchThrew();
// A negative min_remaining would let an expired credential out; a refresh window that
// ends before min_remaining starts is simply empty.
CredentialCacheOptions Normalize(CredentialCacheOptions options);
Status AlreadyExpired();
}  // namespace internal

template <typename T>
ExpiringCache<T>::ExpiringCache(const Clock& clock, ExpiresAt expires_at,
                                CredentialCacheOptions options)
    : clock_(clock), expires_at_(expires_at), options_(internal::Normalize(options)) {}

template <typename T>
Result<T> ExpiringCache<T>::Get(const std::string& key, const Fetch& fetch) {
  std::unique_lock lock(mu_);
  // Read under the lock so that the decision matches the entry as this caller sees it.
  const SystemTime now = clock_.Now();
  Entry& entry = entries_[key];
  if (entry.value.has_value()) {
    const auto remaining = expires_at_(*entry.value) - now;
    if (remaining > options_.refresh_ahead) {
      return *entry.value;
    }
    if (remaining > options_.min_remaining) {
      // Still good to hand out, so nobody waits for a refresh: one caller runs it and
      // the others keep the cached value meanwhile.
      T cached = *entry.value;
      if (entry.flight != nullptr) {
        return cached;
      }
      auto flight = std::make_shared<Flight>();
      entry.flight = flight;
      lock.unlock();
      Result<T> refreshed = RunFlight(key, fetch, flight);
      if (refreshed.ok()) {
        return refreshed;
      }
      // The fetch took time: the fallback must still be good to hand out now.
      if (expires_at_(cached) - clock_.Now() > options_.min_remaining) {
        return cached;
      }
      return refreshed;
    }
    // Too close to expiry to hand out. Once expired it is of no use even as a fallback.
    if (remaining <= SystemTime::duration::zero()) {
      entry.value.reset();
    }
  }
  if (entry.flight != nullptr) {
    // Held by value: the entry may be erased while this caller waits.
    std::shared_ptr<Flight> flight = entry.flight;
    flight->done.wait(lock, [&flight] { return flight->outcome.has_value(); });
    return *flight->outcome;
  }
  auto flight = std::make_shared<Flight>();
  entry.flight = flight;
  lock.unlock();
  return RunFlight(key, fetch, flight);
}

template <typename T>
std::optional<T> ExpiringCache<T>::Peek(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.value.has_value() ||
      expires_at_(*it->second.value) - clock_.Now() <= options_.refresh_ahead) {
    return std::nullopt;
  }
  return it->second.value;
}

template <typename T>
size_t ExpiringCache<T>::Purge(const std::function<bool(const T&)>& drop) {
  std::lock_guard lock(mu_);
  size_t dropped = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& entry = it->second;
    if (entry.flight != nullptr) {
      entry.flight->purges.push_back(drop);
    }
    if (entry.value.has_value() && drop(*entry.value)) {
      entry.value.reset();
      ++dropped;
    }
    if (!entry.value.has_value() && entry.flight == nullptr) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return dropped;
}

template <typename T>
Result<T> ExpiringCache<T>::RunFlight(const std::string& key, const Fetch& fetch,
                                      const std::shared_ptr<Flight>& flight) {
  Result<T> outcome = internal::FetchThrew();
  try {
    outcome = fetch();
  } catch (...) {
    // The exception's text is not passed on: it may quote the destination's answer.
  }
  // Read after the fetch, which may have taken a while.
  const SystemTime now = clock_.Now();
  bool cacheable = false;
  if (outcome.ok()) {
    const auto remaining = expires_at_(*outcome) - now;
    if (remaining <= SystemTime::duration::zero()) {
      outcome = internal::AlreadyExpired();
    } else {
      // A shorter-lived one is still what the destination gave the callers who asked,
      // but a later request would find it too close to expiry to use.
      cacheable = remaining > options_.min_remaining;
    }
  }

  std::lock_guard lock(mu_);
  // Only the owner of a flight clears it, and an entry with a flight is never erased,
  // so the entry is there; checked all the same, as a missing one costs nothing.
  if (auto it = entries_.find(key); it != entries_.end()) {
    Entry& entry = it->second;
    entry.flight.reset();
    const auto purged = [&flight](const T& value) {
      return std::any_of(flight->purges.begin(), flight->purges.end(),
                         [&value](const auto& drop) { return drop(value); });
    };
    if (cacheable && !purged(*outcome)) {
      entry.value = *outcome;
    } else if (entry.value.has_value() && expires_at_(*entry.value) <= now) {
      entry.value.reset();
    }
    if (!entry.value.has_value()) {
      entries_.erase(it);
    }
  }
  flight->outcome = outcome;
  flight->done.notify_all();
  return outcome;
}

template <typename T>
size_t ExpiringCache<T>::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace signet::credentials
