// AWS credentials end to end: `signetd` assumes an IAM role for a workload at a stand-in
// of STS (HTTPS with a certificate made for the test, AssumeRoleWithWebIdentity in the
// Query API's wire format, XML answers and errors), and the workload gets the access key
// triple from the typed credential endpoint, POST /v1/credentials.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <map>
#include <set>

#include "common/clock.h"
#include "support/destination_harness.h"
#include "support/form_fields.h"
#include "support/sts_stand_in.h"
#include "support/temp_dir.h"

namespace signet {
namespace {

constexpr char kRoleArn[] = "arn:aws:iam::123456789012:role/signet-billing";
constexpr char kPolicyArn[] = "arn:aws:iam::aws:policy/ReadOnlyAccess";

class DestinationsAwsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    sts_ = new testing::StsStandIn(dir_->path());
    std::string role = std::string("    role_arn: ") + kRoleArn + "\n";
    signet_ = testing::DestinationHarness::Start(
                  SIGNET_PATH, SIGNETD_PATH, dir_->path(),
                  {"billing-api", "short-app", "burst-app", "refused-app", "throttled-app",
                   "flaky-app", "malformed-app", "scoped-app"},
                  "destinations:\n"
                  "  - name: aws\n"
                  "    kind: aws-sts\n" +
                      role + "    sts_url: " + sts_->url() + "\n    ca_file: " + sts_->cert() +
                      "\n"
                      "  - name: aws-down\n"
                      "    kind: aws-sts\n" +
                      role + "    sts_url: https://127.0.0.1:" +
                      std::to_string(testing::FreeLoopbackPort()) +
                      "\n"
                      "policies:\n"
                      "  - {name: apps-aws, workloads: [short-app, burst-app, refused-app, "
                      "throttled-app, flaky-app, malformed-app], destinations: [aws, aws-down], "
                      "max_ttl: 5m}\n"
                      "  - {name: billing-aws, workloads: [billing-api], destinations: [aws], "
                      "max_ttl: 5m, scopes: ['" +
                      kPolicyArn +
                      "']}\n"
                      "  - {name: scoped-aws, workloads: [scoped-app], destinations: [aws], "
                      "max_ttl: 5m, scopes: [s3.read]}\n")
                  .release();
    ASSERT_NE(signet_, nullptr);
  }

  static void TearDownTestSuite() {
    delete signet_;
    delete sts_;
    delete dir_;
  }

  // The answer of /v1/credentials to `workload` asking for `destination`.
  static std::pair<int, boost::json::object> CredentialFor(const std::string& workload,
                                                           const std::string& destination = "aws") {
    return signet_->CredentialFor(workload, destination);
  }

  // The string `member` of `object`, or "".
  static std::string Text(const boost::json::object& object, const char* member) {
    const boost::json::value* found = object.if_contains(member);
    return found != nullptr && found->is_string() ? std::string(found->as_string()) : "";
  }

  static std::string AccessKeyOf(const boost::json::object& answer) {
    const boost::json::value* aws = answer.if_contains("aws");
    return aws != nullptr && aws->is_object() ? Text(aws->as_object(), "access_key_id") : "";
  }

  static testing::TempDir* dir_;
  static testing::StsStandIn* sts_;
  static testing::DestinationHarness* signet_;
};

testing::TempDir* DestinationsAwsTest::dir_ = nullptr;
testing::StsStandIn* DestinationsAwsTest::sts_ = nullptr;
testing::DestinationHarness* DestinationsAwsTest::signet_ = nullptr;

TEST_F(DestinationsAwsTest, AwsCredentialsThroughTheCredentialEndpoint) {
  auto [status, body] = CredentialFor("billing-api");
  ASSERT_EQ(status, 200) << boost::json::serialize(body);
  EXPECT_EQ(body.at("destination"), "aws");
  EXPECT_EQ(body.at("type"), "aws");
  const boost::json::object& aws = body.at("aws").as_object();
  std::string key_id(aws.at("access_key_id").as_string());
  EXPECT_TRUE(key_id.starts_with("ASIASTANDIN")) << key_id;
  EXPECT_TRUE(aws.at("secret_access_key").as_string().starts_with("standin-secret-"));
  EXPECT_TRUE(aws.at("session_token").as_string().starts_with("standin-session-"));
  // STS grants at least 900 s; the policy's 5m bounds what the workload is told.
  EXPECT_LE(body.at("expires_in").to_number<int64_t>(), 300);
  EXPECT_GE(body.at("expires_in").to_number<int64_t>(), 290);
  EXPECT_TRUE(ParseRfc3339(std::string(body.at("expires_at").as_string())).has_value());
  EXPECT_EQ(body.at("scope"), kPolicyArn);

  // The call Signet made, field by field, as STS documents it.
  std::vector<http::Request> seen = sts_->RequestsFor("billing-api");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/");
  EXPECT_EQ(seen[0].Header("Content-Type").value_or(""), "application/x-www-form-urlencoded");
  EXPECT_FALSE(seen[0].Header("Authorization").has_value());  // unsigned
  std::map<std::string, std::string> fields = testing::FormFields(seen[0].body);
  EXPECT_EQ(fields.size(), 7u) << seen[0].body;
  EXPECT_EQ(fields["Action"], "AssumeRoleWithWebIdentity");
  EXPECT_EQ(fields["Version"], "2011-06-15");
  EXPECT_EQ(fields["RoleArn"], kRoleArn);
  EXPECT_EQ(fields["RoleSessionName"], "signet-billing-api");
  EXPECT_EQ(fields["DurationSeconds"], "900");
  EXPECT_EQ(fields["PolicyArns.member.1.arn"], kPolicyArn);

  // The web identity token verifies against the JWKS Signet publishes, as IAM checks it.
  signet_->ExpectSignedAssertion(fields["WebIdentityToken"], "sts.amazonaws.com", "billing-api");

  // A second request is served from Signet's cache: no second call to STS.
  auto [again_status, again] = CredentialFor("billing-api");
  ASSERT_EQ(again_status, 200);
  EXPECT_EQ(AccessKeyOf(again), key_id);
  EXPECT_EQ(sts_->RequestsFor("billing-api").size(), 1u);
}

