#include "jose/jws.h"

#include <algorithm>
#include <array>

#include "common/base64url.h"
#include "jose/reasons.h"
#include "jose/signature.h"
#include "jose/signing_key.h"

namespace signet::jose {
namespace {

Status Invalid(std::string_view reason, std::string message) {
  return Status(ErrorCode::kInvalidToken, reason, std::move(message));
}

constexpr std::array<bool, 256> MakeTokenAlphabet() {
  std::array<bool, 256> allowed{};
  for (int c = 'A'; c <= 'Z'; ++c) allowed[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) allowed[c] = true;
  for (int c = '0'; c <= '9'; ++c) allowed[c] = true;
  allowed['-'] = allowed['_'] = allowed['.'] = true;
  return allowed;
}
constexpr std::array<bool, 256> kTokenAlphabet = MakeTokenAlphabet();

Result<std::string> DecodeSegment(std::string_view segment, std::string_view what) {
  std::string out;
  if (!Base64UrlDecodeTo(segment, out)) {
    return Invalid(reason::kBase64Url, std::string(what) + " is not canonical base64url");
  }
  return out;
}

Result<std::optional<std::string>> OptionalStringHeader(const boost::json::object& header,
                                                        std::string_view name,
                                                        std::string_view reason) {
  const boost::json::value* v = header.if_contains(name);
  if (v == nullptr) {
    return std::optional<std::string>();
  }
  if (!v->is_string()) {
    return Invalid(reason, "header \"" + std::string(name) + "\" is not a string");
  }
  return std::optional<std::string>(std::string(v->as_string()));
}

Result<JoseHeader> ParseHeader(std::string_view encoded, const JwsLimits& limits) {
  SIGNET_ASSIGN_OR_RETURN(std::string decoded, DecodeSegment(encoded, "header"));
  Result<boost::json::object> json = ParseJsonObject(decoded, limits.json);
  if (!json.ok()) {
    return Invalid(json.status().reason(), "header: " + json.status().message());
  }
  JoseHeader header;
  header.json = std::move(json).value();
  const boost::json::value* alg = header.json.if_contains("alg");
  if (alg == nullptr || !alg->is_string()) {
    return Invalid(reason::kAlgMissing, "header has no string \"alg\"");
  }
  SIGNET_ASSIGN_OR_RETURN(header.alg, ParseAlgorithm(alg->as_string()));
  if (header.json.contains("crit")) {
    return Invalid(reason::kCritRefused,
                   "header has \"crit\": Signet implements no JWS extension it could honour");
  }
  if (header.json.contains("b64")) {
    return Invalid(reason::kB64Refused, "unencoded payloads (RFC 7797 \"b64\") are refused");
  }
  for (const char* member : {"jku", "x5u", "x5c", "jwk"}) {
    if (header.json.contains(member)) {
      return Invalid(reason::kHeaderKeyReferenceRefused,
                     std::string("header \"") + member +
                         "\" is refused: keys come only from the issuer's configuration");
    }
  }
  SIGNET_ASSIGN_OR_RETURN(header.kid,
                          OptionalStringHeader(header.json, "kid", reason::kKidInvalid));
  if (header.kid && header.kid->size() > limits.max_kid_bytes) {
    return Invalid(reason::kKidInvalid, "header \"kid\" is longer than " +
                                            std::to_string(limits.max_kid_bytes) + " bytes");
  }
  SIGNET_ASSIGN_OR_RETURN(header.typ,
                          OptionalStringHeader(header.json, "typ", reason::kTypInvalid));
  return header;
}

}  // namespace

Result<ParsedJws> ParseCompactJws(std::string_view token, const JwsLimits& limits) {
  // Cheap structural checks first: nothing is decoded until the token's size, alphabet
  // and shape are known to be sane (STANDARDS.md §17 item 9).
  if (token.size() > limits.max_token_bytes) {
    return Invalid(reason::kTokenTooLarge, "token of " + std::to_string(token.size()) +
                                               " bytes exceeds the limit of " +
                                               std::to_string(limits.max_token_bytes));
  }
  if (!token.empty() && token.front() == '{') {
    return Invalid(reason::kJsonSerializationRefused,
                   "JWS JSON serialization is refused; only compact tokens are accepted");
  }
  size_t dots[2] = {0, 0};
  size_t dot_count = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(token[i]);
    if (!kTokenAlphabet[c]) {
      return Invalid(
          reason::kTokenCharset,
          "token contains a character outside [A-Za-z0-9-_.] at offset " + std::to_string(i));
    }
    if (c == '.') {
      if (dot_count < 2) {
        dots[dot_count] = i;
      }
      ++dot_count;
    }
  }
  if (dot_count == 4) {
    return Invalid(reason::kJweRefused, "token has 5 segments (JWE); a signed JWS is required");
  }
  if (dot_count != 2) {
    return Invalid(reason::kSegmentCount,
                   "a compact JWS has 3 segments, this token has " + std::to_string(dot_count + 1));
  }
  std::string_view header_b64 = token.substr(0, dots[0]);
  std::string_view payload_b64 = token.substr(dots[0] + 1, dots[1] - dots[0] - 1);
  std::string_view signature_b64 = token.substr(dots[1] + 1);
  if (header_b64.empty()) {
    return Invalid(reason::kSegmentEmpty, "token header segment is empty");
  }
  ParsedJws jws;
  jws.token = token;
  jws.limits = limits;
  // The header is read before the missing signature is reported so that an unsecured
  // JWS ("<header>.<payload>." with alg "none") is named alg_none, the attack it is.
  SIGNET_ASSIGN_OR_RETURN(jws.header, ParseHeader(header_b64, limits));
  if (signature_b64.empty()) {
    return Invalid(reason::kSignatureMissing, "token has no signature");
  }
  SIGNET_ASSIGN_OR_RETURN(jws.payload, DecodeSegment(payload_b64, "payload"));
  SIGNET_ASSIGN_OR_RETURN(jws.signature, DecodeSegment(signature_b64, "signature"));
  jws.signing_input = token.substr(0, dots[1]);
  return jws;
}

