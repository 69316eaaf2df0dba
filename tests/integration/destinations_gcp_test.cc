// gcp-sts and rfc8693 destinations end to end: `signetd` trades a workload's identity at a
// stand-in of Google's STS and IAM Credentials (HTTPS, with a certificate made for the
// test, answering in Google's documented wire format), which also serves as a generic
// RFC 8693 STS, and the workload gets the token through the RFC 8693 token endpoint.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <fstream>
#include <future>
#include <set>
#include <sstream>

#include "common/json.h"
#include "http/form.h"
#include "jose/jwk.h"
#include "jose/jwt.h"
#include "support/gcp_stand_in.h"
#include "support/signet_processes.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet {
namespace {

using testing::IsOk;
using Field = std::pair<std::string, std::string>;

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
    for (const char* workload : {"billing-api", "refused-app", "flaky-app", "garbled-app",
                                 "short-app", "denied-app", "burst-app"}) {
      out << "  - name: " << workload << "\n"
          << "    identities: [{issuer: dev, claims: {sub: \"system:serviceaccount:apps:"
          << workload << "\"}}]\n";
    }
    std::string common = "    ca_file: " + standin_->cert + "\n";
    std::string gcp =
        "    project_number: \"123456789012\"\n"
        "    pool_id: signet-pool\n"
        "    provider_id: signet\n"
        "    token_url: " +
        standin_->base_url() + "/v1/token\n" + common;
    out << "destinations:\n"
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
    out.close();
    signetd_ = testing::StartSignetd(SIGNETD_PATH, config, dir_->path() + "/signetd.log").release();
    ASSERT_FALSE(signetd_->base_url.empty()) << "signetd did not become ready; its log:\n"
                                             << testing::ReadFile(dir_->path() + "/signetd.log");
    // The rfc8693 client's secret goes into Signet's vault through the admin API.
    std::string admin_token = testing::ReadFile(dir_->path() + "/data/admin.token");
    while (!admin_token.empty() && admin_token.back() == '\n') {
      admin_token.pop_back();
    }
    testing::HttpAnswer put =
        testing::Curl("-X PUT -H 'Authorization: Bearer " + admin_token + "' --data-raw " +
                      kClientSecret + " '" + signetd_->base_url + "/v1/secrets/sts-client-secret'");
    ASSERT_EQ(put.status, 200) << put.body;
  }

  static void TearDownTestSuite() {
    delete signetd_;
    delete idp_;
    delete standin_;
    delete dir_;
  }

  // Exchanges a Kubernetes-shaped token of `workload` for a credential for `destination`.
  static std::pair<int, boost::json::object> TokenFor(const std::string& workload,
                                                      const std::string& destination) {
    std::string upstream =
        testing::MintToken(idp_->base_url, "namespace=apps&serviceaccount=" + workload);
    EXPECT_FALSE(upstream.empty());
    testing::HttpAnswer http =
        testing::ExchangeToken(signetd_->base_url, upstream, "-d audience=" + destination);
    auto body = ParseJsonObject(http.body);
    EXPECT_THAT(body, IsOk()) << http.body;
    return {http.status, body.ok() ? *body : boost::json::object{}};
  }

  // The assertion Signet sent, verified against the JWKS it publishes.
  static void ExpectSignedAssertion(const std::string& jwt, const std::string& audience,
                                    const std::string& workload) {
    testing::HttpAnswer jwks_answer = testing::Curl(signetd_->base_url + "/.well-known/jwks.json");
    ASSERT_EQ(jwks_answer.status, 200);
    auto jwks = jose::Jwks::Parse(jwks_answer.body);
    ASSERT_THAT(jwks, IsOk());
    auto validator = jose::JwtValidator::Builder()
                         .ExpectIssuer("http://127.0.0.1:1")
                         .ExpectAudience(audience)
                         .AllowAlgorithms({jose::Algorithm::kES256})
                         .RequireIssuedAt()
                         .Build();
    ASSERT_THAT(validator, IsOk());
    auto assertion = jose::JwtVerifier(*validator).Verify(jwt, *jwks, Clock::Real().Now());
    ASSERT_THAT(assertion, IsOk());
    EXPECT_EQ(assertion->subject(), "spiffe://test.signet/workload/" + workload);
    EXPECT_TRUE(assertion->jwt_id().has_value());
  }

  // How many audit records name `destination`, `reason` and `workload`.
  static size_t AuditRecords(const std::string& destination, const std::string& reason,
                             const std::string& workload) {
    int code = -1;
    std::string records = testing::RunCommand(
        std::string(SIGNET_PATH) + " audit list --data-dir " + dir_->path() + "/data --json",
        &code);
    EXPECT_EQ(code, 0) << records;
    size_t count = 0;
    std::istringstream lines(records);
    for (std::string line; std::getline(lines, line);) {
      auto row = ParseJsonObject(line);
      if (!row.ok() || !row->contains("record") || !row->at("record").is_object()) {
        continue;
      }
      boost::json::object expected{
          {"destination", destination}, {"reason", reason}, {"workload", workload}};
      const boost::json::object& record = row->at("record").as_object();
      count += std::all_of(expected.begin(), expected.end(), [&record](const auto& member) {
        const boost::json::value* found = record.if_contains(member.key());
        return found != nullptr && *found == member.value();
      });
    }
    return count;
  }

  static testing::TempDir* dir_;
  static testing::GcpStandIn* standin_;
  static testing::RunningProcess* idp_;
  static testing::RunningProcess* signetd_;
};

