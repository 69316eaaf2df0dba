#include "credentials/providers/rfc8693/rfc8693.h"

#include <gtest/gtest.h>

#include "http/form.h"
#include "support/calling_out_test.h"
#include "support/status_matchers.h"
#include "support/token_exchange_form.h"

namespace signet::credentials {
namespace {

using testing::FailsWith;
using testing::FailsWithCode;
using testing::IsOk;
using testing::JsonAnswer;

constexpr char kTokenUrl[] = "https://sts.example.com/oauth2/token";

using Form = testing::FormFields;

class Rfc8693Test : public testing::CallingOutTest {
 protected:
  Rfc8693Test() {
    destination_.settings = {{"token_url", kTokenUrl},
                             {"exchange_audience", "urn:example:orders"},
                             {"resource", "https://orders.example.com/"},
                             {"client_id", "signet-client"},
                             {"client_secret", "sts-client-secret"}};
    vault_["sts-client-secret"] = "s3cr:et";
  }

  std::unique_ptr<CredentialProvider> Provider() { return ProviderFor(destination_); }

  void Answer(std::string token, int expires_in) {
    client_->Set(
        kTokenUrl,
        JsonAnswer(200,
                   R"({"access_token":")" + token +
                       R"(","issued_token_type":"urn:ietf:params:oauth:token-type:access_token",)"
                       R"("token_type":"Bearer","expires_in":)" +
                       std::to_string(expires_in) + "}"));
  }

  Form SentForm(size_t i) { return http::ParseForm(client_->requests.at(i).body).value(); }

  Destination destination_{"orders-sts", "rfc8693", "https://sts.example.com", {}};
};

TEST_F(Rfc8693Test, ExchangesASignedAssertionAsRfc8693Says) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  EXPECT_TRUE(provider->CallsOut());
  client_->Set(
      kTokenUrl,
      JsonAnswer(200, R"({"access_token":"sts-token-1",)"
                      R"("issued_token_type":"urn:ietf:params:oauth:token-type:access_token",)"
                      R"("token_type":"Bearer","expires_in":600,"scope":"orders:read"})"));
  auto credential = provider->Issue(Request(std::chrono::seconds(3600), {"orders:read", "x"}));
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->form, CredentialForm::kToken);
  EXPECT_EQ(credential->access_token, "sts-token-1");
  EXPECT_EQ(credential->token_type, "Bearer");
  EXPECT_EQ(credential->issued_token_type, kAccessTokenType);
  EXPECT_EQ(credential->headers,
            (std::vector<HttpHeader>{{"Authorization", "Bearer sts-token-1"}}));
  EXPECT_EQ(credential->expires_at, clock_.Now() + std::chrono::seconds(600));
  EXPECT_EQ(credential->scopes, std::vector<std::string>{"orders:read"});

  ASSERT_EQ(client_->requests.size(), 1u);
  const http::ClientRequest& sent = client_->requests[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, kTokenUrl);
  EXPECT_EQ(testing::HeaderOf(sent, "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(testing::HeaderOf(sent, "Accept"), "application/json");
  // RFC 6749 §2.3.1: base64("signet-client:s3cr%3Aet"), the secret form-encoded first.
  EXPECT_EQ(testing::HeaderOf(sent, "Authorization"), "Basic c2lnbmV0LWNsaWVudDpzM2NyJTNBZXQ=");
  Form form = SentForm(0);
  std::string subject_token =
      testing::ExpectTokenExchange(form, {{"audience", "urn:example:orders"},
                                          {"resource", "https://orders.example.com/"},
                                          {"scope", "orders:read x"}});

  // The subject token is Signet's assertion for the destination's audience.
  auto assertion = VerifyAssertion(subject_token, "https://sts.example.com");
  ASSERT_THAT(assertion, IsOk());
  EXPECT_EQ(assertion->subject(), "spiffe://example.com/workload/billing");
  EXPECT_EQ(assertion->key_id(), "k1");
  EXPECT_EQ(assertion->jwt_id(), credential->jti);
  EXPECT_EQ(assertion->expires_at(), clock_.Now() + std::chrono::seconds(3600));
}

TEST_F(Rfc8693Test, OptionalFieldsAreLeftOutWhenNotConfigured) {
  destination_.settings = {{"token_url", kTokenUrl}};
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer("t", 600);
  ASSERT_THAT(provider->Issue(Request()), IsOk());
  // No scope granted, no resource, no client: the audience defaults to the destination's.
  Form form = SentForm(0);
  ASSERT_EQ(form.size(), 5u) << client_->requests[0].body;
  EXPECT_EQ(form[4], (std::pair<std::string, std::string>{"audience", "https://sts.example.com"}));
  EXPECT_EQ(testing::HeaderOf(client_->requests[0], "Authorization"), "");

  // An exchange_audience set empty sends no audience (for an STS that takes resource only).
  destination_.settings["exchange_audience"] = "";
  provider = Provider();
  Answer("t", 600);
  ASSERT_THAT(provider->Issue(Request()), IsOk());
  EXPECT_EQ(SentForm(0).size(), 4u);
}

TEST_F(Rfc8693Test, CachedThenRefreshedAheadOfExpiry) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer("t1", 600);
  ASSERT_THAT(provider->Issue(Request()), IsOk());
  clock_.Advance(std::chrono::seconds(400));
  Answer("t2", 600);
  auto cached = provider->Issue(Request());
  ASSERT_THAT(cached, IsOk());
  EXPECT_EQ(cached->access_token, "t1");
  EXPECT_EQ(client_->requests.size(), 1u);
  // Within two minutes of t1's expiry the next request fetches t2.
  clock_.Advance(std::chrono::seconds(90));
  auto refreshed = provider->Issue(Request());
  ASSERT_THAT(refreshed, IsOk());
  EXPECT_EQ(refreshed->access_token, "t2");
  EXPECT_EQ(client_->requests.size(), 2u);
  // Other scopes are another credential.
  ASSERT_THAT(provider->Issue(Request(std::chrono::seconds(3600), {"orders:write"})), IsOk());
  EXPECT_EQ(client_->requests.size(), 3u);
}

