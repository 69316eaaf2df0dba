// STANDARDS.md §17 items 1-44: the negative tests a trustworthy token validator must
// pass, run against the JOSE layer (ParseCompactJws, JwsVerifier, JwtVerifier, Jwk,
// Jwks). Every token is real: keys come from SigningKey::GenerateForTesting (or OpenSSL
// directly, for keys Signet refuses to make), headers and claims are raw JSON signed
// with SignCompactJws, so the check under test is the one that fires, and each test
// asserts that check's distinct reason rather than a bare "rejected".
//
// Item -> tests (Item<NN>_ prefix; Control_ tests are the positive control of a group,
// proving the fixture accepts a good token so that the rejections mean something):
//    1 alg none, 4 spellings, empty/copied signature   Item01_* (2)
//    2 2/4 segments, empty segment, trailing dot       Item02_* (5)
//    3 JSON serialization, { " space =                 Item03_* (3)
//    4 non-canonical base64url                          Item04_* (4)
//    5 not a UTF-8 JSON object                          Item05_* (6)
//    6 duplicate alg, either order                      Item06_* (3)
//    7 duplicate sub/aud/exp/iss, "\u0061ud"            Item07_* (5)
//    8 5-segment JWE                                    Item08_* (2)
//    9 size cap before decoding, 100,000 dots           Item09_* (3)
//   10 10,000-deep JSON in header and claims            Item10_* (2)
//   11 HS256 keyed with the RSA public key              Item11_* (5)
//   12 HS256 keyed with EC / Ed25519 public keys        Item12_* (2)
//   13 alg outside the issuer's allowlist               Item13_* (2), Control_Item13_*
//   14 alg contradicts the JWK's kty/crv/alg            Item14_* (4)
//   15 psychic signature (all zero)                     Item15_* (2)
//   16 r or s = 0, = n, > n                             Item16_* (4), Control_Item16_*
//   17 DER-encoded, 63/65-byte ECDSA signatures         Item17_* (2)
//   18 modified header/payload/signature, no signature  Item18_* (4)
//   19 RSA < 2048 bits in the JWKS                      Item19_* (2)
//   20 EC point off the curve, short coordinates        Item20_* (3)
//   21 crit ["unknown"], [], ["alg"]                    Item21_* (3)
//   22 b64:false                                        Item22_* (2)
//   23 embedded jwk                                     Item23_* (1)
//   24 jku/x5u to a local listener, 169.254.169.254     Item24_* (3)
//   25 x5c self-signed chain                            Item25_* (1)
//   26 kid traversal, SQL, NUL, 64 KiB                  Item26_* (4)
//   27 NOT HERE: Jwks is an immutable set and never fetches; the rate-limited refetch on
//      an unknown kid is src/trust/issuer_test.cc (UnknownKidRefetchesOnce...).
//   28 no kid, several keys for the alg                 Item28_* (1), Control_Item28_*
//   29 use:"enc" / key_ops without "verify"             Item29_* (2)
//   30 iss A signed by issuer B's key                   Item30_* (2)
//   31 exp boundary around the leeway                   Item31_* (2)
//   32 nbf beyond the leeway                            Item32_* (1)
//   33 exp missing                                      Item33_* (1)
//   34 exp string/bool/null/1e300/negative              Item34_* (1), Control_Item34_*
//   35 lifetime above the max, iat in the future        Item35_* (2)
//   36 aud missing/[]/42/["other"]/"other"              Item36_* (5)
//   37 two audiences under a single-audience policy     Item37_* (1)
//   38 iss trailing slash / case / scheme               Item38_* (3)
//   39 typ at+jwt vs wit+jwt and others                 Item39_* (3), Control_Item39_*
//   40 ID token / access token as a client assertion    Item40_* (2)
//   41 NOT HERE: discovery documents are checked in src/trust/issuer_test.cc.
//   42 JWKS size and key-count caps (Jwks::Parse)       Item42_* (2); the https-only
//      jwks_uri is src/trust/issuer_test.cc; the HTTP client follows no redirect.
//   43 a refreshed JWKS that drops a key                Item43_* (1); keeping the
//      last-known-good set after a failed fetch is src/trust/issuer_test.cc.
//   44 no private/symmetric members in published JWKs   Item44_* (3)
//   Control_* (one per group): good tokens accepted.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/base64url.h"
#include "common/clock.h"
#include "common/json.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/jwt.h"
#include "jose/reasons.h"
#include "jose/signature.h"
#include "jose/signing_key.h"
#include "support/hostile_tokens.h"
#include "support/status_matchers.h"
#ifdef SIGNET_NEGATIVE_SUITE_OVER_HTTP
#include "exchange_backend.h"
#endif

namespace signet::jose {
namespace {

using signet::testing::FailsWith;
using signet::testing::IsOk;
using std::chrono::seconds;

#ifdef SIGNET_NEGATIVE_SUITE_OVER_HTTP
// signetd checks tokens against its own (real) clock, so the suite's tokens are made
// around the real time, in whole seconds.
const int64_t kNow = ToUnixSecondsFloor(Clock::Real().Now());
constexpr bool kOverHttp = true;
// Tests that accept a token exactly at a time limit need signetd's clock to read the
// suite's kNow to the second, which a separate process cannot promise; their in-process
// run (negative_suite_test) covers them.
#define SKIP_OVER_HTTP_AT_TIME_LIMITS() \
  GTEST_SKIP() << "needs signetd's clock equal to the suite's; checked in-process"
#else
constexpr int64_t kNow = 1'700'000'000;
constexpr bool kOverHttp = false;
#define SKIP_OVER_HTTP_AT_TIME_LIMITS() static_cast<void>(0)
#endif
constexpr int64_t kLeeway = 60;
constexpr int64_t kMaxLifetime = 24 * 3600;
constexpr std::string_view kIssuer = "https://issuer.example";

// The raw JSON/JWS builders, OpenSSL helpers and the loopback listener are shared with
// hostile_exchange_test (support/hostile_tokens.h).
using signet::testing::BnParamBytes;
using signet::testing::DecodedSignature;
using signet::testing::EcPointBytes;
using signet::testing::Ed25519RawPublic;
using signet::testing::Header;
using signet::testing::HeaderFor;
using signet::testing::Join;
using signet::testing::LoopbackListener;
using signet::testing::MakeWeakRsa;
using signet::testing::Num;
using signet::testing::P256Negate;
using signet::testing::P256Order;
using signet::testing::PublicKeyDer;
using signet::testing::PublicKeyPem;
using signet::testing::RawToDer;
using signet::testing::SelfSignedCertDer;
using signet::testing::Sign;
using signet::testing::SignEncoded;
using signet::testing::Split;
using signet::testing::StdBase64;
using signet::testing::UnalignedJson;
using signet::testing::Utf16;
using signet::testing::WeakRsa;
using signet::testing::WithSignature;
using signet::testing::WithTrailingBits;

// The suite's good claims (kIssuer, sub workload-a, aud signet, around kNow): each test
// starts from them and changes what it tests.
struct Claims : signet::testing::Claims {
  Claims() : signet::testing::Claims(Good(kIssuer, "workload-a", "signet", kNow)) {}
};

std::string GoodToken(const SigningKey& key) { return Sign(key, HeaderFor(key), Claims().Json()); }

// The HS/RS confusion token over the suite's good claims (see testing::HmacToken).
std::string HmacToken(std::string_view alg, const EVP_MD* md, std::string_view kid,
                      std::string_view secret) {
  return signet::testing::HmacToken(alg, md, kid, secret, Claims().Json());
}

// Private JWK members (RFC 7518 §6.2.2, §6.3.2, §6.4): none may ever be published.
constexpr std::string_view kPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

// ---------------------------------------------------------------------------------------

class NegativeSuiteTest : public ::testing::Test {
 protected:
  // Key generation (RSA especially) is the slow part; the keys are immutable, so one set
  // serves every test.
  static void SetUpTestSuite() {
    auto make = [](Algorithm alg, std::string kid) {
      Result<SigningKey> key = SigningKey::GenerateForTesting(alg, std::move(kid));
      EXPECT_THAT(key, IsOk());
      return std::make_unique<SigningKey>(std::move(key).value());
    };
    es256_ = make(Algorithm::kES256, "es-1").release();
    es384_ = make(Algorithm::kES384, "es384-1").release();
    es512_ = make(Algorithm::kES512, "es512-1").release();
    rs256_ = make(Algorithm::kRS256, "rs-1").release();
    eddsa_ = make(Algorithm::kEdDSA, "ed-1").release();
    attacker_ = make(Algorithm::kES256, "attacker-1").release();
#ifdef SIGNET_NEGATIVE_SUITE_OVER_HTTP
    backend_ = new testing::ExchangeBackend({std::string(kIssuer), IssuerJwks().ToJson(),
                                             "[ES256, ES384, ES512, RS256, PS256, EdDSA]", kLeeway,
                                             kMaxLifetime, "workload-a", "signet"});
#endif
  }
  static void TearDownTestSuite() {
#ifdef SIGNET_NEGATIVE_SUITE_OVER_HTTP
    delete backend_;
    backend_ = nullptr;
#endif
    for (SigningKey** key : {&es256_, &es384_, &es512_, &rs256_, &eddsa_, &attacker_}) {
      delete *key;
      *key = nullptr;
    }
  }

  static const SigningKey& Es256() { return *es256_; }
  static const SigningKey& Es384() { return *es384_; }
  static const SigningKey& Es512() { return *es512_; }
  static const SigningKey& Rs256() { return *rs256_; }
  static const SigningKey& EdDsa() { return *eddsa_; }
  static const SigningKey& Attacker() { return *attacker_; }

  // The configured issuer's key set. The attacker's key is never in it.
  static Jwks IssuerJwks() {
    return Jwks({Es256().public_jwk(), Es384().public_jwk(), Es512().public_jwk(),
                 Rs256().public_jwk(), EdDsa().public_jwk()});
  }

  static JwtValidator::Builder Rules() {
    JwtValidator::Builder b;
    b.ExpectIssuer(std::string(kIssuer))
        .ExpectAudience("signet")
        .AllowAlgorithms({Algorithm::kES256, Algorithm::kES384, Algorithm::kES512,
                          Algorithm::kRS256, Algorithm::kPS256, Algorithm::kEdDSA})
        .SetLeeway(seconds(kLeeway))
        .SetMaxLifetime(seconds(kMaxLifetime));
    return b;
  }

