#include "credentials/providers/static_secret/static_secret.h"

#include <gtest/gtest.h>

#include <map>

#include "support/status_matchers.h"

namespace signet::credentials {
namespace {

using testing::FailsWith;
using testing::FailsWithCode;
using testing::IsOk;

class StaticSecretTest : public ::testing::Test {
 protected:
  StaticSecretTest() {
    context_.clock = &clock_;
    context_.secrets = [this](std::string_view name) -> Result<Secret> {
      ++opened_;
      auto it = vault_.find(std::string(name));
      if (it == vault_.end()) {
        return Status(ErrorCode::kInvalidRequest, "secret_not_found",
                      "no secret is named " + std::string(name));
      }
      return Secret(it->second);
    };
    vault_["openai-key"] = "sk-proj-first";
    destination_.name = "openai";
    destination_.kind = "static-secret";
    destination_.settings = {{"secret", "openai-key"}};
  }

  Result<std::unique_ptr<CredentialProvider>> Create() {
    return CreateProvider(destination_, context_);
  }

  IssueRequest Request(std::chrono::seconds lifetime = std::chrono::seconds(600)) {
    return IssueRequest{"batch", {},          lifetime, std::nullopt, "https://k8s.local",
                        "sa",    clock_.Now()};
  }

  SimulatedClock clock_;
  ProviderContext context_;
  Destination destination_;
  std::map<std::string, std::string> vault_;
  int opened_ = 0;
};

TEST_F(StaticSecretTest, BearerByDefaultAndATokenForTheTokenEndpoint) {
  auto provider = Create();
  ASSERT_THAT(provider, IsOk());
  EXPECT_EQ((*provider)->Form(), CredentialForm::kToken);
  EXPECT_TRUE((*provider)->CallsOut());
  auto credential = (*provider)->Issue(Request());
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->access_token, "sk-proj-first");
  EXPECT_EQ(credential->token_type, "Bearer");
  EXPECT_EQ(credential->issued_token_type, kAccessTokenType);
  EXPECT_EQ(credential->headers,
            (std::vector<HttpHeader>{{"Authorization", "Bearer sk-proj-first"}}));
  // No expiry of its own: the workload comes back when the granted lifetime ends.
  EXPECT_EQ(credential->expires_at, clock_.Now() + std::chrono::seconds(600));
}

TEST_F(StaticSecretTest, ARotatedSecretReachesTheNextRequest) {
  auto provider = Create();
  ASSERT_THAT(provider, IsOk());
  ASSERT_THAT((*provider)->Issue(Request()), IsOk());
  vault_["openai-key"] = "sk-proj-second";
  auto credential = (*provider)->Issue(Request());
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->access_token, "sk-proj-second");
  EXPECT_EQ(opened_, 2);
}

TEST_F(StaticSecretTest, HeaderAndBasicSchemesAreHeaders) {
  destination_.settings = {{"secret", "openai-key"}, {"scheme", "header"}, {"header", "x-api-key"}};
  auto header = Create();
  ASSERT_THAT(header, IsOk());
  EXPECT_EQ((*header)->Form(), CredentialForm::kHeaders);
  auto credential = (*header)->Issue(Request());
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->form, CredentialForm::kHeaders);
  EXPECT_TRUE(credential->access_token.empty());
  EXPECT_EQ(credential->headers, (std::vector<HttpHeader>{{"x-api-key", "sk-proj-first"}}));

  vault_["jira"] = "Aladdin:open sesame";
  destination_.settings = {{"secret", "jira"}, {"scheme", "basic"}};
  auto basic = Create();
  ASSERT_THAT(basic, IsOk());
  credential = (*basic)->Issue(Request());
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->headers,
            (std::vector<HttpHeader>{{"Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}}));
  // A headers credential is no token of any RFC 8693 type.
  IssueRequest typed = Request();
  typed.requested_token_type = std::string(kAccessTokenType);
  EXPECT_THAT((*basic)->Issue(typed), FailsWith("requested_token_type_unsupported"));
}

TEST_F(StaticSecretTest, SettingsAreCheckedWhenTheDestinationIsBuilt) {
  destination_.settings = {{"secret", "openai-key"}, {"scheme", "digest"}};
  EXPECT_THAT(Create(), FailsWith("destination_setting_invalid"));
  destination_.settings = {{"secret", "openai-key"}, {"scheme", "header"}};
  EXPECT_THAT(Create(), FailsWith("destination_setting_invalid"));
  destination_.settings = {{"secret", "openai-key"}, {"scheme", "header"}, {"header", "x api"}};
  EXPECT_THAT(Create(), FailsWith("destination_setting_invalid"));
  destination_.settings = {{"secret", "openai-key"}, {"header", "x-api-key"}};
  EXPECT_THAT(Create(), FailsWith("destination_setting_invalid"));
  destination_.settings = {};
  EXPECT_THAT(Create(), FailsWith("destination_setting_missing"));
  destination_.settings = {{"secret", "openai-key"}};
  destination_.audience = "https://api.openai.com";
  EXPECT_THAT(Create(), FailsWith("destination_setting_unknown"));
  destination_.audience.clear();
  context_.secrets = nullptr;
  EXPECT_THAT(Create(), FailsWith("provider_context_incomplete"));
}

TEST_F(StaticSecretTest, AMissingOrUnsafeSecretIsAServerErrorNamingIt) {
  destination_.settings = {{"secret", "not-stored"}};
  auto missing = Create();
  ASSERT_THAT(missing, IsOk());
  auto credential = (*missing)->Issue(Request());
  EXPECT_THAT(credential, FailsWithCode(ErrorCode::kServerError, "destination_secret_unavailable"));
  EXPECT_NE(credential.status().message().find("not-stored"), std::string::npos);

  vault_["smuggler"] = "key\r\nX-Admin: yes";
  destination_.settings = {{"secret", "smuggler"}, {"scheme", "header"}, {"header", "x-api-key"}};
  auto unsafe = Create();
  ASSERT_THAT(unsafe, IsOk());
  credential = (*unsafe)->Issue(Request());
  EXPECT_THAT(credential, FailsWith("destination_secret_invalid"));
  EXPECT_EQ(credential.status().message().find("X-Admin"), std::string::npos);
}

TEST_F(StaticSecretTest, NoLifetimeLeftIsRefused) {
  auto provider = Create();
  ASSERT_THAT(provider, IsOk());
  EXPECT_THAT((*provider)->Issue(Request(std::chrono::seconds(0))),
              FailsWith("lifetime_exhausted"));
  EXPECT_EQ(opened_, 0);
}

}  // namespace
}  // namespace signet::credentials