// The RFC 8693 endpoint serves tokens only; AWS credentials are not one.
TEST_F(DestinationsAwsTest, TheTokenEndpointRefusesAnAwsDestination) {
  auto [status, body] = signet_->TokenFor("burst-app", "aws");
  EXPECT_EQ(status, 400) << boost::json::serialize(body);
  EXPECT_EQ(Text(body, "error"), "invalid_request");
  EXPECT_FALSE(body.contains("access_token"));
  // The refusal is audited with its reason.
  EXPECT_GE(signet_->AuditRecords("aws", "credential_not_a_token", "burst-app"), 1u);
}

// STS answers short-app with credentials expiring in 100 s: inside the 120 s refresh
// window, so the next request fetches anew (while a concurrent one would be served the
// cached credential, still 30 s from expiry).
TEST_F(DestinationsAwsTest, RefreshesAheadOfExpiry) {
  auto [first_status, first] = CredentialFor("short-app");
  ASSERT_EQ(first_status, 200) << boost::json::serialize(first);
  EXPECT_LE(first.at("expires_in").to_number<int64_t>(), 100);
  auto [second_status, second] = CredentialFor("short-app");
  ASSERT_EQ(second_status, 200);
  EXPECT_EQ(sts_->RequestsFor("short-app").size(), 2u);
  EXPECT_NE(AccessKeyOf(second), AccessKeyOf(first));
}

// Many workload requests at once for a credential Signet does not hold yet make one call
// to STS: the others wait for it (single flight) or find it cached.
TEST_F(DestinationsAwsTest, ConcurrentRequestsShareOneUpstreamCall) {
  std::set<std::string> keys;
  for (const boost::json::object& answer : signet_->ConcurrentCredentials("burst-app", "aws", 50)) {
    keys.insert(AccessKeyOf(answer));
  }
  EXPECT_EQ(keys.size(), 1u);
  EXPECT_EQ(sts_->RequestsFor("burst-app").size(), 1u);
}

TEST_F(DestinationsAwsTest, UpstreamFailuresAreClearErrorsAndAudited) {
  struct Case {
    std::string workload;
    std::string destination;
    int status;
    std::string error;
    std::string reason;
    std::string said;  // what the description names
  };
  std::vector<Case> cases = {
      {"refused-app", "aws", 400, "invalid_target", "destination_refused",
       "HTTP 400 InvalidIdentityToken"},
      {"throttled-app", "aws", 503, "temporarily_unavailable", "destination_unavailable",
       "HTTP 400 Throttling"},
      {"flaky-app", "aws", 503, "temporarily_unavailable", "destination_unavailable",
       "HTTP 503 ServiceUnavailable"},
      // A server error names the audit record, where the cause is.
      {"malformed-app", "aws", 500, "server_error", "destination_answer_malformed", "audit record"},
      {"flaky-app", "aws-down", 503, "temporarily_unavailable", "destination_unavailable",
       "cannot be reached"},
      {"scoped-app", "aws", 400, "invalid_scope", "scope_not_policy_arn", "IAM policy ARNs"},
  };
  for (const Case& c : cases) {
    auto [status, body] = CredentialFor(c.workload, c.destination);
    EXPECT_EQ(status, c.status) << c.workload << " " << boost::json::serialize(body);
    EXPECT_EQ(Text(body, "error"), c.error) << c.workload;
    std::string description = Text(body, "error_description");
    EXPECT_NE(description.find(c.said), std::string::npos) << c.workload << ": " << description;
    EXPECT_EQ(description.find("standin-private-detail"), std::string::npos) << description;
  }
  // A failure is not cached: the next request asks STS again.
  CredentialFor("flaky-app");
  EXPECT_EQ(sts_->RequestsFor("flaky-app").size(), 2u);
  EXPECT_TRUE(sts_->RequestsFor("scoped-app").empty());  // refused before calling out

  // Each refusal is in the audit trail with its reason, as an auditor reads it.
  for (const Case& c : cases) {
    EXPECT_GE(signet_->AuditRecords(c.destination, c.reason, c.workload), 1u)
        << c.workload << " at " << c.destination;
  }
  EXPECT_EQ(signet_->AuditRecords("aws", "destination_unavailable", "flaky-app"), 2u);
}

// Nothing STS handed out, nor what it said in confidence, reaches signetd's log or its
// database (the audit trail included).
TEST_F(DestinationsAwsTest, NoCredentialInLogsOrAudit) {
  ASSERT_EQ(CredentialFor("billing-api").first, 200);
  CredentialFor("refused-app");
  signet_->ExpectNowhereStored(
      {"ASIASTANDIN", "standin-secret", "standin-session", "standin-private-detail"});
}

}  // namespace
}  // namespace signet
