#include "credentials/providers/snowflake_keypair/snowflake_keypair.h"

#include <gtest/gtest.h>

#include "common/json.h"
#include "jose/jws.h"
#include "support/calling_out_test.h"
#include "support/status_matchers.h"

namespace signet::credentials {
namespace {

using testing::FailsWith;
using testing::FailsWithCode;
using testing::IsOk;

class SnowflakeKeypairTest : public testing::CallingOutTest {
 protected:
  static void SetUpTestSuite() {
    user_key_ = new jose::SigningKey(
        jose::SigningKey::GenerateForTesting(jose::Algorithm::kRS256, "snowflake-key", 2048)
            .value());
  }
  static void TearDownTestSuite() { delete user_key_; }

  SnowflakeKeypairTest() {
    vault_["snowflake-key"] = std::string(user_key_->ToPkcs8Pem().Reveal(SecretAccess::Grant()));
    destination_.settings = {{"account", "xy12345.us-east-1.aws"},
                             {"user", "svc_reports"},
                             {"private_key_secret", "snowflake-key"}};
  }

  std::unique_ptr<CredentialProvider> Provider() { return ProviderFor(destination_); }

  IssueRequest Request(std::chrono::seconds lifetime = std::chrono::seconds(7200),
                       std::string workload = "reports") {
    IssueRequest request = CallingOutTest::Request(lifetime);
    request.workload = std::move(workload);
    return request;
  }

  // The claims of `jwt` once its RS256 signature verifies with the user's public key.
  boost::json::object VerifiedClaims(const std::string& jwt) {
    auto verifier = jose::JwsVerifier::Create({jose::Algorithm::kRS256});
    EXPECT_THAT(verifier, IsOk());
    auto verified = verifier->Verify(jwt, jose::Jwks({user_key_->public_jwk()}));
    EXPECT_THAT(verified, IsOk());
    if (!verified.ok()) {
      return {};
    }
    EXPECT_EQ(verified->header().typ, "JWT");
    return ParseJsonObject(verified->payload()).value();
  }

  static jose::SigningKey* user_key_;
  Destination destination_{"warehouse", "snowflake-keypair", "", {}};
};

jose::SigningKey* SnowflakeKeypairTest::user_key_ = nullptr;

TEST_F(SnowflakeKeypairTest, SignsAKeypairJwtAsSnowflakeDocuments) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  // No network, but the vault is store I/O: off the I/O thread.
  EXPECT_TRUE(provider->CallsOut());
  auto credential = provider->Issue(Request());
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->form, CredentialForm::kToken);
  EXPECT_EQ(credential->issued_token_type, kJwtTokenType);
  EXPECT_EQ(credential->token_type, "Bearer");
  EXPECT_EQ(credential->headers,
            (std::vector<HttpHeader>{{"Authorization", "Bearer " + credential->access_token},
                                     {"X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT"}}));
  // Snowflake accepts at most an hour, whatever the policy grants.
  int64_t now = ToUnixSecondsFloor(clock_.Now());
  EXPECT_EQ(credential->expires_at, FromUnixSeconds(now + 3600));
  std::string fingerprint = user_key_->PublicKeySha256().value();
  EXPECT_FALSE(credential->jti.empty());
  EXPECT_EQ(VerifiedClaims(credential->access_token),
            (boost::json::object{{"iss", "XY12345.SVC_REPORTS.SHA256:" + fingerprint},
                                 {"sub", "XY12345.SVC_REPORTS"},
                                 {"iat", now},
                                 {"exp", now + 3600},
                                 {"jti", credential->jti}}));
}

TEST_F(SnowflakeKeypairTest, AccountIdentifiersArePreparedAsSnowflakeDoes) {
  EXPECT_EQ(SnowflakeJwtAccount("xy12345"), "XY12345");
  EXPECT_EQ(SnowflakeJwtAccount("xy12345.us-east-1"), "XY12345");
  EXPECT_EQ(SnowflakeJwtAccount("xy12345.us-east-2.aws.snowflakecomputing.com"), "XY12345");
  EXPECT_EQ(SnowflakeJwtAccount("myorg-myaccount"), "MYORG-MYACCOUNT");
  EXPECT_EQ(SnowflakeJwtAccount("myorg-myaccount.global"), "MYORG");
}

