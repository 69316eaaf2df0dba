#include "jose/jwt.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <set>

#include "common/base64url.h"
#include "common/clock.h"
#include "jose/reasons.h"
#include "jose/signature.h"
#include "support/status_matchers.h"

namespace signet::jose {
namespace {

using signet::testing::FailsWith;
using signet::testing::IsOk;
using std::chrono::seconds;

constexpr int64_t kNow = 1'700'000'000;

class JwtTest : public ::testing::TestWithParam<Algorithm> {};

// A tampered signature must fail as a signature, not for some unrelated reason.
::testing::Matcher<const Result<VerifiedJwt>&> SignatureRejected() {
  return ::testing::AnyOf(
      FailsWith(reason::kSignatureInvalid), FailsWith(reason::kEcdsaSignatureRange),
      FailsWith(reason::kEcdsaSignatureLength), FailsWith(reason::kSignatureMissing));
}

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
    ASSERT_THAT(result, SignatureRejected()) << "bit " << bit;
  }
  for (size_t len = 0; len < sig.size(); len += 5) {
    std::string bad = token.substr(0, sig_start) + Base64UrlEncode(sig.substr(0, len));
    ASSERT_THAT(verifier.Verify(bad, keys, FromUnixSeconds(kNow)), SignatureRejected())
        << "length " << len;
  }
}

// The two-step path (ParseJwt, then Verify of the parsed token) reaches the same verdicts
// as Verify of the string, prepared verification contexts included.
TEST_P(JwtTest, ParsedTokenVerifiesAsTheStringDoes) {
  auto key = SigningKey::GenerateForTesting(GetParam(), "k1");
  ASSERT_THAT(key, IsOk());
  std::string token = *SignJwt(*key, Claims());
  JwtVerifier verifier(Validator(GetParam()));
  Jwks keys({key->public_jwk()});
  auto parsed = ParseJwt(token, verifier.limits());
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->claims.at("sub"), "workload-a");  // readable before verification
  auto jwt = verifier.Verify(*parsed, keys, FromUnixSeconds(kNow));
  ASSERT_THAT(jwt, IsOk());
  EXPECT_EQ(jwt->subject(), "workload-a");
  EXPECT_EQ(jwt->claims(), parsed->claims);
  EXPECT_THAT(verifier.Verify(*parsed, keys, FromUnixSeconds(kNow + 3600)),
              FailsWith(reason::kExpired));

  size_t sig_start = token.rfind('.') + 1;
  std::string sig = *Base64UrlDecode(token.substr(sig_start));
  sig[sig.size() / 2] = static_cast<char>(sig[sig.size() / 2] ^ 1);
  std::string bad = token.substr(0, sig_start) + Base64UrlEncode(sig);
  auto bad_parsed = ParseJwt(bad, verifier.limits());
  ASSERT_THAT(bad_parsed, IsOk());
  EXPECT_THAT(verifier.Verify(*bad_parsed, keys, FromUnixSeconds(kNow)), SignatureRejected());
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, JwtTest, ::testing::ValuesIn(kAllAlgorithms),
                         [](const auto& info) { return std::string(AlgorithmName(info.param)); });

class JwtClaimsTest : public ::testing::Test {
 protected:
  Result<VerifiedJwt> VerifyClaims(const boost::json::object& claims) {
    return JwtVerifier(Validator(Algorithm::kES256))
        .Verify(*SignJwt(key_, claims), Jwks({key_.public_jwk()}), FromUnixSeconds(kNow));
  }
  SigningKey key_ = *SigningKey::GenerateForTesting(Algorithm::kES256, "k1");
};

TEST_F(JwtClaimsTest, ControlCharactersInIdentifiersRejected) {
  boost::json::object claims = Claims();
  claims["sub"] = std::string("admin\0x", 7);
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kSubInvalid));
  claims = Claims();
  claims["aud"] = boost::json::array{"signet", "other\n"};
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kAudInvalid));
  claims = Claims();
  claims["jti"] = "id\x7f";
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kJtiInvalid));
}

TEST_F(JwtClaimsTest, TimesOutOfOrderRejected) {
  boost::json::object claims = Claims();
  claims["iat"] = kNow + 20;  // within leeway of now, but after exp
  claims["exp"] = kNow + 10;
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kIatInvalid));
  claims = Claims();
  claims["nbf"] = kNow + 300;  // == exp: the token is valid at no instant
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kNbfInvalid));
  claims = Claims();
  claims["exp"] = 9.5e9;  // past the NumericDate range SystemTime can hold
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kExpInvalid));
}

TEST(RsaSignatureLengthTest, PssSignatureWithoutItsLeadingZeroRejected) {
  // PSS salts are random, so about one signature in 256 starts with a zero byte; such a
  // signature must not also verify with that byte dropped (two spellings of one token).
  auto key = SigningKey::GenerateForTesting(Algorithm::kPS256, "ps");
  ASSERT_THAT(key, IsOk());
  const std::string data = "header.payload";
  std::string signature;
  for (int tries = 0; tries < 5000 && (signature.empty() || signature[0] != '\0'); ++tries) {
    signature = *key->Sign(data);
  }
  ASSERT_EQ(signature[0], '\0') << "no signature with a leading zero in 5000 tries";
  EXPECT_THAT(VerifySignature(Algorithm::kPS256, key->public_jwk(), data, signature), IsOk());
  EXPECT_THAT(VerifySignature(Algorithm::kPS256, key->public_jwk(), data, signature.substr(1)),
              FailsWith(reason::kSignatureInvalid));
  EXPECT_THAT(
      VerifySignature(Algorithm::kPS256, key->public_jwk(), data, std::string(1, '\0') + signature),
      FailsWith(reason::kSignatureInvalid));
}

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

TEST(ParseJwtTest, ClaimsThatAreNotAJsonObjectAreNamed) {
  std::string token = Base64UrlEncode(std::string_view(R"({"alg":"ES256"})")) + "." +
                      Base64UrlEncode(std::string_view("[1,2]")) + ".c2ln";
  auto parsed = ParseJwt(token);
  EXPECT_THAT(parsed, FailsWith("json_not_object"));
  EXPECT_THAT(parsed.status().message(), ::testing::StartsWith("claims: "));
}

// A token parsed under looser limits than the verifier's is held to the verifier's.
TEST(ParseJwtTest, VerifierAppliesItsOwnLimitsToATokenParsedUnderOthers) {
  auto key = *SigningKey::GenerateForTesting(Algorithm::kES256, "k1");
  boost::json::object claims = Claims();
  claims["padding"] = std::string(600, 'x');
  std::string token = *SignJwt(key, claims);
  auto validator = JwtValidator::Builder()
                       .ExpectIssuer("https://issuer.example")
                       .ExpectAudience("signet")
                       .AllowAlgorithms({Algorithm::kES256})
                       .SetMaxTokenBytes(512)
                       .Build();
  ASSERT_THAT(validator, IsOk());
  JwtVerifier verifier(*validator);
  auto parsed = ParseJwt(token);  // the default limits: 16 KiB
  ASSERT_THAT(parsed, IsOk());
  EXPECT_THAT(verifier.Verify(*parsed, Jwks({key.public_jwk()}), FromUnixSeconds(kNow)),
              FailsWith(reason::kTokenTooLarge));
}

TEST(JoseReasonsTest, EveryReasonIsDistinct) {
  std::set<std::string_view> seen(reason::kAll.begin(), reason::kAll.end());
  EXPECT_EQ(seen.size(), reason::kAll.size());
}

}  // namespace
}  // namespace signet::jose
