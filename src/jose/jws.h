// JWS in compact serialization (RFC 7515 §7.1), parsed strictly and verified only
// against keys the caller supplies.
//
// Parsing refuses, before any base64 decoding: tokens over the size cap, any character
// outside [A-Za-z0-9-_.], JSON serialization, JWE (5 segments) and other segment counts,
// and an empty header segment. An empty signature is refused after the header is read,
// so that an `alg: none` token is named as such. (An empty payload is a legal JWS,
// RFC 7515; a JWT refuses it as claims that are not a JSON object.) The header must be a
// UTF-8 JSON object without duplicate members whose `alg` is present and implemented.
// Headers that reference keys from outside (`jku`, `x5u`, `x5c`, `jwk`) are refused
// outright: Signet never fetches or trusts them, and a token that carries them is not
// one a configured issuer sends. Any `crit` is refused (Signet implements no JWS
// extension), as is `b64`.
//
// VerifiedJws can only be made by JwsVerifier, so code that takes one knows the
// signature was checked with a configured key and an allowed algorithm.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "jose/algorithm.h"
#include "jose/jwk.h"

namespace signet::jose {

struct JwsLimits {
  size_t max_token_bytes = 16 * 1024;
  size_t max_kid_bytes = 256;
  JsonLimits json;

  friend bool operator==(const JwsLimits&, const JwsLimits&) = default;
};

// The protected header, as far as Signet reads it.
struct JoseHeader {
  Algorithm alg = Algorithm::kES256;
  std::optional<std::string> kid;
  std::optional<std::string> typ;
  boost::json::object json;  // every member, for callers that need more
};

// A compact JWS split and decoded, NOT verified.
struct ParsedJws {
  std::string_view token;  // the whole token (the caller's)
  JwsLimits limits;        // what it was parsed under
  JoseHeader header;
  std::string_view signing_input;  // "<header>.<payload>" inside the caller's token
  std::string payload;             // decoded
  std::string signature;           // decoded
};

// Reasons: token_too_large, token_charset, jws_json_serialization_refused, jwe_refused,
// token_segment_count, token_segment_empty, signature_missing, base64url_noncanonical,
// json_* (header), alg_missing, alg_none, alg_symmetric_refused, alg_unsupported,
// crit_refused, b64_refused, header_key_reference_refused, kid_invalid, typ_invalid.
// Code: invalid_token. The result refers into `token`, which must outlive it.
Result<ParsedJws> ParseCompactJws(std::string_view token, const JwsLimits& limits = {});

class VerifiedJws {
 public:
  const JoseHeader& header() const { return header_; }
  const std::string& payload() const { return payload_; }

 private:
  friend class JwsVerifier;
  VerifiedJws(JoseHeader header, std::string payload)
      : header_(std::move(header)), payload_(std::move(payload)) {}
  JoseHeader header_;
  std::string payload_;
};

class JwsVerifier {
 public:
  // `allowed` must not be empty (invalid_config, reason alg_not_allowed).
  static Result<JwsVerifier> Create(std::vector<Algorithm> allowed, JwsLimits limits = {});

  // Parses `token`, checks its alg against the allowlist (alg_not_allowed), selects the
  // key from `keys` (see Jwks::Select) and verifies the signature. An RSA key without a
  // JWK `alg` is refused (alg_key_mismatch) when the allowlist holds more than one RSA
  // algorithm, so that no key serves two algorithms.
  Result<VerifiedJws> Verify(std::string_view token, const Jwks& keys) const;
  // Verify's checks after the parse, for a token the caller parsed under limits().
  Status CheckSignature(const ParsedJws& jws, const Jwks& keys) const;

  const JwsLimits& limits() const { return limits_; }
  bool Allows(Algorithm alg) const;

 private:
  friend class JwtVerifier;
  JwsVerifier(std::vector<Algorithm> allowed, JwsLimits limits);
  std::vector<Algorithm> allowed_;
  int rsa_algorithms_allowed_ = 0;
  JwsLimits limits_;
};

// Produces a compact JWS over `header_json` and `payload` exactly as given (both are
// base64url-encoded verbatim; the caller owns their content). Used by JwtSigner and by
// tests that need hand-made headers.
Result<std::string> SignCompactJws(const class SigningKey& key, std::string_view header_json,
                                   std::string_view payload);

}  // namespace signet::jose
