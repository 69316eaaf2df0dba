#include "server/durable_kill_switch.h"

#include <map>
#include <string>
#include <vector>

namespace signet::server {

DurableKillSwitch::DurableKillSwitch(store::Store& store, policy::KillSwitch& kill,
                                     const Clock& clock)
    : store_(store), kill_(kill), clock_(clock) {}

Status DurableKillSwitch::Suspend(const store::SuspensionRow& row) {
  std::lock_guard lock(mu_);
  SIGNET_RETURN_IF_ERROR(store_.PutSuspension(row));
  kill_.Suspend(row.workload, {row.reason, row.actor, FromUnixSeconds(row.created_at)});
  return Status::Ok();
}

Result<bool> DurableKillSwitch::Resume(std::string_view workload) {
  std::lock_guard lock(mu_);
  SIGNET_ASSIGN_OR_RETURN(bool removed, store_.DeleteSuspension(workload));
  // Also when nothing was removed: memory may hold a suspension another replica lifted.
  kill_.Resume(workload);
  return removed;
}

Status DurableKillSwitch::Revoke(const store::RevocationRow& row) {
  std::lock_guard lock(mu_);
  SIGNET_RETURN_IF_ERROR(store_.PutRevocation(row));
  kill_.Revoke({row.jti, FromUnixSeconds(row.expires_at)}, clock_.Now());
  return Status::Ok();
}

Status DurableKillSwitch::Reload() {
  std::lock_guard lock(mu_);
  SIGNET_ASSIGN_OR_RETURN(std::vector<store::SuspensionRow> suspensions, store_.ListSuspensions());
  SIGNET_ASSIGN_OR_RETURN(std::vector<store::RevocationRow> revocations,
                          store_.ListRevocations(ToUnixSecondsFloor(clock_.Now())));
  std::map<std::string, policy::Suspension, std::less<>> suspended;
  for (auto& row : suspensions) {
    suspended.emplace(std::move(row.workload),
                      policy::Suspension{std::move(row.reason), std::move(row.actor),
                                         FromUnixSeconds(row.created_at)});
  }
  std::vector<policy::KillSwitch::Revocation> revoked;
  revoked.reserve(revocations.size());
  for (auto& row : revocations) {
    revoked.push_back({std::move(row.jti), FromUnixSeconds(row.expires_at)});
  }
  kill_.Load(std::move(suspended), revoked);
  return Status::Ok();
}

}  // namespace signet::server
