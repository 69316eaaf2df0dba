#include "credentials/providers/anthropic_wif/anthropic_wif.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "common/json.h"
#include "jose/jwt.h"
#include "support/calling_out_test.h"
#include "support/status_matchers.h"

namespace signet::credentials {
namespace {

using testing::FailsWith;
using testing::FailsWithCode;
using testing::HeaderOf;
using testing::IsOk;
using testing::JsonAnswer;

constexpr char kTokenUrl[] = "https://api.anthropic.example/v1/oauth/token";

class AnthropicWifTest : public testing::CallingOutTest {
 protected:
  AnthropicWifTest() {
    destination_.settings = {{"organization_id", "00000000-0000-4000-8000-000000000001"},
                             {"federation_rule_id", "fdrl_01"},
                             {"service_account_id", "svac_01"},
                             {"workspace_id", "wrkspc_01"},
                             {"base_url", "https://api.anthropic.example/"}};
  }

  std::unique_ptr<CredentialProvider> Provider() { return ProviderFor(destination_); }

  IssueRequest Request(std::chrono::seconds lifetime = std::chrono::seconds(3600)) {
    return CallingOutTest::Request(lifetime, {"workspace:inference"});
  }

  // What Anthropic's token endpoint answers from now on.
  void Answer(Result<http::ClientResponse> answer, const std::string& token_url = kTokenUrl) {
    client_->Set(token_url, std::move(answer));
  }

  Destination destination_{"claude", "anthropic-wif", "", {}};
};

TEST_F(AnthropicWifTest, TradesASignedAssertionAsAnthropicDocuments) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  EXPECT_TRUE(provider->CallsOut());
  Answer(JsonAnswer(200, R"({"access_token":"sk-ant-oat01-abc","token_type":"bearer",)"
                         R"("expires_in":600,"scope":"workspace:inference"})"));
  auto credential = provider->Issue(Request());
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->access_token, "sk-ant-oat01-abc");
  EXPECT_EQ(credential->token_type, "Bearer");
  EXPECT_EQ(credential->issued_token_type, kAccessTokenType);
  EXPECT_EQ(credential->expires_at, clock_.Now() + std::chrono::seconds(600));
  EXPECT_EQ(credential->scopes, std::vector<std::string>{"workspace:inference"});

  ASSERT_EQ(client_->requests.size(), 1u);
  const http::ClientRequest& sent = client_->requests[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "https://api.anthropic.example/v1/oauth/token");
  EXPECT_EQ(HeaderOf(sent, "Content-Type"), "application/json");
  EXPECT_EQ(HeaderOf(sent, "anthropic-beta"), "oauth-2025-04-20,oidc-federation-2026-04-01");
  auto body = ParseJsonObject(sent.body);
  ASSERT_THAT(body, IsOk());
  EXPECT_EQ(body->size(), 6u) << sent.body;
  EXPECT_EQ(body->at("grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
  EXPECT_EQ(body->at("federation_rule_id"), "fdrl_01");
  EXPECT_EQ(body->at("organization_id"), "00000000-0000-4000-8000-000000000001");
  EXPECT_EQ(body->at("service_account_id"), "svac_01");
  EXPECT_EQ(body->at("workspace_id"), "wrkspc_01");
  EXPECT_EQ(credential->jti.empty(), false);

  // The assertion verifies with Signet's public key under Anthropic's rules.
  auto assertion =
      VerifyAssertion(std::string(body->at("assertion").as_string()), "https://api.anthropic.com");
  ASSERT_THAT(assertion, IsOk());
  EXPECT_EQ(assertion->subject(), "spiffe://example.com/workload/billing");
  EXPECT_EQ(assertion->key_id(), "k1");
  EXPECT_EQ(assertion->jwt_id(), credential->jti);
  EXPECT_EQ(assertion->expires_at(), clock_.Now() + std::chrono::seconds(3600));
}

// A federation rule wider than the policy's grant is the destination's trust set-up
// outgrowing Signet's: refused, not handed out.
TEST_F(AnthropicWifTest, ARuleWiderThanTheGrantIsRefused) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(JsonAnswer(200, R"({"access_token":"sk-ant-oat01-abc","token_type":"bearer",)"
                         R"("expires_in":600,"scope":"workspace:developer"})"));
  EXPECT_THAT(provider->Issue(Request()),
              FailsWithCode(ErrorCode::kServerError, "destination_answer_malformed"));
}

TEST_F(AnthropicWifTest, WithoutAWorkspaceTheFieldIsLeftOut) {
  destination_.settings.erase("workspace_id");
  destination_.settings.erase("base_url");
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(JsonAnswer(200, R"({"access_token":"t","expires_in":60})"),
         "https://api.anthropic.com/v1/oauth/token");
  ASSERT_THAT(provider->Issue(Request()), IsOk());
  EXPECT_EQ(client_->requests[0].url, "https://api.anthropic.com/v1/oauth/token");
  EXPECT_FALSE(ParseJsonObject(client_->requests[0].body)->contains("workspace_id"));
}

TEST_F(AnthropicWifTest, ASecondRequestIsServedFromTheCache) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(JsonAnswer(200, R"({"access_token":"t1","expires_in":3600})"));
  ASSERT_THAT(provider->Issue(Request()), IsOk());
  clock_.Advance(std::chrono::minutes(10));
  auto again = provider->Issue(Request());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->access_token, "t1");
  EXPECT_EQ(client_->requests.size(), 1u);
  // Another workload is another credential.
  IssueRequest other = Request();
  other.workload = "reports";
  ASSERT_THAT(provider->Issue(other), IsOk());
  EXPECT_EQ(client_->requests.size(), 2u);
}

