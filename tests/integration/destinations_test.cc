// Credentials from destinations that Signet calls out to, end to end: `signetd` trades
// a workload's identity for a Claude API token at a stand-in of Anthropic's token endpoint
// (HTTPS, with a certificate from a CA made for the test, answering in Anthropic's
// documented wire format), and the workload gets it through the RFC 8693 token endpoint.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <fstream>
#include <future>
#include <set>
#include <sstream>

#include "common/json.h"
#include "jose/jwk.h"
#include "jose/jwt.h"
#include "support/anthropic_stand_in.h"
#include "support/signet_processes.h"
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
    idp_ = testing::StartDevIdp(SIGNET_PATH, dir_->path() + "/idp.log").release();
    ASSERT_FALSE(idp_->base_url.empty()) << "signet dev idp did not start";
    std::string config = dir_->path() + "/signetd.yaml";
    std::ofstream out(config);
    out << "server:\n"
           "  issuer: http://127.0.0.1:1\n"
           "  trust_domain: test.signet\n"
           "  data_dir: "
        << dir_->path() << "/data\n"
        << "issuers:\n"
           "  - name: dev\n"
           "    issuer: "
        << idp_->base_url << "\n    audiences: [signet]\n    algorithms: [RS256]\n"
        << "workloads:\n";
    for (const char* workload : {"billing-api", "refused-app", "flaky-app", "burst-app"}) {
      out << "  - name: " << workload << "\n"
          << "    identities: [{issuer: dev, claims: {sub: \"system:serviceaccount:apps:"
          << workload << "\"}}]\n";
    }
    out << "destinations:\n"
           "  - name: claude\n"
           "    kind: anthropic-wif\n"
           "    organization_id: 00000000-0000-4000-8000-000000000001\n"
           "    federation_rule_id: fdrl_01\n"
           "    service_account_id: svac_01\n"
           "    workspace_id: wrkspc_01\n"
           "    base_url: "
        << standin_->base_url() << "\n    ca_file: " << standin_->cert << "\n"
        << "policies:\n"
           "  - {name: apps-claude, workloads: [billing-api, refused-app, flaky-app, burst-app],"
           " destinations: [claude], max_ttl: 5m}\n";
    out.close();
    signetd_ = testing::StartSignetd(SIGNETD_PATH, config, dir_->path() + "/signetd.log").release();
    ASSERT_FALSE(signetd_->base_url.empty()) << "signetd did not become ready; its log:\n"
                                             << testing::ReadFile(dir_->path() + "/signetd.log");
  }

  static void TearDownTestSuite() {
    delete signetd_;
    delete idp_;
    delete standin_;
    delete dir_;
  }

  // Exchanges a Kubernetes-shaped token of `workload` for a credential for claude.
  static std::pair<int, boost::json::object> ClaudeTokenFor(const std::string& workload) {
    std::string upstream =
        testing::MintToken(idp_->base_url, "namespace=apps&serviceaccount=" + workload);
    EXPECT_FALSE(upstream.empty());
    testing::HttpAnswer http =
        testing::ExchangeToken(signetd_->base_url, upstream, "-d audience=claude");
    auto body = ParseJsonObject(http.body);
    EXPECT_THAT(body, IsOk()) << http.body;
    return {http.status, body.ok() ? *body : boost::json::object{}};
  }

  static testing::TempDir* dir_;
  static testing::AnthropicStandIn* standin_;
  static testing::RunningProcess* idp_;
  static testing::RunningProcess* signetd_;
};