  static Result<VerifiedJwt> VerifyWith(const JwtValidator::Builder& rules, std::string_view token,
                                        const Jwks& keys) {
    Result<JwtValidator> validator = rules.Build();
    if (!validator.ok()) {
      return validator.status();
    }
    return JwtVerifier(std::move(validator).value()).Verify(token, keys, FromUnixSeconds(kNow));
  }
#ifdef SIGNET_NEGATIVE_SUITE_OVER_HTTP
  // The token goes to signetd as a subject token; its refusal reason comes back from the
  // audit trail. One translation: signetd chooses the issuer by `iss`, so a token whose
  // `iss` names no configured issuer is refused as issuer_untrusted where a validator
  // built for one issuer says iss_mismatch.
  static Result<VerifiedJwt> Verify(std::string_view token) {
    Result<VerifiedJwt> local = VerifyWith(Rules(), token, IssuerJwks());
    Status answer = backend_->Present(token);
    if (answer.ok()) {
      EXPECT_THAT(local, IsOk()) << "signetd accepted a token the validator refuses";
      return local;
    }
    if (answer.reason() == "issuer_untrusted") {
      return Status(answer.code(), reason::kIssMismatch, answer.message());
    }
    return answer;
  }
#else
  static Result<VerifiedJwt> Verify(std::string_view token) {
    return VerifyWith(Rules(), token, IssuerJwks());
  }
#endif
  static Result<VerifiedJwt> VerifyClaims(const Claims& claims) {
    return Verify(Sign(Es256(), HeaderFor(Es256()), claims.Json()));
  }

 private:
  static inline SigningKey* es256_ = nullptr;
  static inline SigningKey* es384_ = nullptr;
  static inline SigningKey* es512_ = nullptr;
  static inline SigningKey* rs256_ = nullptr;
  static inline SigningKey* eddsa_ = nullptr;
  static inline SigningKey* attacker_ = nullptr;
#ifdef SIGNET_NEGATIVE_SUITE_OVER_HTTP
  static inline testing::ExchangeBackend* backend_ = nullptr;
#endif
};

// ============================== Parsing / format (1-10) ================================

TEST_F(NegativeSuiteTest, Control_Parsing_GoodTokenOfEveryIssuerKeyAccepted) {
  for (const SigningKey* key : {&Es256(), &Es384(), &Es512(), &Rs256(), &EdDsa()}) {
    Result<VerifiedJwt> jwt = Verify(GoodToken(*key));
    ASSERT_THAT(jwt, IsOk()) << key->kid();
    EXPECT_EQ(jwt->subject(), "workload-a");
    EXPECT_EQ(jwt->key_id(), key->kid());
  }
}

TEST_F(NegativeSuiteTest, Item01_AlgNoneAnySpellingWithEmptySignatureRejected) {
  // The unsecured JWS of RFC 7515 §A.5: "<header>.<payload>." with nothing signed.
  for (std::string_view none : {"none", "None", "NONE", "nOnE"}) {
    std::string token =
        Base64UrlEncode(Header(none, "")) + "." + Base64UrlEncode(Claims().Json()) + ".";
    EXPECT_THAT(Verify(token), FailsWith(reason::kAlgNone)) << none;
    // Naming a real key changes nothing.
    token = Base64UrlEncode(Header(none, "es-1")) + "." + Base64UrlEncode(Claims().Json()) + ".";
    EXPECT_THAT(Verify(token), FailsWith(reason::kAlgNone)) << none;
  }
}

TEST_F(NegativeSuiteTest, Item01_AlgNoneAnySpellingWithCopiedSignatureRejected) {
  std::vector<std::string> good = Split(GoodToken(Es256()));
  for (std::string_view none : {"none", "None", "NONE", "nOnE"}) {
    std::string token = Join(Base64UrlEncode(Header(none, "es-1")), good[1], good[2]);
    EXPECT_THAT(Verify(token), FailsWith(reason::kAlgNone)) << none;
  }
}

TEST_F(NegativeSuiteTest, Item02_TwoAndFourSegmentsRejected) {
  std::vector<std::string> p = Split(GoodToken(Es256()));
  EXPECT_THAT(Verify(p[0] + "." + p[1]), FailsWith(reason::kSegmentCount));
  EXPECT_THAT(Verify(Join(p[0], p[1], p[2]) + "." + p[2]), FailsWith(reason::kSegmentCount));
  EXPECT_THAT(Verify(p[0]), FailsWith(reason::kSegmentCount));
  // Over HTTP an empty subject_token is an absent one (RFC 6749 §3.1).
  EXPECT_THAT(Verify(""), FailsWith(kOverHttp ? "subject_token_missing" : reason::kSegmentCount));
}

TEST_F(NegativeSuiteTest, Item02_EmptyHeaderSegmentRejected) {
  std::vector<std::string> p = Split(GoodToken(Es256()));
  EXPECT_THAT(Verify(Join("", p[1], p[2])), FailsWith(reason::kSegmentEmpty));
  EXPECT_THAT(Verify(".."), FailsWith(reason::kSegmentEmpty));
}

TEST_F(NegativeSuiteTest, Item02_EmptyPayloadSegmentRejected) {
  // Correctly signed over "<header>.", so the signature is not what refuses it. An empty
  // payload is a legal JWS (RFC 7515; Wycheproof's "emptyPayload" vectors are valid), so
  // the JWS layer verifies it; the JWT layer must then refuse claims that are no object.
  std::string token = SignEncoded(Es256(), Base64UrlEncode(HeaderFor(Es256())), "");
  Result<JwsVerifier> jws = JwsVerifier::Create({Algorithm::kES256});
  ASSERT_THAT(jws, IsOk());
  Result<VerifiedJws> verified = jws->Verify(token, IssuerJwks());
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->payload(), "");
  EXPECT_THAT(Verify(token), FailsWith("json_malformed"));
  // Not signed over the empty payload (the signature of a real token): refused as such.
  // signetd must read `iss` to know whose keys to check, so it refuses the claims first.
  std::vector<std::string> p = Split(GoodToken(Es256()));
  EXPECT_THAT(Verify(Join(p[0], "", p[2])),
              FailsWith(kOverHttp ? "json_malformed" : reason::kSignatureInvalid));
}

TEST_F(NegativeSuiteTest, Item02_TrailingDotRejected) {
  std::vector<std::string> p = Split(GoodToken(Es256()));
  // "<header>.<payload>." has no signature; "<good token>." has four segments.
  EXPECT_THAT(Verify(p[0] + "." + p[1] + "."), FailsWith(reason::kSignatureMissing));
  EXPECT_THAT(Verify(Join(p[0], p[1], p[2]) + "."), FailsWith(reason::kSegmentCount));
}

TEST_F(NegativeSuiteTest, Item02_SignatureOnlyTokenRejected) {
  std::vector<std::string> p = Split(GoodToken(Es256()));
  EXPECT_THAT(Verify(".." + p[2]), FailsWith(reason::kSegmentEmpty));
}

TEST_F(NegativeSuiteTest, Item03_JwsJsonSerializationRejected) {
  // The same, validly signed JWS in general and flattened JSON serialization
  // (CVE-2022-39227: verify one form, read claims from the other).
  std::vector<std::string> p = Split(GoodToken(Es256()));
  std::string general = R"({"payload":")" + p[1] + R"(","signatures":[{"protected":")" + p[0] +
                        R"(","signature":")" + p[2] + R"("}]})";
  std::string flattened = R"({"payload":")" + p[1] + R"(","protected":")" + p[0] +
                          R"(","signature":")" + p[2] + R"("})";
  EXPECT_THAT(Verify(general), FailsWith(reason::kJsonSerializationRefused));
  EXPECT_THAT(Verify(flattened), FailsWith(reason::kJsonSerializationRefused));
  // Leading whitespace does not sneak it past the format check.
  EXPECT_THAT(Verify(" " + flattened), FailsWith(reason::kTokenCharset));
}

TEST_F(NegativeSuiteTest, Item03_BraceQuoteSpaceEqualsInTokenRejected) {
  std::string good = GoodToken(Es256());
  size_t mid = good.find('.') + 3;
  for (std::string_view bad : {"{", "\"", " ", "=", "}", "\t"}) {
    std::string token = good;
    token.insert(mid, bad);
    EXPECT_THAT(Verify(token), FailsWith(reason::kTokenCharset)) << "inserted '" << bad << "'";
  }
  // Claims smuggled after a valid token, python-jwt style.
  EXPECT_THAT(Verify(good + R"( {"sub":"admin"})"), FailsWith(reason::kTokenCharset));
}

TEST_F(NegativeSuiteTest, Item03_CompactTokenWithJsonBodyRejected) {
  std::vector<std::string> p = Split(GoodToken(Es256()));
  EXPECT_THAT(Verify(p[0] + "." + Claims().Json() + "." + p[2]), FailsWith(reason::kTokenCharset));
}

TEST_F(NegativeSuiteTest, Item04_PaddingPlusSlashAndNewlineRejected) {
  // Found by the format check, before any decoding.
  std::string good = GoodToken(Es256());
  std::vector<std::string> p = Split(good);
  ASSERT_NE(p[2].size() % 4, 0u);
  EXPECT_THAT(Verify(good + "=="), FailsWith(reason::kTokenCharset));
  EXPECT_THAT(Verify(Join(p[0] + "=", p[1], p[2])), FailsWith(reason::kTokenCharset));
  std::string plus = good;
  plus[good.find('.') + 1] = '+';
  EXPECT_THAT(Verify(plus), FailsWith(reason::kTokenCharset));
  std::string slash = good;
  slash[good.find('.') + 1] = '/';
  EXPECT_THAT(Verify(slash), FailsWith(reason::kTokenCharset));
  std::string newline = good;
  newline.insert(good.size() / 2, "\n");
  EXPECT_THAT(Verify(newline), FailsWith(reason::kTokenCharset));
  EXPECT_THAT(Verify(good + "\r\n"), FailsWith(reason::kTokenCharset));
}

TEST_F(NegativeSuiteTest, Item04_NonZeroTrailingBitsInSignatureRejected) {
  // A second spelling of the same signature bytes: without the canonical-form check
  // it would verify, making tokens malleable (two strings, one signature).
  std::string good = GoodToken(Es256());
  std::vector<std::string> p = Split(good);
  std::string tweaked = WithTrailingBits(p[2]);
  ASSERT_NE(tweaked, p[2]);
  EXPECT_THAT(Verify(Join(p[0], p[1], tweaked)), FailsWith(reason::kBase64Url));
}