testing::TempDir* DestinationsGcpTest::dir_ = nullptr;
testing::GcpStandIn* DestinationsGcpTest::standin_ = nullptr;
testing::RunningProcess* DestinationsGcpTest::idp_ = nullptr;
testing::RunningProcess* DestinationsGcpTest::signetd_ = nullptr;

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
  ASSERT_EQ(form->size(), 6u) << seen[0].body;
  EXPECT_EQ((*form)[0], (Field{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"}));
  EXPECT_EQ((*form)[1].first, "subject_token");
  EXPECT_EQ((*form)[2], (Field{"subject_token_type", "urn:ietf:params:oauth:token-type:jwt"}));
  EXPECT_EQ((*form)[3],
            (Field{"requested_token_type", "urn:ietf:params:oauth:token-type:access_token"}));
  EXPECT_EQ((*form)[4], (Field{"audience", std::string("//") + kPoolProvider}));
  EXPECT_EQ((*form)[5], (Field{"scope", "https://www.googleapis.com/auth/cloud-platform"}));
  ExpectSignedAssertion((*form)[1].second, std::string("https://") + kPoolProvider, "billing-api");

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
  EXPECT_GE(AuditRecords("gcp-sa", "destination_refused", "denied-app"), 1u);
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
  ASSERT_EQ(form->size(), 6u) << sent.body;
  EXPECT_EQ((*form)[0], (Field{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"}));
  EXPECT_EQ((*form)[2], (Field{"subject_token_type", "urn:ietf:params:oauth:token-type:jwt"}));
  EXPECT_EQ((*form)[3],
            (Field{"requested_token_type", "urn:ietf:params:oauth:token-type:access_token"}));
  EXPECT_EQ((*form)[4], (Field{"audience", "https://sts.example.test"}));
  EXPECT_EQ((*form)[5], (Field{"resource", "https://orders.example.test"}));
  ExpectSignedAssertion((*form)[1].second, "https://sts.example.test", "billing-api");
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
    EXPECT_GE(AuditRecords(c.destination, c.reason, c.workload), 1u) << c.workload;
  }
  // A failure is not cached: the next request asks again.
  TokenFor("flaky-app", "gcp");
  EXPECT_EQ(standin_->RequestsFor("flaky-app", "/v1/token").size(), 2u);
  EXPECT_EQ(AuditRecords("gcp", "destination_unavailable", "flaky-app"), 2u);
}

// 50 requests at once for a credential Signet does not hold yet: one call to the STS.
TEST_F(DestinationsGcpTest, ConcurrentRequestsShareOneUpstreamCall) {
  std::string upstream =
      testing::MintToken(idp_->base_url, "namespace=apps&serviceaccount=burst-app");
  ASSERT_FALSE(upstream.empty());
  std::vector<std::future<testing::HttpAnswer>> answers;
  for (int i = 0; i < 50; ++i) {
    answers.push_back(std::async(std::launch::async, [&upstream] {
      return testing::ExchangeToken(signetd_->base_url, upstream, "-d audience=gcp");
    }));
  }
  std::set<std::string> tokens;
  for (auto& answer : answers) {
    testing::HttpAnswer http = answer.get();
    ASSERT_EQ(http.status, 200) << http.body;
    tokens.insert(std::string(ParseJsonObject(http.body)->at("access_token").as_string()));
  }
  EXPECT_EQ(tokens.size(), 1u);
  EXPECT_EQ(standin_->RequestsFor("burst-app", "/v1/token").size(), 1u);
}

// No token the stand-in handed out, no client secret and nothing the stand-in said in
// confidence reaches signetd's log or its database.
TEST_F(DestinationsGcpTest, NoCredentialOrSecretInLogsOrDatabase) {
  ASSERT_EQ(TokenFor("billing-api", "gcp-sa").first, 200);
  ASSERT_EQ(TokenFor("billing-api", "sts").first, 200);
  TokenFor("refused-app", "gcp");
  TokenFor("denied-app", "gcp-sa");
  std::string log = testing::ReadFile(dir_->path() + "/signetd.log");
  std::string stored = testing::ReadFile(dir_->path() + "/data/signet.db") +
                       testing::ReadFile(dir_->path() + "/data/signet.db-wal");
  ASSERT_FALSE(stored.empty());
  for (const std::string& secret :
       {std::string("ya29.standin"), std::string("standin-private-detail"),
        std::string(kClientSecret)}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
    EXPECT_EQ(stored.find(secret), std::string::npos) << secret;
  }
}

}  // namespace
}  // namespace signet
