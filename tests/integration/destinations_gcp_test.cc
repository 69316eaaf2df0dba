// gcp-sts and rfc8693 destinations end to end: `signetd` trades a workload's identity at a
// stand-in of Google's STS and IAM Credentials (HTTPS, with a certificate made for the
// test, answering in Google's documented wire format), which also serves as a generic
// RFC 8693 STS, and the workload gets the token through the RFC 8693 token endpoint.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <sstream>

#include "common/json.h"
#include "http/form.h"
#include "support/destination_harness.h"
#include "support/gcp_stand_in.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"
#include "support/token_exchange_form.h"

namespace signet {
namespace {

using testing::IsOk;

constexpr char kPoolProvider[] =
    "iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/"
    "signet-pool/providers/signet";
constexpr char kServiceAccountPath[] =
    "/v1/projects/-/serviceAccounts/reader@my-project.iam.gserviceaccount.com:generateAccessToken";
constexpr char kClientSecret[] = "sts-client-s3cret-value";

class DestinationsGcpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    standin_ = new testing::GcpStandIn(dir_->path());
    std::string common = "    ca_file: " + standin_->cert() + "\n";
    std::string gcp =
        "    project_number: \"123456789012\"\n"
        "    pool_id: signet-pool\n"
        "    provider_id: signet\n"
        "    token_url: " +
        standin_->base_url() + "/v1/token\n" + common;
    std::ostringstream rest;
    rest << "destinations:\n"
            "  - name: gcp\n"
            "    kind: gcp-sts\n"
         << gcp
         << "  - name: gcp-sa\n"
            "    kind: gcp-sts\n"
            "    service_account: reader@my-project.iam.gserviceaccount.com\n"
            "    iam_credentials_url: "
         << standin_->base_url() << "\n"
         << gcp
         << "  - name: sts\n"
            "    kind: rfc8693\n"
            "    audience: https://sts.example.test\n"
            "    token_url: "
         << standin_->base_url() << "/v1/token\n"
         << "    resource: https://orders.example.test\n"
            "    client_id: signet-client\n"
            "    client_secret: sts-client-secret\n"
         << common
         << "  - name: nowhere\n"
            "    kind: rfc8693\n"
            "    audience: https://nowhere.example.test\n"
            "    token_url: https://127.0.0.1:"
         << testing::FreeLoopbackPort() << "/v1/token\n"
         << "policies:\n"
            "  - {name: apps, workloads: [billing-api, refused-app, flaky-app, garbled-app, "
            "short-app, denied-app, burst-app], destinations: [gcp, gcp-sa, sts, nowhere], "
            "max_ttl: 5m}\n";
    signet_ =
        testing::DestinationHarness::Start(SIGNET_PATH, SIGNETD_PATH, dir_->path(),
                                           {"billing-api", "refused-app", "flaky-app",
                                            "garbled-app", "short-app", "denied-app", "burst-app"},
                                           rest.str())
            .release();
    ASSERT_NE(signet_, nullptr);
    // The rfc8693 client's secret goes into Signet's vault through the admin API.
    testing::HttpAnswer put = testing::Curl(
        "-X PUT -H 'Authorization: Bearer " + signet_->AdminToken() + "' --data-raw " +
        kClientSecret + " '" + signet_->base_url() + "/v1/secrets/sts-client-secret'");
    ASSERT_EQ(put.status, 200) << put.body;
  }

  static void TearDownTestSuite() {
    delete signet_;
    delete standin_;
    delete dir_;
  }

  static std::pair<int, boost::json::object> TokenFor(const std::string& workload,
                                                      const std::string& destination) {
    return signet_->TokenFor(workload, destination);
  }

  static testing::TempDir* dir_;
  static testing::GcpStandIn* standin_;
  static testing::DestinationHarness* signet_;
};

testing::TempDir* DestinationsGcpTest::dir_ = nullptr;
testing::GcpStandIn* DestinationsGcpTest::standin_ = nullptr;
testing::DestinationHarness* DestinationsGcpTest::signet_ = nullptr;