TEST_F(NegativeSuiteTest, Item04_NonZeroTrailingBitsInSignedHeaderAndPayloadRejected) {
  // Signed over the non-canonical text itself, so the signature is valid and only the
  // canonical-form check stands between the token and acceptance.
  std::string header = Base64UrlEncode(UnalignedJson(HeaderFor(Es256())));
  std::string payload = Base64UrlEncode(UnalignedJson(Claims().Json()));
  ASSERT_THAT(Verify(SignEncoded(Es256(), header, payload)), IsOk());
  EXPECT_THAT(Verify(SignEncoded(Es256(), WithTrailingBits(header), payload)),
              FailsWith(reason::kBase64Url));
  EXPECT_THAT(Verify(SignEncoded(Es256(), header, WithTrailingBits(payload))),
              FailsWith(reason::kBase64Url));
}

TEST_F(NegativeSuiteTest, Item04_SegmentLengthOneModFourRejected) {
  std::vector<std::string> p = Split(GoodToken(Es256()));
  std::string payload = p[1];
  while (payload.size() % 4 != 1) {
    payload += 'A';
  }
  EXPECT_THAT(Verify(SignEncoded(Es256(), p[0], payload)), FailsWith(reason::kBase64Url));
}

TEST_F(NegativeSuiteTest, Item05_HeaderNotAnObjectRejected) {
  std::string payload = Claims().Json();
  EXPECT_THAT(Verify(Sign(Es256(), R"([{"alg":"ES256","kid":"es-1"}])", payload)),
              FailsWith("json_not_object"));
  EXPECT_THAT(Verify(Sign(Es256(), R"("ES256")", payload)), FailsWith("json_not_object"));
  EXPECT_THAT(Verify(Sign(Es256(), "42", payload)), FailsWith("json_not_object"));
}

