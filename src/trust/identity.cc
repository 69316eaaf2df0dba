#include "trust/identity.h"

#include <algorithm>
#include <set>

namespace signet::trust {
namespace {

// Iterative glob match with one backtrack point: linear in practice, never exponential.
bool GlobMatch(std::string_view pattern, std::string_view value) {
  size_t p = 0;
  size_t v = 0;
  size_t star = std::string_view::npos;
  size_t star_v = 0;
  while (v < value.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == value[v])) {
      ++p;
      ++v;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_v = v;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      v = ++star_v;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

// RFC 6901 reference tokens of a pointer ("/a/b~1c" -> {"a", "b/c"}); false when an
// escape is invalid.
bool SplitPointer(std::string_view pointer, std::vector<std::string>* tokens) {
  tokens->clear();
  size_t start = 1;
  while (start <= pointer.size()) {
    size_t end = std::min(pointer.find('/', start), pointer.size());
    std::string token;
    for (size_t i = start; i < end; ++i) {
      if (pointer[i] != '~') {
        token.push_back(pointer[i]);
      } else if (i + 1 < end && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
        token.push_back(pointer[++i] == '0' ? '~' : '/');
      } else {
        return false;
      }
    }
    tokens->push_back(std::move(token));
    start = end + 1;
  }
  return true;
}

bool Matches(const IdentityRule& rule, const boost::json::object& claims) {
  return std::all_of(rule.claims.begin(), rule.claims.end(), [&claims](const ClaimRule& c) {
    const boost::json::string* value = FindStringClaim(claims, c.claim);
    return value != nullptr && c.matcher.Matches(*value);
  });
}

// Whether two rules look like they were meant for the same tokens yet could both match
// one: they constrain at least one common claim, and none of the common claims have
// disjoint matchers. Rules on entirely different claims usually describe different kinds
// of token (a Kubernetes and a GitHub rule on one issuer) and are not reported; a token
// that matches both is still refused as ambiguous at exchange time.
bool MayOverlap(const IdentityRule& a, const IdentityRule& b) {
  bool common = false;
  for (const ClaimRule& x : a.claims) {
    for (const ClaimRule& y : b.claims) {
      if (x.claim == y.claim) {
        if (x.matcher.DisjointFrom(y.matcher)) {
          return false;
        }
        common = true;
      }
    }
  }
  return common;
}

}  // namespace

ClaimMatcher ClaimMatcher::Exact(std::string value) {
  return ClaimMatcher(Kind::kExact, {std::move(value)});
}

Result<ClaimMatcher> ClaimMatcher::Glob(std::string pattern) {
  if (pattern.empty()) {
    return Status(ErrorCode::kInvalidConfig, "config_invalid", "a glob pattern cannot be empty");
  }
  return ClaimMatcher(Kind::kGlob, {std::move(pattern)});
}

Result<ClaimMatcher> ClaimMatcher::OneOf(std::vector<std::string> values) {
  if (values.empty()) {
    return Status(ErrorCode::kInvalidConfig, "config_invalid", "one_of needs at least one value");
  }
  return ClaimMatcher(Kind::kOneOf, std::move(values));
}

bool ClaimMatcher::Matches(std::string_view value) const {
  switch (kind_) {
    case Kind::kExact:
      return value == values_.front();
    case Kind::kGlob:
      return GlobMatch(values_.front(), value);
    case Kind::kOneOf:
      return std::find(values_.begin(), values_.end(), value) != values_.end();
  }
  return false;
}

bool ClaimMatcher::DisjointFrom(const ClaimMatcher& other) const {
  if (kind_ == Kind::kGlob && other.kind_ == Kind::kGlob) {
    return false;  // deciding whether two globs share a match is not worth it: warn
  }
  // One side is a finite set of strings: disjoint when none of them matches the other.
  const ClaimMatcher& finite = kind_ == Kind::kGlob ? other : *this;
  const ClaimMatcher& rest = kind_ == Kind::kGlob ? *this : other;
  return std::none_of(finite.values_.begin(), finite.values_.end(),
                      [&rest](const std::string& v) { return rest.Matches(v); });
}

std::string ClaimMatcher::Describe() const {
  switch (kind_) {
    case Kind::kExact:
      return "\"" + values_.front() + "\"";
    case Kind::kGlob:
      return "glob \"" + values_.front() + "\"";
    case Kind::kOneOf: {
      std::string list;
      for (const auto& v : values_) {
        list += (list.empty() ? "" : ", ") + v;
      }
      return "one of [" + list + "]";
    }
  }
  return "";
}

const boost::json::string* FindStringClaim(const boost::json::object& claims,
                                           std::string_view claim) {
  if (!claim.starts_with('/')) {
    auto it = claims.find(claim);
    return it != claims.end() && it->value().is_string() ? &it->value().get_string() : nullptr;
  }
  std::vector<std::string> tokens;
  if (!SplitPointer(claim, &tokens)) {
    return nullptr;
  }
  const boost::json::value* at = nullptr;
  const boost::json::object* object = &claims;
  for (const std::string& token : tokens) {
    if (object == nullptr) {
      return nullptr;  // pointers step through objects only: claims are named, not indexed
    }
    auto it = object->find(token);
    if (it == object->end()) {
      return nullptr;
    }
    at = &it->value();
    object = at->if_object();
  }
  return at != nullptr && at->is_string() ? &at->get_string() : nullptr;
}

Result<WorkloadResolver> WorkloadResolver::Build(std::vector<IdentityRule> rules,
                                                 std::vector<std::string>* warnings) {
  WorkloadResolver resolver;
  std::vector<std::string> tokens;
  for (IdentityRule& rule : rules) {
    if (rule.claims.empty()) {
      return Status(ErrorCode::kInvalidConfig, "config_invalid",
                    "workload " + rule.workload + ": an identity needs at least one claim rule");
    }
    for (const ClaimRule& claim : rule.claims) {
      bool valid =
          claim.claim.starts_with('/') ? SplitPointer(claim.claim, &tokens) : !claim.claim.empty();
      if (!valid) {
        return Status(ErrorCode::kInvalidConfig, "config_invalid",
                      "workload " + rule.workload + ": \"" + claim.claim +
                          "\" is neither a claim name nor a JSON Pointer (RFC 6901)");
      }
    }
    std::vector<IdentityRule>& same_issuer = resolver.rules_by_issuer_[rule.issuer];
    for (const IdentityRule& earlier : same_issuer) {
      if (warnings != nullptr && earlier.workload != rule.workload && MayOverlap(earlier, rule)) {
        warnings->push_back("workloads " + earlier.workload + " and " + rule.workload +
                            " have identity rules on issuer " + rule.issuer +
                            " that can both match one token; such a token is refused as "
                            "ambiguous");
      }
    }
    same_issuer.push_back(std::move(rule));
  }
  return resolver;
}

Result<std::string> WorkloadResolver::Resolve(std::string_view issuer_name,
                                              const jose::VerifiedJwt& jwt) const {
  return Resolve(issuer_name, jwt.claims());
}

Result<std::string> WorkloadResolver::Resolve(std::string_view issuer_name,
                                              const boost::json::object& claims) const {
  auto it = rules_by_issuer_.find(issuer_name);
  const std::string* found = nullptr;
  if (it != rules_by_issuer_.end()) {
    for (const IdentityRule& rule : it->second) {
      if (!Matches(rule, claims)) {
        continue;
      }
      if (found != nullptr && *found != rule.workload) {
        return Status(ErrorCode::kInvalidRequest, "ambiguous_identity",
                      "this identity matches workloads " + *found + " and " + rule.workload +
                          "; narrow their identity rules");
      }
      found = &rule.workload;
    }
  }
  if (found == nullptr) {
    return Status(ErrorCode::kInvalidRequest, "no_workload_match",
                  "no workload matches this identity");
  }
  return *found;
}

}  // namespace signet::trust
