// Credentials from destinations that Signet calls out to, end to end: `signetd` trades
// a workload's identity for a Claude API token at a stand-in of Anthropic's token endpoint
// (HTTPS, with a certificate from a CA made for the test, answering in Anthropic's
// documented wire format), and the workload gets it through the RFC 8693 token endpoint.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "common/json.h"
#include "support/anthropic_stand_in.h"
#include "support/destination_harness.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet {
namespace {

using testing::IsOk;

class DestinationsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    standin_ = new testing::AnthropicStandIn(dir_->path());
    signet_ = testing::DestinationHarness::Start(
                  SIGNET_PATH, SIGNETD_PATH, dir_->path(),
                  {"billing-api", "refused-app", "flaky-app", "burst-app"},
                  "destinations:\n"
                  "  - name: claude\n"
                  "    kind: anthropic-wif\n"
                  "    organization_id: 00000000-0000-4000-8000-000000000001\n"
                  "    federation_rule_id: fdrl_01\n"
                  "    service_account_id: svac_01\n"
                  "    workspace_id: wrkspc_01\n"
                  "    base_url: " +
                      standin_->base_url() + "\n    ca_file: " + standin_->cert() +
                      "\n"
                      "policies:\n"
                      "  - {name: apps-claude, workloads: [billing-api, refused-app, flaky-app, "
                      "burst-app], destinations: [claude], max_ttl: 5m}\n")
                  .release();
    ASSERT_NE(signet_, nullptr);
  }

  static void TearDownTestSuite() {
    delete signet_;
    delete standin_;
    delete dir_;
  }

  // Exchanges a Kubernetes-shaped token of `workload` for a credential for claude.
  static std::pair<int, boost::json::object> ClaudeTokenFor(const std::string& workload) {
    return signet_->TokenFor(workload, "claude");
  }

  static testing::TempDir* dir_;
  static testing::AnthropicStandIn* standin_;
  static testing::DestinationHarness* signet_;
};

testing::TempDir* DestinationsTest::dir_ = nullptr;
testing::AnthropicStandIn* DestinationsTest::standin_ = nullptr;
testing::DestinationHarness* DestinationsTest::signet_ = nullptr;

TEST_F(DestinationsTest, AnthropicTokenThroughTheTokenEndpoint) {
  auto [status, body] = ClaudeTokenFor("billing-api");
  ASSERT_EQ(status, 200) << boost::json::serialize(body);
  std::string token(body.at("access_token").as_string());
  EXPECT_TRUE(token.starts_with("sk-ant-oat01-standin-")) << token;
  EXPECT_EQ(body.at("token_type"), "Bearer");
  EXPECT_EQ(body.at("issued_token_type"), "urn:ietf:params:oauth:token-type:access_token");
  // The token lives 600 s at Anthropic; the policy's 5m bounds what the workload is told.
  EXPECT_LE(body.at("expires_in").to_number<int64_t>(), 300);
  EXPECT_GE(body.at("expires_in").to_number<int64_t>(), 290);

  // The exchange Signet made, field by field, as Anthropic documents it.
  std::vector<http::Request> seen = standin_->RequestsFor("billing-api");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/v1/oauth/token");
  EXPECT_EQ(seen[0].Header("Content-Type").value_or(""), "application/json");
  auto sent = ParseJsonObject(seen[0].body);
  ASSERT_THAT(sent, IsOk());
  EXPECT_EQ(sent->size(), 6u) << seen[0].body;
  EXPECT_EQ(sent->at("grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
  EXPECT_EQ(sent->at("federation_rule_id"), "fdrl_01");
  EXPECT_EQ(sent->at("organization_id"), "00000000-0000-4000-8000-000000000001");
  EXPECT_EQ(sent->at("service_account_id"), "svac_01");
  EXPECT_EQ(sent->at("workspace_id"), "wrkspc_01");

  // The assertion verifies against the JWKS Signet publishes, as Anthropic checks it.
  signet_->ExpectSignedAssertion(std::string(sent->at("assertion").as_string()),
                                 "https://api.anthropic.com", "billing-api");

  // A second request is served from Signet's cache: no second call to Anthropic.
  auto [again_status, again] = ClaudeTokenFor("billing-api");
  ASSERT_EQ(again_status, 200);
  EXPECT_EQ(again.at("access_token").as_string(), token);
  EXPECT_EQ(standin_->RequestsFor("billing-api").size(), 1u);
}

TEST_F(DestinationsTest, UpstreamRefusalsAndOutagesAreClearErrors) {
  auto [refused_status, refused] = ClaudeTokenFor("refused-app");
  EXPECT_EQ(refused_status, 400);
  EXPECT_EQ(refused.at("error"), "invalid_target");
  std::string description(refused.at("error_description").as_string());
  EXPECT_NE(description.find("HTTP 400 invalid_grant"), std::string::npos) << description;
  EXPECT_EQ(description.find("standin-private-detail"), std::string::npos) << description;

  auto [flaky_status, flaky] = ClaudeTokenFor("flaky-app");
  EXPECT_EQ(flaky_status, 503);
  EXPECT_EQ(flaky.at("error"), "temporarily_unavailable");
  // A failure is not cached: the next request asks Anthropic again.
  ClaudeTokenFor("flaky-app");
  EXPECT_EQ(standin_->RequestsFor("flaky-app").size(), 2u);

  // Each refusal is in the audit trail with its reason, as an auditor reads it.
  EXPECT_GE(signet_->AuditRecords("claude", "destination_refused", "refused-app"), 1u);
  EXPECT_EQ(signet_->AuditRecords("claude", "destination_unavailable", "flaky-app"), 2u);
}

// Many workload requests at once for a credential Signet does not hold yet make one call
// to Anthropic: the others wait for it (single flight) or find it cached.
TEST_F(DestinationsTest, ConcurrentRequestsShareOneUpstreamCall) {
  EXPECT_EQ(signet_->ConcurrentTokens("burst-app", "claude", 50).size(), 1u);
  EXPECT_EQ(standin_->RequestsFor("burst-app").size(), 1u);
}

// Nothing a destination handed out, nor what it said in confidence, reaches signetd's
// log or its database (the audit trail included).
TEST_F(DestinationsTest, NoCredentialInLogsOrAudit) {
  ASSERT_EQ(ClaudeTokenFor("billing-api").first, 200);
  ClaudeTokenFor("refused-app");
  signet_->ExpectNowhereStored({"sk-ant-oat01-standin", "standin-private-detail"});
}

}  // namespace
}  // namespace signet