TEST_F(NegativeSuiteTest, Item05_PayloadNotAnObjectRejected) {
  // Correctly signed, so the claims parser is what refuses them.
  std::string header = HeaderFor(Es256());
  EXPECT_THAT(Verify(Sign(Es256(), header, "[" + Claims().Json() + "]")),
              FailsWith("json_not_object"));
  EXPECT_THAT(Verify(Sign(Es256(), header, R"("https://issuer.example")")),
              FailsWith("json_not_object"));
  EXPECT_THAT(Verify(Sign(Es256(), header, "null")), FailsWith("json_not_object"));
}

TEST_F(NegativeSuiteTest, Item05_Utf16HeaderRejected) {
  for (bool be : {false, true}) {
    std::string token = Sign(Es256(), Utf16(HeaderFor(Es256()), be), Claims().Json());
    EXPECT_THAT(Verify(token), FailsWith("json_malformed")) << (be ? "UTF-16BE" : "UTF-16LE");
    std::string with_bom =
        (be ? std::string("\xfe\xff") : std::string("\xff\xfe")) + Utf16(HeaderFor(Es256()), be);
    EXPECT_THAT(Verify(Sign(Es256(), with_bom, Claims().Json())), FailsWith("json_malformed"));
  }
}

TEST_F(NegativeSuiteTest, Item05_Utf16PayloadRejected) {
  for (bool be : {false, true}) {
    std::string token = Sign(Es256(), HeaderFor(Es256()), Utf16(Claims().Json(), be));
    EXPECT_THAT(Verify(token), FailsWith("json_malformed")) << (be ? "UTF-16BE" : "UTF-16LE");
  }
}

TEST_F(NegativeSuiteTest, Item05_Utf8ByteOrderMarkRejected) {
  const std::string bom = "\xef\xbb\xbf";
  EXPECT_THAT(Verify(Sign(Es256(), bom + HeaderFor(Es256()), Claims().Json())),
              FailsWith("json_malformed"));
  EXPECT_THAT(Verify(Sign(Es256(), HeaderFor(Es256()), bom + Claims().Json())),
              FailsWith("json_malformed"));
}

TEST_F(NegativeSuiteTest, Item05_InvalidUtf8Rejected) {
  // A stray continuation byte, an overlong "/" (C0 AF), a UTF-16 surrogate encoded in
  // UTF-8 (ED A0 80) and a truncated sequence, each in a string of signed claims.
  for (std::string_view bad : {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82"}) {
    Claims claims;
    claims.sub = "\"workload-" + std::string(bad) + "\"";
    EXPECT_THAT(VerifyClaims(claims), FailsWith("json_malformed"));
  }
  EXPECT_THAT(Verify(Sign(Es256(), Header("ES256", "es-1\xc0\xaf"), Claims().Json())),
              FailsWith("json_malformed"));
}

TEST_F(NegativeSuiteTest, Item06_DuplicateAlgNoneThenEs256Rejected) {
  // Signed with ES256: a last-wins parser would accept the token, a first-wins one see
  // "none". Only a duplicate check gives one answer.
  EXPECT_THAT(
      Verify(Sign(Es256(), R"({"alg":"none","alg":"ES256","kid":"es-1"})", Claims().Json())),
      FailsWith("json_duplicate_member"));
}

TEST_F(NegativeSuiteTest, Item06_DuplicateAlgEs256ThenNoneRejected) {
  EXPECT_THAT(
      Verify(Sign(Es256(), R"({"alg":"ES256","kid":"es-1","alg":"none"})", Claims().Json())),
      FailsWith("json_duplicate_member"));
  EXPECT_THAT(
      Verify(Sign(Es256(), R"({"alg":"ES256","alg":"ES256","kid":"es-1"})", Claims().Json())),
      FailsWith("json_duplicate_member"));
}

TEST_F(NegativeSuiteTest, Item06_EscapeEquivalentDuplicateAlgRejected) {
  EXPECT_THAT(
      Verify(Sign(Es256(), R"({"alg":"ES256","\u0061lg":"none","kid":"es-1"})", Claims().Json())),
      FailsWith("json_duplicate_member"));
}

TEST_F(NegativeSuiteTest, Item07_DuplicateSubRejected) {
  Claims claims;
  claims.extra = R"("sub":"admin")";
  EXPECT_THAT(VerifyClaims(claims), FailsWith("json_duplicate_member"));
}

TEST_F(NegativeSuiteTest, Item07_DuplicateAudRejected) {
  Claims claims;
  claims.extra = R"("aud":"other-rp")";
  EXPECT_THAT(VerifyClaims(claims), FailsWith("json_duplicate_member"));
}

TEST_F(NegativeSuiteTest, Item07_DuplicateExpRejected) {
  Claims claims;
  claims.extra = "\"exp\":" + Num(kNow + 10 * 365 * 24 * 3600);
  EXPECT_THAT(VerifyClaims(claims), FailsWith("json_duplicate_member"));
}

TEST_F(NegativeSuiteTest, Item07_DuplicateIssRejected) {
  Claims claims;
  claims.extra = R"("iss":"https://attacker.example")";
  EXPECT_THAT(VerifyClaims(claims), FailsWith("json_duplicate_member"));
}

TEST_F(NegativeSuiteTest, Item07_EscapeEquivalentDuplicateAudRejected) {
  Claims claims;
  claims.extra = R"("\u0061ud":"other-rp")";
  EXPECT_THAT(VerifyClaims(claims), FailsWith("json_duplicate_member"));
  claims.extra = R"("s\u0075b":"admin")";
  EXPECT_THAT(VerifyClaims(claims), FailsWith("json_duplicate_member"));
}

TEST_F(NegativeSuiteTest, Item08_FiveSegmentJweRejected) {
  std::string jwe =
      Base64UrlEncode(R"({"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"rs-1"})") + "." +
      Base64UrlEncode(std::string(256, '\x11')) + "." + Base64UrlEncode(std::string(12, '\x22')) +
      "." + Base64UrlEncode(Claims().Json()) + "." + Base64UrlEncode(std::string(16, '\x33'));
  EXPECT_THAT(Verify(jwe), FailsWith(reason::kJweRefused));
}

TEST_F(NegativeSuiteTest, Item08_DirectJweWithEmptyKeyAndZipRejected) {
  // alg "dir" has an empty encrypted-key segment; "zip":"DEF" is the decompression bomb
  // vector. Refused by shape before anything is decoded or inflated.
  std::string jwe = Base64UrlEncode(R"({"alg":"dir","enc":"A128GCM","zip":"DEF"})") + ".." +
                    Base64UrlEncode(std::string(12, '\x22')) + "." +
                    Base64UrlEncode(std::string(64, '\x44')) + "." +
                    Base64UrlEncode(std::string(16, '\x33'));
  EXPECT_THAT(Verify(jwe), FailsWith(reason::kJweRefused));
}

TEST_F(NegativeSuiteTest, Item09_SignedTokenOver16KiBRejected) {
  Claims claims;
  claims.extra = "\"pad\":\"" + std::string(16 * 1024, 'x') + "\"";
  std::string token = Sign(Es256(), HeaderFor(Es256()), claims.Json());
  ASSERT_GT(token.size(), 16u * 1024);
  EXPECT_THAT(Verify(token), FailsWith(reason::kTokenTooLarge));
}

TEST_F(NegativeSuiteTest, Item09_OneMegabyteRejectedBeforeDecoding) {
  // Each input would fail a later check at its very first byte (JSON serialization,
  // charset, base64); the size reason shows nothing ran before the length test.
  for (char fill : {'{', '!', 'A'}) {
    std::string token(1 << 20, fill);
    EXPECT_THAT(Verify(token), FailsWith(reason::kTokenTooLarge)) << fill;
  }
}

TEST_F(NegativeSuiteTest, Item09_HundredThousandDotsRejected) {
  std::string dots(100'000, '.');
  EXPECT_THAT(Verify(dots), FailsWith(reason::kTokenTooLarge));
  // Even with a cap large enough to admit them, segment splitting is a single pass that
  // stores two offsets (not a split into 100,001 strings, cf. CVE-2025-30204).
  JwsLimits huge;
  huge.max_token_bytes = 1 << 20;
  EXPECT_THAT(ParseCompactJws(dots, huge), FailsWith(reason::kSegmentCount));
  EXPECT_THAT(ParseCompactJws(std::string(1 << 20, '.'), huge), FailsWith(reason::kSegmentCount));
}

TEST_F(NegativeSuiteTest, Item10_TenThousandDeepHeaderRejected) {
  std::string deep = R"({"alg":"ES256","kid":"es-1","x":)" + std::string(10'000, '[') +
                     std::string(10'000, ']') + "}";
  std::string token = Sign(Es256(), deep, Claims().Json());
  EXPECT_THAT(Verify(token), FailsWith(reason::kTokenTooLarge));
  // With the largest token cap the builder allows, the depth limit refuses it.
  JwtValidator::Builder rules = Rules();
  rules.SetMaxTokenBytes(kMaxMaxTokenBytes);
  EXPECT_THAT(VerifyWith(rules, token, IssuerJwks()), FailsWith("json_too_deep"));
}

TEST_F(NegativeSuiteTest, Item10_TenThousandDeepClaimsRejected) {
  Claims claims;
  claims.extra = "\"x\":" + std::string(10'000, '[') + std::string(10'000, ']');
  std::string token = Sign(Es256(), HeaderFor(Es256()), claims.Json());
  JwtValidator::Builder rules = Rules();
  rules.SetMaxTokenBytes(kMaxMaxTokenBytes);
  // Correctly signed: the signature passes and the claims parser must refuse.
  EXPECT_THAT(VerifyWith(rules, token, IssuerJwks()), FailsWith("json_too_deep"));
  claims.extra = "\"x\":" + std::string(17, '[') + std::string(17, ']');
  EXPECT_THAT(VerifyClaims(claims), FailsWith("json_too_deep"));
}

// ========================= Algorithms and signatures (11-20) ===========================

TEST_F(NegativeSuiteTest, Item11_Hs256WithRsaPublicKeyPemRejected) {
  std::string pem = PublicKeyPem(Rs256().pkey());
  ASSERT_TRUE(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
  EXPECT_THAT(Verify(HmacToken("HS256", EVP_sha256(), "rs-1", pem)),
              FailsWith(reason::kAlgSymmetricRefused));
}

TEST_F(NegativeSuiteTest, Item11_Hs256WithRsaPublicKeyDerRejected) {
  EXPECT_THAT(Verify(HmacToken("HS256", EVP_sha256(), "rs-1", PublicKeyDer(Rs256().pkey()))),
              FailsWith(reason::kAlgSymmetricRefused));
}

TEST_F(NegativeSuiteTest, Item11_Hs256WithRsaPublicJwkBytesRejected) {
  // PyJWT CVE-2026-48526: the JWK JSON itself used as the HMAC secret.
  std::string jwk = boost::json::serialize(Rs256().public_jwk().ToJson());
  EXPECT_THAT(Verify(HmacToken("HS256", EVP_sha256(), "rs-1", jwk)),
              FailsWith(reason::kAlgSymmetricRefused));
  EXPECT_THAT(Verify(HmacToken("HS256", EVP_sha256(), "rs-1", IssuerJwks().ToJson())),
              FailsWith(reason::kAlgSymmetricRefused));
}

TEST_F(NegativeSuiteTest, Item11_Hs256WithRsaModulusRejected) {
  std::string n = BnParamBytes(Rs256().pkey(), OSSL_PKEY_PARAM_RSA_N);
  ASSERT_EQ(n.size(), 256u);
  EXPECT_THAT(Verify(HmacToken("HS256", EVP_sha256(), "rs-1", n)),
              FailsWith(reason::kAlgSymmetricRefused));
}

TEST_F(NegativeSuiteTest, Item11_Hs384AndHs512WithRsaPublicKeyRejected) {
  std::string pem = PublicKeyPem(Rs256().pkey());
  EXPECT_THAT(Verify(HmacToken("HS384", EVP_sha384(), "rs-1", pem)),
              FailsWith(reason::kAlgSymmetricRefused));
  EXPECT_THAT(Verify(HmacToken("HS512", EVP_sha512(), "rs-1", pem)),
              FailsWith(reason::kAlgSymmetricRefused));
}

TEST_F(NegativeSuiteTest, Item12_Hs256WithEcPublicKeyRejected) {
  EVP_PKEY* ec = Es256().pkey();
  for (const std::string& secret : {PublicKeyPem(ec), PublicKeyDer(ec), EcPointBytes(ec),
                                    boost::json::serialize(Es256().public_jwk().ToJson())}) {
    EXPECT_THAT(Verify(HmacToken("HS256", EVP_sha256(), "es-1", secret)),
                FailsWith(reason::kAlgSymmetricRefused));
  }
}

TEST_F(NegativeSuiteTest, Item12_Hs256WithEd25519PublicKeyRejected) {
  EVP_PKEY* ed = EdDsa().pkey();
  std::string raw = Ed25519RawPublic(ed);
  ASSERT_EQ(raw.size(), 32u);
  for (const std::string& secret : {raw, PublicKeyPem(ed), PublicKeyDer(ed),
                                    boost::json::serialize(EdDsa().public_jwk().ToJson())}) {
    EXPECT_THAT(Verify(HmacToken("HS256", EVP_sha256(), "ed-1", secret)),
                FailsWith(reason::kAlgSymmetricRefused));
  }
}

JwtValidator::Builder Es256Only() {
  JwtValidator::Builder b;
  b.ExpectIssuer(std::string(kIssuer))
      .ExpectAudience("signet")
      .AllowAlgorithms({Algorithm::kES256})
      .SetLeeway(seconds(kLeeway));
  return b;
}

TEST_F(NegativeSuiteTest, Control_Item13_AllowedAlgorithmAccepted) {
  EXPECT_THAT(VerifyWith(Es256Only(), GoodToken(Es256()), IssuerJwks()), IsOk());
}

TEST_F(NegativeSuiteTest, Item13_Rs512OutsideEs256AllowlistRejected) {
  // A valid RS512 token from a key in the issuer's own JWKS.
  Result<SigningKey> rs512 = SigningKey::GenerateForTesting(Algorithm::kRS512, "rs512-1");
  ASSERT_THAT(rs512, IsOk());
  Jwks keys({Es256().public_jwk(), rs512->public_jwk()});
  std::string token = GoodToken(*rs512);
  ASSERT_THAT(VerifyWith(Rules().AllowAlgorithms({Algorithm::kRS512}), token, keys), IsOk());
  EXPECT_THAT(VerifyWith(Es256Only(), token, keys), FailsWith(reason::kAlgNotAllowed));
}

TEST_F(NegativeSuiteTest, Item13_EdDsaAndEs384OutsideEs256AllowlistRejected) {
  EXPECT_THAT(VerifyWith(Es256Only(), GoodToken(EdDsa()), IssuerJwks()),
              FailsWith(reason::kAlgNotAllowed));
  EXPECT_THAT(VerifyWith(Es256Only(), GoodToken(Es384()), IssuerJwks()),
              FailsWith(reason::kAlgNotAllowed));
  // RS256 is allowed by default elsewhere; here it is not.
  EXPECT_THAT(VerifyWith(Es256Only(), GoodToken(Rs256()), IssuerJwks()),
              FailsWith(reason::kAlgNotAllowed));
}

TEST_F(NegativeSuiteTest, Item14_Es256HeaderWithRsaKeyRejected) {
  // Signed with a real P-256 key, but the kid names the issuer's RSA key.
  std::string token = Sign(Attacker(), Header("ES256", "rs-1"), Claims().Json());
  EXPECT_THAT(Verify(token), FailsWith(reason::kAlgKeyMismatch));
}

TEST_F(NegativeSuiteTest, Item14_Es384HeaderWithP256KeyRejected) {
  std::string token = Sign(Es384(), Header("ES384", "es-1"), Claims().Json());
  EXPECT_THAT(Verify(token), FailsWith(reason::kAlgKeyMismatch));
  token = Sign(Es512(), Header("ES512", "es-1"), Claims().Json());
  EXPECT_THAT(Verify(token), FailsWith(reason::kAlgKeyMismatch));
}

TEST_F(NegativeSuiteTest, Item14_Ps256HeaderWithKeyMarkedRs256Rejected) {
  // A genuine PS256 signature by the very RSA key the JWKS publishes with "alg":"RS256":
  // one key, one algorithm (RFC 8725 §3.1), even when the maths would verify.
  Result<SigningKey> ps256 =
      SigningKey::FromPkcs8Pem(Rs256().ToPkcs8Pem(), Algorithm::kPS256, "rs-1");
  ASSERT_THAT(ps256, IsOk());
  std::string token = GoodToken(*ps256);
  EXPECT_THAT(Verify(token), FailsWith(reason::kAlgKeyMismatch));
  // The same public key without a JWK "alg" is bound by the allowlist instead: with RS256
  // and PS256 both allowed it could serve either, so it is refused; with PS256 alone it
  // accepts the token, so the refusals are the alg binding and nothing else.
  boost::json::object json = Rs256().public_jwk().ToJson();
  json.erase("alg");
  Result<Jwk> unbound = Jwk::FromJson(json);
  ASSERT_THAT(unbound, IsOk());
  EXPECT_THAT(VerifyWith(Rules(), token, Jwks({*unbound})), FailsWith(reason::kAlgKeyMismatch));
  JwtValidator::Builder ps256_only = Rules();
  ps256_only.AllowAlgorithms({Algorithm::kPS256});
  EXPECT_THAT(VerifyWith(ps256_only, token, Jwks({*unbound})), IsOk());
}

TEST_F(NegativeSuiteTest, Item14_EdDsaHeaderWithEcKeyRejected) {
  std::string token = Sign(EdDsa(), Header("EdDSA", "es-1"), Claims().Json());
  EXPECT_THAT(Verify(token), FailsWith(reason::kAlgKeyMismatch));
  token = Sign(Rs256(), Header("RS256", "ed-1"), Claims().Json());
  EXPECT_THAT(Verify(token), FailsWith(reason::kAlgKeyMismatch));
}

TEST_F(NegativeSuiteTest, Item15_Es256AllZeroSignatureRejected) {
  // CVE-2022-21449: r = s = 0 "verifies" any message under a verifier that skips the
  // range check.
  std::string token = WithSignature(GoodToken(Es256()), std::string(64, '\0'));
  EXPECT_THAT(Verify(token), FailsWith(reason::kEcdsaSignatureRange));
}

TEST_F(NegativeSuiteTest, Item15_AllZeroSignatureRejectedOnEveryCurve) {
  EXPECT_THAT(Verify(WithSignature(GoodToken(Es384()), std::string(96, '\0'))),
              FailsWith(reason::kEcdsaSignatureRange));
  EXPECT_THAT(Verify(WithSignature(GoodToken(Es512()), std::string(132, '\0'))),
              FailsWith(reason::kEcdsaSignatureRange));
}

TEST_F(NegativeSuiteTest, Item16_RZeroWithValidSRejected) {
  std::string good = GoodToken(Es256());
  std::string sig = DecodedSignature(good);
  EXPECT_THAT(Verify(WithSignature(good, std::string(32, '\0') + sig.substr(32))),
              FailsWith(reason::kEcdsaSignatureRange));
}

TEST_F(NegativeSuiteTest, Item16_SZeroWithValidRRejected) {
  std::string good = GoodToken(Es256());
  std::string sig = DecodedSignature(good);
  EXPECT_THAT(Verify(WithSignature(good, sig.substr(0, 32) + std::string(32, '\0'))),
              FailsWith(reason::kEcdsaSignatureRange));
}

TEST_F(NegativeSuiteTest, Item16_ROrSEqualToOrderRejected) {
  std::string good = GoodToken(Es256());
  std::string sig = DecodedSignature(good);
  std::string n = P256Order();
  EXPECT_THAT(Verify(WithSignature(good, n + n)), FailsWith(reason::kEcdsaSignatureRange));
  EXPECT_THAT(Verify(WithSignature(good, n + sig.substr(32))),
              FailsWith(reason::kEcdsaSignatureRange));
  EXPECT_THAT(Verify(WithSignature(good, sig.substr(0, 32) + n)),
              FailsWith(reason::kEcdsaSignatureRange));
}

TEST_F(NegativeSuiteTest, Item16_ROrSAboveOrderRejected) {
  std::string good = GoodToken(Es256());
  std::string sig = DecodedSignature(good);
  std::string above = P256Order();
  above[31] = static_cast<char>(above[31] + 1);  // n + 1 (n ends in 0x51: no carry)
  std::string max(32, '\xff');
  EXPECT_THAT(Verify(WithSignature(good, above + sig.substr(32))),
              FailsWith(reason::kEcdsaSignatureRange));
  EXPECT_THAT(Verify(WithSignature(good, sig.substr(0, 32) + above)),
              FailsWith(reason::kEcdsaSignatureRange));
  EXPECT_THAT(Verify(WithSignature(good, max + max)), FailsWith(reason::kEcdsaSignatureRange));
}

TEST_F(NegativeSuiteTest, Control_Item16_HighSSignatureAccepted) {
  // (r, n - s) is as valid as (r, s); JOSE does not require low-S (STANDARDS.md A8), so
  // the range check must not refuse it. This proves the check is [1, n-1], not tighter.
  std::string good = GoodToken(Es256());
  std::string sig = DecodedSignature(good);
  std::string flipped = sig.substr(0, 32) + P256Negate(sig.substr(32));
  ASSERT_NE(flipped, sig);
  EXPECT_THAT(Verify(WithSignature(good, flipped)), IsOk());
}

TEST_F(NegativeSuiteTest, Item17_DerEncodedEs256SignatureRejected) {
  std::string good = GoodToken(Es256());
  std::string der = RawToDer(DecodedSignature(good));
  ASSERT_EQ(der[0], '\x30');
  ASSERT_NE(der.size(), 64u);
  EXPECT_THAT(Verify(WithSignature(good, der)), FailsWith(reason::kEcdsaSignatureLength));
  // Zero-padded to 64 bytes where it happens to be shorter, or truncated: still wrong.
  std::string der64 = der.substr(0, 64);
  der64.resize(64, '\0');
  EXPECT_THAT(Verify(WithSignature(good, der64)),
              ::testing::AnyOf(FailsWith(reason::kSignatureInvalid),
                               FailsWith(reason::kEcdsaSignatureRange)));
}

TEST_F(NegativeSuiteTest, Item17_Es256SignatureOf63And65BytesRejected) {
  std::string good = GoodToken(Es256());
  std::string sig = DecodedSignature(good);
  EXPECT_THAT(Verify(WithSignature(good, sig.substr(0, 63))),
              FailsWith(reason::kEcdsaSignatureLength));
  EXPECT_THAT(Verify(WithSignature(good, sig + '\0')), FailsWith(reason::kEcdsaSignatureLength));
  EXPECT_THAT(Verify(WithSignature(good, '\0' + sig)), FailsWith(reason::kEcdsaSignatureLength));
  // The ES384 length on an ES256 token.
  EXPECT_THAT(Verify(WithSignature(good, sig + sig.substr(0, 32))),
              FailsWith(reason::kEcdsaSignatureLength));
}

TEST_F(NegativeSuiteTest, Item18_ModifiedHeaderRejected) {
  for (const SigningKey* key : {&Es256(), &Rs256(), &EdDsa()}) {
    std::vector<std::string> p = Split(GoodToken(*key));
    std::string other = Base64UrlEncode(HeaderFor(*key, R"("typ":"JWT")"));
    EXPECT_THAT(Verify(Join(other, p[1], p[2])), FailsWith(reason::kSignatureInvalid))
        << key->kid();
  }
}

TEST_F(NegativeSuiteTest, Item18_ModifiedPayloadRejected) {
  Claims admin;
  admin.sub = "\"admin\"";
  for (const SigningKey* key : {&Es256(), &Rs256(), &EdDsa()}) {
    std::vector<std::string> p = Split(GoodToken(*key));
    EXPECT_THAT(Verify(Join(p[0], Base64UrlEncode(admin.Json()), p[2])),
                FailsWith(reason::kSignatureInvalid))
        << key->kid();
  }
}

TEST_F(NegativeSuiteTest, Item18_ModifiedSignatureByteRejected) {
  for (const SigningKey* key : {&Es256(), &Rs256(), &EdDsa()}) {
    std::string good = GoodToken(*key);
    std::string sig = DecodedSignature(good);
    // The last byte: for ES256 that is the low byte of s, so r and s stay in range and
    // only the signature maths can refuse it.
    sig.back() = static_cast<char>(sig.back() ^ 0x01);
    EXPECT_THAT(Verify(WithSignature(good, sig)), FailsWith(reason::kSignatureInvalid))
        << key->kid();
  }
}

TEST_F(NegativeSuiteTest, Item18_MissingSignatureRejected) {
  for (const SigningKey* key : {&Es256(), &Rs256(), &EdDsa()}) {
    std::vector<std::string> p = Split(GoodToken(*key));
    EXPECT_THAT(Verify(p[0] + "." + p[1] + "."), FailsWith(reason::kSignatureMissing))
        << key->kid();
  }
}

TEST_F(NegativeSuiteTest, Item19_Rsa1024KeyRefusedAtLoad) {
  WeakRsa weak = MakeWeakRsa("rsa-weak");
  EXPECT_THAT(Jwk::Parse(weak.jwk_json), FailsWith(reason::kJwkRsaTooSmall));
  std::string jwks = R"({"keys":[)" + boost::json::serialize(Es256().public_jwk().ToJson()) + "," +
                     weak.jwk_json + "]}";
  Result<Jwks> set = Jwks::Parse(jwks);
  ASSERT_THAT(set, IsOk());  // RFC 7517 §5: a bad key does not fail the set
  ASSERT_EQ(set->keys().size(), 1u);
  ASSERT_EQ(set->refused().size(), 1u);
  EXPECT_EQ(set->refused()[0].kid, "rsa-weak");
  EXPECT_THAT(set->refused()[0].status, FailsWith(reason::kJwkRsaTooSmall));
}

TEST_F(NegativeSuiteTest, Item19_TokenSignedWithRsa1024KeyRejected) {
  WeakRsa weak = MakeWeakRsa("rsa-weak");
  Result<Jwks> set = Jwks::Parse(R"({"keys":[)" + weak.jwk_json + "]}");
  ASSERT_THAT(set, IsOk());
  std::string input =
      Base64UrlEncode(Header("RS256", "rsa-weak")) + "." + Base64UrlEncode(Claims().Json());
  Result<std::string> sig = SignData(Algorithm::kRS256, weak.pkey.get(), input);
  ASSERT_THAT(sig, IsOk());
  EXPECT_THAT(VerifyWith(Rules(), input + "." + Base64UrlEncode(*sig), *set),
              FailsWith(reason::kKeyRefused));
}

boost::json::object EsJwkWith(const SigningKey& key, std::string_view member, std::string bytes) {
  boost::json::object json = key.public_jwk().ToJson();
  json[member] = Base64UrlEncode(bytes);
  return json;
}

TEST_F(NegativeSuiteTest, Item20_EcPointNotOnCurveRefusedAtLoad) {
  std::string y = *Base64UrlDecode(Es256().public_jwk().ToJson().at("y").as_string());
  y.back() = static_cast<char>(y.back() ^ 0x01);
  EXPECT_THAT(Jwk::FromJson(EsJwkWith(Es256(), "y", y)), FailsWith(reason::kJwkPointNotOnCurve));
  // The point (0, 0) is on no curve.
  boost::json::object zero = EsJwkWith(Es256(), "x", std::string(32, '\0'));
  zero["y"] = Base64UrlEncode(std::string(32, '\0'));
  EXPECT_THAT(Jwk::FromJson(zero), FailsWith(reason::kJwkPointNotOnCurve));
}

TEST_F(NegativeSuiteTest, Item20_ShortCoordinatesRefusedAtLoad) {
  std::string x = *Base64UrlDecode(Es256().public_jwk().ToJson().at("x").as_string());
  EXPECT_THAT(Jwk::FromJson(EsJwkWith(Es256(), "x", x.substr(1))),
              FailsWith(reason::kJwkCoordinateLength));
  // P-521 coordinates are 66 bytes; a 65-byte encoding (leading zero dropped) is the
  // classic interoperability bug and must not be guessed at.
  std::string x521 = *Base64UrlDecode(Es512().public_jwk().ToJson().at("x").as_string());
  ASSERT_EQ(x521.size(), 66u);
  EXPECT_THAT(Jwk::FromJson(EsJwkWith(Es512(), "x", x521.substr(1))),
              FailsWith(reason::kJwkCoordinateLength));
  boost::json::object ed = EdDsa().public_jwk().ToJson();
  ed["x"] = Base64UrlEncode(std::string(31, '\x01'));
  EXPECT_THAT(Jwk::FromJson(ed), FailsWith(reason::kJwkCoordinateLength));
}

TEST_F(NegativeSuiteTest, Item20_TokenNamingOffCurveKeyRejected) {
  std::string y = *Base64UrlDecode(Es256().public_jwk().ToJson().at("y").as_string());
  y.back() = static_cast<char>(y.back() ^ 0x01);
  std::string jwks = R"({"keys":[)" + boost::json::serialize(EsJwkWith(Es256(), "y", y)) + "]}";
  Result<Jwks> set = Jwks::Parse(jwks);
  ASSERT_THAT(set, IsOk());
  EXPECT_TRUE(set->keys().empty());
  ASSERT_EQ(set->refused().size(), 1u);
  EXPECT_THAT(set->refused()[0].status, FailsWith(reason::kJwkPointNotOnCurve));
  EXPECT_THAT(VerifyWith(Rules(), GoodToken(Es256()), *set), FailsWith(reason::kKeyRefused));
}

// ================= Header parameters and key selection (21-30) =========================

TEST_F(NegativeSuiteTest, Control_Header_KnownHeaderMembersAccepted) {
  EXPECT_THAT(
      Verify(Sign(Es256(), HeaderFor(Es256(), R"("typ":"JWT","cty":"x")"), Claims().Json())),
      IsOk());
}

TEST_F(NegativeSuiteTest, Item21_CritUnknownRejected) {
  // The extension is present and named critical: a verifier ignoring crit would accept.
  std::string header = HeaderFor(Es256(), R"("crit":["exp-ext"],"exp-ext":1)");
  EXPECT_THAT(Verify(Sign(Es256(), header, Claims().Json())), FailsWith(reason::kCritRefused));
  header = HeaderFor(Es256(), R"("crit":["unknown"])");
  EXPECT_THAT(Verify(Sign(Es256(), header, Claims().Json())), FailsWith(reason::kCritRefused));
}

TEST_F(NegativeSuiteTest, Item21_CritEmptyRejected) {
  EXPECT_THAT(Verify(Sign(Es256(), HeaderFor(Es256(), R"("crit":[])"), Claims().Json())),
              FailsWith(reason::kCritRefused));
}

TEST_F(NegativeSuiteTest, Item21_CritListingAlgRejected) {
  EXPECT_THAT(Verify(Sign(Es256(), HeaderFor(Es256(), R"("crit":["alg"])"), Claims().Json())),
              FailsWith(reason::kCritRefused));
  EXPECT_THAT(Verify(Sign(Es256(), HeaderFor(Es256(), R"("crit":"alg")"), Claims().Json())),
              FailsWith(reason::kCritRefused));
}

TEST_F(NegativeSuiteTest, Item22_B64FalseInCritRejected) {
  // RFC 7797 as it is meant to be used: the payload segment carries the raw claims.
  std::string header = HeaderFor(Es256(), R"("b64":false,"crit":["b64"])");
  EXPECT_THAT(Verify(Sign(Es256(), header, Claims().Json())), FailsWith(reason::kCritRefused));
}

TEST_F(NegativeSuiteTest, Item22_B64WithoutCritRejected) {
  for (std::string_view b64 : {R"("b64":false)", R"("b64":true)"}) {
    EXPECT_THAT(Verify(Sign(Es256(), HeaderFor(Es256(), b64), Claims().Json())),
                FailsWith(reason::kB64Refused));
  }
}

TEST_F(NegativeSuiteTest, Item23_EmbeddedJwkRejected) {
  // CVE-2018-0114: signed with the attacker's key, which the header carries.
  std::string jwk = boost::json::serialize(Attacker().public_jwk().ToJson());
  std::string token = Sign(Attacker(), HeaderFor(Attacker(), "\"jwk\":" + jwk), Claims().Json());
  EXPECT_THAT(Verify(token), FailsWith(reason::kHeaderKeyReferenceRefused));
  // Pointing the kid at a real issuer key does not help either.
  token = Sign(Attacker(), Header("ES256", "es-1", "\"jwk\":" + jwk), Claims().Json());
  EXPECT_THAT(Verify(token), FailsWith(reason::kHeaderKeyReferenceRefused));
}

TEST_F(NegativeSuiteTest, Item24_JkuToLocalListenerRejectedWithoutConnection) {
  LoopbackListener listener;
  ASSERT_TRUE(listener.ok());
  std::string token =
      Sign(Attacker(), HeaderFor(Attacker(), "\"jku\":\"" + listener.Url("/jwks.json") + "\""),
           Claims().Json());
  EXPECT_THAT(Verify(token), FailsWith(reason::kHeaderKeyReferenceRefused));
  EXPECT_EQ(listener.AcceptPending(), 0);
}

TEST_F(NegativeSuiteTest, Item24_X5uToLocalListenerRejectedWithoutConnection) {
  LoopbackListener listener;
  ASSERT_TRUE(listener.ok());
  std::string token =
      Sign(Attacker(), HeaderFor(Attacker(), "\"x5u\":\"" + listener.Url("/cert.pem") + "\""),
           Claims().Json());
  EXPECT_THAT(Verify(token), FailsWith(reason::kHeaderKeyReferenceRefused));
  EXPECT_EQ(listener.AcceptPending(), 0);
}

TEST_F(NegativeSuiteTest, Item24_JkuAndX5uToMetadataAddressRejected) {
  // The cloud metadata endpoint: only the verdict is observable here (the test must not
  // go near that address); the loopback tests above show no fetch is attempted at all.
  for (std::string_view member : {"jku", "x5u"}) {
    std::string extra =
        "\"" + std::string(member) + "\":\"http://169.254.169.254/latest/meta-data/iam/\"";
    std::string token = Sign(Attacker(), HeaderFor(Attacker(), extra), Claims().Json());
    EXPECT_THAT(Verify(token), FailsWith(reason::kHeaderKeyReferenceRefused)) << member;
    // And naming a real issuer key with a jku still refuses.
    token = Sign(Es256(), HeaderFor(Es256(), extra), Claims().Json());
    EXPECT_THAT(Verify(token), FailsWith(reason::kHeaderKeyReferenceRefused)) << member;
  }
}

TEST_F(NegativeSuiteTest, Item25_X5cSelfSignedChainRejected) {
  std::string cert = StdBase64(SelfSignedCertDer(Attacker().pkey()));
  std::string token =
      Sign(Attacker(), Header("ES256", "", "\"x5c\":[\"" + cert + "\"]"), Claims().Json());
  EXPECT_THAT(Verify(token), FailsWith(reason::kHeaderKeyReferenceRefused));
}

TEST_F(NegativeSuiteTest, Item26_PathTraversalKidRejected) {
  // Signed with the attacker's key: kid is only an index into the issuer's in-memory
  // key list, never a path, so nothing matches.
  std::string kid = "../../../../dev/null";
  EXPECT_THAT(Verify(Sign(Attacker(), Header("ES256", kid), Claims().Json())),
              FailsWith(reason::kKidUnknown));
  // The classic form: HS256 keyed with the (empty) contents of /dev/null.
  EXPECT_THAT(Verify(HmacToken("HS256", EVP_sha256(), kid, "")),
              FailsWith(reason::kAlgSymmetricRefused));
}

TEST_F(NegativeSuiteTest, Item26_SqlInjectionKidRejected) {
  for (std::string_view kid : {"' OR '1'='1", "es-1' --", "x' UNION SELECT 'key"}) {
    EXPECT_THAT(Verify(Sign(Attacker(), Header("ES256", kid), Claims().Json())),
                FailsWith(reason::kKidUnknown))
        << kid;
  }
}

TEST_F(NegativeSuiteTest, Item26_NulByteKidRejected) {
  // "es-1\0" must not match "es-1" (no C-string truncation), even signed by that key.
  EXPECT_THAT(Verify(Sign(Es256(), Header("ES256", "es-1\\u0000"), Claims().Json())),
              FailsWith(reason::kKidUnknown));
  EXPECT_THAT(Verify(Sign(Es256(), Header("ES256", "\\u0000es-1"), Claims().Json())),
              FailsWith(reason::kKidUnknown));
}

TEST_F(NegativeSuiteTest, Item26_HugeKidRejected) {
  std::string token = Sign(Es256(), Header("ES256", std::string(64 * 1024, 'k')), Claims().Json());
  EXPECT_THAT(Verify(token), FailsWith(reason::kTokenTooLarge));
  // With a size cap that admits the token, the kid bound refuses it.
  JwsLimits limits;
  limits.max_token_bytes = 1 << 20;
  Result<JwsVerifier> jws = JwsVerifier::Create({Algorithm::kES256}, limits);
  ASSERT_THAT(jws, IsOk());
  EXPECT_THAT(jws->Verify(token, IssuerJwks()), FailsWith(reason::kKidInvalid));
  // Through the JWT verifier: 257 bytes is one over the kid bound.
  token = Sign(Es256(), Header("ES256", std::string(257, 'k')), Claims().Json());
  EXPECT_THAT(Verify(token), FailsWith(reason::kKidInvalid));
}

TEST_F(NegativeSuiteTest, Control_Item28_NoKidWithOneKeyForAlgAccepted) {
  EXPECT_THAT(Verify(Sign(Es256(), Header("ES256", ""), Claims().Json())), IsOk());
}

TEST_F(NegativeSuiteTest, Item28_NoKidWithTwoKeysForAlgRejected) {
  Result<SigningKey> second = SigningKey::GenerateForTesting(Algorithm::kES256, "es-2");
  ASSERT_THAT(second, IsOk());
  Jwks keys({Es256().public_jwk(), second->public_jwk(), Rs256().public_jwk()});
  std::string token = Sign(Es256(), Header("ES256", ""), Claims().Json());
  EXPECT_THAT(VerifyWith(Rules(), token, keys), FailsWith(reason::kKidAmbiguous));
  // With its kid the same token's key is unambiguous.
  EXPECT_THAT(VerifyWith(Rules(), GoodToken(Es256()), keys), IsOk());
}

boost::json::object WithoutUse(const Jwk& jwk) {
  boost::json::object json = jwk.ToJson();
  json.erase("use");
  return json;
}

TEST_F(NegativeSuiteTest, Item29_UseEncKeyRejected) {
  boost::json::object json = WithoutUse(Es256().public_jwk());
  json["use"] = "enc";
  Result<Jwk> enc = Jwk::FromJson(json);
  ASSERT_THAT(enc, IsOk());
  EXPECT_THAT(VerifyWith(Rules(), GoodToken(Es256()), Jwks({*enc})),
              FailsWith(reason::kKeyNotForSignature));
}

TEST_F(NegativeSuiteTest, Item29_KeyOpsWithoutVerifyRejected) {
  for (std::string_view ops : {R"(["encrypt"])", R"(["sign"])", "[]"}) {
    boost::json::object json = WithoutUse(Es256().public_jwk());
    json["key_ops"] = boost::json::parse(ops);
    Result<Jwk> key = Jwk::FromJson(json);
    ASSERT_THAT(key, IsOk());
    EXPECT_THAT(VerifyWith(Rules(), GoodToken(Es256()), Jwks({*key})),
                FailsWith(reason::kKeyNotForSignature))
        << ops;
  }
  // use "sig" contradicting key_ops is refused at load, and its token then names why.
  boost::json::object json = Es256().public_jwk().ToJson();
  json["key_ops"] = boost::json::parse(R"(["encrypt"])");
  Result<Jwks> set = Jwks::Parse(R"({"keys":[)" + boost::json::serialize(json) + "]}");
  ASSERT_THAT(set, IsOk());
  ASSERT_EQ(set->refused().size(), 1u);
  EXPECT_THAT(set->refused()[0].status, FailsWith(reason::kJwkUseKeyOpsConflict));
  EXPECT_THAT(VerifyWith(Rules(), GoodToken(Es256()), *set), FailsWith(reason::kKeyRefused));
}

TEST_F(NegativeSuiteTest, Item30_IssuerATokenSignedByIssuerBKeyRejected) {
  // Issuer B is trusted, but its keys live in B's own set, never merged into A's.
  // The honest outcome is kid_unknown: A's set has no key with B's kid, so B's key is
  // never even a candidate. If B happens to reuse one of A's kid strings, the token
  // reaches A's key of that name and fails as signature_invalid: still refused, and
  // no path makes B's key sign for A.
  Result<SigningKey> b_key = SigningKey::GenerateForTesting(Algorithm::kES256, "b-1");
  ASSERT_THAT(b_key, IsOk());
  std::string token = GoodToken(*b_key);  // iss = A's issuer URL
  EXPECT_THAT(Verify(token), FailsWith(reason::kKidUnknown));

  Result<SigningKey> b_colliding = SigningKey::GenerateForTesting(Algorithm::kES256, "es-1");
  ASSERT_THAT(b_colliding, IsOk());
  EXPECT_THAT(Verify(GoodToken(*b_colliding)), FailsWith(reason::kSignatureInvalid));
}

TEST_F(NegativeSuiteTest, Item30_IssuerBKeyCannotVouchForIssuerA) {
  // Verified under B's rules with B's keys, the same token's signature is fine and the
  // exact issuer check refuses it: B's key does not speak for A.
  Result<SigningKey> b_key = SigningKey::GenerateForTesting(Algorithm::kES256, "b-1");
  ASSERT_THAT(b_key, IsOk());
  JwtValidator::Builder b_rules = Rules();
  b_rules.ExpectIssuer("https://issuer-b.example");
  EXPECT_THAT(VerifyWith(b_rules, GoodToken(*b_key), Jwks({b_key->public_jwk()})),
              FailsWith(reason::kIssMismatch));
}

// ============================== Claims and time (31-40) ================================

TEST_F(NegativeSuiteTest, Control_Claims_GoodClaimsAccepted) {
  Result<VerifiedJwt> jwt = VerifyClaims(Claims());
  ASSERT_THAT(jwt, IsOk());
  EXPECT_EQ(jwt->issuer(), kIssuer);
  EXPECT_EQ(jwt->expires_at(), FromUnixSeconds(kNow + 300));
}

TEST_F(NegativeSuiteTest, Item31_ExpiredBeyondLeewayRejected) {
  Claims claims;
  claims.iat = Num(kNow - 3600);
  claims.exp = Num(kNow - kLeeway - 1);
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kExpired));
  // RFC 7519 §4.1.4: now must be *before* exp (+ leeway); equality is expired.
  claims.exp = Num(kNow - kLeeway);
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kExpired));
}

TEST_F(NegativeSuiteTest, Item31_ExpiredWithinLeewayAccepted) {
  SKIP_OVER_HTTP_AT_TIME_LIMITS();
  Claims claims;
  claims.iat = Num(kNow - 3600);
  claims.exp = Num(kNow - kLeeway + 1);
  EXPECT_THAT(VerifyClaims(claims), IsOk());
}

TEST_F(NegativeSuiteTest, Item32_NbfBeyondLeewayRejected) {
  SKIP_OVER_HTTP_AT_TIME_LIMITS();
  Claims claims;
  claims.nbf = Num(kNow + kLeeway + 1);
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kNotYetValid));
  claims.nbf = Num(kNow + kLeeway);  // boundary: within the leeway
  EXPECT_THAT(VerifyClaims(claims), IsOk());
  claims.nbf = "\"soon\"";
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kNbfInvalid));
}

