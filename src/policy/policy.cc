#include "policy/policy.h"

#include <algorithm>

namespace signet::policy {
namespace {

Status PolicyError(const std::string& policy, const std::string& problem) {
  return Status(ErrorCode::kInvalidConfig, "config_invalid", "policies " + policy + ": " + problem);
}

std::string Key(std::string_view workload, std::string_view destination) {
  std::string key(workload);
  key.push_back('\0');
  key.append(destination);
  return key;
}

Status CheckNames(const PolicyRule& rule, const char* field, const std::vector<std::string>& names,
                  const std::set<std::string>& known) {
  if (names.empty()) {
    return PolicyError(rule.name, std::string(field) + " must not be empty");
  }
  for (const auto& name : names) {
    if (name != kAny && !known.contains(name)) {
      return PolicyError(rule.name,
                         std::string(field) + " names \"" + name + "\", which is not defined");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<PolicyIndex> PolicyIndex::Compile(std::vector<PolicyRule> rules,
                                         const std::set<std::string>& workloads,
                                         const std::set<std::string>& destinations) {
  PolicyIndex index;
  std::set<std::string> names;
  for (size_t i = 0; i < rules.size(); ++i) {
    const PolicyRule& rule = rules[i];
    if (rule.name.empty() || !names.insert(rule.name).second) {
      return PolicyError(rule.name, "every policy needs a unique name");
    }
    SIGNET_RETURN_IF_ERROR(CheckNames(rule, "workloads", rule.workloads, workloads));
    SIGNET_RETURN_IF_ERROR(CheckNames(rule, "destinations", rule.destinations, destinations));
    bool allow = rule.effect == PolicyRule::Effect::kAllow;
    if (allow && rule.max_ttl.count() <= 0) {
      return PolicyError(rule.name, "max_ttl must be positive");
    }
    // A deny rule refuses the whole destination; scopes on it would read as "deny just
    // these scopes", which is not what it does.
    if (!allow && !rule.scopes.empty()) {
      return PolicyError(rule.name, "a deny policy takes no scopes");
    }
    Bucket& bucket = allow ? index.allows_ : index.denies_;
    for (const auto& workload : rule.workloads) {
      for (const auto& destination : rule.destinations) {
        std::vector<size_t>& list = bucket[Key(workload, destination)];
        if (list.empty() || list.back() != i) {
          list.push_back(i);
        }
      }
    }
  }
  index.rules_ = std::move(rules);
  return index;
}

std::vector<size_t> PolicyIndex::Matching(const Bucket& bucket, std::string_view workload,
                                          std::string_view destination) const {
  std::vector<size_t> matches;
  for (const std::string& key :
       {Key(workload, destination), Key(workload, kAny), Key(kAny, destination), Key(kAny, kAny)}) {
    if (auto it = bucket.find(key); it != bucket.end()) {
      matches.insert(matches.end(), it->second.begin(), it->second.end());
    }
  }
  // Config order decides between allow rules; a rule may sit in several buckets.
  std::sort(matches.begin(), matches.end());
  matches.erase(std::unique(matches.begin(), matches.end()), matches.end());
  return matches;
}

Result<Grant> PolicyIndex::Evaluate(std::string_view workload, std::string_view destination,
                                    const std::vector<std::string>& requested_scopes) const {
  if (std::vector<size_t> denies = Matching(denies_, workload, destination); !denies.empty()) {
    return Status(ErrorCode::kInvalidTarget, "policy_denied",
                  "policy " + rules_[denies.front()].name + " denies this destination");
  }
  std::vector<size_t> allows = Matching(allows_, workload, destination);
  if (allows.empty()) {
    return Status(ErrorCode::kInvalidTarget, "no_policy",
                  "no policy allows this workload to reach this destination");
  }
  for (size_t i : allows) {
    const PolicyRule& rule = rules_[i];
    bool grants_all = std::all_of(
        requested_scopes.begin(), requested_scopes.end(), [&rule](const std::string& scope) {
          return std::find(rule.scopes.begin(), rule.scopes.end(), scope) != rule.scopes.end();
        });
    if (grants_all) {
      return Grant{rule.name, rule.max_ttl,
                   requested_scopes.empty() ? rule.scopes : requested_scopes};
    }
  }
  std::string wanted;
  for (const auto& scope : requested_scopes) {
    wanted += (wanted.empty() ? "" : " ") + scope;
  }
  constexpr size_t kShown = 200;
  return Status(ErrorCode::kInvalidScope, "scope_not_allowed",
                "no policy grants the scopes \"" + wanted.substr(0, kShown) + "\"");
}

}  // namespace signet::policy
