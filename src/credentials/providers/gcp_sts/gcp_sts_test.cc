#include "credentials/providers/gcp_sts/gcp_sts.h"

#include <gtest/gtest.h>

#include "common/json.h"
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

constexpr char kStsUrl[] = "https://sts.googleapis.com/v1/token";
constexpr char kImpersonateUrl[] =
    "https://iam.example.com/v1/projects/-/serviceAccounts/"
    "reader@my-project.iam.gserviceaccount.com:generateAccessToken";
constexpr char kPoolProvider[] =
    "iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/"
    "signet-pool/providers/signet";

using Field = std::pair<std::string, std::string>;

class GcpStsTest : public testing::CallingOutTest {
 protected:
  GcpStsTest() {
    destination_.settings = {
        {"project_number", "123456789012"}, {"pool_id", "signet-pool"}, {"provider_id", "signet"}};
  }

  std::unique_ptr<CredentialProvider> Provider() { return ProviderFor(destination_); }

  void Impersonating() {
    destination_.settings["service_account"] = "reader@my-project.iam.gserviceaccount.com";
    destination_.settings["iam_credentials_url"] = "https://iam.example.com/";
  }

  void FederatedAnswer(std::string token) {
    client_->Set(kStsUrl,
                 JsonAnswer(200, R"({"access_token":")" + token +
                                     R"(","issued_token_type":"urn:ietf:params:oauth:token-type:)"
                                     R"(access_token","token_type":"Bearer","expires_in":3599})"));
  }

  void ServiceAccountAnswer(std::string token, std::string expire_time) {
    client_->Set(kImpersonateUrl, JsonAnswer(200, R"({"accessToken":")" + token +
                                                      R"(","expireTime":")" + expire_time + "\"}"));
  }

  Destination destination_{"gcp", "gcp-sts", "", {}};
};

TEST_F(GcpStsTest, ExchangesAtGoogleStsAsDocumented) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  EXPECT_TRUE(provider->CallsOut());
  FederatedAnswer("ya29.federated");
  auto credential = provider->Issue(Request());
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->access_token, "ya29.federated");
  EXPECT_EQ(credential->token_type, "Bearer");
  EXPECT_EQ(credential->issued_token_type, kAccessTokenType);
  EXPECT_EQ(credential->expires_at, clock_.Now() + std::chrono::seconds(3599));
  EXPECT_EQ(credential->scopes,
            std::vector<std::string>{"https://www.googleapis.com/auth/cloud-platform"});

  ASSERT_EQ(client_->requests.size(), 1u);
  const http::ClientRequest& sent = client_->requests[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, kStsUrl);
  EXPECT_EQ(testing::HeaderOf(sent, "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(testing::HeaderOf(sent, "Authorization"), "");
  auto form = http::ParseForm(sent.body);
  ASSERT_THAT(form, IsOk());
  std::string subject_token = testing::ExpectTokenExchange(
      *form, {{"audience", std::string("//") + kPoolProvider},
              {"scope", "https://www.googleapis.com/auth/cloud-platform"}});

  // The subject token: Signet's assertion with the audience a pool provider accepts.
  auto assertion = VerifyAssertion(subject_token, std::string("https://") + kPoolProvider);
  ASSERT_THAT(assertion, IsOk());
  EXPECT_EQ(assertion->subject(), "spiffe://example.com/workload/billing");
  EXPECT_EQ(assertion->jwt_id(), credential->jti);
  EXPECT_EQ(assertion->expires_at(), clock_.Now() + std::chrono::seconds(3600));
}

TEST_F(GcpStsTest, GrantedScopesAndAConfiguredAudienceAreUsed) {
  destination_.audience = "https://signet.example.com/gcp";
  destination_.settings["token_url"] = "https://sts.example.com/v1/token";
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  client_->Set("https://sts.example.com/v1/token",
               JsonAnswer(200, R"({"access_token":"t","issued_token_type":")" +
                                   std::string(kAccessTokenType) + R"(","expires_in":600})"));
  auto credential = provider->Issue(Request(
      std::chrono::seconds(3600), {"https://www.googleapis.com/auth/devstorage.read_only"}));
  ASSERT_THAT(credential, IsOk());
  auto form = http::ParseForm(client_->requests[0].body);
  EXPECT_EQ((*form)[5], (Field{"scope", "https://www.googleapis.com/auth/devstorage.read_only"}));
  EXPECT_THAT(VerifyAssertion((*form)[1].second, "https://signet.example.com/gcp"), IsOk());
}

TEST_F(GcpStsTest, ImpersonatesTheServiceAccountWithTheFederatedToken) {
  Impersonating();
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  FederatedAnswer("ya29.federated");
  ServiceAccountAnswer("ya29.service-account",
                       FormatUtcSeconds(clock_.Now() + std::chrono::seconds(1800)));
  auto credential = provider->Issue(Request(std::chrono::seconds(900), {"a", "b"}));
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->access_token, "ya29.service-account");
  EXPECT_EQ(credential->expires_at, clock_.Now() + std::chrono::seconds(900));
  EXPECT_EQ(credential->scopes, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(client_->requests.size(), 2u);
  const http::ClientRequest& sent = client_->requests[1];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, kImpersonateUrl);
  EXPECT_EQ(testing::HeaderOf(sent, "Authorization"), "Bearer ya29.federated");
  EXPECT_EQ(testing::HeaderOf(sent, "Content-Type"), "application/json");
  auto body = ParseJsonObject(sent.body);
  ASSERT_THAT(body, IsOk());
  EXPECT_EQ(*body,
            (boost::json::object{{"scope", boost::json::array{"a", "b"}}, {"lifetime", "900s"}}));

  // A longer grant asks for Google's default maximum, no more; the token's own expiry is
  // what Google said, to the second, whatever the form of expireTime.
  IssueRequest longer = Request(std::chrono::seconds(7200), {"c"});
  ServiceAccountAnswer("ya29.sa2", "2027-01-15T09:30:00.123456789+01:00");
  auto second = provider->Issue(longer);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(ParseJsonObject(client_->requests[3].body)->at("lifetime"), "3600s");
  EXPECT_EQ(FormatUtcSeconds(second->expires_at), "2027-01-15T08:30:00Z");
}

