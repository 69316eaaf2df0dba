#include "trust/identity.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace signet::trust {
namespace {

using testing::FailsWith;
using testing::IsOk;

TEST(ClaimMatcherTest, GlobStarAndQuestionMark) {
  auto glob = ClaimMatcher::Glob("repo:acme/*:ref:refs/heads/?ain");
  ASSERT_THAT(glob, IsOk());
  EXPECT_TRUE(glob->Matches("repo:acme/api:ref:refs/heads/main"));
  EXPECT_TRUE(glob->Matches("repo:acme/a/b:ref:refs/heads/rain"));
  EXPECT_FALSE(glob->Matches("repo:acme/api:ref:refs/heads/mains"));
  EXPECT_FALSE(glob->Matches("repo:evil/api:ref:refs/heads/main"));
  auto any = ClaimMatcher::Glob("*");
  ASSERT_THAT(any, IsOk());
  EXPECT_TRUE(any->Matches(""));
  // Characters other than * and ? are literal: no regex, no character classes.
  auto literal = ClaimMatcher::Glob("a.[b]+");
  ASSERT_THAT(literal, IsOk());
  EXPECT_TRUE(literal->Matches("a.[b]+"));
  EXPECT_FALSE(literal->Matches("axbb"));
  EXPECT_THAT(ClaimMatcher::Glob(""), FailsWith("config_invalid"));
  // Backtracking stays linear on a pathological pattern.
  auto many = ClaimMatcher::Glob("*a*a*a*a*a*a*a*a*b");
  ASSERT_THAT(many, IsOk());
  EXPECT_FALSE(many->Matches(std::string(5000, 'a')));
}

TEST(ClaimMatcherTest, ExactAndOneOf) {
  EXPECT_TRUE(ClaimMatcher::Exact("x").Matches("x"));
  EXPECT_FALSE(ClaimMatcher::Exact("x").Matches("X"));
  auto set = ClaimMatcher::OneOf({"a", "b"});
  ASSERT_THAT(set, IsOk());
  EXPECT_TRUE(set->Matches("b"));
  EXPECT_FALSE(set->Matches("c"));
  EXPECT_THAT(ClaimMatcher::OneOf({}), FailsWith("config_invalid"));
  EXPECT_EQ(set->Describe(), "one of [a, b]");
}

TEST(FindStringClaimTest, PlainNamesAndJsonPointers) {
  boost::json::object claims{
      {"sub", "system:serviceaccount:ns:sa"},
      {"kubernetes.io", {{"namespace", "ns"}, {"pod", {{"name", "api-1"}}}}},
      {"a/b", {{"c~d", "escaped"}}},
      {"n", 42},
  };
  EXPECT_EQ(*FindStringClaim(claims, "sub"), "system:serviceaccount:ns:sa");
  EXPECT_EQ(*FindStringClaim(claims, "/kubernetes.io/pod/name"), "api-1");
  EXPECT_EQ(*FindStringClaim(claims, "/a~1b/c~0d"), "escaped");
  EXPECT_EQ(FindStringClaim(claims, "/kubernetes.io/pod"), nullptr);  // an object
  EXPECT_EQ(FindStringClaim(claims, "n"), nullptr);                   // a number
  EXPECT_EQ(FindStringClaim(claims, "/missing/x"), nullptr);
  EXPECT_EQ(FindStringClaim(claims, "/a~2b/c"), nullptr);  // invalid escape
  EXPECT_EQ(FindStringClaim(claims, "kubernetes.io"), nullptr);
}

class ResolverTest : public ::testing::Test {
 protected:
  // A verified token with `claims`, signed and checked for real.
  jose::VerifiedJwt Jwt(boost::json::object claims) {
    claims["iss"] = "https://idp";
    claims["aud"] = "signet";
    claims["exp"] = 2'000'000'000;
    auto token = jose::SignJwt(key_, claims);
    auto validator = jose::JwtValidator::Builder()
                         .ExpectIssuer("https://idp")
                         .ExpectAudience("signet")
                         .AllowAlgorithms({jose::Algorithm::kES256})
                         .Build();
    return jose::JwtVerifier(*validator)
        .Verify(*token, jose::Jwks({key_.public_jwk()}), FromUnixSeconds(1'999'999'000))
        .value();
  }

  jose::SigningKey key_ =
      jose::SigningKey::GenerateForTesting(jose::Algorithm::kES256, "k").value();
};

IdentityRule Rule(std::string workload, std::string claim, ClaimMatcher matcher,
                  std::string issuer = "k8s") {
  return IdentityRule{std::move(workload), std::move(issuer), {{std::move(claim), matcher}}};
}

TEST_F(ResolverTest, ResolvesTheOneMatchingWorkload) {
  std::vector<std::string> warnings;
  auto resolver = WorkloadResolver::Build(
      {Rule("billing", "sub", ClaimMatcher::Exact("system:serviceaccount:billing:api")),
       Rule("reports", "/kubernetes.io/namespace", ClaimMatcher::Exact("reports")),
       Rule("ci", "sub", ClaimMatcher::Exact("system:serviceaccount:billing:api"), "github")},
      &warnings);
  ASSERT_THAT(resolver, IsOk());
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(*resolver->Resolve("k8s", Jwt({{"sub", "system:serviceaccount:billing:api"}})),
            "billing");
  EXPECT_EQ(*resolver->Resolve("github", Jwt({{"sub", "system:serviceaccount:billing:api"}})),
            "ci");
  auto none = resolver->Resolve("k8s", Jwt({{"sub", "system:serviceaccount:other:x"}}));
  ASSERT_THAT(none, FailsWith("no_workload_match"));
  EXPECT_EQ(none.status().code(), ErrorCode::kInvalidRequest);
  EXPECT_EQ(none.status().message(), "no workload matches this identity");
}

TEST_F(ResolverTest, EveryClaimOfARuleMustMatch) {
  IdentityRule rule{"deployer",
                    "github",
                    {{"repository", ClaimMatcher::Exact("acme/deployer")},
                     {"ref", ClaimMatcher::Exact("refs/heads/main")}}};
  auto resolver = WorkloadResolver::Build({rule}, nullptr);
  ASSERT_THAT(resolver, IsOk());
  EXPECT_THAT(resolver->Resolve(
                  "github",
                  Jwt({{"sub", "x"}, {"repository", "acme/deployer"}, {"ref", "refs/heads/main"}})),
              IsOk());
  EXPECT_THAT(
      resolver->Resolve(
          "github",
          Jwt({{"sub", "x"}, {"repository", "acme/deployer"}, {"ref", "refs/heads/feature"}})),
      FailsWith("no_workload_match"));
  EXPECT_THAT(resolver->Resolve("github", Jwt({{"sub", "x"}, {"repository", "acme/deployer"}})),
              FailsWith("no_workload_match"));
}

// signet-agent's selectors are claims no token carries: the rules of an agent issuer
// match them as they match a token's, every claim of a rule, strings only, and only
// the rules of the issuer named.
TEST_F(ResolverTest, ResolvesOverClaimsThatNoTokenCarries) {
  IdentityRule bot{"claude-bot",
                   "node-agents",
                   {{"uid", ClaimMatcher::Exact("1000")},
                    {"sha256", ClaimMatcher::Exact("3f2a")},
                    {"agent", *ClaimMatcher::Glob("node-*")}}};
  auto resolver =
      WorkloadResolver::Build({bot, Rule("billing", "uid", ClaimMatcher::Exact("1000"))}, nullptr);
  ASSERT_THAT(resolver, IsOk());
  boost::json::object selectors{{"uid", "1000"},
                                {"gid", "1000"},
                                {"exe", "/usr/bin/node"},
                                {"sha256", "3f2a"},
                                {"agent", "node-a"}};
  EXPECT_EQ(*resolver->Resolve("node-agents", selectors), "claude-bot");
  EXPECT_EQ(*resolver->Resolve("k8s", selectors), "billing");  // another issuer's rules
  boost::json::object other_binary = selectors;
  other_binary["sha256"] = "9999";
  EXPECT_THAT(resolver->Resolve("node-agents", other_binary), FailsWith("no_workload_match"));
  boost::json::object other_agent = selectors;
  other_agent["agent"] = "laptop-1";
  EXPECT_THAT(resolver->Resolve("node-agents", other_agent), FailsWith("no_workload_match"));
  boost::json::object numeric_uid = selectors;
  numeric_uid["uid"] = 1000;
  EXPECT_THAT(resolver->Resolve("node-agents", numeric_uid), FailsWith("no_workload_match"));
}

TEST_F(ResolverTest, OnlyStringClaimsMatch) {
  // No type conversion: the number 1000 is not the string "1000", true is not "true".
  auto resolver = WorkloadResolver::Build({Rule("uid", "uid", ClaimMatcher::Exact("1000")),
                                           Rule("admin", "admin", *ClaimMatcher::Glob("*"))},
                                          nullptr);
  ASSERT_THAT(resolver, IsOk());
  EXPECT_THAT(resolver->Resolve("k8s", Jwt({{"sub", "x"}, {"uid", 1000}})),
              FailsWith("no_workload_match"));
  EXPECT_THAT(resolver->Resolve("k8s", Jwt({{"sub", "x"}, {"admin", true}})),
              FailsWith("no_workload_match"));
  EXPECT_THAT(resolver->Resolve("k8s", Jwt({{"sub", "x"}, {"admin", {{"a", "b"}}}})),
              FailsWith("no_workload_match"));
  EXPECT_EQ(*resolver->Resolve("k8s", Jwt({{"sub", "x"}, {"uid", "1000"}})), "uid");
}

TEST_F(ResolverTest, TwoRulesOfOneWorkloadAreNotAmbiguous) {
  std::vector<std::string> warnings;
  auto resolver = WorkloadResolver::Build({Rule("api", "sub", *ClaimMatcher::Glob("api-*")),
                                           Rule("api", "sub", *ClaimMatcher::Glob("*-1"))},
                                          &warnings);
  ASSERT_THAT(resolver, IsOk());
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(*resolver->Resolve("k8s", Jwt({{"sub", "api-1"}})), "api");
}

TEST_F(ResolverTest, TwoWorkloadsMatchingIsAmbiguousAndWarnedAtLoad) {
  std::vector<std::string> warnings;
  auto resolver = WorkloadResolver::Build(
      {Rule("shared-sa", "sub", ClaimMatcher::Exact("system:serviceaccount:shared:app")),
       Rule("shared-ns", "sub", *ClaimMatcher::Glob("system:serviceaccount:shared:*"))},
      &warnings);
  ASSERT_THAT(resolver, IsOk());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("shared-sa and shared-ns"), std::string::npos);
  auto both = resolver->Resolve("k8s", Jwt({{"sub", "system:serviceaccount:shared:app"},
                                            {"kubernetes.io", {{"namespace", "shared"}}}}));
  ASSERT_THAT(both, FailsWith("ambiguous_identity"));
  EXPECT_NE(both.status().message().find("shared-sa"), std::string::npos);
}

TEST_F(ResolverTest, OverlapWarningsOnlyWhenRulesCanMeet) {
  std::vector<std::string> warnings;
  auto disjoint = WorkloadResolver::Build(
      {Rule("a", "sub", ClaimMatcher::Exact("x")), Rule("b", "sub", ClaimMatcher::Exact("y")),
       Rule("c", "sub", *ClaimMatcher::OneOf({"p", "q"})),
       Rule("d", "sub", *ClaimMatcher::Glob("z*")),
       Rule("e", "sub", ClaimMatcher::Exact("x"), "gh")},
      &warnings);
  ASSERT_THAT(disjoint, IsOk());
  EXPECT_TRUE(warnings.empty()) << warnings[0];
  auto overlapping =
      WorkloadResolver::Build({Rule("a", "sub", *ClaimMatcher::Glob("api-*")),
                               Rule("b", "sub", *ClaimMatcher::OneOf({"api-1", "web"})),
                               Rule("c", "sub", *ClaimMatcher::Glob("*-1"))},
                              &warnings);
  ASSERT_THAT(overlapping, IsOk());
  EXPECT_EQ(warnings.size(), 3u);  // a-b (api-1), a-c (globs), b-c (api-1)
}

TEST_F(ResolverTest, BuildRefusesRulesThatCannotWork) {
  EXPECT_THAT(WorkloadResolver::Build({IdentityRule{"w", "k8s", {}}}, nullptr),
              FailsWith("config_invalid"));
  EXPECT_THAT(WorkloadResolver::Build({Rule("w", "/a~9", ClaimMatcher::Exact("x"))}, nullptr),
              FailsWith("config_invalid"));
}

}  // namespace
}  // namespace signet::trust