Result<JwsVerifier> JwsVerifier::Create(std::vector<Algorithm> allowed, JwsLimits limits) {
  if (allowed.empty()) {
    return Status(ErrorCode::kInvalidConfig, reason::kAlgNotAllowed,
                  "the algorithm allowlist is empty");
  }
  return JwsVerifier(std::move(allowed), limits);
}

JwsVerifier::JwsVerifier(std::vector<Algorithm> allowed, JwsLimits limits)
    : allowed_(std::move(allowed)), limits_(limits) {
  for (Algorithm alg : allowed_) {
    rsa_algorithms_allowed_ += RequiredKeyType(alg) == KeyType::kRsa ? 1 : 0;
  }
}

bool JwsVerifier::Allows(Algorithm alg) const {
  return std::find(allowed_.begin(), allowed_.end(), alg) != allowed_.end();
}

Result<VerifiedJws> JwsVerifier::Verify(std::string_view token, const Jwks& keys) const {
  SIGNET_ASSIGN_OR_RETURN(ParsedJws jws, ParseCompactJws(token, limits_));
  SIGNET_RETURN_IF_ERROR(CheckSignature(jws, keys));
  return VerifiedJws(std::move(jws.header), std::move(jws.payload));
}

Status JwsVerifier::CheckSignature(const ParsedJws& jws, const Jwks& keys) const {
  if (!Allows(jws.header.alg)) {
    return Invalid(reason::kAlgNotAllowed, "alg " + std::string(AlgorithmName(jws.header.alg)) +
                                               " is not in this issuer's allowlist");
  }
  SIGNET_ASSIGN_OR_RETURN(const Jwk* key, keys.Select(jws.header.kid, jws.header.alg));
  // An EC or Ed25519 key fits one algorithm by its curve; an RSA key fits six. RFC 8725bis
  // wants each key used with exactly one, so an RSA key that does not name its `alg` is
  // usable only where the allowlist leaves no choice.
  if (key->key_type() == KeyType::kRsa && !key->algorithm() && rsa_algorithms_allowed_ > 1) {
    return Invalid(reason::kAlgKeyMismatch,
                   "the RSA key has no \"alg\" and several RSA algorithms are allowed: pin the "
                   "key's alg or allow a single RSA algorithm");
  }
  return VerifySignature(jws.header.alg, *key, jws.signing_input, jws.signature);
}

Result<std::string> SignCompactJws(const SigningKey& key, std::string_view header_json,
                                   std::string_view payload) {
  std::string token = Base64UrlEncode(header_json);
  token += '.';
  token += Base64UrlEncode(payload);
  SIGNET_ASSIGN_OR_RETURN(std::string signature, key.Sign(token));
  token += '.';
  token += Base64UrlEncode(signature);
  return token;
}

}  // namespace signet::jose
