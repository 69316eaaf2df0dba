#include "jose/jwk.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <set>

#include "common/base64url.h"
#include "common/json.h"
#include "jose/reasons.h"
#include "jose/signature.h"
#include "jose/signing_key.h"
#include "support/status_matchers.h"

namespace signet::jose {
namespace {

using signet::testing::FailsWith;
using signet::testing::IsOk;

// RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint.
constexpr char kRfc7638Key[] =
    R"({"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"})";

TEST(JwkTest, Rfc7638ThumbprintMatchesTheRfc) {
  auto jwk = Jwk::Parse(kRfc7638Key);
  ASSERT_THAT(jwk, IsOk());
  EXPECT_EQ(jwk->Thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  EXPECT_EQ(jwk->rsa_bits(), 2048);
  EXPECT_EQ(jwk->kid(), "2011-04-29");
  EXPECT_EQ(jwk->algorithm(), Algorithm::kRS256);
}

TEST(JwkTest, ToJsonKeepsExactlyThePublicMembers) {
  boost::json::object input = *ParseJsonObject(kRfc7638Key);
  input["x5t"] = "ignored";  // members Signet does not use are not republished
  input["ext"] = true;
  auto jwk = Jwk::FromJson(input);
  ASSERT_THAT(jwk, IsOk());
  std::set<std::string> members;
  for (const auto& member : jwk->ToJson()) {
    members.emplace(member.key());
  }
  EXPECT_EQ(members, (std::set<std::string>{"kty", "n", "e", "kid", "alg"}));
  EXPECT_EQ(jwk->ToJson().at("n"), input.at("n"));
  auto again = Jwk::FromJson(jwk->ToJson());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->Thumbprint(), jwk->Thumbprint());
}

TEST(JwkTest, UnsupportedAndSymmetricKeyTypesRefused) {
  EXPECT_THAT(Jwk::Parse(R"({"kty":"oct","k":"AAAA"})"), FailsWith(reason::kJwkKtyUnsupported));
  EXPECT_THAT(Jwk::Parse(R"({"kty":"OKP","crv":"X25519","x":"AAAA"})"),
              FailsWith(reason::kJwkCurveUnsupported));
  EXPECT_THAT(Jwk::Parse(R"({"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"})"),
              FailsWith(reason::kJwkCurveUnsupported));
  EXPECT_THAT(Jwk::Parse(R"({"n":"AQAB"})"), FailsWith(reason::kJwkMemberMissing));
  EXPECT_THAT(Jwk::Parse(R"({"kty":"RSA","e":"AQAB"})"), FailsWith(reason::kJwkMemberMissing));
}

// A JWK that names its alg carries a verification context prepared for that alg only;
// VerifySignature copies it instead of initialising one per token.
TEST(JwkTest, VerificationIsPreparedForTheAlgTheKeyNames) {
  for (Algorithm alg : kAllAlgorithms) {
    auto key = SigningKey::GenerateForTesting(alg, "k1");
    ASSERT_THAT(key, IsOk());
    boost::json::object json = key->public_jwk().ToJson();
    ASSERT_TRUE(json.contains("alg")) << AlgorithmName(alg);
    auto with_alg = Jwk::FromJson(json);
    ASSERT_THAT(with_alg, IsOk());
    EXPECT_NE(with_alg->PreparedVerification(alg), nullptr) << AlgorithmName(alg);
    Algorithm other = alg == Algorithm::kRS256 ? Algorithm::kRS384 : Algorithm::kRS256;
    EXPECT_EQ(with_alg->PreparedVerification(other), nullptr) << AlgorithmName(alg);
    json.erase("alg");
    auto without_alg = Jwk::FromJson(json);
    ASSERT_THAT(without_alg, IsOk());
    EXPECT_EQ(without_alg->PreparedVerification(alg), nullptr) << AlgorithmName(alg);

    // Both paths verify the same signature, and refuse it once altered.
    std::string data = "header.payload";
    std::string signature = *key->Sign(data);
    EXPECT_THAT(VerifySignature(alg, *with_alg, data, signature), IsOk()) << AlgorithmName(alg);
    EXPECT_THAT(VerifySignature(alg, *without_alg, data, signature), IsOk());
    EXPECT_THAT(VerifySignature(alg, *with_alg, "header.payloaD", signature),
                FailsWith(reason::kSignatureInvalid))
        << AlgorithmName(alg);
  }
}

TEST(JwkTest, Ed25519KeysAreDecodedAtLoad) {
  auto okp = [](const char* x) {
    return Jwk::Parse(std::string(R"({"kty":"OKP","crv":"Ed25519","x":")") + x + "\"}");
  };
  // Points of order 1, 4, 2 and 8: any signature "verifies" under the identity point.
  for (const char* small : {"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                            "7P_______________________________________38",
                            "JuiVj8KyJ7BFw_SJ8u-Y8NXfrAXTxjM5sTgCiG1T_AU"}) {
    EXPECT_THAT(okp(small), FailsWith(reason::kJwkSmallOrderPoint)) << small;
  }
  // y = 2 gives an x^2 that is not a square: no such point. y >= p is not canonical.
  EXPECT_THAT(okp("AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
              FailsWith(reason::kJwkPointNotOnCurve));
  EXPECT_THAT(okp("7f_______________________________________38"),
              FailsWith(reason::kJwkPointNotOnCurve));
  // RFC 8032 §7.1 test 1 public key.
  EXPECT_THAT(okp("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"), IsOk());
}

TEST(JwkTest, RsaModulusOverTheLimitIsRefused) {
  std::string n(1040, '\xff');  // 8320 bits
  boost::json::object json{{"kty", "RSA"}, {"n", Base64UrlEncode(n)}, {"e", "AQAB"}};
  EXPECT_THAT(Jwk::FromJson(json), FailsWith(reason::kJwkRsaTooLarge));
  std::string even(256, '\xff');
  even.back() = '\xfe';
  json["n"] = Base64UrlEncode(even);
  EXPECT_THAT(Jwk::FromJson(json), FailsWith(reason::kJwkMemberInvalid));
}

TEST(JwkTest, RsaModulusWithLeadingZeroOctetIsNotMinimal) {
  auto key = SigningKey::GenerateForTesting(Algorithm::kRS256, "r");
  ASSERT_THAT(key, IsOk());
  boost::json::object json = key->public_jwk().ToJson();
  std::string n = *Base64UrlDecode(json["n"].as_string());
  json["n"] = Base64UrlEncode(std::string(1, '\0') + n);
  EXPECT_THAT(Jwk::FromJson(json), FailsWith(reason::kJwkMemberInvalid));
}

TEST(JwkTest, UseAndKeyOpsMustAgree) {
  auto key = SigningKey::GenerateForTesting(Algorithm::kES256, "e");
  ASSERT_THAT(key, IsOk());
  boost::json::object json = key->public_jwk().ToJson();
  json["key_ops"] = boost::json::array{"encrypt"};
  EXPECT_THAT(Jwk::FromJson(json), FailsWith(reason::kJwkUseKeyOpsConflict));
  json["key_ops"] = boost::json::array{"verify"};
  EXPECT_THAT(Jwk::FromJson(json), IsOk());
}

TEST(JwkTest, JwkAlgMustFitTheKey) {
  auto key = SigningKey::GenerateForTesting(Algorithm::kES256, "e");
  ASSERT_THAT(key, IsOk());
  boost::json::object json = key->public_jwk().ToJson();
  json["alg"] = "ES384";
  EXPECT_THAT(Jwk::FromJson(json), FailsWith(reason::kJwkAlgInvalid));
  json["alg"] = "ES521";  // a misspelling seen in the wild (Wycheproof JWK test 19)
  EXPECT_THAT(Jwk::FromJson(json), FailsWith(reason::kJwkAlgInvalid));
}

TEST(JwksTest, BadKeysAreSkippedWithTheirReasonAndGoodKeysKept) {
  auto good = SigningKey::GenerateForTesting(Algorithm::kEdDSA, "good");
  ASSERT_THAT(good, IsOk());
  std::string set =
      R"({"keys":[)" + boost::json::serialize(good->public_jwk().ToJson()) +
      R"(,{"kty":"oct","kid":"sym","k":"AAAA"},{"kty":"EC","kid":"short","crv":"P-256","x":"AAAA","y":"AAAA"},7]})";
  auto jwks = Jwks::Parse(set);
  ASSERT_THAT(jwks, IsOk());
  ASSERT_EQ(jwks->keys().size(), 1u);
  ASSERT_EQ(jwks->refused().size(), 3u);
  EXPECT_EQ(jwks->refused()[0].kid, "sym");
  EXPECT_EQ(jwks->refused()[1].status.reason(), reason::kJwkCoordinateLength);
  EXPECT_THAT(jwks->Select(std::string("short"), Algorithm::kES256),
              FailsWith(reason::kKeyRefused));
  EXPECT_THAT(jwks->Select(std::string("good"), Algorithm::kEdDSA), IsOk());
  EXPECT_THAT(jwks->Select(std::string("nope"), Algorithm::kEdDSA), FailsWith(reason::kKidUnknown));
}

TEST(JwksTest, SelectionWithoutKidNeedsExactlyOneFittingKey) {
  auto a = SigningKey::GenerateForTesting(Algorithm::kES256, "a");
  auto b = SigningKey::GenerateForTesting(Algorithm::kES256, "b");
  auto r = SigningKey::GenerateForTesting(Algorithm::kRS256, "r");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT(r, IsOk());
  Jwks one({a->public_jwk(), r->public_jwk()});
  auto chosen = one.Select(std::nullopt, Algorithm::kES256);
  ASSERT_THAT(chosen, IsOk());
  EXPECT_EQ((*chosen)->kid(), "a");
  Jwks two({a->public_jwk(), b->public_jwk()});
  EXPECT_THAT(two.Select(std::nullopt, Algorithm::kES256), FailsWith(reason::kKidAmbiguous));
  EXPECT_THAT(Jwks({r->public_jwk()}).Select(std::nullopt, Algorithm::kES256),
              FailsWith(reason::kKidUnknown));
}

TEST(JwksTest, SetLevelLimits) {
  EXPECT_THAT(Jwks::Parse(R"({"keys":{}})"), FailsWith(reason::kJwksKeysMissing));
  EXPECT_THAT(Jwks::Parse(R"({"nokeys":[]})"), FailsWith(reason::kJwksKeysMissing));
  EXPECT_THAT(Jwks::Parse(R"({"keys":[],"keys":[]})"), FailsWith("json_duplicate_member"));
  EXPECT_THAT(Jwks::Parse(std::string(300 * 1024, ' ')), FailsWith(reason::kJwksTooLarge));
  std::string many = R"({"keys":[)";
  for (int i = 0; i < 101; ++i) {
    many += std::string(i ? "," : "") + "{}";
  }
  EXPECT_THAT(Jwks::Parse(many + "]}"), FailsWith(reason::kJwksTooManyKeys));
}

TEST(SigningKeyTest, Pkcs8RoundTripKeepsTheKey) {
  for (Algorithm alg : {Algorithm::kES256, Algorithm::kEdDSA, Algorithm::kRS256}) {
    auto key = SigningKey::Generate(alg, "k");
    ASSERT_THAT(key, IsOk());
    Secret pem = key->ToPkcs8Pem();
    EXPECT_TRUE(pem.Reveal(SecretAccess::Grant()).starts_with("-----BEGIN PRIVATE KEY-----"));
    auto loaded = SigningKey::FromPkcs8Pem(pem, alg, "k");
    ASSERT_THAT(loaded, IsOk());
    EXPECT_EQ(loaded->public_jwk().Thumbprint(), key->public_jwk().Thumbprint());
  }
}

TEST(SigningKeyTest, RefusesKeysThatDoNotFitTheAlgorithm) {
  auto ec = SigningKey::Generate(Algorithm::kES256, "k");
  ASSERT_THAT(ec, IsOk());
  EXPECT_THAT(SigningKey::FromPkcs8Pem(ec->ToPkcs8Pem(), Algorithm::kES384, "k"),
              FailsWith(reason::kAlgKeyMismatch));
  EXPECT_THAT(SigningKey::FromPkcs8Pem(ec->ToPkcs8Pem(), Algorithm::kRS256, "k"),
              FailsWith(reason::kAlgKeyMismatch));
  EXPECT_THAT(SigningKey::FromPkcs8Pem(Secret("not a key"), Algorithm::kES256, "k"),
              FailsWith("private_key_invalid"));
  EXPECT_THAT(SigningKey::Generate(Algorithm::kPS256, "k"), FailsWith(reason::kAlgNotAllowed));
}

}  // namespace
}  // namespace signet::jose
