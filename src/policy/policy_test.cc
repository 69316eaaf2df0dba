#include "policy/policy.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace signet::policy {
namespace {

using std::chrono::seconds;
using testing::FailsWith;
using testing::IsOk;

const std::set<std::string> kWorkloads = {"billing", "reports", "agent"};
const std::set<std::string> kDestinations = {"orders", "payments", "claude"};

PolicyRule Allow(std::string name, std::vector<std::string> workloads,
                 std::vector<std::string> destinations, seconds ttl = seconds(600),
                 std::vector<std::string> scopes = {}) {
  return PolicyRule{std::move(name),
                    PolicyRule::Effect::kAllow,
                    std::move(workloads),
                    std::move(destinations),
                    ttl,
                    std::move(scopes)};
}

PolicyRule Deny(std::string name, std::vector<std::string> workloads,
                std::vector<std::string> destinations) {
  return PolicyRule{std::move(name),      PolicyRule::Effect::kDeny,
                    std::move(workloads), std::move(destinations),
                    seconds(0),           {}};
}

TEST(PolicyTest, DefaultDeny) {
  auto index =
      PolicyIndex::Compile({Allow("a", {"billing"}, {"orders"})}, kWorkloads, kDestinations);
  ASSERT_THAT(index, IsOk());
  EXPECT_THAT(index->Evaluate("billing", "orders", {}), IsOk());
  EXPECT_THAT(index->Evaluate("billing", "payments", {}), FailsWith("no_policy"));
  EXPECT_THAT(index->Evaluate("reports", "orders", {}), FailsWith("no_policy"));
  EXPECT_EQ(index->Evaluate("billing", "payments", {}).status().code(), ErrorCode::kInvalidTarget);
}

TEST(PolicyTest, DenyBeatsAllowWhateverTheOrder) {
  for (bool deny_first : {true, false}) {
    std::vector<PolicyRule> rules = {Allow("everyone", {"*"}, {"*"}),
                                     Deny("freeze", {"agent"}, {"payments"})};
    if (deny_first) {
      std::swap(rules[0], rules[1]);
    }
    auto index = PolicyIndex::Compile(rules, kWorkloads, kDestinations);
    ASSERT_THAT(index, IsOk());
    auto denied = index->Evaluate("agent", "payments", {});
    ASSERT_THAT(denied, FailsWith("policy_denied"));
    EXPECT_NE(denied.status().message().find("freeze"), std::string::npos);
    EXPECT_THAT(index->Evaluate("agent", "orders", {}), IsOk());
    EXPECT_THAT(index->Evaluate("billing", "payments", {}), IsOk());
  }
}

TEST(PolicyTest, WildcardDenyBeatsANamedAllow) {
  auto index = PolicyIndex::Compile(
      {Allow("billing-payments", {"billing"}, {"payments"}),
       Deny("payments-frozen", {"*"}, {"payments"}), Deny("agent-nowhere", {"agent"}, {"*"}),
       Allow("agent-claude", {"agent"}, {"claude"})},
      kWorkloads, kDestinations);
  ASSERT_THAT(index, IsOk());
  auto frozen = index->Evaluate("billing", "payments", {});
  ASSERT_THAT(frozen, FailsWith("policy_denied"));
  EXPECT_EQ(frozen.status().code(), ErrorCode::kInvalidTarget);
  EXPECT_NE(frozen.status().message().find("payments-frozen"), std::string::npos);
  EXPECT_THAT(index->Evaluate("agent", "claude", {}), FailsWith("policy_denied"));
}

TEST(PolicyTest, WildcardsOnEitherSide) {
  auto index = PolicyIndex::Compile(
      {Allow("to-claude", {"*"}, {"claude"}), Allow("billing-all", {"billing"}, {"*"})}, kWorkloads,
      kDestinations);
  ASSERT_THAT(index, IsOk());
  EXPECT_EQ(index->Evaluate("reports", "claude", {})->policy, "to-claude");
  EXPECT_EQ(index->Evaluate("billing", "payments", {})->policy, "billing-all");
  // Both match: the first in config order decides.
  EXPECT_EQ(index->Evaluate("billing", "claude", {})->policy, "to-claude");
  EXPECT_THAT(index->Evaluate("reports", "orders", {}), FailsWith("no_policy"));
}

TEST(PolicyTest, ScopesPickTheFirstRuleGrantingAllOfThem) {
  auto index = PolicyIndex::Compile(
      {Allow("read", {"billing"}, {"orders"}, seconds(3600), {"orders.read"}),
       Allow("write", {"billing"}, {"orders"}, seconds(300), {"orders.read", "orders.write"})},
      kWorkloads, kDestinations);
  ASSERT_THAT(index, IsOk());
  auto all = index->Evaluate("billing", "orders", {});
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->policy, "read");
  EXPECT_EQ(all->scopes, std::vector<std::string>{"orders.read"});
  EXPECT_EQ(all->max_ttl, seconds(3600));

  auto write = index->Evaluate("billing", "orders", {"orders.write"});
  ASSERT_THAT(write, IsOk());
  EXPECT_EQ(write->policy, "write");
  EXPECT_EQ(write->scopes, std::vector<std::string>{"orders.write"});
  EXPECT_EQ(write->max_ttl, seconds(300));

  auto too_much = index->Evaluate("billing", "orders", {"orders.read", "orders.delete"});
  ASSERT_THAT(too_much, FailsWith("scope_not_allowed"));
  EXPECT_EQ(too_much.status().code(), ErrorCode::kInvalidScope);
}

TEST(PolicyTest, CompileRefusesWhatCannotBeMeant) {
  EXPECT_THAT(
      PolicyIndex::Compile({Allow("a", {"billling"}, {"orders"})}, kWorkloads, kDestinations),
      FailsWith("config_invalid"));
  EXPECT_THAT(PolicyIndex::Compile({Allow("a", {"billing"}, {"order"})}, kWorkloads, kDestinations),
              FailsWith("config_invalid"));
  EXPECT_THAT(PolicyIndex::Compile({Allow("a", {}, {"orders"})}, kWorkloads, kDestinations),
              FailsWith("config_invalid"));
  EXPECT_THAT(PolicyIndex::Compile(
                  {Allow("a", {"billing"}, {"orders"}), Allow("a", {"reports"}, {"orders"})},
                  kWorkloads, kDestinations),
              FailsWith("config_invalid"));
  EXPECT_THAT(PolicyIndex::Compile({Allow("a", {"billing"}, {"orders"}, seconds(0))}, kWorkloads,
                                   kDestinations),
              FailsWith("config_invalid"));
  EXPECT_THAT(PolicyIndex::Compile({Allow("", {"billing"}, {"orders"})}, kWorkloads, kDestinations),
              FailsWith("config_invalid"));
  PolicyRule scoped_deny = Deny("d", {"billing"}, {"orders"});
  scoped_deny.scopes = {"orders.write"};
  auto refused = PolicyIndex::Compile({scoped_deny}, kWorkloads, kDestinations);
  ASSERT_THAT(refused, FailsWith("config_invalid"));
  EXPECT_NE(refused.status().message().find("policies d"), std::string::npos);
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidConfig);
}

}  // namespace
}  // namespace signet::policy
