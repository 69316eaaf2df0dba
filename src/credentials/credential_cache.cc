#include "credentials/credential_cache.h"

#include <algorithm>
#include <utility>

namespace signet::credentials {
namespace {

// A fetch is provider code, possibly wrapping a third-party client: an exception must
// not escape past the waiters, who would then wait for an outcome that never comes.
Result<Credential> InvokeFetch(const CredentialCache::Fetch& fetch) {
  try {
    return fetch();
  } catch (...) {
    // The exception's text is not passed on: it may quote the destination's answer.
    return Status(ErrorCode::kServerError, "internal",
                  "fetching the destination credential failed unexpectedly");
  }
}

// A negative min_remaining would let an expired credential out; a refresh window that
// ends before min_remaining starts is simply empty.
CredentialCacheOptions Normalize(CredentialCacheOptions options) {
  options.min_remaining = std::max(options.min_remaining, std::chrono::seconds(0));
  options.refresh_ahead = std::max(options.refresh_ahead, options.min_remaining);
  return options;
}

}  // namespace

CredentialCache::CredentialCache(const Clock& clock, CredentialCacheOptions options)
    : clock_(clock), options_(Normalize(options)) {}

Result<Credential> CredentialCache::Get(const std::string& key, const Fetch& fetch) {
  std::unique_lock lock(mu_);
  // Read under the lock so that the decision matches the entry as this caller sees it.
  const SystemTime now = clock_.Now();
  Entry& entry = entries_[key];
  if (entry.credential.has_value()) {
    const auto remaining = entry.credential->expires_at - now;
    if (remaining > options_.refresh_ahead) {
      return *entry.credential;
    }
    if (remaining > options_.min_remaining) {
      // Still good to hand out, so nobody waits for a refresh: one caller runs it and
      // the others keep the cached credential meanwhile.
      Credential cached = *entry.credential;
      if (entry.flight != nullptr) {
        return cached;
      }
      auto flight = std::make_shared<Flight>();
      entry.flight = flight;
      lock.unlock();
      Result<Credential> refreshed = RunFlight(key, fetch, flight);
      if (refreshed.ok()) {
        return refreshed;
      }
      // The fetch took time: the fallback must still be good to hand out now.
      if (cached.expires_at - clock_.Now() > options_.min_remaining) {
        return cached;
      }
      return refreshed;
    }
    // Too close to expiry to hand out. Once expired it is of no use even as a fallback.
    if (remaining <= SystemTime::duration::zero()) {
      entry.credential.reset();
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

Result<Credential> CredentialCache::RunFlight(const std::string& key, const Fetch& fetch,
                                              const std::shared_ptr<Flight>& flight) {
  Result<Credential> outcome = InvokeFetch(fetch);
  // Read after the fetch, which may have taken a while.
  const SystemTime now = clock_.Now();
  bool cacheable = false;
  if (outcome.ok()) {
    const auto remaining = outcome->expires_at - now;
    if (remaining <= SystemTime::duration::zero()) {
      outcome = Status(ErrorCode::kServerError, "destination_credential_expired",
                       "the destination returned a credential that has already expired");
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
    if (cacheable) {
      entry.credential = *outcome;
    } else if (entry.credential.has_value() && entry.credential->expires_at <= now) {
      entry.credential.reset();
    }
    if (!entry.credential.has_value()) {
      entries_.erase(it);
    }
  }
  flight->outcome = outcome;
  flight->done.notify_all();
  return outcome;
}

size_t CredentialCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace signet::credentials