testing::TempDir* DestinationsTest::dir_ = nullptr;
testing::AnthropicStandIn* DestinationsTest::standin_ = nullptr;
testing::RunningProcess* DestinationsTest::idp_ = nullptr;
testing::RunningProcess* DestinationsTest::signetd_ = nullptr;

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
  testing::HttpAnswer jwks_answer = testing::Curl(signetd_->base_url + "/.well-known/jwks.json");
  ASSERT_EQ(jwks_answer.status, 200);
  auto jwks = jose::Jwks::Parse(jwks_answer.body);
  ASSERT_THAT(jwks, IsOk());
  auto validator = jose::JwtValidator::Builder()
                       .ExpectIssuer("http://127.0.0.1:1")
                       .ExpectAudience("https://api.anthropic.com")
                       .AllowAlgorithms({jose::Algorithm::kES256})
                       .RequireIssuedAt()
                       .Build();
  ASSERT_THAT(validator, IsOk());
  auto assertion =
      jose::JwtVerifier(*validator)
          .Verify(std::string(sent->at("assertion").as_string()), *jwks, Clock::Real().Now());
  ASSERT_THAT(assertion, IsOk());
  EXPECT_EQ(assertion->subject(), "spiffe://test.signet/workload/billing-api");
  EXPECT_TRUE(assertion->key_id().has_value());
  EXPECT_TRUE(assertion->jwt_id().has_value());

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
  int code = -1;
  std::string records = testing::RunCommand(
      std::string(SIGNET_PATH) + " audit list --data-dir " + dir_->path() + "/data --json", &code);
  ASSERT_EQ(code, 0) << records;
  size_t refused_records = 0;
  size_t unavailable_records = 0;
  std::istringstream lines(records);
  for (std::string line; std::getline(lines, line);) {
    auto row = ParseJsonObject(line);
    if (!row.ok() || !row->contains("record") || !row->at("record").is_object()) {
      continue;
    }
    const boost::json::object& record = row->at("record").as_object();
    auto is = [&record](const char* member, std::string_view value) {
      const boost::json::value* found = record.if_contains(member);
      return found != nullptr && found->is_string() && found->get_string() == value;
    };
    refused_records += is("destination", "claude") && is("reason", "destination_refused") &&
                       is("workload", "refused-app");
    unavailable_records += is("destination", "claude") && is("reason", "destination_unavailable") &&
                           is("workload", "flaky-app");
  }
  EXPECT_GE(refused_records, 1u) << records;
  EXPECT_EQ(unavailable_records, 2u) << records;
}

// Many workload requests at once for a credential Signet does not hold yet make one call
// to Anthropic: the others wait for it (single flight) or find it cached.
TEST_F(DestinationsTest, ConcurrentRequestsShareOneUpstreamCall) {
  std::string upstream =
      testing::MintToken(idp_->base_url, "namespace=apps&serviceaccount=burst-app");
  ASSERT_FALSE(upstream.empty());
  std::vector<std::future<testing::HttpAnswer>> answers;
  for (int i = 0; i < 50; ++i) {
    answers.push_back(std::async(std::launch::async, [&upstream] {
      return testing::ExchangeToken(signetd_->base_url, upstream, "-d audience=claude");
    }));
  }
  std::set<std::string> tokens;
  for (auto& answer : answers) {
    testing::HttpAnswer http = answer.get();
    ASSERT_EQ(http.status, 200) << http.body;
    tokens.insert(std::string(ParseJsonObject(http.body)->at("access_token").as_string()));
  }
  EXPECT_EQ(tokens.size(), 1u);
  EXPECT_EQ(standin_->RequestsFor("burst-app").size(), 1u);
}

// Nothing a destination handed out, nor what it said in confidence, reaches signetd's
// log or its database (the audit trail included).
TEST_F(DestinationsTest, NoCredentialInLogsOrAudit) {
  ASSERT_EQ(ClaudeTokenFor("billing-api").first, 200);
  ClaudeTokenFor("refused-app");
  std::string log = testing::ReadFile(dir_->path() + "/signetd.log");
  std::string stored = testing::ReadFile(dir_->path() + "/data/signet.db") +
                       testing::ReadFile(dir_->path() + "/data/signet.db-wal");
  ASSERT_FALSE(stored.empty());
  for (const std::string& secret :
       {std::string("sk-ant-oat01-standin"), std::string("standin-private-detail")}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
    EXPECT_EQ(stored.find(secret), std::string::npos) << secret;
  }
}

}  // namespace
}  // namespace signet
