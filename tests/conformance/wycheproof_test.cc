// Wycheproof conformance (C2SP/wycheproof, testvectors_v1, copied into
// tests/testdata/wycheproof/). Third-party vectors catch what our own tests cannot: they
// were written against other implementations' bugs, by people who did not write Signet.
//
// Every vector is run and checked against its verdict. Where Signet disagrees with a
// "valid" verdict on purpose, the disagreement is listed in ExpectedRefusal() below with
// the exact reason Signet must give, so a change in behaviour fails here rather than
// silently changing the counts.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/base64url.h"
#include "jose/algorithm.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/reasons.h"
#include "jose/signature.h"
#include "support/status_matchers.h"

namespace signet::jose {
namespace {

namespace json = boost::json;
using signet::testing::FailsWith;
using signet::testing::IsOk;

constexpr std::string_view kJwsFile = "json_web_signature_test.json";
constexpr std::string_view kJwkFile = "json_web_key_test.json";

// A missing file must fail the test, not skip it: a skipped conformance suite looks
// exactly like a passing one in CI.
std::optional<json::object> LoadVectors(std::string_view file) {
  const char* root = std::getenv("SIGNET_TESTDATA");
  if (root == nullptr || *root == '\0') {
    ADD_FAILURE() << "SIGNET_TESTDATA is not set; run through ctest, or set it to "
                     "<repo>/tests/testdata";
    return std::nullopt;
  }
  const std::filesystem::path path = std::filesystem::path(root) / "wycheproof" / file;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "Wycheproof vectors missing: cannot read " << path;
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  json::error_code ec;
  json::value vectors = json::parse(text.str(), ec);
  if (ec || !vectors.is_object()) {
    ADD_FAILURE() << path << " is not a JSON object: " << ec.message();
    return std::nullopt;
  }
  return std::move(vectors.as_object());
}

std::string Str(const json::object& object, std::string_view key) {
  return std::string(object.at(key).as_string());
}

std::string Trace(const json::object& test) {
  return "tcId " + std::to_string(test.at("tcId").to_number<int64_t>()) + " (" +
         Str(test, "comment") + "), Wycheproof says " + Str(test, "result");
}

std::string Bytes(std::string_view hex) {
  Result<std::string> bytes = HexDecode(hex);
  EXPECT_THAT(bytes, IsOk()) << "bad hex in vector file: " << hex;
  return bytes.ok() ? *bytes : std::string();
}

// Wycheproof writes big integers as signed ASN.1-style hex (a leading 00 when the top bit
// is set); JWK wants the minimal unsigned big-endian bytes, or for EC coordinates exactly
// the field size.
std::string UnsignedBase64Url(std::string_view hex, size_t width = 0) {
  std::string bytes = Bytes(hex);
  bytes.erase(0, std::min(bytes.find_first_not_of('\0'), bytes.size()));
  if (bytes.size() < width) {
    bytes.insert(0, width - bytes.size(), '\0');
  }
  return Base64UrlEncode(bytes);
}

// ---------------------------------------------------------------------------------------
// Signature primitives: ECDSA P-256/P-384 (P1363 r||s, as JOSE uses), Ed25519, RSA
// PKCS#1 v1.5 and PSS, through jose::VerifySignature.

struct SignatureSuite {
  std::string_view file;
  Algorithm alg;
  std::string_view name;  // for the test name
};

// The group's key as a JWK built from its hex fields. Groups whose public key is an edge
// case have no JWK in the file; building it for every group lets the groups that do have
// one check this conversion.
json::object JwkFromHex(const json::object& group, Algorithm alg) {
  const json::object& pub = group.at("publicKey").as_object();
  switch (RequiredKeyType(alg)) {
    case KeyType::kEc: {
      const size_t width = alg == Algorithm::kES256 ? 32 : alg == Algorithm::kES384 ? 48 : 66;
      return {{"kty", "EC"},
              {"crv", CurveName(RequiredCurve(alg))},
              {"x", UnsignedBase64Url(Str(pub, "wx"), width)},
              {"y", UnsignedBase64Url(Str(pub, "wy"), width)}};
    }
    case KeyType::kOkp:
      return {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", Base64UrlEncode(Bytes(Str(pub, "pk")))}};
    case KeyType::kRsa:
      return {{"kty", "RSA"},
              {"n", UnsignedBase64Url(Str(pub, "modulus"))},
              {"e", UnsignedBase64Url(Str(pub, "publicExponent"))}};
  }
  return {};
}

// Names the file, not the struct's bytes, when GoogleTest reports a failing case.
void PrintTo(const SignatureSuite& suite, std::ostream* os) { *os << suite.file; }

class WycheproofSignatureTest : public ::testing::TestWithParam<SignatureSuite> {};

TEST_P(WycheproofSignatureTest, EveryVectorGetsItsVerdict) {
  const SignatureSuite& suite = GetParam();
  std::optional<json::object> vectors = LoadVectors(suite.file);
  ASSERT_TRUE(vectors.has_value());

  int64_t tests_read = 0, valid_accepted = 0, invalid_rejected = 0;
  int64_t acceptable_accepted = 0, acceptable_rejected = 0, groups_refused = 0;
  std::map<std::string, int> rejection_reasons;
  std::vector<std::string> acceptable_verdicts;

  const json::array& groups = vectors->at("testGroups").as_array();
  for (size_t g = 0; g < groups.size(); ++g) {
    const json::object& group = groups[g].as_object();
    SCOPED_TRACE(std::string(suite.file) + " group " + std::to_string(g));

    json::object from_hex = JwkFromHex(group, suite.alg);
    json::object jwk = from_hex;
    for (const char* member : {"publicKeyJwk", "keyJwk"}) {
      if (const json::value* given = group.if_contains(member)) {
        jwk = given->as_object();
        for (const char* field : {"n", "e", "x", "y"}) {
          if (from_hex.contains(field)) {
            EXPECT_EQ(from_hex.at(field), jwk.at(field))
                << "the harness's hex->JWK conversion disagrees with the file's " << member
                << " on \"" << field << "\"";
          }
        }
      }
    }

    const json::array& tests = group.at("tests").as_array();
    tests_read += static_cast<int64_t>(tests.size());
    Result<Jwk> key = Jwk::FromJson(jwk);
    if (!key.ok()) {
      // A key Signet refuses at load can never verify anything, which is only right if
      // Wycheproof expects nothing from it either.
      ++groups_refused;
      for (const json::value& t : tests) {
        const json::object& test = t.as_object();
        EXPECT_EQ(Str(test, "result"), "invalid")
            << Trace(test) << ", but Signet refuses the group's key at load ("
            << key.status().ToString() << "), so this vector can never be accepted";
        ++invalid_rejected;
      }
      continue;
    }

    for (const json::value& t : tests) {
      const json::object& test = t.as_object();
      SCOPED_TRACE(Trace(test));
      const std::string result = Str(test, "result");
      Status status =
          VerifySignature(suite.alg, *key, Bytes(Str(test, "msg")), Bytes(Str(test, "sig")));
      if (result == "valid") {
        EXPECT_THAT(status, IsOk());
        valid_accepted += status.ok();
      } else if (result == "invalid") {
        EXPECT_FALSE(status.ok()) << "an invalid signature verified";
        if (!status.ok()) {
          ++invalid_rejected;
          ++rejection_reasons[std::string(status.reason())];
        }
      } else {
        ASSERT_EQ(result, "acceptable");
        (status.ok() ? acceptable_accepted : acceptable_rejected)++;
        acceptable_verdicts.push_back(
            "tcId " + std::to_string(test.at("tcId").to_number<int64_t>()) + " " +
            (status.ok() ? "accepted" : "rejected (" + std::string(status.reason()) + ")"));
      }
    }
  }
  EXPECT_EQ(tests_read, vectors->at("numberOfTests").to_number<int64_t>());

  std::ostringstream summary;
  summary << "valid accepted " << valid_accepted << ", invalid rejected " << invalid_rejected
          << ", acceptable accepted " << acceptable_accepted << " / rejected "
          << acceptable_rejected << ", groups with key refused at load " << groups_refused
          << "; rejection reasons:";
  for (const auto& [reason, count] : rejection_reasons) {
    summary << " " << reason << "=" << count;
  }
  for (const std::string& verdict : acceptable_verdicts) {
    summary << "; acceptable " << verdict;
  }
  std::cout << "[wycheproof] " << suite.file << ": " << summary.str() << "\n";
  RecordProperty("summary", summary.str());
}

INSTANTIATE_TEST_SUITE_P(
    Files, WycheproofSignatureTest,
    ::testing::Values(
        SignatureSuite{"ecdsa_secp256r1_sha256_p1363_test.json", Algorithm::kES256, "ES256"},
        SignatureSuite{"ecdsa_secp384r1_sha384_p1363_test.json", Algorithm::kES384, "ES384"},
        SignatureSuite{"ed25519_test.json", Algorithm::kEdDSA, "EdDSA"},
        SignatureSuite{"rsa_signature_2048_sha256_test.json", Algorithm::kRS256, "RS256"},
        SignatureSuite{"rsa_pss_2048_sha256_mgf1_32_test.json", Algorithm::kPS256, "PS256"}),
    [](const ::testing::TestParamInfo<SignatureSuite>& info) {
      return std::string(info.param.name);
    });

// ---------------------------------------------------------------------------------------
// JWS and JWK files: whole tokens through JwsVerifier, keys through Jwks::Parse.

enum class Deviation { kHmac, kJsonSerialization, kVectorErratum };

constexpr std::string_view DeviationName(Deviation d) {
  switch (d) {
    case Deviation::kHmac:
      return "hmac";
    case Deviation::kJsonSerialization:
      return "json_serialization";
    case Deviation::kVectorErratum:
      return "vector_erratum";
  }
  return "";
}

struct ExpectedRefusalOf {
  Deviation kind;
  std::string_view reason;
};

// "valid" vectors whose refusal the two by-design rules cannot describe: either the
// vector is at odds with the RFCs, or an earlier check fires before the by-design one.
// Keyed by file and tcId so that nothing else can slip in under these entries.
struct Erratum {
  std::string_view file;
  int64_t tc_id;
  Deviation kind;
  std::string_view reason;
  // Why Signet is right and the vector is not; shown when the entry no longer matches.
  std::string_view why;
};

constexpr std::string_view kAlgMismatchWhy =
    "RFC 7520 Figure 20 is a PS384 token, but Wycheproof's copy of the RFC 7520 key has "
    "\"alg\":\"PS256\". RFC 7517 4.4 and RFC 8725 3.1 bind a key to its alg, and "
    "Wycheproof's own WrongPrimitive vectors (tcId 331-340) expect exactly this mismatch "
    "to be rejected";
constexpr std::string_view kEs521Why =
    "the key's \"alg\":\"ES521\" is not a JWS algorithm (RFC 7518 3.1 names P-521/SHA-512 "
    "\"ES512\"; ES521 is a known typo, cf. w3c/webcrypto#92). Signet refuses a JWK whose "
    "alg it does not implement (RFC 7517 5 lets a reader skip such keys), so the token "
    "names a refused key; json_web_key_test tcId 19 uses the same \"ES521\" as an invalid alg";
constexpr std::string_view kCharsetWhy =
    "HS256, refused by design anyway, but the token also holds a '?', which is not in the "
    "base64url alphabet (RFC 7515 2, RFC 4648 3.3). Signet checks the compact alphabet "
    "before decoding the header, so it reports token_charset and never reaches the alg";

constexpr Erratum kErrata[] = {
    {kJwsFile, 346, Deviation::kVectorErratum, reason::kAlgKeyMismatch, kAlgMismatchWhy},
    {kJwsFile, 350, Deviation::kVectorErratum, reason::kAlgKeyMismatch, kAlgMismatchWhy},
    {kJwsFile, 347, Deviation::kVectorErratum, reason::kKeyRefused, kEs521Why},
    {kJwsFile, 351, Deviation::kVectorErratum, reason::kKeyRefused, kEs521Why},
    {kJwsFile, 372, Deviation::kHmac, reason::kTokenCharset, kCharsetWhy},
    {kJwsFile, 373, Deviation::kHmac, reason::kTokenCharset, kCharsetWhy},
};

// The protected header's alg, if the first segment decodes to a JSON object with one.
std::optional<std::string> HeaderAlg(std::string_view token) {
  Result<std::string> header = Base64UrlDecode(token.substr(0, token.find('.')));
  if (!header.ok()) {
    return std::nullopt;
  }
  json::error_code ec;
  json::value value = json::parse(*header, ec);
  if (ec || !value.is_object() || !value.as_object().contains("alg") ||
      !value.as_object().at("alg").is_string()) {
    return std::nullopt;
  }
  return Str(value.as_object(), "alg");
}

// THE list of Signet's disagreements with Wycheproof's "valid" verdicts: the reason
// Signet must reject `token` with, or nullopt when it must accept it.
//   - HMAC (HS256/384/512): alg_symmetric_refused. Signet only verifies other parties'
//     asymmetric signatures; sharing a MAC key with an issuer is not a design it supports.
//   - JWS JSON serialization: jws_json_serialization_refused. Compact form only, to rule
//     out format-confusion attacks.
//   - kErrata: individual vectors that contradict the RFCs (see each entry's `why`).
std::optional<ExpectedRefusalOf> ExpectedRefusal(std::string_view file, int64_t tc_id,
                                                 std::string_view token, std::string_view* why) {
  for (const Erratum& erratum : kErrata) {
    if (erratum.file == file && erratum.tc_id == tc_id) {
      *why = erratum.why;
      return ExpectedRefusalOf{erratum.kind, erratum.reason};
    }
  }
  if (!token.empty() && token.front() == '{') {
    *why = "JWS JSON serialization is refused by design";
    return ExpectedRefusalOf{Deviation::kJsonSerialization, reason::kJsonSerializationRefused};
  }
  std::optional<std::string> alg = HeaderAlg(token);
  if (alg && (*alg == "HS256" || *alg == "HS384" || *alg == "HS512")) {
    *why = "HMAC algorithms are refused by design";
    return ExpectedRefusalOf{Deviation::kHmac, reason::kAlgSymmetricRefused};
  }
  return std::nullopt;
}

// "invalid" vectors whose point is a particular check: the token must fail for that
// reason, and when the key was refused at load, the set must say why.
struct PinnedRejection {
  std::string_view file;
  int64_t tc_id;
  std::string_view token_reason;
  std::string_view kid;
  std::string_view jwk_reason;  // empty: the key loads, and is unusable for the token
};

constexpr PinnedRejection kPinned[] = {
    {kJwsFile, 353, reason::kKeyNotForSignature, "kid-rsa-sign", ""},            // use enc
    {kJwsFile, 354, reason::kKeyNotForSignature, "kid-ec-sign", ""},             // use enc
    {kJwsFile, 355, reason::kKeyNotForSignature, "kid-rsa-sign", ""},            // key_ops encrypt
    {kJwsFile, 356, reason::kKeyNotForSignature, "kid-ec-sign", ""},             // key_ops encrypt
    {kJwkFile, 6, reason::kKeyRefused, "kid-rsa-sign", reason::kJwkAlgInvalid},  // RSA1_5
    {kJwkFile, 7, reason::kKeyRefused, "kid-rsa-roca-sign", reason::kJwkRsaRoca},
    {kJwkFile, 8, reason::kKeyRefused, "RS256_1024", reason::kJwkRsaTooSmall},
    {kJwkFile, 9, reason::kKeyRefused, "RS256_2048", reason::kJwkRsaExponent},
    {kJwkFile, 19, reason::kKeyRefused, "kid-ec-sign", reason::kJwkAlgInvalid},  // ES521
    {kJwkFile, 20, reason::kKeyRefused, "kid-ec-sign", reason::kJwkAlgInvalid},  // ES224
    {kJwkFile, 21, reason::kKeyNotForSignature, "kid-ec-sign", ""},              // use enc
    {kJwkFile, 22, reason::kKeyRefused, "kid-ec-sign", reason::kJwkPointNotOnCurve},
    // P-384 with 32-byte coordinates: the length check fires before any curve math.
    {kJwkFile, 23, reason::kKeyRefused, "kid-ec-sign", reason::kJwkCoordinateLength},
    // kty RSA carrying EC members: there is no "n".
    {kJwkFile, 24, reason::kKeyRefused, "kid-ec-sign", reason::kJwkMemberMissing},
};

const PinnedRejection* FindPinned(std::string_view file, int64_t tc_id) {
  for (const PinnedRejection& pinned : kPinned) {
    if (pinned.file == file && pinned.tc_id == tc_id) {
      return &pinned;
    }
  }
  return nullptr;
}

// The harness's documented conversion of a "private" JWK to its public form. Symmetric
// "oct" keys keep "k": they have no public form, and Signet refuses them at load.
json::object StripPrivateMembers(json::object jwk) {
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth"}) {
    jwk.erase(member);
  }
  return jwk;
}

// The group's key set as {"keys":[...]} text: "public" when present, else "private"
// stripped. Either may be a single JWK or a set.
std::string GroupKeySet(const json::object& group) {
  const bool is_public = group.contains("public");
  const json::object& given = group.at(is_public ? "public" : "private").as_object();
  json::array keys;
  if (const json::value* set = given.if_contains("keys")) {
    keys = set->as_array();
  } else {
    keys.push_back(given);
  }
  if (!is_public) {
    for (json::value& key : keys) {
      key = StripPrivateMembers(key.as_object());
    }
  }
  return json::serialize(json::object{{"keys", std::move(keys)}});
}

void RunJoseFile(std::string_view file) {
  std::optional<json::object> vectors = LoadVectors(file);
  ASSERT_TRUE(vectors.has_value());
  Result<JwsVerifier> verifier =
      JwsVerifier::Create(std::vector<Algorithm>(kAllAlgorithms.begin(), kAllAlgorithms.end()));
  ASSERT_THAT(verifier, IsOk());

  int64_t tests_read = 0, valid_accepted = 0, invalid_rejected = 0, pinned_checked = 0;
  std::map<std::string_view, int> deviations;
  std::map<std::string, int> rejection_reasons;

  const json::array& groups = vectors->at("testGroups").as_array();
  for (size_t g = 0; g < groups.size(); ++g) {
    const json::object& group = groups[g].as_object();
    SCOPED_TRACE(std::string(file) + " group " + std::to_string(g) + " (" +
                 (group.contains("comment") ? Str(group, "comment") : "") + ")");
    Result<Jwks> keys = Jwks::Parse(GroupKeySet(group));
    ASSERT_THAT(keys, IsOk()) << "a single bad key must not fail the whole set (RFC 7517 5)";

    const json::array& tests = group.at("tests").as_array();
    tests_read += static_cast<int64_t>(tests.size());
    for (const json::value& t : tests) {
      const json::object& test = t.as_object();
      SCOPED_TRACE(Trace(test));
      const int64_t tc_id = test.at("tcId").to_number<int64_t>();
      const std::string result = Str(test, "result");
      const json::value& jws = test.at("jws");
      const std::string token = jws.is_string() ? Str(test, "jws") : json::serialize(jws);
      Result<VerifiedJws> verified = verifier->Verify(token, *keys);

      if (result == "valid") {
        std::string_view why;
        if (std::optional<ExpectedRefusalOf> refusal = ExpectedRefusal(file, tc_id, token, &why)) {
          EXPECT_THAT(verified.status(), FailsWith(refusal->reason))
              << "expected deviation: " << why;
          ++deviations[DeviationName(refusal->kind)];
        } else {
          EXPECT_THAT(verified.status(), IsOk());
          valid_accepted += verified.ok();
        }
        continue;
      }
      ASSERT_EQ(result, "invalid") << "the JOSE files have no \"acceptable\" vectors";
      EXPECT_FALSE(verified.ok()) << "an invalid JWS was accepted";
      if (verified.ok()) {
        continue;
      }
      ++invalid_rejected;
      ++rejection_reasons[std::string(verified.status().reason())];
      if (const PinnedRejection* pinned = FindPinned(file, tc_id)) {
        ++pinned_checked;
        EXPECT_THAT(verified.status(), FailsWith(pinned->token_reason));
        bool listed = false;
        for (const RefusedKey& refused : keys->refused()) {
          if (refused.kid == pinned->kid) {
            listed = true;
            EXPECT_THAT(refused.status, FailsWith(pinned->jwk_reason))
                << "the refused() entry for kid " << pinned->kid << " gives the wrong cause";
          }
        }
        EXPECT_EQ(listed, !pinned->jwk_reason.empty())
            << "refused() should " << (pinned->jwk_reason.empty() ? "not " : "") << "list kid "
            << pinned->kid;
      }
    }
  }
  EXPECT_EQ(tests_read, vectors->at("numberOfTests").to_number<int64_t>());
  for (const PinnedRejection& pinned : kPinned) {
    pinned_checked -= pinned.file == file;
  }
  EXPECT_EQ(pinned_checked, 0) << "a pinned tcId was not found among the rejected vectors";

  std::ostringstream summary;
  summary << "valid accepted " << valid_accepted << ", invalid rejected " << invalid_rejected
          << ", deviations";
  int total_deviations = 0;
  for (const auto& [kind, count] : deviations) {
    summary << " " << kind << "=" << count;
    total_deviations += count;
  }
  summary << " (total " << total_deviations << "); rejection reasons:";
  for (const auto& [reason, count] : rejection_reasons) {
    summary << " " << reason << "=" << count;
  }
  std::cout << "[wycheproof] " << file << ": " << summary.str() << "\n";
  ::testing::Test::RecordProperty("summary", summary.str());
}

TEST(WycheproofJoseTest, JsonWebSignature) { RunJoseFile(kJwsFile); }

TEST(WycheproofJoseTest, JsonWebKey) { RunJoseFile(kJwkFile); }

}  // namespace
}  // namespace signet::jose
