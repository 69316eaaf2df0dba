// Public JSON Web Keys (RFC 7517) and key sets, checked at load.
//
// A Jwk is a verification key whose material has been validated when it was built:
// RSA moduli of 2048..16384 bits with an odd exponent > 1; EC points with full-length
// coordinates that lie on P-256, P-384 or P-521; Ed25519 keys of 32 bytes. A JWK that
// carries private members (d, p, q, dp, dq, qi, oth, k) is refused: a published key set
// holding a private key is a leak, not a key. Jwk is immutable and cheap to copy (the
// OpenSSL key is shared); safe for concurrent use.
//
// Jwks::Parse follows RFC 7517 §5: a key of an unknown `kty` or unsupported curve is
// skipped, and a malformed or weak key is refused; neither fails the set. Refused keys
// are remembered with their reason, so a token naming one gets `key_refused` with the
// cause instead of a bare "unknown kid".
#pragma once

#include <openssl/types.h>

#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "jose/algorithm.h"

namespace signet::jose {

class Jwk {
 public:
  // Reasons: jwk_kty_unsupported, jwk_member_missing, jwk_member_invalid,
  // jwk_private_member, jwk_rsa_too_small, jwk_rsa_too_large, jwk_rsa_exponent_invalid,
  // jwk_curve_unsupported, jwk_coordinate_length, jwk_point_not_on_curve,
  // jwk_use_key_ops_conflict, jwk_alg_invalid. Code: invalid_config.
  static Result<Jwk> FromJson(const boost::json::object& jwk);
  static Result<Jwk> Parse(std::string_view json);

  KeyType key_type() const { return key_type_; }
  Curve curve() const { return curve_; }
  const std::string& kid() const { return kid_; }
  // The JWK's own `alg`, when it has one.
  std::optional<Algorithm> algorithm() const { return alg_; }
  int rsa_bits() const { return rsa_bits_; }

  // OK when this key may verify a JWS with `alg`: the key type and curve fit `alg`, the
  // JWK's `alg` (if any) equals it, and `use`/`key_ops` allow signature verification.
  // Reasons: alg_key_mismatch, key_not_for_signature.
  Status CheckUsableFor(Algorithm alg) const;

  // The public JWK: kty, crv, x, y / n, e, and kid, alg, use when set. Never private
  // members.
  const boost::json::object& ToJson() const { return public_json_; }
  // RFC 7638 SHA-256 thumbprint, base64url.
  std::string Thumbprint() const;

  // The OpenSSL key; owned by this Jwk (and its copies).
  EVP_PKEY* pkey() const { return pkey_.get(); }
  // For a JWK that names its `alg` and may verify: a verification context initialised
  // for that alg (signature.h, PrepareVerification); null for any other alg.
  const EVP_MD_CTX* PreparedVerification(Algorithm alg) const {
    return alg_ == alg ? prepared_verification_.get() : nullptr;
  }

 private:
  Jwk() = default;

  std::shared_ptr<EVP_PKEY> pkey_;
  KeyType key_type_ = KeyType::kRsa;
  Curve curve_ = Curve::kNone;
  std::string kid_;
  std::optional<Algorithm> alg_;
  std::optional<std::string> use_;
  boost::json::object public_json_;
  bool verify_allowed_ = true;  // from use / key_ops
  int rsa_bits_ = 0;
  std::shared_ptr<const EVP_MD_CTX> prepared_verification_;
};

struct JwksLimits {
  size_t max_bytes = 256 * 1024;
  size_t max_keys = 100;
};

// A key that Jwks::Parse refused or skipped, and why.
struct RefusedKey {
  std::string kid;  // empty when the JWK had none
  Status status;
};

class Jwks {
 public:
  Jwks() = default;
  explicit Jwks(std::vector<Jwk> keys) : keys_(std::move(keys)) {}

  // Reasons for the whole set: jwks_too_large, jwks_too_many_keys, jwks_keys_missing,
  // and the JSON reasons (json_*). Code: invalid_config.
  static Result<Jwks> Parse(std::string_view json, const JwksLimits& limits = {});

  const std::vector<Jwk>& keys() const { return keys_; }
  const std::vector<RefusedKey>& refused() const { return refused_; }

  // Chooses the key that verifies a JWS with header `kid` (nullopt when absent) and
  // `alg`. With a kid: the keys with that kid that fit `alg`; exactly one must remain.
  // Without a kid: the single key that fits `alg`, else kid_ambiguous.
  // Reasons: kid_unknown, kid_ambiguous, key_refused, alg_key_mismatch,
  // key_not_for_signature. Code: invalid_token.
  Result<const Jwk*> Select(const std::optional<std::string>& kid, Algorithm alg) const;

  // {"keys":[...]} with public members only.
  std::string ToJson() const;

 private:
  std::vector<Jwk> keys_;
  std::vector<RefusedKey> refused_;
};

}  // namespace signet::jose