TEST_F(SnowflakeKeypairTest, LifetimeIsTheGrantedOneAtMost) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  IssueRequest request = Request(std::chrono::seconds(300));
  clock_.Advance(std::chrono::seconds(20));  // granted 20 s ago
  auto credential = provider->Issue(request);
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->expires_at, request.decided_at + std::chrono::seconds(300));
  auto claims = VerifiedClaims(credential->access_token);
  EXPECT_EQ(claims.at("exp").to_number<int64_t>(), ToUnixSecondsFloor(request.decided_at) + 300);
  EXPECT_EQ(claims.at("iat").to_number<int64_t>(), ToUnixSecondsFloor(clock_.Now()));
  // A grant that ran out while waiting gets nothing.
  request = Request(std::chrono::seconds(5), "late");
  clock_.Advance(std::chrono::seconds(5));
  EXPECT_THAT(provider->Issue(request), FailsWith("lifetime_exhausted"));
}

TEST_F(SnowflakeKeypairTest, CachedPerWorkloadAndRefreshedAhead) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  auto first = provider->Issue(Request());
  ASSERT_THAT(first, IsOk());
  clock_.Advance(std::chrono::minutes(50));
  auto cached = provider->Issue(Request());
  ASSERT_THAT(cached, IsOk());
  EXPECT_EQ(cached->access_token, first->access_token);
  EXPECT_EQ(vault_opened_, 1);  // not read per request
  auto other = provider->Issue(Request(std::chrono::seconds(7200), "billing"));
  ASSERT_THAT(other, IsOk());
  EXPECT_NE(other->access_token, first->access_token);
  EXPECT_EQ(vault_opened_, 2);
  // Two minutes before the first JWT expires, the next request signs a new one.
  clock_.Advance(std::chrono::minutes(9));
  auto refreshed = provider->Issue(Request());
  ASSERT_THAT(refreshed, IsOk());
  EXPECT_NE(refreshed->access_token, first->access_token);
  EXPECT_EQ(VerifiedClaims(refreshed->access_token).at("iat").to_number<int64_t>(),
            ToUnixSecondsFloor(clock_.Now()));
}

TEST_F(SnowflakeKeypairTest, UnusableKeysNameTheSecretNotItsContent) {
  auto ec = jose::SigningKey::GenerateForTesting(jose::Algorithm::kES256, "ec").value();
  std::string pem(ec.ToPkcs8Pem().Reveal(SecretAccess::Grant()));
  vault_["snowflake-key"] = pem;
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  auto refused = provider->Issue(Request());
  EXPECT_THAT(refused, FailsWithCode(ErrorCode::kServerError, "private_key_unusable"));
  EXPECT_NE(refused.status().message().find("secret snowflake-key"), std::string::npos);
  EXPECT_NE(refused.status().message().find("private_key_not_rsa"), std::string::npos);
  EXPECT_EQ(refused.status().message().find(pem.substr(40, 16)), std::string::npos);
  vault_.clear();
  EXPECT_THAT(provider->Issue(Request()), FailsWith("private_key_unusable"));
}

TEST_F(SnowflakeKeypairTest, RefusesWhatItCannotIssue) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  IssueRequest access = Request();
  access.requested_token_type = std::string(kAccessTokenType);
  EXPECT_THAT(provider->Issue(access), FailsWith("requested_token_type_unsupported"));
  IssueRequest jwt = Request();
  jwt.requested_token_type = std::string(kJwtTokenType);
  EXPECT_THAT(provider->Issue(jwt), IsOk());
  EXPECT_THAT(provider->Issue(Request(std::chrono::seconds(0))), FailsWith("lifetime_exhausted"));
}

TEST_F(SnowflakeKeypairTest, SettingsAreChecked) {
  ExpectSettingsChecked(destination_, {"account", "user", "private_key_secret"},
                        {{"account", ""},
                         {"account", "my account"},
                         {"account", ".us-east-1"},
                         {"user", ""},
                         {"user", "svc reports"},
                         {"private_key_secret", ""}});
  // The JWT has no aud: a destination naming an audience is refused.
  Destination named = destination_;
  named.audience = "https://snowflakecomputing.com";
  EXPECT_THAT(CreateProvider(named, context_), FailsWith("destination_setting_unknown"));
}

}  // namespace
}  // namespace signet::credentials
