#include "credentials/providers/oauth2_client_credentials/oauth2_client_credentials.h"

#include <gtest/gtest.h>

#include <map>

#include "jose/jwt.h"
#include "support/calling_out_test.h"
#include "support/form_fields.h"
#include "support/status_matchers.h"

namespace signet::credentials {
namespace {

using testing::FailsWith;
using testing::FailsWithCode;
using testing::FormFields;
using testing::HeaderOf;
using testing::IsOk;
using testing::JsonAnswer;

constexpr char kTokenUrl[] = "https://as.example/oauth2/token";

class OAuth2ClientCredentialsTest : public testing::CallingOutTest {
 protected:
  OAuth2ClientCredentialsTest() {
    vault_["orders-client-secret"] = "s3cr=t+/ x";
    destination_.settings = {{"token_url", kTokenUrl},
                             {"client_id", "app:1"},
                             {"client_secret", "orders-client-secret"},
                             {"resource", "https://orders.example/"},
                             {"scope", "orders.default"}};
  }

  std::unique_ptr<CredentialProvider> Provider() { return ProviderFor(destination_); }

  // A request of workload billing, granted `scopes` for `lifetime` now.
  IssueRequest Request(std::vector<std::string> scopes = {"orders.read", "orders.write"},
                       std::chrono::seconds lifetime = std::chrono::seconds(3600)) {
    return CallingOutTest::Request(lifetime, std::move(scopes));
  }

  // What the token endpoint answers from now on.
  void Answer(Result<http::ClientResponse> answer) { client_->Set(kTokenUrl, std::move(answer)); }

  Destination destination_{"orders", "oauth2-client-credentials", "", {}};
};

TEST_F(OAuth2ClientCredentialsTest, ClientSecretBasicAsRfc6749Documents) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  EXPECT_TRUE(provider->CallsOut());
  Answer(JsonAnswer(
      200,
      R"({"access_token":"at-1","token_type":"Bearer","expires_in":600,"scope":"orders.read"})"));
  auto credential = provider->Issue(Request());
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->access_token, "at-1");
  EXPECT_EQ(credential->token_type, "Bearer");
  EXPECT_EQ(credential->issued_token_type, kAccessTokenType);
  EXPECT_EQ(credential->headers, (std::vector<HttpHeader>{{"Authorization", "Bearer at-1"}}));
  EXPECT_EQ(credential->expires_at, clock_.Now() + std::chrono::seconds(600));
  EXPECT_EQ(credential->scopes, std::vector<std::string>{"orders.read"});
  EXPECT_TRUE(credential->jti.empty());