TEST_F(NegativeSuiteTest, Item33_MissingExpRejected) {
  Claims claims;
  claims.exp = "";
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kExpMissing));
}

TEST_F(NegativeSuiteTest, Item34_ExpOfWrongTypeOrAbsurdValueRejected) {
  for (std::string_view exp :
       {R"("9999999999")", R"("1700000300")", "true", "false", "null", "1e300", "-1", "-1700000300",
        "[1700000300]", R"({"v":1700000300})", "18446744073709551615"}) {
    Claims claims;
    claims.exp = std::string(exp);
    EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kExpInvalid)) << exp;
  }
}

TEST_F(NegativeSuiteTest, Control_Item34_FractionalExpAccepted) {
  // NumericDate may be non-integer (RFC 7519 §2).
  Claims claims;
  claims.exp = Num(kNow + 300) + ".5";
  Result<VerifiedJwt> jwt = VerifyClaims(claims);
  ASSERT_THAT(jwt, IsOk());
  EXPECT_EQ(jwt->expires_at(), FromUnixSeconds(kNow + 300) + std::chrono::milliseconds(500));
}

TEST_F(NegativeSuiteTest, Item35_LifetimeAboveMaximumRejected) {
  SKIP_OVER_HTTP_AT_TIME_LIMITS();
  Claims claims;
  claims.iat = Num(kNow - 10);
  claims.exp = Num(kNow - 10 + kMaxLifetime + 1);
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kLifetimeTooLong));
  claims.exp = Num(kNow - 10 + kMaxLifetime);
  EXPECT_THAT(VerifyClaims(claims), IsOk());
  // Without iat, the remaining lifetime counts.
  claims.iat = "";
  claims.exp = Num(kNow + kMaxLifetime + 1);
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kLifetimeTooLong));
}

