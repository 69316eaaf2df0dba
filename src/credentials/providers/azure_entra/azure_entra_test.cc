#include "credentials/providers/azure_entra/azure_entra.h"

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
using testing::IsOk;
using testing::JsonAnswer;

constexpr std::string_view kTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr std::string_view kClient = "6f3a1c2e-0b7d-4e55-9a51-3c1f0d2b8e94";

class AzureEntraTest : public testing::CallingOutTest {
 protected:
  AzureEntraTest() {
    destination_.settings = {{"tenant_id", std::string(kTenant)},
                             {"client_id", std::string(kClient)}};
  }

  std::unique_ptr<CredentialProvider> Provider() { return ProviderFor(destination_); }

  // A request of workload billing, granted `scopes` for `lifetime` now.
  IssueRequest Request(std::vector<std::string> scopes = {"https://vault.azure.net/.default"},
                       std::chrono::seconds lifetime = std::chrono::seconds(3600)) {
    return CallingOutTest::Request(lifetime, std::move(scopes));
  }

  // What Entra's token endpoint for the tenant answers from now on.
  void Answer(Result<http::ClientResponse> answer,
              const std::string& token_url = "https://login.microsoftonline.com/" +
                                             std::string(kTenant) + "/oauth2/v2.0/token") {
    client_->Set(token_url, std::move(answer));
  }

  Destination destination_{"keyvault", "azure-entra", "", {}};
};

TEST_F(AzureEntraTest, TradesASignedAssertionAsEntraDocuments) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  EXPECT_TRUE(provider->CallsOut());
  Answer(JsonAnswer(
      200,
      R"({"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0.entra"})"));
  auto credential = provider->Issue(Request());
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->access_token, "eyJ0.entra");
  EXPECT_EQ(credential->token_type, "Bearer");
  EXPECT_EQ(credential->expires_at, clock_.Now() + std::chrono::seconds(3599));
  EXPECT_EQ(credential->scopes, std::vector<std::string>{"https://vault.azure.net/.default"});

  ASSERT_EQ(client_->requests.size(), 1u);
  const http::ClientRequest& sent = client_->requests[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url,
            "https://login.microsoftonline.com/" + std::string(kTenant) + "/oauth2/v2.0/token");
  EXPECT_EQ(testing::HeaderOf(sent, "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(testing::HeaderOf(sent, "Authorization"), "");
  std::map<std::string, std::string> form = FormFields(sent.body);
  EXPECT_EQ(form.size(), 5u);
  EXPECT_EQ(form["grant_type"], "client_credentials");
  EXPECT_EQ(form["scope"], "https://vault.azure.net/.default");
  EXPECT_EQ(form["client_id"], kClient);
  EXPECT_EQ(form["client_assertion_type"],
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");

  // The federated identity credential's issuer, subject and audience.
  auto assertion = VerifyAssertion(form["client_assertion"], "api://AzureADTokenExchange");
  ASSERT_THAT(assertion, IsOk());
  EXPECT_EQ(assertion->subject(), "spiffe://example.com/workload/billing");
  EXPECT_EQ(assertion->key_id(), "k1");
  EXPECT_EQ(assertion->jwt_id(), credential->jti);
  // Only for the exchange: Entra's token lives by its own policy.
  EXPECT_EQ(assertion->expires_at(), clock_.Now() + std::chrono::seconds(300));
}

TEST_F(AzureEntraTest, AuthorityTenantDomainAndScopeSetting) {
  destination_.settings["authority"] = "https://login.microsoftonline.us/";
  destination_.settings["tenant_id"] = "contoso.onmicrosoft.com";
  destination_.settings["scope"] = "https://graph.microsoft.com/.default";
  destination_.audience = "api://AzureADTokenExchangeUSGov";
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(JsonAnswer(200, R"({"access_token":"t","expires_in":3599})"),
         "https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token");
  auto credential = provider->Issue(Request({}));
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->scopes, std::vector<std::string>{"https://graph.microsoft.com/.default"});
  const http::ClientRequest& sent = client_->requests[0];
  EXPECT_EQ(sent.url, "https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token");
  std::map<std::string, std::string> form = FormFields(sent.body);
  EXPECT_EQ(form["scope"], "https://graph.microsoft.com/.default");
  auto parsed = jose::ParseJwt(form["client_assertion"]);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->claims.at("aud"), "api://AzureADTokenExchangeUSGov");
}

