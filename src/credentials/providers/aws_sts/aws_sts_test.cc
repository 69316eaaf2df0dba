#include "credentials/providers/aws_sts/aws_sts.h"

#include <gtest/gtest.h>

#include <map>

#include "support/calling_out_test.h"
#include "support/form_fields.h"
#include "support/status_matchers.h"

namespace signet::credentials {
namespace {

using testing::FailsWith;
using testing::FailsWithCode;
using testing::HeaderOf;
using testing::IsOk;

// Where STS answers the destination under test (region eu-west-1).
constexpr std::string_view kStsUrl = "https://sts.eu-west-1.amazonaws.com/";
constexpr std::string_view kRoleArn = "arn:aws:iam::123456789012:role/signet/billing-reader";
constexpr std::string_view kPolicyA = "arn:aws:iam::aws:policy/ReadOnlyAccess";
constexpr std::string_view kPolicyB = "arn:aws:iam::123456789012:policy/team/s3-billing";

http::ClientResponse Xml(int status, std::string body) {
  return http::ClientResponse{status, "text/xml", {}, std::move(body)};
}

// A success as STS documents it, with the fields Signet does not read as well.
http::ClientResponse StsAnswer(std::string_view key_id, std::string_view expiration,
                               std::string_view session_token = "FwoGZXIvYXdzEJr//////////w==") {
  return Xml(
      200,
      "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
      "  <AssumeRoleWithWebIdentityResult>\n"
      "    <SubjectFromWebIdentityToken>spiffe://example.com/workload/billing"
      "</SubjectFromWebIdentityToken>\n"
      "    <Audience>sts.amazonaws.com</Audience>\n"
      "    <AssumedRoleUser>\n"
      "      <Arn>arn:aws:sts::123456789012:assumed-role/billing-reader/signet-billing</Arn>\n"
      "      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:signet-billing</AssumedRoleId>\n"
      "    </AssumedRoleUser>\n"
      "    <Credentials>\n"
      "      <SessionToken>" +
          std::string(session_token) +
          "</SessionToken>\n"
          "      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\n"
          "      <Expiration>" +
          std::string(expiration) +
          "</Expiration>\n"
          "      <AccessKeyId>" +
          std::string(key_id) +
          "</AccessKeyId>\n"
          "    </Credentials>\n"
          "    <Provider>signet.example.com</Provider>\n"
          "  </AssumeRoleWithWebIdentityResult>\n"
          "  <ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>"
          "</ResponseMetadata>\n"
          "</AssumeRoleWithWebIdentityResponse>\n");
}

// An answer whose Credentials hold AccessKeyId, SecretAccessKey, Expiration and `more`.
std::string CredentialsXml(std::string_view more,
                           std::string_view root = "AssumeRoleWithWebIdentityResponse",
                           std::string_view xmlns = "https://sts.amazonaws.com/doc/2011-06-15/") {
  return "<" + std::string(root) + (xmlns.empty() ? "" : " xmlns=\"" + std::string(xmlns) + "\"") +
         "><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>A</AccessKeyId>"
         "<SecretAccessKey>S</SecretAccessKey><Expiration>2027-01-15T09:00:00Z</Expiration>" +
         std::string(more) + "</Credentials></AssumeRoleWithWebIdentityResult></" +
         std::string(root) + ">";
}

http::ClientResponse StsError(int status, std::string_view type, std::string_view code) {
  return Xml(status,
             "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
             "  <Error><Type>" +
                 std::string(type) + "</Type><Code>" + std::string(code) +
                 "</Code><Message>Token for sk-secret-detail rejected</Message></Error>\n"
                 "  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"
                 "</ErrorResponse>\n");
}

class AwsStsTest : public testing::CallingOutTest {
 protected:
  AwsStsTest() {
    destination_.settings = {{"role_arn", std::string(kRoleArn)}, {"region", "eu-west-1"}};
  }

  std::unique_ptr<CredentialProvider> Provider() { return ProviderFor(destination_); }