TEST_F(NegativeSuiteTest, Item35_IatFarInFutureRejected) {
  SKIP_OVER_HTTP_AT_TIME_LIMITS();
  Claims claims;
  claims.iat = Num(kNow + 3600);
  claims.exp = Num(kNow + 7200);
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kIatInFuture));
  claims.iat = Num(kNow + kLeeway + 1);
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kIatInFuture));
}

TEST_F(NegativeSuiteTest, Item36_AudMissingRejected) {
  Claims claims;
  claims.aud = "";
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kAudMissing));
}

TEST_F(NegativeSuiteTest, Item36_AudEmptyArrayRejected) {
  Claims claims;
  claims.aud = "[]";
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kAudInvalid));
}

TEST_F(NegativeSuiteTest, Item36_AudNotStringRejected) {
  for (std::string_view aud : {"42", "null", "true", R"({"aud":"signet"})", R"(["signet",42])"}) {
    Claims claims;
    claims.aud = std::string(aud);
    EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kAudInvalid)) << aud;
  }
}

TEST_F(NegativeSuiteTest, Item36_AudOtherRejected) {
  for (std::string_view aud : {R"("other")", R"(["other"])", R"(["other","another"])",
                               R"("Signet")", R"("signet ")", R"(["signet/"])"}) {
    Claims claims;
    claims.aud = std::string(aud);
    EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kAudMismatch)) << aud;
  }
}

