// Identity rules: which workload a verified token belongs to.
//
// A workload has identity rules, each naming an issuer and claim matchers; a token is the
// workload's when every matcher of one of its rules matches. A claim is named plainly
// ("sub": a top-level claim) or by an RFC 6901 JSON Pointer ("/kubernetes.io/pod/name").
// Only string claims match: a missing claim, or a number, boolean, object or array, does
// not (a rule never matches by accident of a type conversion). A token that matches the
// rules of two workloads is refused as ambiguous rather than given to either.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "jose/jwt.h"

namespace signet::trust {

class ClaimMatcher {
 public:
  static ClaimMatcher Exact(std::string value);
  // '*' matches any run of characters (also none), '?' exactly one; nothing else is
  // special. Refuses an empty pattern (invalid_config).
  static Result<ClaimMatcher> Glob(std::string pattern);
  // Refuses an empty set (invalid_config).
  static Result<ClaimMatcher> OneOf(std::vector<std::string> values);

  bool Matches(std::string_view value) const;
  // Whether no string can match both (false when unsure: two globs).
  bool DisjointFrom(const ClaimMatcher& other) const;
  // For messages: "\"x\"", "glob \"api-*\"", "one of [a, b]".
  std::string Describe() const;

 private:
  enum class Kind { kExact, kGlob, kOneOf };
  ClaimMatcher(Kind kind, std::vector<std::string> values)
      : kind_(kind), values_(std::move(values)) {}

  Kind kind_;
  std::vector<std::string> values_;  // one for exact and glob
};

struct ClaimRule {
  std::string claim;  // "sub", or "/json/pointer"
  ClaimMatcher matcher;
};

struct IdentityRule {
  std::string workload;
  std::string issuer;  // the issuer's config name
  std::vector<ClaimRule> claims;
};

class WorkloadResolver {
 public:
  // Refuses a rule without claims, or with a claim name that is neither a plain name nor
  // a valid JSON Pointer (invalid_config). `warnings` receives a line for each pair of
  // rules of different workloads on one issuer that constrain a common claim in ways
  // that could both match one token (two globs count as overlapping).
  static Result<WorkloadResolver> Build(std::vector<IdentityRule> rules,
                                        std::vector<std::string>* warnings);

  // The one workload whose rules match `jwt` from issuer `issuer_name`. Reasons
  // (invalid_request): no_workload_match, ambiguous_identity (naming both workloads).
  Result<std::string> Resolve(std::string_view issuer_name, const jose::VerifiedJwt& jwt) const;
  // The same over claims no token carries: the selectors signet-agent attested for a
  // local process, matched by the rules of an agent issuer. The caller vouches for them
  // (it verified the agent that sent them); nothing here checks where they came from.
  Result<std::string> Resolve(std::string_view issuer_name,
                              const boost::json::object& claims) const;

 private:
  std::map<std::string, std::vector<IdentityRule>, std::less<>> rules_by_issuer_;
};

// The string at `claim` ("name" or "/json/pointer") in `claims`, or nullptr when absent
// or not a string.
const boost::json::string* FindStringClaim(const boost::json::object& claims,
                                           std::string_view claim);

}  // namespace signet::trust