  ASSERT_EQ(client_->requests.size(), 1u);
  const http::ClientRequest& sent = client_->requests[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "https://as.example/oauth2/token");
  EXPECT_EQ(HeaderOf(sent, "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(HeaderOf(sent, "Accept"), "application/json");
  // base64("app%3A1:s3cr%3Dt%2B%2F%20x"): id and secret form-urlencoded, then joined.
  EXPECT_EQ(HeaderOf(sent, "Authorization"), "Basic YXBwJTNBMTpzM2NyJTNEdCUyQiUyRiUyMHg=");
  // The granted scopes win over the scope setting; the secret is not in the body.
  EXPECT_EQ(FormFields(sent.body),
            (std::map<std::string, std::string>{{"grant_type", "client_credentials"},
                                                {"scope", "orders.read orders.write"},
                                                {"resource", "https://orders.example/"}}));
}

TEST_F(OAuth2ClientCredentialsTest, ClientSecretPostSendsTheSecretInTheBody) {
  destination_.settings["auth_method"] = "client_secret_post";
  destination_.settings.erase("resource");
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(JsonAnswer(200, R"({"access_token":"at-1","expires_in":600})"));
  auto credential = provider->Issue(Request({}));
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->scopes, std::vector<std::string>{"orders.default"});  // as asked
  const http::ClientRequest& sent = client_->requests[0];
  EXPECT_EQ(HeaderOf(sent, "Authorization"), "");
  // No scope granted: the scope setting is asked for.
  EXPECT_EQ(FormFields(sent.body),
            (std::map<std::string, std::string>{{"grant_type", "client_credentials"},
                                                {"scope", "orders.default"},
                                                {"client_id", "app:1"},
                                                {"client_secret", "s3cr=t+/ x"}}));
}

TEST_F(OAuth2ClientCredentialsTest, WithoutAnyScopeTheFieldIsLeftOut) {
  destination_.settings.erase("scope");
  destination_.settings.erase("resource");
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(JsonAnswer(200, R"({"access_token":"at-1","expires_in":600})"));
  ASSERT_THAT(provider->Issue(Request({})), IsOk());
  EXPECT_EQ(FormFields(client_->requests[0].body),
            (std::map<std::string, std::string>{{"grant_type", "client_credentials"}}));
}

TEST_F(OAuth2ClientCredentialsTest, PrivateKeyJwtSignsAClientAssertionWithSignetsKey) {
  destination_.settings["auth_method"] = "private_key_jwt";
  destination_.settings.erase("client_secret");
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(JsonAnswer(200, R"({"access_token":"at-1","expires_in":600})"));
  auto credential = provider->Issue(Request());
  ASSERT_THAT(credential, IsOk());
  const http::ClientRequest& sent = client_->requests[0];
  EXPECT_EQ(HeaderOf(sent, "Authorization"), "");
  std::map<std::string, std::string> form = FormFields(sent.body);
  EXPECT_EQ(form.size(), 6u);
  EXPECT_EQ(form["grant_type"], "client_credentials");
  EXPECT_EQ(form["scope"], "orders.read orders.write");
  EXPECT_EQ(form["resource"], "https://orders.example/");
  EXPECT_EQ(form["client_id"], "app:1");
  EXPECT_EQ(form["client_assertion_type"],
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");

  // RFC 7523 §3: iss = sub = the client, aud = the token endpoint, short-lived, unique.
  auto assertion = VerifyAssertion(form["client_assertion"], kTokenUrl, "app:1");
  ASSERT_THAT(assertion, IsOk());
  EXPECT_EQ(assertion->subject(), "app:1");
  EXPECT_EQ(assertion->key_id(), "k1");
  EXPECT_EQ(assertion->jwt_id(), credential->jti);
  EXPECT_EQ(assertion->expires_at(), clock_.Now() + std::chrono::seconds(300));

  // An audience configured for the destination is the assertion's aud instead.
  destination_.audience = "https://as.example";
  auto named = Provider();
  ASSERT_NE(named, nullptr);
  Answer(JsonAnswer(200, R"({"access_token":"at-2","expires_in":600})"));
  ASSERT_THAT(named->Issue(Request()), IsOk());
  auto parsed = jose::ParseJwt(FormFields(client_->requests[0].body)["client_assertion"]);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->claims.at("aud"), "https://as.example");
}

// The secret is opened from the vault for each exchange: a missing one is an error
// naming it (never a request without it), a replaced one is used at the next fetch.
TEST_F(OAuth2ClientCredentialsTest, TheClientSecretComesFromTheVault) {
  vault_.clear();
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  auto missing = provider->Issue(Request());
  EXPECT_THAT(missing, FailsWithCode(ErrorCode::kServerError, "destination_secret_unavailable"));
  EXPECT_NE(missing.status().message().find("orders-client-secret"), std::string::npos);
  EXPECT_NE(missing.status().message().find("signet secret put"), std::string::npos);
  EXPECT_TRUE(client_->requests.empty());

  vault_["orders-client-secret"] = "second";
  Answer(JsonAnswer(200, R"({"access_token":"at-1","expires_in":600})"));
  ASSERT_THAT(provider->Issue(Request()), IsOk());
  EXPECT_EQ(HeaderOf(client_->requests[0], "Authorization"), "Basic YXBwJTNBMTpzZWNvbmQ=");
}

TEST_F(OAuth2ClientCredentialsTest, CachedThenRefreshedAheadOfExpiry) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(JsonAnswer(200, R"({"access_token":"at-1","expires_in":600})"));
  ASSERT_THAT(provider->Issue(Request()), IsOk());
  clock_.Advance(std::chrono::seconds(400));
  auto cached = provider->Issue(Request());
  ASSERT_THAT(cached, IsOk());
  EXPECT_EQ(cached->access_token, "at-1");
  EXPECT_EQ(client_->requests.size(), 1u);
  // Other scopes are another credential.
  ASSERT_THAT(provider->Issue(Request({"orders.read"})), IsOk());
  EXPECT_EQ(client_->requests.size(), 2u);

  // Inside the refresh window (the last 120 s) the next request fetches anew.
  clock_.Advance(std::chrono::seconds(100));
  Answer(JsonAnswer(200, R"({"access_token":"at-2","expires_in":600})"));
  auto refreshed = provider->Issue(Request());
  ASSERT_THAT(refreshed, IsOk());
  EXPECT_EQ(refreshed->access_token, "at-2");
  EXPECT_EQ(client_->requests.size(), 3u);
}

TEST_F(OAuth2ClientCredentialsTest, ReportedExpiryIsCappedByTheGrantedLifetime) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(JsonAnswer(200, R"({"access_token":"at-1","expires_in":3600})"));
  IssueRequest request = Request({"orders.read", "orders.write"}, std::chrono::seconds(300));
  clock_.Advance(std::chrono::seconds(20));  // granted 20 s ago
  auto credential = provider->Issue(request);
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->expires_at, request.decided_at + std::chrono::seconds(300));
}

