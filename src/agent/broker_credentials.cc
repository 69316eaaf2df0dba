#include "agent/broker_credentials.h"

#include <spdlog/spdlog.h>

namespace signet::agent {

BrokerCredentials::BrokerCredentials(SignetdClient& signetd, const Clock& clock,
                                     credentials::CredentialCacheOptions options)
    : signetd_(signetd), cache_(clock, &BrokerCredentials::ExpiresAt, options) {}

std::string CallerKey(const ProcessSelectors& caller, std::string_view destination) {
  // NUL cannot occur in a path, an id or a destination name: the fields cannot run into
  // each other.
  std::string key;
  for (std::string_view part :
       {std::string_view(caller.uid), std::string_view(caller.gid), std::string_view(caller.exe),
        std::string_view(caller.sha256), std::string_view(caller.container_id),
        std::string_view(caller.pod_uid), destination}) {
    key.append(part);
    key.push_back('\0');
  }
  return key;
}

std::shared_ptr<const EdgeCredential> BrokerCredentials::Cached(const ProcessSelectors& caller,
                                                                std::string_view destination) {
  return cache_.Peek(CallerKey(caller, destination)).value_or(nullptr);
}

Result<std::shared_ptr<const EdgeCredential>> BrokerCredentials::Fetch(
    const ProcessSelectors& caller, std::string_view destination) {
  return cache_.Get(CallerKey(caller, destination), [&]() -> Result<Entry> {
    SIGNET_ASSIGN_OR_RETURN(EdgeCredential credential,
                            signetd_.RequestCredential(caller, destination));
    return std::make_shared<const EdgeCredential>(std::move(credential));
  });
}

size_t BrokerCredentials::Purge(const std::set<std::string, std::less<>>& workloads) {
  return cache_.Purge(
      [&workloads](const Entry& entry) { return workloads.contains(entry->workload); });
}

std::chrono::milliseconds BrokerCredentials::PollSuspensions(std::chrono::milliseconds every) {
  Result<std::vector<std::string>> suspended = signetd_.SuspendedWorkloads();
  if (!suspended.ok()) {
    spdlog::warn("cannot read the suspended workloads from signetd: {}",
                 suspended.status().ToString());
    return every;
  }
  if (suspended->empty()) {
    return every;
  }
  size_t purged = Purge({suspended->begin(), suspended->end()});
  if (purged > 0) {
    spdlog::info("dropped {} cached credential(s) of suspended workloads", purged);
  }
  return every;
}

}  // namespace signet::agent