TEST_F(Rfc8693Test, ReportedExpiryIsCappedByTheGrantedLifetime) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer("t1", 3600);
  IssueRequest request = Request(std::chrono::seconds(300));
  clock_.Advance(std::chrono::seconds(20));  // granted 20 s ago
  auto credential = provider->Issue(request);
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->expires_at, request.decided_at + std::chrono::seconds(300));
}

TEST_F(Rfc8693Test, UpstreamFailuresBecomeClearErrors) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  client_->Set(kTokenUrl, Status(ErrorCode::kTemporarilyUnavailable, "fetch_timeout",
                                 "sts.example.com timed out"));
  EXPECT_THAT(provider->Issue(Request()),
              FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"));
  for (int status : {408, 429, 500, 503}) {
    client_->Set(kTokenUrl, JsonAnswer(status, R"({"error":"temporarily_unavailable"})"));
    EXPECT_THAT(provider->Issue(Request()),
                FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"))
        << status;
  }
  for (const char* code : {"invalid_request", "invalid_client", "invalid_target"}) {
    client_->Set(kTokenUrl, JsonAnswer(400, std::string(R"({"error":")") + code +
                                                R"(","error_description":"sub sts-private"})"));
    auto refused = provider->Issue(Request());
    EXPECT_THAT(refused, FailsWithCode(ErrorCode::kInvalidTarget, "destination_refused"));
    EXPECT_NE(refused.status().message().find(std::string("HTTP 400 ") + code), std::string::npos);
    EXPECT_EQ(refused.status().message().find("sts-private"), std::string::npos);
  }
  client_->Set(kTokenUrl, JsonAnswer(302, ""));
  EXPECT_THAT(provider->Issue(Request()),
              FailsWithCode(ErrorCode::kServerError, "destination_answer_malformed"));
  constexpr char kType[] = R"("issued_token_type":"urn:ietf:params:oauth:token-type:access_token")";
  for (std::string body :
       {std::string("not json"), std::string(R"({"access_token":"t","expires_in":60})"),
        R"({"access_token":"t","expires_in":60,"issued_token_type":")" +
            std::string(kJwtTokenType) + R"("})",
        R"({"expires_in":60,)" + std::string(kType) + "}",
        R"({"access_token":"t","token_type":"N_A","expires_in":60,)" + std::string(kType) + "}",
        R"({"access_token":"t",)" + std::string(kType) + "}"}) {
    client_->Set(kTokenUrl, JsonAnswer(200, body));
    EXPECT_THAT(provider->Issue(Request()),
                FailsWithCode(ErrorCode::kServerError, "destination_answer_malformed"))
        << body;
  }
  // A vault without the client secret: nothing is sent.
  size_t sent = client_->requests.size();
  vault_.clear();
  auto no_secret = provider->Issue(Request());
  EXPECT_THAT(no_secret, FailsWithCode(ErrorCode::kServerError, "destination_secret_unavailable"));
  EXPECT_NE(no_secret.status().message().find("sts-client-secret"), std::string::npos);
  EXPECT_EQ(client_->requests.size(), sent);
}

