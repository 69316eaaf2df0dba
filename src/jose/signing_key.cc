#include "jose/signing_key.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "common/base64url.h"
#include "jose/openssl_util.h"
#include "jose/reasons.h"
#include "jose/signature.h"

namespace signet::jose {
namespace {

using internal::BnPtr;

Status KeyError(std::string_view reason, std::string message) {
  return Status(ErrorCode::kInvalidConfig, reason, std::move(message));
}

Result<std::string> BnParam(EVP_PKEY* pkey, const char* name, int pad_to) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    return KeyError(reason::kJwkMemberMissing, internal::TakeOpenSslError());
  }
  BnPtr bn(raw);
  int len = pad_to > 0 ? pad_to : BN_num_bytes(bn.get());
  std::string bytes(static_cast<size_t>(len), '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<uint8_t*>(bytes.data()), len) != len) {
    return KeyError(reason::kJwkMemberInvalid, "key component does not fit its size");
  }
  return Base64UrlEncode(bytes);
}

// The public JWK of a private key, built through Jwk::FromJson so that Signet's own
// keys pass the same checks as anyone else's.
Result<Jwk> PublicJwkOf(EVP_PKEY* pkey, Algorithm alg, const std::string& kid) {
  boost::json::object json;
  switch (RequiredKeyType(alg)) {
    case KeyType::kRsa: {
      json["kty"] = "RSA";
      SIGNET_ASSIGN_OR_RETURN(std::string n, BnParam(pkey, OSSL_PKEY_PARAM_RSA_N, 0));
      SIGNET_ASSIGN_OR_RETURN(std::string e, BnParam(pkey, OSSL_PKEY_PARAM_RSA_E, 0));
      json["n"] = n;
      json["e"] = e;
      break;
    }
    case KeyType::kEc: {
      Curve curve = RequiredCurve(alg);
      int len = static_cast<int>(CoordinateBytes(curve));
      json["kty"] = "EC";
      json["crv"] = CurveName(curve);
      SIGNET_ASSIGN_OR_RETURN(std::string x, BnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_X, len));
      SIGNET_ASSIGN_OR_RETURN(std::string y, BnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, len));
      json["x"] = x;
      json["y"] = y;
      break;
    }
    case KeyType::kOkp: {
      uint8_t raw[32];
      size_t len = sizeof(raw);
      if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != sizeof(raw)) {
        return KeyError(reason::kJwkCoordinateLength, "not an Ed25519 key");
      }
      json["kty"] = "OKP";
      json["crv"] = "Ed25519";
      json["x"] = Base64UrlEncode(std::span<const uint8_t>(raw, len));
      break;
    }
  }
  json["kid"] = kid;
  json["alg"] = AlgorithmName(alg);
  json["use"] = "sig";
  return Jwk::FromJson(json);
}

bool KeyFitsAlgorithm(EVP_PKEY* pkey, Algorithm alg) {
  switch (RequiredKeyType(alg)) {
    case KeyType::kRsa:
      return EVP_PKEY_is_a(pkey, "RSA");
    case KeyType::kEc: {
      char group[32] = {0};
      size_t len = 0;
      return EVP_PKEY_is_a(pkey, "EC") &&
             EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                            &len) == 1 &&
             EC_curve_nist2nid(std::string(CurveName(RequiredCurve(alg))).c_str()) ==
                 OBJ_sn2nid(group);
    }
    case KeyType::kOkp:
      return EVP_PKEY_is_a(pkey, "ED25519");
  }
  return false;
}

// The private key of a PEM block: PKCS#8 or a traditional form (PKCS#1, SEC1).
Result<std::shared_ptr<EVP_PKEY>> ReadPrivateKeyPem(const Secret& pem, std::string_view what) {
  std::string_view text = pem.Reveal(SecretAccess::Grant());
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  // A callback that supplies no passphrase: without one, OpenSSL would prompt on the
  // terminal for an encrypted PEM, and a daemon must fail instead.
  auto no_passphrase = [](char*, int, int, void*) { return 0; };
  EVP_PKEY* pkey = bio ? PEM_read_bio_PrivateKey(bio, nullptr, no_passphrase, nullptr) : nullptr;
  BIO_free(bio);
  if (pkey == nullptr) {
    ERR_clear_error();  // the queue may quote key material; never surface it
    return KeyError("private_key_invalid", "not a PEM-encoded " + std::string(what));
  }
  return internal::SharePkey(pkey);
}

}  // namespace

