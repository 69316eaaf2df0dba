// snowflake-keypair end to end: signetd signs Snowflake key-pair JWTs with the user's
// private key that the operator stored with `signet secret put`, hands them out through
// POST /v1/credentials (with the headers a request carries) and the RFC 8693 token
// endpoint, and a stand-in of Snowflake's SQL API (HTTPS, checking the JWT as Snowflake
// does) accepts a request sent with curl with exactly the headers Signet gave.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "common/base64url.h"
#include "common/clock.h"
#include "common/json.h"
#include "jose/jwt.h"
#include "support/destination_harness.h"
#include "support/snowflake_stand_in.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet {
namespace {

using testing::IsOk;

class SnowflakeDestinationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new testing::TempDir();
    // The user's key pair as Snowflake's set-up makes it: PKCS#8, 2048 bits.
    int code = -1;
    std::string out = testing::RunCommand(
        "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " +
            keys_->File("user.p8") + " 2>&1 && openssl pkey -in " + keys_->File("user.p8") +
            " -pubout -out " + keys_->File("user.pub") + " 2>&1",
        &code);
    ASSERT_EQ(code, 0) << out;
    // The fingerprint DESCRIBE USER shows, computed as Snowflake's documentation does.
    fingerprint_ = new std::string(
        testing::RunCommand("openssl pkey -in " + keys_->File("user.p8") +
                                " -pubout -outform DER | openssl dgst -sha256 -binary | base64",
                            &code));
    ASSERT_EQ(code, 0);
    fingerprint_->pop_back();  // the newline
    standin_ = new testing::SnowflakeStandIn(keys_->path(), "MYORG-MYACCOUNT", "SVC_REPORTS",
                                             keys_->File("user.pub"));
    std::string yaml =
        "destinations:\n"
        "  - {name: warehouse, kind: snowflake-keypair, account: myorg-myaccount,"
        " user: svc_reports, private_key_secret: snowflake-key}\n"
        "  - {name: warehouse-nokey, kind: snowflake-keypair, account: myorg-myaccount,"
        " user: svc_reports, private_key_secret: absent-key}\n"
        "policies:\n"
        "  - {name: reports, workloads: [reports, burst-reports], destinations: [warehouse,"
        " warehouse-nokey], max_ttl: 5m}\n"
        "  - {name: short, workloads: [short-reports], destinations: [warehouse],"
        " max_ttl: 90s}\n";
    signetd_ =
        testing::DestinationHarness::Start(SIGNET_PATH, SIGNETD_PATH, keys_->path(),
                                           {"reports", "burst-reports", "short-reports"}, yaml)
            .release();
    ASSERT_NE(signetd_, nullptr);
    out = signetd_->Signet("secret put snowflake-key --from-file " + keys_->File("user.p8"), &code);
    ASSERT_EQ(code, 0) << out;
  }

  static void TearDownTestSuite() {
    delete signetd_;
    delete standin_;
    delete fingerprint_;
    delete keys_;
  }

  // The RFC 8693 exchange's answer for `workload`.
  static std::pair<int, boost::json::object> JwtFor(const std::string& workload,
                                                    const std::string& destination = "warehouse") {
    return signetd_->TokenFor(workload, destination);
  }

  // Runs a statement at the stand-in with exactly `headers` (a credential's, from POST
  // /v1/credentials), as a workload does with curl.
  static testing::HttpAnswer Statement(const boost::json::object& headers) {
    std::string args = "--cacert " + standin_->cert();
    for (const auto& header : headers) {
      args += " -H '" + std::string(header.key()) + ": " + std::string(header.value().as_string()) +
              "'";
    }
    return testing::Curl(args +
                         " -H 'Content-Type: application/json' -d '{\"statement\":\"select 1\"}' " +
                         standin_->base_url() + "/api/v2/statements");
  }

  // The headers Snowflake's documentation has a workload send with `jwt`.
  static boost::json::object HeadersFor(const std::string& jwt) {
    return {{"Authorization", "Bearer " + jwt},
            {"X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT"}};
  }

  static testing::TempDir* keys_;
  static std::string* fingerprint_;
  static testing::SnowflakeStandIn* standin_;
  static testing::DestinationHarness* signetd_;
};

testing::TempDir* SnowflakeDestinationTest::keys_ = nullptr;
std::string* SnowflakeDestinationTest::fingerprint_ = nullptr;
testing::SnowflakeStandIn* SnowflakeDestinationTest::standin_ = nullptr;
testing::DestinationHarness* SnowflakeDestinationTest::signetd_ = nullptr;