  // What STS answers from now on.
  void Answer(Result<http::ClientResponse> answer) {
    client_->Set(std::string(kStsUrl), std::move(answer));
  }

  // An Expiration `from_now` ahead, as STS writes it.
  std::string In(std::chrono::seconds from_now) {
    return FormatUtcSeconds(clock_.Now() + from_now);
  }

  Destination destination_{"aws-billing", "aws-sts", "", {}};
};

TEST_F(AwsStsTest, AssumesTheRoleAsStsDocuments) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  EXPECT_TRUE(provider->CallsOut());
  EXPECT_EQ(provider->Form(), CredentialForm::kAws);
  Answer(StsAnswer("ASIAEXAMPLE1", In(std::chrono::seconds(3600))));
  auto credential = provider->Issue(Request(std::chrono::seconds(3600), {std::string(kPolicyA)}));
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->form, CredentialForm::kAws);
  EXPECT_EQ(credential->aws.access_key_id, "ASIAEXAMPLE1");
  EXPECT_EQ(credential->aws.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  EXPECT_EQ(credential->aws.session_token, "FwoGZXIvYXdzEJr//////////w==");
  EXPECT_EQ(credential->expires_at, clock_.Now() + std::chrono::seconds(3600));
  EXPECT_EQ(credential->scopes, std::vector<std::string>{std::string(kPolicyA)});
  EXPECT_TRUE(credential->access_token.empty());
  EXPECT_TRUE(credential->headers.empty());

  ASSERT_EQ(client_->requests.size(), 1u);
  const http::ClientRequest& sent = client_->requests[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "https://sts.eu-west-1.amazonaws.com/");
  EXPECT_EQ(HeaderOf(sent, "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(HeaderOf(sent, "Authorization"), "");  // the call is unsigned
  std::map<std::string, std::string> fields = testing::FormFields(sent.body);
  EXPECT_EQ(fields.size(), 7u) << sent.body;
  EXPECT_EQ(fields["Action"], "AssumeRoleWithWebIdentity");
  EXPECT_EQ(fields["Version"], "2011-06-15");
  EXPECT_EQ(fields["RoleArn"], kRoleArn);
  EXPECT_EQ(fields["RoleSessionName"], "signet-billing");
  EXPECT_EQ(fields["DurationSeconds"], "3600");
  EXPECT_EQ(fields["PolicyArns.member.1.arn"], kPolicyA);
  // The body's first fields are in the documented order.
  EXPECT_TRUE(sent.body.starts_with("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn="))
      << sent.body;

  // The token verifies with Signet's public key under the rules of an IAM OIDC provider.
  auto assertion = VerifyAssertion(fields["WebIdentityToken"], "sts.amazonaws.com");
  ASSERT_THAT(assertion, IsOk());
  EXPECT_EQ(assertion->subject(), "spiffe://example.com/workload/billing");
  EXPECT_EQ(assertion->key_id(), "k1");
  EXPECT_EQ(assertion->jwt_id(), credential->jti);
  EXPECT_FALSE(credential->jti.empty());
  // Spent at once on the exchange, so it lives only five minutes.
  EXPECT_EQ(assertion->expires_at(), clock_.Now() + std::chrono::seconds(300));
}

TEST_F(AwsStsTest, EndpointIsTheRegionsTheGlobalOneOrTheConfiguredUrl) {
  destination_.settings.erase("region");
  auto global = Provider();
  ASSERT_NE(global, nullptr);
  client_->Set("https://sts.amazonaws.com/", StsAnswer("ASIA1", In(std::chrono::seconds(3600))));
  ASSERT_THAT(global->Issue(Request()), IsOk());
  EXPECT_EQ(client_->requests[0].url, "https://sts.amazonaws.com/");

  destination_.settings["sts_url"] = "https://vpce-0a1b-sts.us-east-1.vpce.amazonaws.com/";
  auto vpce = Provider();
  ASSERT_NE(vpce, nullptr);
  client_->Set("https://vpce-0a1b-sts.us-east-1.vpce.amazonaws.com/",
               StsAnswer("ASIA1", In(std::chrono::seconds(3600))));
  ASSERT_THAT(vpce->Issue(Request()), IsOk());
  EXPECT_EQ(client_->requests[0].url, "https://vpce-0a1b-sts.us-east-1.vpce.amazonaws.com/");
}

TEST_F(AwsStsTest, ScopesArePolicyArnsPassedAsSessionPolicies) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(StsAnswer("ASIA1", In(std::chrono::seconds(3600))));
  ASSERT_THAT(provider->Issue(Request(std::chrono::seconds(3600),
                                      {std::string(kPolicyA), std::string(kPolicyB)})),
              IsOk());
  std::map<std::string, std::string> fields = testing::FormFields(client_->requests[0].body);
  EXPECT_EQ(fields["PolicyArns.member.1.arn"], kPolicyA);
  EXPECT_EQ(fields["PolicyArns.member.2.arn"], kPolicyB);
  EXPECT_EQ(fields.size(), 8u);

  // Without scopes the session has the role's own permissions.
  ASSERT_THAT(provider->Issue(Request()), IsOk());
  EXPECT_EQ(testing::FormFields(client_->requests[1].body).size(), 6u);

  auto not_arn = provider->Issue(Request(std::chrono::seconds(3600), {"s3:read"}));
  EXPECT_THAT(not_arn, FailsWithCode(ErrorCode::kInvalidScope, "scope_not_policy_arn"));
  EXPECT_NE(not_arn.status().message().find("IAM policy ARNs"), std::string::npos);
  EXPECT_THAT(provider->Issue(Request(std::chrono::seconds(3600),
                                      {"arn:aws:iam::123456789012:role/not-a-policy"})),
              FailsWith("scope_not_policy_arn"));
  std::vector<std::string> eleven(11, std::string(kPolicyA));
  EXPECT_THAT(provider->Issue(Request(std::chrono::seconds(3600), eleven)),
              FailsWithCode(ErrorCode::kInvalidScope, "scope_too_many_policies"));
  EXPECT_EQ(client_->requests.size(), 2u);  // refused scopes never reach STS
}

TEST_F(AwsStsTest, DurationIsTheGrantedLifetimeWithinStsBounds) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(StsAnswer("ASIA1", In(std::chrono::seconds(900))));
  // Below STS's minimum: asks for 900 s, yet tells the workload the granted 300 s,
  // counted from when they were granted (not from when a worker got to the request).
  IssueRequest granted = Request(std::chrono::seconds(300));
  clock_.Advance(std::chrono::seconds(20));
  auto short_lived = provider->Issue(granted);
  ASSERT_THAT(short_lived, IsOk());
  EXPECT_EQ(testing::FormFields(client_->requests[0].body)["DurationSeconds"], "900");
  EXPECT_EQ(short_lived->expires_at, granted.decided_at + std::chrono::seconds(300));

  // Above the role's MaxSessionDuration (3600 unless configured).
  IssueRequest long_lived = Request(std::chrono::seconds(7200));
  long_lived.workload = "reports";
  ASSERT_THAT(provider->Issue(long_lived), IsOk());
  EXPECT_EQ(testing::FormFields(client_->requests[1].body)["DurationSeconds"], "3600");

  destination_.settings["max_session_duration"] = "43200";
  auto twelve_hours = Provider();
  ASSERT_NE(twelve_hours, nullptr);
  Answer(StsAnswer("ASIA1", In(std::chrono::seconds(43200))));
  ASSERT_THAT(twelve_hours->Issue(Request(std::chrono::seconds(86400))), IsOk());
  EXPECT_EQ(testing::FormFields(client_->requests[0].body)["DurationSeconds"], "43200");
}

TEST_F(AwsStsTest, SessionNameNamesTheWorkloadWithinStsRules) {
  destination_.settings["session_name_prefix"] = "prod@signet.";
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(StsAnswer("ASIA1", In(std::chrono::seconds(3600))));
  IssueRequest odd = Request();
  odd.workload = "team/billing api:" + std::string(80, 'x');
  ASSERT_THAT(provider->Issue(odd), IsOk());
  std::string name = testing::FormFields(client_->requests[0].body)["RoleSessionName"];
  EXPECT_EQ(name.size(), 64u);
  EXPECT_TRUE(name.starts_with("prod@signet.team-billing-api-xxx")) << name;
}

TEST_F(AwsStsTest, ASecondRequestIsServedFromTheCache) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(StsAnswer("ASIA1", In(std::chrono::seconds(3600))));
  ASSERT_THAT(provider->Issue(Request()), IsOk());
  clock_.Advance(std::chrono::minutes(10));
  Answer(StsAnswer("ASIA2", In(std::chrono::seconds(3600))));
  auto again = provider->Issue(Request());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->aws.access_key_id, "ASIA1");
  EXPECT_EQ(client_->requests.size(), 1u);
  // Another workload, or other session policies, is another credential.
  IssueRequest other = Request();
  other.workload = "reports";
  ASSERT_THAT(provider->Issue(other), IsOk());
  auto scoped = provider->Issue(Request(std::chrono::seconds(3600), {std::string(kPolicyA)}));
  ASSERT_THAT(scoped, IsOk());
  EXPECT_EQ(scoped->aws.access_key_id, "ASIA2");
  EXPECT_EQ(client_->requests.size(), 3u);
}

