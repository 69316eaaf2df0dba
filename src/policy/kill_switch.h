// KillSwitch: the workloads an operator suspended and the tokens one revoked, as the
// broker and introspection see them on every request.
//
// The store holds the durable record; the control plane writes there first, then here,
// so a restart reloads the same state (Load). Reads take no lock: they load an immutable
// snapshot that writers replace whole (copy on write), so a request sees one consistent
// state from start to end, and a change is visible to the next request on any thread.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace signet::policy {

struct Suspension {
  std::string reason;
  std::string actor;  // the admin token id that suspended it
  SystemTime since;
};

class KillSwitch {
 public:
  KillSwitch();

  std::optional<Suspension> SuspensionOf(std::string_view workload) const;
  bool IsSuspended(std::string_view workload) const { return SuspensionOf(workload).has_value(); }
  // The names suspended now, sorted (what signet-agents poll to purge their caches).
  std::vector<std::string> Suspended() const;
  // Whether the token `jti` was revoked (and has not expired yet at the last write).
  bool IsRevoked(std::string_view jti) const;

  struct Revocation {
    std::string jti;
    SystemTime expires_at;
  };
  // Replaces everything (at start-up, from the store).
  void Load(std::map<std::string, Suspension, std::less<>> suspended,
            const std::vector<Revocation>& revoked);
  void Suspend(const std::string& workload, Suspension suspension);
  void Resume(std::string_view workload);
  // Revocations of tokens expired before `now` are dropped on the way: an expired token
  // is refused anyway, and the set stays as small as the tokens still alive.
  void Revoke(const Revocation& revocation, SystemTime now);

 private:
  struct State {
    std::map<std::string, Suspension, std::less<>> suspended;
    std::map<std::string, SystemTime, std::less<>> revoked;  // jti -> token expiry
  };
  std::shared_ptr<const State> Snapshot() const { return state_.load(std::memory_order_acquire); }
  void Publish(std::shared_ptr<const State> next) {
    state_.store(std::move(next), std::memory_order_release);
  }

  std::atomic<std::shared_ptr<const State>> state_;
  std::mutex write_mu_;  // one writer at a time: each copies the latest state
};

}  // namespace signet::policy