TEST_F(NegativeSuiteTest, Item36_AudStringOrArrayContainingUsAccepted) {
  for (std::string_view aud : {R"("signet")", R"(["signet"])", R"(["other","signet"])"}) {
    Claims claims;
    claims.aud = std::string(aud);
    EXPECT_THAT(VerifyClaims(claims), IsOk()) << aud;
  }
}

TEST_F(NegativeSuiteTest, Item37_TwoAudiencesUnderSingleAudiencePolicyRejected) {
  JwtValidator::Builder single = Rules();
  single.RequireSingleAudience();
  Claims claims;
  claims.aud = R"(["signet","other"])";
  std::string token = Sign(Es256(), HeaderFor(Es256()), claims.Json());
  EXPECT_THAT(VerifyWith(single, token, IssuerJwks()), FailsWith(reason::kAudMultiple));
  claims.aud = R"(["signet"])";
  token = Sign(Es256(), HeaderFor(Es256()), claims.Json());
  EXPECT_THAT(VerifyWith(single, token, IssuerJwks()), IsOk());
}

TEST_F(NegativeSuiteTest, Item38_IssTrailingSlashRejected) {
  Claims claims;
  claims.iss = R"("https://issuer.example/")";
  EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kIssMismatch));
}

TEST_F(NegativeSuiteTest, Item38_IssCaseRejected) {
  for (std::string_view iss : {R"("https://Issuer.example")", R"("HTTPS://issuer.example")"}) {
    Claims claims;
    claims.iss = std::string(iss);
    EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kIssMismatch)) << iss;
  }
}