TEST_F(AwsStsTest, RefreshesAheadOfExpiry) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(StsAnswer("ASIA1", In(std::chrono::seconds(900))));
  ASSERT_THAT(provider->Issue(Request(std::chrono::seconds(900))), IsOk());
  // Inside the 120 s refresh window: the next request fetches a new credential...
  clock_.Advance(std::chrono::seconds(800));
  Answer(StsAnswer("ASIA2", In(std::chrono::seconds(900))));
  auto refreshed = provider->Issue(Request(std::chrono::seconds(900)));
  ASSERT_THAT(refreshed, IsOk());
  EXPECT_EQ(refreshed->aws.access_key_id, "ASIA2");
  EXPECT_EQ(client_->requests.size(), 2u);
  // ...and an STS outage during a refresh keeps serving the one still valid.
  clock_.Advance(std::chrono::seconds(800));
  Answer(StsError(503, "Receiver", "ServiceUnavailable"));
  auto kept = provider->Issue(Request(std::chrono::seconds(900)));
  ASSERT_THAT(kept, IsOk());
  EXPECT_EQ(kept->aws.access_key_id, "ASIA2");
  EXPECT_EQ(client_->requests.size(), 3u);
  // Never an expired one: past it, the outage is the workload's error.
  clock_.Advance(std::chrono::seconds(100));
  EXPECT_THAT(provider->Issue(Request(std::chrono::seconds(900))),
              FailsWith("destination_unavailable"));
}