SigningKey::SigningKey(std::shared_ptr<EVP_PKEY> pkey, std::shared_ptr<const EVP_MD_CTX> prepared,
                       Algorithm alg, std::string kid, Jwk public_jwk)
    : pkey_(std::move(pkey)),
      prepared_(std::move(prepared)),
      alg_(alg),
      kid_(std::move(kid)),
      public_jwk_(std::move(public_jwk)) {}

Result<SigningKey> SigningKey::FromPkey(std::shared_ptr<EVP_PKEY> pkey, Algorithm alg,
                                        std::string kid) {
  if (!KeyFitsAlgorithm(pkey.get(), alg)) {
    return KeyError(reason::kAlgKeyMismatch,
                    "private key does not fit " + std::string(AlgorithmName(alg)));
  }
  SIGNET_ASSIGN_OR_RETURN(Jwk jwk, PublicJwkOf(pkey.get(), alg, kid));
  SIGNET_ASSIGN_OR_RETURN(auto prepared, PrepareSigning(alg, pkey.get()));
  return SigningKey(std::move(pkey), std::move(prepared), alg, std::move(kid), std::move(jwk));
}

Result<SigningKey> SigningKey::Generate(Algorithm alg, std::string kid) {
  if (alg != Algorithm::kES256 && alg != Algorithm::kEdDSA && alg != Algorithm::kRS256) {
    return KeyError(reason::kAlgNotAllowed, "Signet signs with ES256, EdDSA or RS256 only");
  }
  return GenerateForTesting(alg, std::move(kid), 3072);
}

Result<SigningKey> SigningKey::GenerateForTesting(Algorithm alg, std::string kid, int rsa_bits) {
  EVP_PKEY* pkey = nullptr;
  switch (RequiredKeyType(alg)) {
    case KeyType::kRsa:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits));
      break;
    case KeyType::kEc:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC",
                               std::string(CurveName(RequiredCurve(alg))).c_str());
      break;
    case KeyType::kOkp:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (pkey == nullptr) {
    return Status(ErrorCode::kServerError, "keygen_failed",
                  "key generation failed: " + internal::TakeOpenSslError());
  }
  return FromPkey(internal::SharePkey(pkey), alg, std::move(kid));
}

Result<SigningKey> SigningKey::FromPkcs8Pem(const Secret& pem, Algorithm alg, std::string kid) {
  SIGNET_ASSIGN_OR_RETURN(auto pkey, ReadPrivateKeyPem(pem, "PKCS#8 private key"));
  return FromPkey(std::move(pkey), alg, std::move(kid));
}

Result<SigningKey> SigningKey::FromRsaPrivateKeyPem(const Secret& pem, std::string kid,
                                                    int min_bits) {
  SIGNET_ASSIGN_OR_RETURN(auto pkey,
                          ReadPrivateKeyPem(pem, "unencrypted RSA private key (PKCS#1 or PKCS#8)"));
  if (!EVP_PKEY_is_a(pkey.get(), "RSA")) {
    return KeyError("private_key_not_rsa", std::string("the private key is ") +
                                               EVP_PKEY_get0_type_name(pkey.get()) + ", not RSA");
  }
  if (int bits = EVP_PKEY_get_bits(pkey.get()); bits < min_bits) {
    return KeyError("private_key_too_short", "the RSA key has " + std::to_string(bits) +
                                                 " bits; at least " + std::to_string(min_bits) +
                                                 " are required");
  }
  return FromPkey(std::move(pkey), Algorithm::kRS256, std::move(kid));
}

Secret SigningKey::ToPkcs8Pem() const {
  BIO* bio = BIO_new(BIO_s_secmem());
  std::string out;
  if (bio != nullptr &&
      PEM_write_bio_PrivateKey(bio, pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    out.assign(data, static_cast<size_t>(len));
  }
  BIO_free(bio);
  return Secret(std::move(out));
}

Result<std::string> SigningKey::PublicKeySha256() const {
  unsigned char* der = nullptr;
  int der_len = i2d_PUBKEY(pkey_.get(), &der);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  bool hashed = der_len > 0 && SHA256(der, static_cast<size_t>(der_len), digest) != nullptr;
  OPENSSL_free(der);
  if (!hashed) {
    return Status(ErrorCode::kServerError, "public_key_encoding_failed",
                  "the public key cannot be encoded: " + internal::TakeOpenSslError());
  }
  unsigned char encoded[4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1];
  int encoded_len = EVP_EncodeBlock(encoded, digest, SHA256_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(encoded), static_cast<size_t>(encoded_len));
}

Result<std::string> SigningKey::Sign(std::string_view data) const {
  return SignPrepared(alg_, *prepared_, data);
}

}  // namespace signet::jose