// Entra takes one <resource>/.default scope per client credentials request.
TEST_F(AzureEntraTest, ScopeMustBeOneResourceDefault) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  EXPECT_THAT(provider->Issue(Request({})),
              FailsWithCode(ErrorCode::kInvalidScope, "scope_invalid"));
  EXPECT_THAT(provider->Issue(Request({"https://a/.default", "https://b/.default"})),
              FailsWithCode(ErrorCode::kInvalidScope, "scope_invalid"));
  EXPECT_THAT(provider->Issue(Request({"User.Read"})),
              FailsWithCode(ErrorCode::kInvalidScope, "scope_invalid"));
  EXPECT_TRUE(client_->requests.empty());
}

TEST_F(AzureEntraTest, CachedThenRefreshedAheadOfExpiryAndCapped) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(JsonAnswer(200, R"({"access_token":"t1","expires_in":3599})"));
  auto first =
      provider->Issue(Request({"https://vault.azure.net/.default"}, std::chrono::seconds(600)));
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->expires_at, clock_.Now() + std::chrono::seconds(600));
  clock_.Advance(std::chrono::seconds(3400));
  ASSERT_THAT(provider->Issue(Request()), IsOk());
  EXPECT_EQ(client_->requests.size(), 1u);
  clock_.Advance(std::chrono::seconds(100));  // 99 s left: refresh
  Answer(JsonAnswer(200, R"({"access_token":"t2","expires_in":3599})"));
  auto refreshed = provider->Issue(Request());
  ASSERT_THAT(refreshed, IsOk());
  EXPECT_EQ(refreshed->access_token, "t2");
  EXPECT_EQ(client_->requests.size(), 2u);
}

TEST_F(AzureEntraTest, EntraErrorsRepeatOnlyTheErrorAndItsAadstsCode) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(JsonAnswer(
      400,
      R"({"error":"invalid_client","error_description":"AADSTS700213: No matching federated )"
      R"(identity record found for presented assertion subject 'spiffe://x'. Trace ID: abc",)"
      R"("error_codes":[700213],"timestamp":"2026-11-29 13:00:00Z","trace_id":"abc",)"
      R"("correlation_id":"def","error_uri":"https://login.microsoftonline.com/error?code=700213"})"));
  auto refused = provider->Issue(Request());
  EXPECT_THAT(refused, FailsWithCode(ErrorCode::kInvalidTarget, "destination_refused"));
  const std::string& message = refused.status().message();
  EXPECT_NE(message.find("HTTP 400 invalid_client AADSTS700213"), std::string::npos) << message;
  EXPECT_NE(message.find("federated identity credential"), std::string::npos) << message;
  EXPECT_EQ(message.find("No matching"), std::string::npos) << message;
  EXPECT_EQ(message.find("abc"), std::string::npos) << message;

  Answer(JsonAnswer(503,
                    R"({"error":"temporarily_unavailable","error_codes":[50196],"trace_id":"t"})"));
  auto unavailable = provider->Issue(Request());
  EXPECT_THAT(unavailable,
              FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"));
  EXPECT_NE(unavailable.status().message().find("temporarily_unavailable AADSTS50196"),
            std::string::npos);
  Answer(Status(ErrorCode::kTemporarilyUnavailable, "fetch_failed", "connect to login failed"));
  EXPECT_THAT(provider->Issue(Request()), FailsWith("destination_unavailable"));
  Answer(JsonAnswer(200, R"({"token_type":"Bearer","expires_in":3599})"));
  EXPECT_THAT(provider->Issue(Request()), FailsWith("destination_answer_malformed"));
}

TEST_F(AzureEntraTest, SettingsAreChecked) {
  auto refused = [this](std::string name, std::string value, std::string_view reason) {
    Destination changed = destination_;
    if (value.empty()) {
      changed.settings.erase(name);
    } else {
      changed.settings[name] = value;
    }
    EXPECT_THAT(CreateProvider(changed, context_), FailsWithCode(ErrorCode::kInvalidConfig, reason))
        << name << "=" << value;
  };
  refused("tenant_id", "", "destination_setting_missing");
  refused("client_id", "", "destination_setting_missing");
  refused("tenant_id", "common", "destination_setting_invalid");  // needs one tenant
  refused("tenant_id", "72f988bf-86f1-41af-91ab", "destination_setting_invalid");
  refused("tenant_id", "contoso..com", "destination_setting_invalid");
  refused("client_id", "my-app", "destination_setting_invalid");
  refused("scope", "https://graph.microsoft.com/User.Read", "destination_setting_invalid");
  refused("authority", "http://login.microsoftonline.com", "destination_setting_invalid");
  refused("client_secret", "x", "destination_setting_unknown");
  EXPECT_EQ(AzureEntraKind().default_audience, "api://AzureADTokenExchange");
}

}  // namespace
}  // namespace signet::credentials
