// Policies: which workload may reach which destination, for how long, with which scopes.
//
// Default deny: a request is allowed only when an allow rule names both the workload and
// the destination (or "*"), and no deny rule does; a matching deny rule always wins.
// Rules are compiled once, at config load, into maps keyed by (workload, destination)
// with wildcard buckets, so evaluation reads a few map entries and takes no lock.
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace signet::policy {

inline constexpr std::string_view kAny = "*";

struct PolicyRule {
  enum class Effect { kAllow, kDeny };

  std::string name;
  Effect effect = Effect::kAllow;
  std::vector<std::string> workloads;     // names, or "*" for any
  std::vector<std::string> destinations;  // names, or "*"
  std::chrono::seconds max_ttl{3600};     // allow only
  std::vector<std::string> scopes;        // allow only: the scopes it grants
};

struct Grant {
  std::string policy;
  std::chrono::seconds max_ttl{0};
  std::vector<std::string> scopes;  // the requested ones, or all the rule grants
};

class PolicyIndex {
 public:
  // Refuses (invalid_config, naming the policy): a workload or destination name that is
  // neither "*" nor in the given sets, an empty list, an empty or duplicate policy
  // name, a non-positive max_ttl on an allow rule, scopes on a deny rule.
  static Result<PolicyIndex> Compile(std::vector<PolicyRule> rules,
                                     const std::set<std::string>& workloads,
                                     const std::set<std::string>& destinations);

  // Reasons (RFC 8693 §2.2.2: the server will not issue for this target): policy_denied
  // naming the deny rule, no_policy (both invalid_target); scope_not_allowed
  // (invalid_scope) when no allow rule grants every requested scope. With no scope
  // requested, the first matching allow rule (in config order) grants all its scopes;
  // otherwise the first that grants every requested scope grants just those.
  Result<Grant> Evaluate(std::string_view workload, std::string_view destination,
                         const std::vector<std::string>& requested_scopes) const;

 private:
  // Rules by "workload\0destination", either side possibly "*"; each list in config
  // order, as indexes into rules_.
  using Bucket = std::unordered_map<std::string, std::vector<size_t>>;

  std::vector<size_t> Matching(const Bucket& bucket, std::string_view workload,
                               std::string_view destination) const;

  std::vector<PolicyRule> rules_;
  Bucket allows_;
  Bucket denies_;
};

}  // namespace signet::policy