TEST_F(AwsStsTest, ExpirationIsRfc3339) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  // A fraction of a second is dropped: the credential expires no later than said.
  Answer(StsAnswer("ASIA1", In(std::chrono::seconds(3600)).substr(0, 19) + ".999Z"));
  auto credential = provider->Issue(Request());
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->expires_at, clock_.Now() + std::chrono::seconds(3600));
  // An offset is honoured (STS writes UTC, but RFC 3339 allows one).
  Answer(StsAnswer("ASIA1", In(std::chrono::seconds(7200)).substr(0, 19) + "+01:00"));
  IssueRequest offset = Request();
  offset.workload = "offset";
  auto shifted = provider->Issue(offset);
  ASSERT_THAT(shifted, IsOk());
  EXPECT_EQ(shifted->expires_at, clock_.Now() + std::chrono::seconds(3600));
  for (const char* expiration :
       {"", "tomorrow", "2027-01-15T08:00:00", "2027-01-15 08:00:00Z", "2027-13-15T08:00:00Z",
        "2027-02-30T08:00:00Z", "2027-01-15T08:00:00.Z", "2027-01-15T08:00:00.1xZ", "1800000000"}) {
    IssueRequest other = Request();
    other.workload = std::string("w") + std::to_string(client_->requests.size());
    Answer(StsAnswer("ASIA1", expiration));
    EXPECT_THAT(provider->Issue(other),
                FailsWithCode(ErrorCode::kServerError, "destination_answer_malformed"))
        << expiration;
  }
  // Already expired when it arrives.
  Answer(StsAnswer("ASIA1", In(std::chrono::seconds(-60))));
  IssueRequest late = Request();
  late.workload = "late";
  EXPECT_THAT(provider->Issue(late), FailsWith("destination_credential_expired"));
}

