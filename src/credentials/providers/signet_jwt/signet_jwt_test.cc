#include "credentials/providers/signet_jwt/signet_jwt.h"

#include <gtest/gtest.h>

#include "jose/jwt.h"
#include "support/status_matchers.h"

namespace signet::credentials {
namespace {

using testing::FailsWith;
using testing::IsOk;

class SignetJwtProviderTest : public ::testing::Test {
 protected:
  SignetJwtProviderTest() {
    auto key = jose::SigningKey::Generate(jose::Algorithm::kES256, "k1");
    context_.issuer = "https://signet.example.com";
    context_.trust_domain = "example.com";
    key_ = std::make_shared<const jose::SigningKey>(std::move(key).value());
    context_.signing_key = FixedSigningKey(key_);
    context_.clock = &clock_;
    context_.random = &random_;
  }

  Result<jose::VerifiedJwt> VerifyAsResourceServer(const std::string& token) {
    auto validator = jose::JwtValidator::Builder()
                         .ExpectIssuer("https://signet.example.com")
                         .ExpectAudience("https://orders.internal")
                         .AllowAlgorithms({jose::Algorithm::kES256})
                         .ExpectType("at+jwt")
                         .RequireIssuedAt()
                         .Build();
    EXPECT_THAT(validator, IsOk());
    jose::Jwks keys({key_->public_jwk()});
    return jose::JwtVerifier(*validator).Verify(token, keys, clock_.Now());
  }

  SimulatedClock clock_{FromUnixSeconds(1'800'000'000) + std::chrono::milliseconds(700)};
  SeededRandom random_{7};
  std::shared_ptr<const jose::SigningKey> key_;
  ProviderContext context_;
  Destination destination_{"orders", "signet-jwt", "https://orders.internal", {}};
};

TEST_F(SignetJwtProviderTest, IssuesAnRfc9068AccessToken) {
  auto provider = CreateProvider(destination_, context_);
  ASSERT_THAT(provider, IsOk());
  IssueRequest request{
      "billing",    {"orders.read", "orders.write"},  std::chrono::seconds(300),
      std::nullopt, "https://kubernetes.default.svc", "system:serviceaccount:billing:api",
      clock_.Now()};
  auto credential = (*provider)->Issue(request);
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->token_type, "Bearer");
  EXPECT_EQ(credential->issued_token_type, "urn:ietf:params:oauth:token-type:access_token");
  EXPECT_EQ(credential->expires_at, FromUnixSeconds(1'800'000'300));

  auto jwt = VerifyAsResourceServer(credential->access_token);
  ASSERT_THAT(jwt, IsOk());
  EXPECT_EQ(jwt->subject(), "spiffe://example.com/workload/billing");
  EXPECT_EQ(jwt->jwt_id(), credential->jti);
  EXPECT_EQ(jwt->issued_at(), FromUnixSeconds(1'800'000'000));
  const auto& claims = jwt->claims();
  EXPECT_EQ(claims.at("client_id").as_string(), "billing");
  EXPECT_EQ(claims.at("scope").as_string(), "orders.read orders.write");
  EXPECT_TRUE(claims.at("iat").is_int64());  // a whole NumericDate, not 1.8E9
  EXPECT_EQ(claims.at("upstream").at("iss").as_string(), "https://kubernetes.default.svc");
  EXPECT_EQ(claims.at("upstream").at("sub").as_string(), "system:serviceaccount:billing:api");
}

TEST_F(SignetJwtProviderTest, OmitsScopeWhenNoneGrantedAndUsesFreshJtis) {
  auto provider = CreateProvider(destination_, context_);
  ASSERT_THAT(provider, IsOk());
  IssueRequest request{"billing", {},          std::chrono::seconds(60), std::nullopt, "iss",
                       "sub",     clock_.Now()};
  auto first = (*provider)->Issue(request);
  auto second = (*provider)->Issue(request);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_NE(first->jti, second->jti);
  auto jwt = VerifyAsResourceServer(first->access_token);
  ASSERT_THAT(jwt, IsOk());
  EXPECT_FALSE(jwt->claims().contains("scope"));
}

TEST_F(SignetJwtProviderTest, RefusesAnExhaustedLifetime) {
  auto provider = CreateProvider(destination_, context_);
  ASSERT_THAT(provider, IsOk());
  IssueRequest request{"billing", {},          std::chrono::seconds(0), std::nullopt, "iss",
                       "sub",     clock_.Now()};
  EXPECT_THAT((*provider)->Issue(request), FailsWith("lifetime_exhausted"));
}

TEST_F(SignetJwtProviderTest, IssuesTheRequestedTokenTypeItSupports) {
  auto provider = CreateProvider(destination_, context_);
  ASSERT_THAT(provider, IsOk());
  IssueRequest request{
      "billing", {},          std::chrono::seconds(60), std::string(kJwtTokenType), "iss",
      "sub",     clock_.Now()};
  auto jwt = (*provider)->Issue(request);
  ASSERT_THAT(jwt, IsOk());
  EXPECT_EQ(jwt->issued_token_type, kJwtTokenType);
  request.requested_token_type = "urn:ietf:params:oauth:token-type:saml2";
  EXPECT_THAT((*provider)->Issue(request), FailsWith("requested_token_type_unsupported"));
}

TEST_F(SignetJwtProviderTest, SignsEachCredentialWithTheKeyOfTheMoment) {
  auto next = jose::SigningKey::Generate(jose::Algorithm::kES256, "k2");
  ASSERT_THAT(next, IsOk());
  auto rotated = std::make_shared<const jose::SigningKey>(std::move(next).value());
  std::shared_ptr<const jose::SigningKey> current = key_;
  context_.signing_key = [&current] { return current; };
  auto provider = CreateProvider(destination_, context_);
  ASSERT_THAT(provider, IsOk());
  IssueRequest request{"billing", {},          std::chrono::seconds(60), std::nullopt, "iss",
                       "sub",     clock_.Now()};
  auto before = (*provider)->Issue(request);
  current = rotated;  // the keys rotate
  auto after = (*provider)->Issue(request);
  ASSERT_THAT(before, IsOk());
  ASSERT_THAT(after, IsOk());
  EXPECT_THAT(VerifyAsResourceServer(before->access_token), IsOk());
  EXPECT_THAT(VerifyAsResourceServer(after->access_token), FailsWith("kid_unknown"));
  current = nullptr;  // no key signs: nothing is issued
  EXPECT_THAT((*provider)->Issue(request), FailsWith("signing_key_missing"));
}

TEST(ProviderRegistryTest, UnknownKindNamesTheKnownOnes) {
  ProviderContext context;
  auto provider = CreateProvider(Destination{"x", "carrier-pigeon", "aud", {}}, context);
  ASSERT_THAT(provider, FailsWith("provider_unknown"));
  EXPECT_NE(provider.status().message().find("signet-jwt"), std::string::npos);
  EXPECT_THAT(CreateProvider(Destination{"x", "signet-jwt", "aud", {}}, context),
              FailsWith("provider_context_incomplete"));
}

}  // namespace
}  // namespace signet::credentials