TEST_F(DestinationsGcpTest, GcpFederatedTokenThroughTheTokenEndpoint) {
  auto [status, body] = TokenFor("billing-api", "gcp");
  ASSERT_EQ(status, 200) << boost::json::serialize(body);
  std::string token(body.at("access_token").as_string());
  EXPECT_TRUE(token.starts_with("ya29.standin-")) << token;
  EXPECT_EQ(body.at("token_type"), "Bearer");
  EXPECT_EQ(body.at("issued_token_type"), "urn:ietf:params:oauth:token-type:access_token");
  EXPECT_LE(body.at("expires_in").to_number<int64_t>(), 300);  // the policy's 5m bounds it

  // The exchange as Google's STS documents it.
  std::vector<http::Request> seen = standin_->RequestsFor("billing-api", "/v1/token");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].Header("Content-Type").value_or(""), "application/x-www-form-urlencoded");
  EXPECT_FALSE(seen[0].Header("Authorization").has_value());
  auto form = http::ParseForm(seen[0].body);
  ASSERT_THAT(form, IsOk());
  std::string subject_token = testing::ExpectTokenExchange(
      *form, {{"audience", std::string("//") + kPoolProvider},
              {"scope", "https://www.googleapis.com/auth/cloud-platform"}});
  signet_->ExpectSignedAssertion(subject_token, std::string("https://") + kPoolProvider,
                                 "billing-api");

  // A second request is served from Signet's cache.
  auto [again_status, again] = TokenFor("billing-api", "gcp");
  ASSERT_EQ(again_status, 200);
  EXPECT_EQ(again.at("access_token").as_string(), token);
  EXPECT_EQ(standin_->RequestsFor("billing-api", "/v1/token").size(), 1u);
}

TEST_F(DestinationsGcpTest, ServiceAccountImpersonatedWithTheFederatedToken) {
  auto [status, body] = TokenFor("billing-api", "gcp-sa");
  ASSERT_EQ(status, 200) << boost::json::serialize(body);
  EXPECT_TRUE(std::string(body.at("access_token").as_string()).starts_with("ya29.standin-sa-"));
  std::vector<http::Request> seen = standin_->RequestsFor("billing-api", kServiceAccountPath);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].Header("Content-Type").value_or(""), "application/json");
  std::string presented(seen[0].Header("Authorization").value_or(""));
  EXPECT_TRUE(presented.starts_with("Bearer ya29.standin-")) << presented;
  auto sent = ParseJsonObject(seen[0].body);
  ASSERT_THAT(sent, IsOk());
  EXPECT_EQ(sent->size(), 2u);
  EXPECT_EQ(sent->at("scope"),
            (boost::json::array{"https://www.googleapis.com/auth/cloud-platform"}));
  std::string lifetime(sent->at("lifetime").as_string());
  EXPECT_TRUE(lifetime.ends_with("s") && std::stoi(lifetime) <= 300 && std::stoi(lifetime) > 250)
      << lifetime;

  auto [denied_status, denied] = TokenFor("denied-app", "gcp-sa");
  EXPECT_EQ(denied_status, 400);
  EXPECT_EQ(denied.at("error"), "invalid_target");
  std::string description(denied.at("error_description").as_string());
  EXPECT_NE(description.find("HTTP 403 PERMISSION_DENIED"), std::string::npos) << description;
  EXPECT_EQ(description.find("standin-private-detail"), std::string::npos) << description;
  EXPECT_GE(signet_->AuditRecords("gcp-sa", "destination_refused", "denied-app"), 1u);
}

