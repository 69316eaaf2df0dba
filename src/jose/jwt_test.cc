#include "jose/jwt.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <set>

#include "common/base64url.h"
#include "common/clock.h"
#include "jose/reasons.h"
#include "support/status_matchers.h"

namespace signet::jose {
namespace {

using signet::testing::FailsWith;
using signet::testing::IsOk;
using std::chrono::seconds;

constexpr int64_t kNow = 1'700'000'000;

class JwtTest : public ::testing::TestWithParam<Algorithm> {};

JwtValidator Validator(Algorithm alg) {
  return *JwtValidator::Builder()
              .ExpectIssuer("https://issuer.example")
              .ExpectAudience("signet")
              .AllowAlgorithms({alg})
              .Build();
}

boost::json::object Claims() {
  return {{"iss", "https://issuer.example"},
          {"sub", "workload-a"},
          {"aud", "signet"},
          {"iat", kNow - 10},
          {"exp", kNow + 300},
          {"jti", "id-1"}};
}

TEST_P(JwtTest, SignedTokenVerifiesAndExposesClaims) {
  auto key = SigningKey::GenerateForTesting(GetParam(), "k1");
  ASSERT_THAT(key, IsOk());
  auto token = SignJwt(*key, Claims());
  ASSERT_THAT(token, IsOk());
  JwtVerifier verifier(Validator(GetParam()));
  auto jwt = verifier.Verify(*token, Jwks({key->public_jwk()}), FromUnixSeconds(kNow));
  ASSERT_THAT(jwt, IsOk());
  EXPECT_EQ(jwt->subject(), "workload-a");
  EXPECT_EQ(jwt->audiences(), std::vector<std::string>{"signet"});
  EXPECT_EQ(jwt->expires_at(), FromUnixSeconds(kNow + 300));
  EXPECT_EQ(jwt->key_id(), "k1");
  EXPECT_EQ(jwt->algorithm(), GetParam());
}

TEST_P(JwtTest, EveryFlippedSignatureBitIsRejected) {
  auto key = SigningKey::GenerateForTesting(GetParam(), "k1");
  ASSERT_THAT(key, IsOk());
  std::string token = *SignJwt(*key, Claims());
  JwtVerifier verifier(Validator(GetParam()));
  Jwks keys({key->public_jwk()});
  size_t sig_start = token.rfind('.') + 1;
  std::string sig = *Base64UrlDecode(token.substr(sig_start));
  for (size_t bit = 0; bit < sig.size() * 8; bit += 7) {
    std::string flipped = sig;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    std::string bad = token.substr(0, sig_start) + Base64UrlEncode(flipped);
    auto result = verifier.Verify(bad, keys, FromUnixSeconds(kNow));
    ASSERT_FALSE(result.ok()) << "bit " << bit;
  }
  for (size_t len = 0; len < sig.size(); len += 5) {
    std::string bad = token.substr(0, sig_start) + Base64UrlEncode(sig.substr(0, len));
    ASSERT_FALSE(verifier.Verify(bad, keys, FromUnixSeconds(kNow)).ok()) << "length " << len;
  }
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, JwtTest, ::testing::ValuesIn(kAllAlgorithms),
                         [](const auto& info) { return std::string(AlgorithmName(info.param)); });

TEST(JwtValidatorBuilderTest, RefusesLooseSettings) {
  auto base = [] {
    JwtValidator::Builder b;
    b.ExpectIssuer("https://i").ExpectAudience("a").AllowAlgorithms({Algorithm::kES256});
    return b;
  };
  EXPECT_THAT(base().Build(), IsOk());
  EXPECT_THAT(
      JwtValidator::Builder().ExpectAudience("a").AllowAlgorithms({Algorithm::kES256}).Build(),
      FailsWith(reason::kIssMissing));
  EXPECT_THAT(JwtValidator::Builder()
                  .ExpectIssuer("https://i")
                  .AllowAlgorithms({Algorithm::kES256})
                  .Build(),
              FailsWith(reason::kAudMissing));
  EXPECT_THAT(JwtValidator::Builder().ExpectIssuer("https://i").ExpectAudience("a").Build(),
              FailsWith(reason::kAlgNotAllowed));
  EXPECT_THAT(base().SetLeeway(seconds(301)).Build(), FailsWith("leeway_invalid"));
  EXPECT_THAT(base().SetLeeway(seconds(-1)).Build(), FailsWith("leeway_invalid"));
  EXPECT_THAT(base().SetLeeway(seconds(300)).Build(), IsOk());
  EXPECT_THAT(base().SetMaxLifetime(seconds(0)).Build(), FailsWith("lifetime_invalid"));
  EXPECT_THAT(base().SetMaxTokenBytes(0).Build(), FailsWith("token_size_invalid"));
  EXPECT_THAT(base().SetMaxTokenBytes(1 << 20).Build(), FailsWith("token_size_invalid"));
  EXPECT_EQ(base().Build()->leeway(), seconds(30));
  EXPECT_EQ(base().Build()->max_token_bytes(), 16u * 1024);
}

TEST(JoseReasonsTest, EveryReasonIsDistinct) {
  std::set<std::string_view> seen(reason::kAll.begin(), reason::kAll.end());
  EXPECT_EQ(seen.size(), reason::kAll.size());
}

}  // namespace
}  // namespace signet::jose