TEST_F(OAuth2ClientCredentialsTest, UpstreamFailuresBecomeClearErrors) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(Status(ErrorCode::kTemporarilyUnavailable, "fetch_timeout",
                "request to as.example timed out"));
  EXPECT_THAT(provider->Issue(Request()),
              FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"));
  for (int status : {408, 429, 500, 503}) {
    Answer(JsonAnswer(status, R"({"error":"temporarily_unavailable"})"));
    EXPECT_THAT(provider->Issue(Request()),
                FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"))
        << status;
  }
  Answer(JsonAnswer(
      401, R"({"error":"invalid_client","error_description":"secret s3cr=t+/ x is wrong"})"));
  auto refused = provider->Issue(Request());
  EXPECT_THAT(refused, FailsWithCode(ErrorCode::kInvalidTarget, "destination_refused"));
  EXPECT_NE(refused.status().message().find("HTTP 401 invalid_client"), std::string::npos);
  EXPECT_EQ(refused.status().message().find("s3cr"), std::string::npos);
  Answer(JsonAnswer(400, R"({"error":"invalid scope, see docs"})"));
  auto odd = provider->Issue(Request());
  EXPECT_THAT(odd, FailsWithCode(ErrorCode::kInvalidTarget, "destination_refused"));
  EXPECT_EQ(odd.status().message().find("see docs"), std::string::npos);

  for (const char* body : {"<html>", R"({"token_type":"bearer","expires_in":60})",
                           R"({"access_token":"t","token_type":"N_A","expires_in":60})",
                           R"({"access_token":"t"})", R"({"access_token":"t","expires_in":0})"}) {
    Answer(JsonAnswer(200, body));
    EXPECT_THAT(provider->Issue(Request()),
                FailsWithCode(ErrorCode::kServerError, "destination_answer_malformed"))
        << body;
  }
  // Nothing failed was cached.
  Answer(JsonAnswer(200, R"({"access_token":"good","expires_in":600})"));
  auto good = provider->Issue(Request());
  ASSERT_THAT(good, IsOk());
  EXPECT_EQ(good->access_token, "good");
}

TEST_F(OAuth2ClientCredentialsTest, SettingsAreChecked) {
  auto refused = [this](std::map<std::string, std::string> changes, std::string_view reason,
                        std::string_view audience = "") {
    Destination changed = destination_;
    changed.audience = audience;
    for (auto& [name, value] : changes) {
      if (value.empty()) {
        changed.settings.erase(name);
      } else {
        changed.settings[name] = value;
      }
    }
    auto provider = CreateProvider(changed, context_);
    EXPECT_THAT(provider, FailsWithCode(ErrorCode::kInvalidConfig, reason));
    return provider.ok() ? std::string() : provider.status().message();
  };
  refused({{"token_url", ""}}, "destination_setting_missing");
  refused({{"client_id", ""}}, "destination_setting_missing");
  refused({{"token_url", "http://as.example/token"}}, "destination_setting_invalid");
  EXPECT_NE(refused({{"auth_method", "tls_client_auth"}}, "destination_setting_invalid")
                .find("client_secret_basic, client_secret_post, private_key_jwt"),
            std::string::npos);
  EXPECT_NE(
      refused({{"client_secret", ""}}, "destination_setting_missing").find("signet secret put"),
      std::string::npos);
  refused({{"auth_method", "private_key_jwt"}}, "destination_setting_invalid");
  refused({}, "destination_setting_invalid", "https://as.example");  // no assertion to aim
  refused({{"region", "eu"}}, "destination_setting_unknown");
  refused({{"ca_file", "/nonexistent/ca.pem"}}, "destination_setting_invalid");

  ProviderContext no_vault = context_;
  no_vault.secrets = nullptr;
  EXPECT_THAT(CreateProvider(destination_, no_vault), FailsWith("provider_context_incomplete"));
  destination_.settings["token_url"] = "http://127.0.0.1:8443/token";  // a local stand-in
  EXPECT_THAT(CreateProvider(destination_, context_), IsOk());
  // The audience is the private_key_jwt assertion's; a client secret signs nothing.
  Destination keyed = destination_;
  keyed.settings["auth_method"] = "private_key_jwt";
  EXPECT_EQ(DefaultAudience(OAuth2ClientCredentialsKind(), keyed), "http://127.0.0.1:8443/token");
  keyed.settings["auth_method"] = "client_secret_post";
  EXPECT_EQ(DefaultAudience(OAuth2ClientCredentialsKind(), keyed), "");
}

}  // namespace
}  // namespace signet::credentials