TEST_F(SnowflakeDestinationTest, KeypairJwtThatSnowflakeAccepts) {
  auto [status, body] = signetd_->CredentialFor("reports", "warehouse");
  ASSERT_EQ(status, 200) << boost::json::serialize(body);
  EXPECT_EQ(body.at("type"), "token");
  EXPECT_EQ(body.at("issued_token_type"), "urn:ietf:params:oauth:token-type:jwt");
  EXPECT_EQ(body.at("token_type"), "Bearer");
  // The policy's 5 minutes, not Snowflake's hour.
  EXPECT_LE(body.at("expires_in").to_number<int64_t>(), 300);
  EXPECT_GE(body.at("expires_in").to_number<int64_t>(), 290);
  std::string jwt(body.at("token").as_string());
  // The headers a request to Snowflake carries, token type included.
  const boost::json::object& headers = body.at("headers").as_object();
  EXPECT_EQ(headers, HeadersFor(jwt));

  // Its signature verifies with the user's public key (openssl, not Signet's code).
  EXPECT_TRUE(signetd_->OpensslVerifiesRs256(jwt, keys_->File("user.pub")));

  // Its claims name the account, the user and the key as Snowflake expects.
  auto parsed = jose::ParseJwt(jwt);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->jws.header.alg, jose::Algorithm::kRS256);
  EXPECT_EQ(parsed->claims.at("iss").as_string(),
            "MYORG-MYACCOUNT.SVC_REPORTS.SHA256:" + *fingerprint_);
  EXPECT_EQ(parsed->claims.at("sub"), "MYORG-MYACCOUNT.SVC_REPORTS");
  int64_t lifetime =
      parsed->claims.at("exp").to_number<int64_t>() - parsed->claims.at("iat").to_number<int64_t>();
  EXPECT_LE(lifetime, 300);  // the granted lifetime, counted from when it was granted
  EXPECT_GE(lifetime, 298);

  // Snowflake's SQL API accepts a request with exactly the headers Signet gave.
  testing::HttpAnswer answer = Statement(headers);
  EXPECT_EQ(answer.status, 200) << answer.body << " " << standin_->last_refusal();
  EXPECT_NE(answer.body.find("Statement executed successfully."), std::string::npos);
  // ... and, checking, refuses a JWT signed by another key.
  std::string forged = jwt.substr(0, jwt.rfind('.') + 1) + Base64UrlEncode(std::string(256, 'x'));
  EXPECT_EQ(Statement(HeadersFor(forged)).status, 401);

  // A second request, through the token exchange, is served from Signet's cache: the
  // same JWT.
  auto [again_status, again] = JwtFor("reports");
  ASSERT_EQ(again_status, 200);
  EXPECT_EQ(again.at("access_token").as_string(), jwt);
}

// A JWT granted 90 s is inside the refresh window: the next request signs a new one.
TEST_F(SnowflakeDestinationTest, AJwtNearItsExpiryIsRefreshed) {
  auto [status, first] = JwtFor("short-reports");
  ASSERT_EQ(status, 200) << boost::json::serialize(first);
  EXPECT_LE(first.at("expires_in").to_number<int64_t>(), 90);
  auto [again_status, again] = JwtFor("short-reports");
  ASSERT_EQ(again_status, 200);
  EXPECT_NE(again.at("access_token"), first.at("access_token"));
  EXPECT_EQ(Statement(HeadersFor(std::string(again.at("access_token").as_string()))).status, 200)
      << standin_->last_refusal();
}

TEST_F(SnowflakeDestinationTest, ConcurrentRequestsShareOneJwt) {
  // Each JWT has its own jti: one was signed.
  EXPECT_EQ(signetd_->ConcurrentTokens("burst-reports", "warehouse", 50).size(), 1u);
}

TEST_F(SnowflakeDestinationTest, AMissingKeyIsAClearErrorAndAudited) {
  auto [status, body] = JwtFor("reports", "warehouse-nokey");
  EXPECT_EQ(status, 500);
  EXPECT_EQ(body["error"], "server_error");
  std::string description(body["error_description"].as_string());
  // Signet's configuration is not the workload's to fix: it is told where the cause is.
  EXPECT_NE(description.find("audit record"), std::string::npos) << description;
  EXPECT_EQ(description.find("absent-key"), std::string::npos) << description;
  EXPECT_GE(signetd_->AuditRecords("warehouse-nokey", "private_key_unusable", "reports"), 1u);
}

TEST_F(SnowflakeDestinationTest, NoKeyOrJwtInLogsOrDatabase) {
  auto [status, body] = JwtFor("reports");
  ASSERT_EQ(status, 200);
  std::string jwt(body.at("access_token").as_string());
  std::string pem = testing::ReadFile(keys_->File("user.p8"));
  std::vector<std::string> secrets = {jwt.substr(jwt.rfind('.') + 1, 40),
                                      jwt.substr(jwt.find('.') + 1, 40), "BEGIN PRIVATE KEY"};
  for (size_t at = 200; at + 40 < pem.size(); at += 400) {
    secrets.push_back(pem.substr(at, 40));
  }
  signetd_->ExpectNowhereStored(secrets);
}

}  // namespace
}  // namespace signet