// The policy's lifetime bounds the expiry the workload is told, token cached or not.
TEST_F(AnthropicWifTest, ReportedExpiryIsCappedByTheGrantedLifetime) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(JsonAnswer(200, R"({"access_token":"t1","expires_in":3600})"));
  auto credential = provider->Issue(Request(std::chrono::seconds(300)));
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->expires_at, clock_.Now() + std::chrono::seconds(300));
  auto assertion = ParseJsonObject(client_->requests[0].body)->at("assertion").as_string();
  auto parsed = jose::ParseJwt(std::string(assertion));
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(
      parsed->claims.at("exp").to_number<int64_t>() - parsed->claims.at("iat").to_number<int64_t>(),
      300);
}

// Time spent waiting for a worker or for Anthropic does not lengthen the lifetime granted.
TEST_F(AnthropicWifTest, ExpiryCountsFromWhenTheLifetimeWasGranted) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(JsonAnswer(200, R"({"access_token":"t1","expires_in":3600})"));
  IssueRequest request = Request(std::chrono::seconds(300));
  clock_.Advance(std::chrono::seconds(20));  // granted 20 s ago
  auto credential = provider->Issue(request);
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->expires_at, request.decided_at + std::chrono::seconds(300));
}

TEST_F(AnthropicWifTest, UpstreamFailuresBecomeClearErrors) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(Status(ErrorCode::kTemporarilyUnavailable, "fetch_timeout",
                "request to api.anthropic.example timed out"));
  EXPECT_THAT(provider->Issue(Request()),
              FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"));

  Answer(JsonAnswer(503, R"({"type":"error","error":{"type":"overloaded_error"}})"));
  auto overloaded = provider->Issue(Request());
  EXPECT_THAT(overloaded,
              FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"));
  EXPECT_NE(overloaded.status().message().find("HTTP 503 overloaded_error"), std::string::npos);

  for (int status : {408, 429, 500, 529}) {
    Answer(JsonAnswer(status, "{}"));
    EXPECT_THAT(provider->Issue(Request()),
                FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"))
        << status;
  }
  for (int status : {201, 302}) {
    Answer(JsonAnswer(status, R"({"access_token":"t","expires_in":60})"));
    EXPECT_THAT(provider->Issue(Request()),
                FailsWithCode(ErrorCode::kServerError, "destination_answer_malformed"))
        << status;
  }

  Answer(JsonAnswer(400, R"({"error":"invalid_grant","error_description":"sub sk-secret"})"));
  auto refused = provider->Issue(Request());
  EXPECT_THAT(refused, FailsWithCode(ErrorCode::kInvalidTarget, "destination_refused"));
  EXPECT_NE(refused.status().message().find("HTTP 400 invalid_grant"), std::string::npos);
  // The destination's own text is not repeated: it may hold anything.
  EXPECT_EQ(refused.status().message().find("sk-secret"), std::string::npos);

  for (const char* body :
       {"not json", R"({"token_type":"bearer","expires_in":60})",
        R"({"access_token":"t","token_type":"mac","expires_in":60})", R"({"access_token":"t"})",
        R"({"access_token":"t","expires_in":-5})", R"({"access_token":"t","expires_in":1e308})",
        R"({"access_token":"","expires_in":60})"}) {
    Answer(JsonAnswer(200, body));
    EXPECT_THAT(provider->Issue(Request()),
                FailsWithCode(ErrorCode::kServerError, "destination_answer_malformed"))
        << body;
  }
  // Nothing failed was cached: the next good answer is used at once.
  Answer(JsonAnswer(200, R"({"access_token":"good","expires_in":60})"));
  auto good = provider->Issue(Request());
  ASSERT_THAT(good, IsOk());
  EXPECT_EQ(good->access_token, "good");
}

TEST_F(AnthropicWifTest, RefusesWhatItCannotIssue) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  IssueRequest jwt = Request();
  jwt.requested_token_type = std::string(kJwtTokenType);
  EXPECT_THAT(provider->Issue(jwt), FailsWith("requested_token_type_unsupported"));
  EXPECT_THAT(provider->Issue(Request(std::chrono::seconds(0))), FailsWith("lifetime_exhausted"));
  EXPECT_TRUE(client_->requests.empty());
}

TEST_F(AnthropicWifTest, SettingsAreChecked) {
  Destination missing = destination_;
  missing.settings.erase("federation_rule_id");
  EXPECT_THAT(CreateProvider(missing, context_), FailsWith("destination_setting_missing"));
  Destination unknown = destination_;
  unknown.settings["region"] = "eu";
  EXPECT_THAT(CreateProvider(unknown, context_), FailsWith("destination_setting_unknown"));
  Destination insecure = destination_;
  insecure.settings["base_url"] = "http://api.anthropic.example";
  EXPECT_THAT(CreateProvider(insecure, context_), FailsWith("destination_setting_invalid"));
  insecure.settings["base_url"] = "http://127.0.0.1:8443";  // a local stand-in
  EXPECT_THAT(CreateProvider(insecure, context_), IsOk());
  Destination no_ca = destination_;
  no_ca.settings["ca_file"] = "/nonexistent/ca.pem";
  EXPECT_THAT(CreateProvider(no_ca, context_), FailsWith("destination_setting_invalid"));
  // The kind's default audience fills in; signet-jwt has none to fill in.
  EXPECT_EQ(AnthropicWifKind().default_audience, "https://api.anthropic.com");
  EXPECT_THAT(CreateProvider({"orders", "signet-jwt", "", {}}, context_),
              FailsWith("destination_setting_missing"));
}

}  // namespace
}  // namespace signet::credentials
