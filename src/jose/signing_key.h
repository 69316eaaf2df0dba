// SigningKey: a private key that signs JWS for Signet (its access tokens, federation
// assertions). Generated with OpenSSL's DRBG; exportable only as a Secret.
//
// Signet signs with ES256 (the default), EdDSA or RS256 (RFC 9068 requires RS256
// support). Every verify algorithm can be generated for tests and benchmarks through
// GenerateForTesting.
//
// Immutable after construction; Sign may be called concurrently.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/secret.h"
#include "common/status.h"
#include "jose/algorithm.h"
#include "jose/jwk.h"

namespace signet::jose {

class SigningKey {
 public:
  // ES256, EdDSA or RS256 (3072-bit); other algorithms: alg_not_allowed.
  static Result<SigningKey> Generate(Algorithm alg, std::string kid);
  // Any algorithm in kAllAlgorithms; RSA keys of `rsa_bits` (default 2048).
  static Result<SigningKey> GenerateForTesting(Algorithm alg, std::string kid, int rsa_bits = 2048);
  // Loads a PKCS#8 PEM private key; the key type must fit `alg`.
  static Result<SigningKey> FromPkcs8Pem(const Secret& pem, Algorithm alg, std::string kid);
  // An RS256 key from a PEM RSA private key held for a third party (a GitHub App's key,
  // a Snowflake user's key): PKCS#1 ("BEGIN RSA PRIVATE KEY", what GitHub hands out) or
  // PKCS#8, unencrypted. invalid_config private_key_invalid (not such a PEM),
  // private_key_not_rsa, private_key_too_short (under `min_bits`). Messages never quote
  // the key.
  static Result<SigningKey> FromRsaPrivateKeyPem(const Secret& pem, std::string kid,
                                                 int min_bits = 2048);

  Algorithm algorithm() const { return alg_; }
  const std::string& kid() const { return kid_; }

  // The public half as a JWK with kid, alg and use=sig.
  const Jwk& public_jwk() const { return public_jwk_; }
  Secret ToPkcs8Pem() const;
  // base64 (RFC 4648 §4, padded) of the SHA-256 of the public key's DER
  // SubjectPublicKeyInfo: the key fingerprint Snowflake shows as RSA_PUBLIC_KEY_FP.
  Result<std::string> PublicKeySha256() const;

  // Signs `data` and returns the JWS signature bytes (ECDSA as raw r||s, RFC 7518 §3.4).
  Result<std::string> Sign(std::string_view data) const;

  EVP_PKEY* pkey() const { return pkey_.get(); }

 private:
  SigningKey(std::shared_ptr<EVP_PKEY> pkey, std::shared_ptr<const EVP_MD_CTX> prepared,
             Algorithm alg, std::string kid, Jwk public_jwk);
  static Result<SigningKey> FromPkey(std::shared_ptr<EVP_PKEY> pkey, Algorithm alg,
                                     std::string kid);

  std::shared_ptr<EVP_PKEY> pkey_;
  std::shared_ptr<const EVP_MD_CTX> prepared_;  // for pkey_ and alg_ (see PrepareSigning)
  Algorithm alg_;
  std::string kid_;
  Jwk public_jwk_;
};

}  // namespace signet::jose