TEST_F(NegativeSuiteTest, Item38_IssSchemeRejected) {
  for (std::string_view iss :
       {R"("http://issuer.example")", R"("issuer.example")", R"("https://issuer.example:443")"}) {
    Claims claims;
    claims.iss = std::string(iss);
    EXPECT_THAT(VerifyClaims(claims), FailsWith(reason::kIssMismatch)) << iss;
  }
}

std::string Typed(const SigningKey& key, std::string_view typ) {
  return Sign(key, HeaderFor(key, "\"typ\":\"" + std::string(typ) + "\""), Claims().Json());
}

TEST_F(NegativeSuiteTest, Control_Item39_ExpectedTypeAccepted) {
  JwtValidator::Builder at = Rules();
  at.ExpectType("at+jwt");
  for (std::string_view typ : {"at+jwt", "application/at+jwt", "AT+JWT"}) {
    EXPECT_THAT(VerifyWith(at, Typed(Es256(), typ), IssuerJwks()), IsOk()) << typ;
  }
}

TEST_F(NegativeSuiteTest, Item39_AccessTokenWhereWitExpectedRejected) {
  JwtValidator::Builder wit = Rules();
  wit.ExpectType("wit+jwt");
  ASSERT_THAT(VerifyWith(wit, Typed(Es256(), "wit+jwt"), IssuerJwks()), IsOk());
  EXPECT_THAT(VerifyWith(wit, Typed(Es256(), "at+jwt"), IssuerJwks()),
              FailsWith(reason::kTypMismatch));
  for (std::string_view expected : {"txntoken+jwt", "dpop+jwt", "client-authentication+jwt"}) {
    JwtValidator::Builder rules = Rules();
    rules.ExpectType(std::string(expected));
    EXPECT_THAT(VerifyWith(rules, Typed(Es256(), "at+jwt"), IssuerJwks()),
                FailsWith(reason::kTypMismatch))
        << expected;
  }
}

TEST_F(NegativeSuiteTest, Item39_WitWhereAccessTokenExpectedRejected) {
  JwtValidator::Builder at = Rules();
  at.ExpectType("at+jwt");
  for (std::string_view typ : {"wit+jwt", "txntoken+jwt", "dpop+jwt", "JWT"}) {
    EXPECT_THAT(VerifyWith(at, Typed(Es256(), typ), IssuerJwks()), FailsWith(reason::kTypMismatch))
        << typ;
  }
  // An untyped token is not an access token either.
  EXPECT_THAT(VerifyWith(at, GoodToken(Es256()), IssuerJwks()), FailsWith(reason::kTypMismatch));
}

TEST_F(NegativeSuiteTest, Item39_ExplicitlyTypedTokenWhereNoTypeExpectedRejected) {
  // Without ExpectType only JWT/JOSE/absent pass: every explicitly typed kind of token
  // is refused, so the rules stay mutually exclusive.
  for (std::string_view typ : {"at+jwt", "wit+jwt", "dpop+jwt", "txntoken+jwt"}) {
    EXPECT_THAT(Verify(Typed(Es256(), typ)), FailsWith(reason::kTypMismatch)) << typ;
  }
  EXPECT_THAT(Verify(Typed(Es256(), "JWT")), IsOk());
  EXPECT_THAT(Verify(Typed(Es256(), "application/jose")), IsOk());
}

TEST_F(NegativeSuiteTest, Item40_AccessTokenAsClientAssertionRejected) {
  // A client-assertion validator either expects no explicit type (RFC 7523 as deployed)
  // or client-authentication+jwt (rfc7523bis); a Signet access token (at+jwt) fails both.
  EXPECT_THAT(Verify(Typed(Es256(), "at+jwt")), FailsWith(reason::kTypMismatch));
  JwtValidator::Builder assertion = Rules();
  assertion.ExpectType("client-authentication+jwt");
  EXPECT_THAT(VerifyWith(assertion, Typed(Es256(), "at+jwt"), IssuerJwks()),
              FailsWith(reason::kTypMismatch));
}

TEST_F(NegativeSuiteTest, Item40_IdTokenAsClientAssertionRejected) {
  // An OIDC ID token is typed "JWT" or untyped; an explicitly typed client-assertion
  // validator refuses both.
  JwtValidator::Builder assertion = Rules();
  assertion.ExpectType("client-authentication+jwt");
  EXPECT_THAT(VerifyWith(assertion, Typed(Es256(), "JWT"), IssuerJwks()),
              FailsWith(reason::kTypMismatch));
  EXPECT_THAT(VerifyWith(assertion, GoodToken(Es256()), IssuerJwks()),
              FailsWith(reason::kTypMismatch));
  EXPECT_THAT(VerifyWith(assertion, Typed(Es256(), "client-authentication+jwt"), IssuerJwks()),
              IsOk());
}

// ======================== Key sets: the JOSE-layer parts of 42-44 ======================

std::string JwksOf(const std::vector<boost::json::object>& keys) {
  boost::json::array array;
  for (const auto& key : keys) {
    array.push_back(key);
  }
  return boost::json::serialize(boost::json::object{{"keys", array}});
}

std::vector<boost::json::object> NumberedCopies(const Jwk& jwk, size_t count) {
  std::vector<boost::json::object> keys;
  for (size_t i = 0; i < count; ++i) {
    boost::json::object json = jwk.ToJson();
    json["kid"] = "k" + std::to_string(i);
    keys.push_back(std::move(json));
  }
  return keys;
}

TEST_F(NegativeSuiteTest, Item42_JwksOverSizeCapRefused) {
  const JwksLimits defaults;
  std::string jwks = JwksOf({Es256().public_jwk().ToJson()});
  ASSERT_THAT(Jwks::Parse(jwks), IsOk());
  // Insignificant whitespace is enough: the cap is on bytes, checked before parsing.
  std::string padded = jwks + std::string(defaults.max_bytes + 1 - jwks.size(), ' ');
  EXPECT_THAT(Jwks::Parse(padded), FailsWith(reason::kJwksTooLarge));
  padded.pop_back();
  EXPECT_THAT(Jwks::Parse(padded), IsOk());
  JwksLimits small;
  small.max_bytes = jwks.size() - 1;
  EXPECT_THAT(Jwks::Parse(jwks, small), FailsWith(reason::kJwksTooLarge));
}

TEST_F(NegativeSuiteTest, Item42_JwksOverKeyCountCapRefused) {
  const JwksLimits defaults;
  std::string at_cap = JwksOf(NumberedCopies(Es256().public_jwk(), defaults.max_keys));
  Result<Jwks> ok = Jwks::Parse(at_cap);
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->keys().size(), defaults.max_keys);
  std::string over = JwksOf(NumberedCopies(Es256().public_jwk(), defaults.max_keys + 1));
  EXPECT_THAT(Jwks::Parse(over), FailsWith(reason::kJwksTooManyKeys));
}

TEST_F(NegativeSuiteTest, Item43_KeyDroppedFromRefreshedJwksRejectsItsTokens) {
  Result<SigningKey> next = SigningKey::GenerateForTesting(Algorithm::kES256, "es-next");
  ASSERT_THAT(next, IsOk());
  Result<Jwks> before =
      Jwks::Parse(JwksOf({Es256().public_jwk().ToJson(), next->public_jwk().ToJson()}));
  Result<Jwks> after = Jwks::Parse(JwksOf({next->public_jwk().ToJson()}));
  ASSERT_THAT(before, IsOk());
  ASSERT_THAT(after, IsOk());
  std::string dropped = GoodToken(Es256());
  std::string kept = GoodToken(*next);
  EXPECT_THAT(VerifyWith(Rules(), dropped, *before), IsOk());
  EXPECT_THAT(VerifyWith(Rules(), kept, *before), IsOk());
  EXPECT_THAT(VerifyWith(Rules(), dropped, *after), FailsWith(reason::kKidUnknown));
  EXPECT_THAT(VerifyWith(Rules(), kept, *after), IsOk());
}

void ExpectNoPrivateMembers(const boost::json::object& jwk, std::string_view what) {
  for (std::string_view member : kPrivateMembers) {
    EXPECT_FALSE(jwk.contains(member)) << what << " publishes \"" << member << "\"";
  }
}

TEST_F(NegativeSuiteTest, Item44_PublicJwkHasNoPrivateMembersForEveryAlgorithm) {
  for (Algorithm alg : kAllAlgorithms) {
    Result<SigningKey> key = SigningKey::GenerateForTesting(alg, "k");
    ASSERT_THAT(key, IsOk()) << AlgorithmName(alg);
    const boost::json::object& jwk = key->public_jwk().ToJson();
    ExpectNoPrivateMembers(jwk, AlgorithmName(alg));
    // Serialized too: what leaves the process is the text.
    Result<boost::json::object> reparsed =
        ParseJsonObject(boost::json::serialize(jwk), JsonLimits{});
    ASSERT_THAT(reparsed, IsOk());
    ExpectNoPrivateMembers(*reparsed, AlgorithmName(alg));
  }
}

TEST_F(NegativeSuiteTest, Item44_JwksToJsonHasNoPrivateMembers) {
  std::vector<Jwk> keys;
  for (Algorithm alg : kAllAlgorithms) {
    Result<SigningKey> key =
        SigningKey::GenerateForTesting(alg, "k-" + std::string(AlgorithmName(alg)));
    ASSERT_THAT(key, IsOk());
    keys.push_back(key->public_jwk());
  }
  std::string published = Jwks(keys).ToJson();
  Result<boost::json::object> json = ParseJsonObject(published, JsonLimits{});
  ASSERT_THAT(json, IsOk());
  const boost::json::array& array = json->at("keys").as_array();
  ASSERT_EQ(array.size(), kAllAlgorithms.size());
  for (const auto& jwk : array) {
    ExpectNoPrivateMembers(jwk.as_object(), boost::json::serialize(jwk.as_object().at("kid")));
  }
  // And the published set is one a verifier loads back in full.
  Result<Jwks> reloaded = Jwks::Parse(published);
  ASSERT_THAT(reloaded, IsOk());
  EXPECT_EQ(reloaded->keys().size(), kAllAlgorithms.size());
  EXPECT_TRUE(reloaded->refused().empty());
}

TEST_F(NegativeSuiteTest, Item44_JwkWithPrivateMemberRefusedAtLoad) {
  for (std::string_view member : kPrivateMembers) {
    boost::json::object json = Es256().public_jwk().ToJson();
    json[member] = Base64UrlEncode(std::string(32, '\x07'));
    EXPECT_THAT(Jwk::FromJson(json), FailsWith(reason::kJwkPrivateMember)) << member;
    Result<Jwks> set = Jwks::Parse(JwksOf({json}));
    ASSERT_THAT(set, IsOk());
    EXPECT_TRUE(set->keys().empty()) << member;
    ASSERT_EQ(set->refused().size(), 1u);
    EXPECT_THAT(set->refused()[0].status, FailsWith(reason::kJwkPrivateMember)) << member;
    // A token naming the leaked key is refused, not verified with it.
    EXPECT_THAT(VerifyWith(Rules(), GoodToken(Es256()), *set), FailsWith(reason::kKeyRefused));
  }
  // A symmetric key ("kty":"oct") is not a key Signet can verify with at all.
  Result<Jwks> oct = Jwks::Parse(R"({"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]})");
  ASSERT_THAT(oct, IsOk());
  EXPECT_TRUE(oct->keys().empty());
  ASSERT_EQ(oct->refused().size(), 1u);
  EXPECT_FALSE(oct->refused()[0].status.ok());
}

}  // namespace
}  // namespace signet::jose
