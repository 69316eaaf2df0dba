// BrokerCredentials: the agent's CredentialSource. Asks signetd for an attested caller's
// credential and keeps it, per (caller's selectors, destination), until shortly before
// it expires: refreshed ahead, one fetch in flight per key (credentials::ExpiringCache).
// Suspensions purge: the next request of a suspended workload goes back to signetd,
// which refuses it.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "agent/edge.h"
#include "agent/signetd_client.h"
#include "credentials/credential_cache.h"

namespace signet::agent {

class BrokerCredentials final : public CredentialSource {
 public:
  // `signetd` and `clock` must outlive this.
  BrokerCredentials(SignetdClient& signetd, const Clock& clock,
                    credentials::CredentialCacheOptions options = {});

  std::shared_ptr<const EdgeCredential> Cached(const ProcessSelectors& caller,
                                               std::string_view destination) override;
  Result<std::shared_ptr<const EdgeCredential>> Fetch(const ProcessSelectors& caller,
                                                      std::string_view destination) override;

  // Drops the cached credentials of `workloads`; returns how many.
  size_t Purge(const std::set<std::string, std::less<>>& workloads);
  // Asks signetd which workloads are suspended and purges theirs; returns how long to
  // wait before asking again (`every`). For a BackgroundLoop.
  std::chrono::milliseconds PollSuspensions(std::chrono::milliseconds every);

  size_t size() const { return cache_.size(); }

 private:
  using Entry = std::shared_ptr<const EdgeCredential>;
  static SystemTime ExpiresAt(const Entry& entry) { return entry->credential.expires_at; }

  SignetdClient& signetd_;
  credentials::ExpiringCache<Entry> cache_;
};

// The cache key of a caller and a destination: every selector signetd may match, so two
// callers share a credential only when signetd could not tell them apart.
std::string CallerKey(const ProcessSelectors& caller, std::string_view destination);

}  // namespace signet::agent
