// The signature primitives on OpenSSL 3 EVP, one entry point each way. Used by the JWS
// verifier and by SigningKey; exposed for the Wycheproof signature vectors and the
// benchmarks, which compare them with raw EVP calls.
#pragma once

#include <memory>

#include <openssl/types.h>

#include <string>
#include <string_view>

#include "common/status.h"
#include "jose/algorithm.h"
#include "jose/jwk.h"

namespace signet::jose {

// The digest `alg` signs with, fetched once per process (nullptr for EdDSA, which hashes
// internally, or if OpenSSL lacks it); and whether `alg` is RSASSA-PSS.
const EVP_MD* DigestFor(Algorithm alg);
bool IsRsaPss(Algorithm alg);

// Verifies `signature` (JOSE encoding) over `data` with `key` for `alg`.
// REQUIRES: key.CheckUsableFor(alg).ok() (checked again; alg_key_mismatch otherwise).
// ECDSA signatures must be exactly 2 * field size bytes (ecdsa_signature_length) with
// r and s in [1, n-1] (ecdsa_signature_range); any other failure is signature_invalid.
// Code: invalid_token.
Status VerifySignature(Algorithm alg, const Jwk& key, std::string_view data,
                       std::string_view signature);

// Signs `data` with the private key `pkey` for `alg`; ECDSA output is raw r||s.
Result<std::string> SignData(Algorithm alg, EVP_PKEY* pkey, std::string_view data);

// SignData in two steps, for a key that signs many times: a signing context for `pkey`
// and `alg` initialised once, then copied for each signature. The prepared context is
// only read, so threads may sign with it concurrently.
Result<std::shared_ptr<const EVP_MD_CTX>> PrepareSigning(Algorithm alg, EVP_PKEY* pkey);
Result<std::string> SignPrepared(Algorithm alg, const EVP_MD_CTX& prepared, std::string_view data);

// A verification context for `pkey` and `alg`, initialised once and copied by
// VerifySignature for each signature (see Jwk::PreparedVerification). Only read after
// this returns, so threads may verify with it concurrently.
Result<std::shared_ptr<const EVP_MD_CTX>> PrepareVerification(Algorithm alg, EVP_PKEY* pkey);

}  // namespace signet::jose