TEST_F(GcpStsTest, CachedThenRefreshedAheadOfExpiry) {
  Impersonating();
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  FederatedAnswer("f1");
  ServiceAccountAnswer("sa1", FormatUtcSeconds(clock_.Now() + std::chrono::seconds(600)));
  ASSERT_THAT(provider->Issue(Request()), IsOk());
  clock_.Advance(std::chrono::seconds(400));
  auto cached = provider->Issue(Request());
  ASSERT_THAT(cached, IsOk());
  EXPECT_EQ(cached->access_token, "sa1");
  EXPECT_EQ(client_->requests.size(), 2u);
  clock_.Advance(std::chrono::seconds(90));  // inside the two-minute refresh window
  ServiceAccountAnswer("sa2", FormatUtcSeconds(clock_.Now() + std::chrono::seconds(600)));
  auto refreshed = provider->Issue(Request());
  ASSERT_THAT(refreshed, IsOk());
  EXPECT_EQ(refreshed->access_token, "sa2");
  EXPECT_EQ(client_->requests.size(), 4u);
}

TEST_F(GcpStsTest, UpstreamFailuresBecomeClearErrors) {
  Impersonating();
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  client_->Set(kStsUrl, JsonAnswer(400, R"({"error":"invalid_grant",)"
                                        R"("error_description":"The audience sts-private"})"));
  auto refused = provider->Issue(Request());
  EXPECT_THAT(refused, FailsWithCode(ErrorCode::kInvalidTarget, "destination_refused"));
  EXPECT_NE(refused.status().message().find("HTTP 400 invalid_grant"), std::string::npos);
  EXPECT_EQ(refused.status().message().find("sts-private"), std::string::npos);

  FederatedAnswer("f1");
  client_->Set(kImpersonateUrl,
               JsonAnswer(403, R"({"error":{"code":403,"message":"Permission denied iam-private",)"
                               R"("status":"PERMISSION_DENIED"}})"));
  auto denied = provider->Issue(Request());
  EXPECT_THAT(denied, FailsWithCode(ErrorCode::kInvalidTarget, "destination_refused"));
  EXPECT_NE(denied.status().message().find("HTTP 403 PERMISSION_DENIED"), std::string::npos);
  EXPECT_NE(denied.status().message().find("roles/iam.workloadIdentityUser"), std::string::npos);
  EXPECT_EQ(denied.status().message().find("iam-private"), std::string::npos);

  client_->Set(kImpersonateUrl,
               JsonAnswer(503, R"({"error":{"code":503,"status":"UNAVAILABLE"}})"));
  EXPECT_THAT(provider->Issue(Request()),
              FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"));
  client_->Set(kImpersonateUrl, Status(ErrorCode::kTemporarilyUnavailable, "fetch_failed",
                                       "iam.example.com: connection refused"));
  EXPECT_THAT(provider->Issue(Request()),
              FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"));
  for (const char* body : {"[]", R"({"expireTime":"2030-01-01T00:00:00Z"})",
                           R"({"accessToken":"t"})", R"({"accessToken":"t","expireTime":"soon"})",
                           R"({"accessToken":"t","expireTime":"2030-02-30T00:00:00Z"})"}) {
    client_->Set(kImpersonateUrl, JsonAnswer(200, body));
    EXPECT_THAT(provider->Issue(Request()),
                FailsWithCode(ErrorCode::kServerError, "destination_answer_malformed"))
        << body;
  }
  // Google answers an already expired token: never handed out.
  ServiceAccountAnswer("old", FormatUtcSeconds(clock_.Now() - std::chrono::seconds(1)));
  EXPECT_THAT(provider->Issue(Request()), FailsWith("destination_credential_expired"));
}

TEST_F(GcpStsTest, SettingsAreChecked) {
  auto refused = [this](const std::string& setting, const std::string& value) {
    Destination destination = destination_;
    destination.settings[setting] = value;
    auto provider = CreateProvider(destination, context_);
    EXPECT_THAT(provider, FailsWithCode(ErrorCode::kInvalidConfig,
                                        std::string("destination_setting_invalid")))
        << setting << "=" << value;
    return provider.ok() ? std::string() : provider.status().message();
  };
  EXPECT_NE(refused("project_number", "my-project").find("project's number"), std::string::npos);
  refused("project_number", "");
  EXPECT_NE(refused("pool_id", "gcp-pool").find("pool_id must be 4 to 32"), std::string::npos);
  refused("pool_id", "abc");
  refused("provider_id", "Signet");
  refused("provider_id", std::string(33, 'a'));
  EXPECT_NE(refused("service_account", "reader").find("service account's email"),
            std::string::npos);
  refused("service_account", "a/b@example.com");
  refused("token_url", "http://sts.googleapis.com/v1/token");
  refused("iam_credentials_url", "ftp://iam.example.com");
  Destination missing = destination_;
  missing.settings.erase("pool_id");
  EXPECT_THAT(CreateProvider(missing, context_), FailsWith("destination_setting_missing"));
  // No audience need be configured: it derives from the pool provider.
  EXPECT_THAT(CreateProvider(destination_, context_), IsOk());
}

}  // namespace
}  // namespace signet::credentials