TEST_F(DestinationsGcpTest, Rfc8693ExchangeWithAVaultedClientSecret) {
  auto [status, body] = TokenFor("billing-api", "sts");
  ASSERT_EQ(status, 200) << boost::json::serialize(body);
  std::vector<http::Request> seen = standin_->RequestsFor("billing-api", "/v1/token");
  ASSERT_FALSE(seen.empty());
  const http::Request& sent = seen.back();
  // HTTP Basic with the secret from the vault (RFC 6749 §2.3.1).
  EXPECT_EQ(sent.Header("Authorization").value_or(""),
            "Basic c2lnbmV0LWNsaWVudDpzdHMtY2xpZW50LXMzY3JldC12YWx1ZQ==");
  auto form = http::ParseForm(sent.body);
  ASSERT_THAT(form, IsOk());
  std::string subject_token = testing::ExpectTokenExchange(
      *form,
      {{"audience", "https://sts.example.test"}, {"resource", "https://orders.example.test"}});
  signet_->ExpectSignedAssertion(subject_token, "https://sts.example.test", "billing-api");
}

// A token living 90 s is inside the 2-minute refresh window as soon as it arrives: the next
// request fetches a new one.
TEST_F(DestinationsGcpTest, RefreshedAheadOfExpiry) {
  auto [first_status, first] = TokenFor("short-app", "gcp");
  ASSERT_EQ(first_status, 200) << boost::json::serialize(first);
  auto [second_status, second] = TokenFor("short-app", "gcp");
  ASSERT_EQ(second_status, 200);
  EXPECT_NE(second.at("access_token"), first.at("access_token"));
  EXPECT_EQ(standin_->RequestsFor("short-app", "/v1/token").size(), 2u);
}

TEST_F(DestinationsGcpTest, UpstreamFailuresAreClearErrorsAndAudited) {
  struct Case {
    std::string workload, destination;
    int status;
    std::string error, reason;
  };
  for (const Case& c : std::vector<Case>{
           {"refused-app", "gcp", 400, "invalid_target", "destination_refused"},
           {"flaky-app", "gcp", 503, "temporarily_unavailable", "destination_unavailable"},
           {"garbled-app", "sts", 500, "server_error", "destination_answer_malformed"},
           {"billing-api", "nowhere", 503, "temporarily_unavailable", "destination_unavailable"}}) {
    auto [status, body] = TokenFor(c.workload, c.destination);
    EXPECT_EQ(status, c.status) << c.workload;
    EXPECT_EQ(body.at("error"), boost::json::value(c.error)) << c.workload;
    EXPECT_FALSE(body.contains("access_token"));
    std::string description(body.at("error_description").as_string());
    EXPECT_EQ(description.find("standin-private-detail"), std::string::npos) << description;
    EXPECT_GE(signet_->AuditRecords(c.destination, c.reason, c.workload), 1u) << c.workload;
  }
  // A failure is not cached: the next request asks again.
  TokenFor("flaky-app", "gcp");
  EXPECT_EQ(standin_->RequestsFor("flaky-app", "/v1/token").size(), 2u);
  EXPECT_EQ(signet_->AuditRecords("gcp", "destination_unavailable", "flaky-app"), 2u);
}

// 50 requests at once for a credential Signet does not hold yet: one call to the STS.
TEST_F(DestinationsGcpTest, ConcurrentRequestsShareOneUpstreamCall) {
  EXPECT_EQ(signet_->ConcurrentTokens("burst-app", "gcp", 50).size(), 1u);
  EXPECT_EQ(standin_->RequestsFor("burst-app", "/v1/token").size(), 1u);
}

// No token the stand-in handed out, no client secret and nothing the stand-in said in
// confidence reaches signetd's log or its database.
TEST_F(DestinationsGcpTest, NoCredentialOrSecretInLogsOrDatabase) {
  ASSERT_EQ(TokenFor("billing-api", "gcp-sa").first, 200);
  ASSERT_EQ(TokenFor("billing-api", "sts").first, 200);
  TokenFor("refused-app", "gcp");
  TokenFor("denied-app", "gcp-sa");
  signet_->ExpectNowhereStored({"ya29.standin", "standin-private-detail", kClientSecret});
}

}  // namespace
}  // namespace signet
