#include "policy/kill_switch.h"

namespace signet::policy {

KillSwitch::KillSwitch() : state_(std::make_shared<const State>()) {}

std::vector<std::string> KillSwitch::Suspended() const {
  std::shared_ptr<const State> state = Snapshot();
  std::vector<std::string> names;
  names.reserve(state->suspended.size());
  for (const auto& [name, suspension] : state->suspended) {
    names.push_back(name);
  }
  return names;
}

std::optional<Suspension> KillSwitch::SuspensionOf(std::string_view workload) const {
  std::shared_ptr<const State> state = Snapshot();
  auto it = state->suspended.find(workload);
  if (it == state->suspended.end()) {
    return std::nullopt;
  }
  return it->second;
}

bool KillSwitch::IsRevoked(std::string_view jti) const {
  std::shared_ptr<const State> state = Snapshot();
  return state->revoked.contains(jti);
}

void KillSwitch::Load(std::map<std::string, Suspension, std::less<>> suspended,
                      const std::vector<Revocation>& revoked) {
  auto next = std::make_shared<State>();
  next->suspended = std::move(suspended);
  for (const Revocation& r : revoked) {
    next->revoked.emplace(r.jti, r.expires_at);
  }
  std::lock_guard lock(write_mu_);
  Publish(std::move(next));
}

void KillSwitch::Suspend(const std::string& workload, Suspension suspension) {
  std::lock_guard lock(write_mu_);
  auto next = std::make_shared<State>(*Snapshot());
  next->suspended.insert_or_assign(workload, std::move(suspension));
  Publish(std::move(next));
}

void KillSwitch::Resume(std::string_view workload) {
  std::lock_guard lock(write_mu_);
  auto next = std::make_shared<State>(*Snapshot());
  if (auto it = next->suspended.find(workload); it != next->suspended.end()) {
    next->suspended.erase(it);
  }
  Publish(std::move(next));
}

void KillSwitch::Revoke(const Revocation& revocation, SystemTime now) {
  std::lock_guard lock(write_mu_);
  auto next = std::make_shared<State>(*Snapshot());
  std::erase_if(next->revoked, [now](const auto& entry) { return entry.second <= now; });
  next->revoked.insert_or_assign(revocation.jti, revocation.expires_at);
  Publish(std::move(next));
}

}  // namespace signet::policy
