// DurableKillSwitch: the kill switch as the control plane changes it.
//
// Each change goes to the store first (a restart, or another replica, must see it), then
// to the in-memory KillSwitch the broker reads, both under one lock: two concurrent
// changes to one workload (a suspend racing a resume) end in the same order in both
// places, so memory never disagrees with the store. Reload replaces the in-memory state
// with the store's, under the same lock: at start-up, and on every tick of the replica
// sync (server/config_sync.h), which is how a suspension made through one replica reaches
// the others.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <mutex>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "policy/kill_switch.h"
#include "store/store.h"

namespace signet::server {

class DurableKillSwitch {
 public:
  // `kill` must outlive this object; the broker and introspection read it directly.
  DurableKillSwitch(store::Store& store, policy::KillSwitch& kill, const Clock& clock);

  Status Suspend(const store::SuspensionRow& row);
  // Whether the workload was suspended.
  Result<bool> Resume(std::string_view workload);
  Status Revoke(const store::RevocationRow& row);
  // Suspensions and unexpired revocations as the store holds them.
  Status Reload();

  // What the broker and introspection read.
  const policy::KillSwitch& state() const { return kill_; }

 private:
  store::Store& store_;
  policy::KillSwitch& kill_;
  const Clock& clock_;
  std::mutex mu_;
};

}  // namespace signet::server