TEST_F(AwsStsTest, UpstreamFailuresBecomeClearErrors) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(Status(ErrorCode::kTemporarilyUnavailable, "fetch_timeout",
                "request to sts.eu-west-1.amazonaws.com timed out"));
  EXPECT_THAT(provider->Issue(Request()),
              FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"));

  // STS says "retry" with HTTP 400 for throttling and for not reaching Signet's JWKS.
  for (const char* code : {"Throttling", "IDPCommunicationError"}) {
    Answer(StsError(400, "Sender", code));
    auto busy = provider->Issue(Request());
    EXPECT_THAT(busy, FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"))
        << code;
    EXPECT_NE(busy.status().message().find("HTTP 400 " + std::string(code)), std::string::npos);
  }
  for (int status : {500, 503}) {
    Answer(StsError(status, "Receiver", "InternalFailure"));
    EXPECT_THAT(provider->Issue(Request()),
                FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"))
        << status;
  }

  for (const char* code : {"InvalidIdentityToken", "ExpiredTokenException", "IDPRejectedClaim",
                           "AccessDenied", "MalformedPolicyDocument", "PackedPolicyTooLarge",
                           "RegionDisabledException", "ValidationError"}) {
    Answer(StsError(code == std::string_view("AccessDenied") ? 403 : 400, "Sender", code));
    auto refused = provider->Issue(Request());
    EXPECT_THAT(refused, FailsWithCode(ErrorCode::kInvalidTarget, "destination_refused")) << code;
    EXPECT_NE(refused.status().message().find(code), std::string::npos);
    // STS's Message is not repeated: it may hold anything.
    EXPECT_EQ(refused.status().message().find("sk-secret-detail"), std::string::npos);
  }
  Answer(StsError(400, "Sender", "InvalidIdentityToken"));
  EXPECT_NE(provider->Issue(Request()).status().message().find("OIDC identity provider"),
            std::string::npos);
  // An error body that is not STS's: the status alone decides, no code is made up.
  Answer(Xml(400, "<html>Bad Request</html>"));
  auto bare = provider->Issue(Request());
  EXPECT_THAT(bare, FailsWithCode(ErrorCode::kInvalidTarget, "destination_refused"));
  EXPECT_NE(bare.status().message().find("(HTTP 400)"), std::string::npos);
  Answer(StsError(400, "Sender", "Not an identifier"));
  EXPECT_NE(provider->Issue(Request()).status().message().find("(HTTP 400)"), std::string::npos);

  for (const std::string& body :
       {std::string("not xml"), std::string("{\"Credentials\":{}}"), std::string("<a><b></a>"),
        CredentialsXml("<SessionToken>T</SessionToken>", "AssumeRoleResponse"),
        CredentialsXml("<SessionToken>T</SessionToken>", "AssumeRoleWithWebIdentityResponse", ""),
        CredentialsXml("<SessionToken>T</SessionToken>", "AssumeRoleWithWebIdentityResponse",
                       "https://sts.amazonaws.com/doc/2099-01-01/"),
        CredentialsXml(""), CredentialsXml("<SessionToken></SessionToken>"),
        CredentialsXml("<SessionToken><Part>T</Part></SessionToken>"),
        CredentialsXml("<SessionToken>T</SessionToken><AccessKeyId>B</AccessKeyId>"),
        StsError(200, "Sender", "AccessDenied").body}) {
    Answer(Xml(200, body));
    EXPECT_THAT(provider->Issue(Request()),
                FailsWithCode(ErrorCode::kServerError, "destination_answer_malformed"))
        << body;
  }
  for (int status : {201, 302}) {
    http::ClientResponse answer = StsAnswer("ASIA1", In(std::chrono::seconds(3600)));
    answer.status = status;
    Answer(answer);
    EXPECT_THAT(provider->Issue(Request()),
                FailsWithCode(ErrorCode::kServerError, "destination_answer_malformed"))
        << status;
  }
  // Nothing failed was cached: the next good answer is used at once.
  Answer(StsAnswer("ASIAGOOD", In(std::chrono::seconds(3600))));
  auto good = provider->Issue(Request());
  ASSERT_THAT(good, IsOk());
  EXPECT_EQ(good->aws.access_key_id, "ASIAGOOD");
}

// AWS credentials are no token: a request for any token type is refused.
TEST_F(AwsStsTest, IssuesNoTokenType) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  for (std::string_view type : {kAccessTokenType, kJwtTokenType}) {
    IssueRequest typed = Request();
    typed.requested_token_type = std::string(type);
    EXPECT_THAT(provider->Issue(typed), FailsWith("requested_token_type_unsupported"));
  }
  EXPECT_TRUE(client_->requests.empty());
}

TEST_F(AwsStsTest, SettingsAreChecked) {
  EXPECT_EQ(AwsStsKind().default_audience, "sts.amazonaws.com");
  auto with = [this](std::string_view name, std::string_view value) {
    Destination changed = destination_;
    changed.settings[std::string(name)] = std::string(value);
    return CreateProvider(changed, context_);
  };
  Destination missing = destination_;
  missing.settings.erase("role_arn");
  EXPECT_THAT(CreateProvider(missing, context_), FailsWith("destination_setting_missing"));
  EXPECT_THAT(with("audience", "x"), FailsWith("destination_setting_unknown"));
  for (const char* arn :
       {"", "billing-reader", "arn:aws:iam::12345:role/r", "arn:aws:iam::123456789012:user/alice",
        "arn:aws:s3:::bucket", "arn:aws:iam::123456789012:role/"}) {
    auto refused = with("role_arn", arn);
    EXPECT_THAT(refused, FailsWithCode(ErrorCode::kInvalidConfig, "destination_setting_invalid"))
        << arn;
    EXPECT_NE(refused.status().message().find("role_arn"), std::string::npos);
  }
  EXPECT_THAT(with("role_arn", "arn:aws-us-gov:iam::123456789012:role/r"), IsOk());
  for (const char* region : {"EU-WEST-1", "eu_west_1", "eu-west-1.evil.com/", "x"}) {
    EXPECT_THAT(with("region", region), FailsWith("destination_setting_invalid")) << region;
  }
  auto both = with("sts_url", "https://sts.eu-west-1.amazonaws.com");
  EXPECT_THAT(both, FailsWith("destination_setting_invalid"));
  EXPECT_NE(both.status().message().find("not both"), std::string::npos);
  destination_.settings.erase("region");
  EXPECT_THAT(with("sts_url", "http://sts.example.com"), FailsWith("destination_setting_invalid"));
  EXPECT_THAT(with("sts_url", "http://127.0.0.1:8443"), IsOk());  // a local stand-in
  for (const char* duration : {"899", "43201", "1h", "", "3600 "}) {
    EXPECT_THAT(with("max_session_duration", duration), FailsWith("destination_setting_invalid"))
        << duration;
  }
  EXPECT_THAT(with("session_name_prefix", "has space"), FailsWith("destination_setting_invalid"));
  EXPECT_THAT(with("session_name_prefix", std::string(33, 'p')),
              FailsWith("destination_setting_invalid"));
  EXPECT_THAT(with("ca_file", "/nonexistent/ca.pem"), FailsWith("destination_setting_invalid"));
  ProviderContext unsigned_context = context_;
  unsigned_context.signing_key = nullptr;
  EXPECT_THAT(CreateProvider(destination_, unsigned_context),
              FailsWith("provider_context_incomplete"));
}

}  // namespace
}  // namespace signet::credentials