TEST_F(Rfc8693Test, IssuesTheConfiguredTokenTypeOnly) {
  destination_.settings["requested_token_type"] = std::string(kJwtTokenType);
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  IssueRequest access_token = Request();
  access_token.requested_token_type = std::string(kAccessTokenType);
  EXPECT_THAT(provider->Issue(access_token), FailsWith("requested_token_type_unsupported"));
  EXPECT_TRUE(client_->requests.empty());
  client_->Set(kTokenUrl, JsonAnswer(200, R"({"access_token":"eyJ.a.b","issued_token_type":")" +
                                              std::string(kJwtTokenType) +
                                              R"(","token_type":"Bearer","expires_in":600})"));
  IssueRequest jwt = Request();
  jwt.requested_token_type = std::string(kJwtTokenType);
  auto credential = provider->Issue(jwt);
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->issued_token_type, kJwtTokenType);
  EXPECT_EQ(SentForm(0)[3].second, kJwtTokenType);
}

TEST_F(Rfc8693Test, SettingsAreChecked) {
  auto refused = [this](const Destination& destination, std::string_view reason) {
    auto provider = CreateProvider(destination, context_);
    EXPECT_THAT(provider, FailsWithCode(ErrorCode::kInvalidConfig, std::string(reason)));
    return provider.ok() ? std::string() : provider.status().message();
  };
  Destination no_url = destination_;
  no_url.settings.erase("token_url");
  refused(no_url, "destination_setting_missing");
  Destination no_audience = destination_;
  no_audience.audience = "";
  EXPECT_NE(refused(no_audience, "destination_setting_missing").find("requires an audience"),
            std::string::npos);
  Destination insecure = destination_;
  insecure.settings["token_url"] = "http://sts.example.com/token";
  refused(insecure, "destination_setting_invalid");
  Destination half_client = destination_;
  half_client.settings.erase("client_secret");
  EXPECT_NE(refused(half_client, "destination_setting_invalid").find("client_id and client_secret"),
            std::string::npos);
  Destination bad_type = destination_;
  bad_type.settings["requested_token_type"] = "jwt";
  EXPECT_NE(refused(bad_type, "destination_setting_invalid").find("token type URI"),
            std::string::npos);
  Destination unknown = destination_;
  unknown.settings["client_assertion"] = "x";
  refused(unknown, "destination_setting_unknown");
  ProviderContext no_vault = context_;
  no_vault.secrets = nullptr;
  EXPECT_THAT(CreateProvider(destination_, no_vault), FailsWith("provider_context_incomplete"));
  Destination ca = destination_;
  ca.settings["ca_file"] = "/nonexistent/ca.pem";
  refused(ca, "destination_setting_invalid");
}

}  // namespace
}  // namespace signet::credentials
