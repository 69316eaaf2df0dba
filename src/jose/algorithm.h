// JWS algorithms Signet implements (RFC 7518 §3, RFC 8037 §3.1) and the key families
// they belong to. The set is closed on purpose: `none` and the symmetric HS* family are
// refused by name with their own reasons, never merely "unknown".
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "common/status.h"

namespace signet::jose {

enum class Algorithm {
  kRS256,
  kRS384,
  kRS512,
  kPS256,
  kPS384,
  kPS512,
  kES256,
  kES384,
  kES512,
  kEdDSA
};

inline constexpr std::array kAllAlgorithms = {
    Algorithm::kRS256, Algorithm::kRS384, Algorithm::kRS512, Algorithm::kPS256, Algorithm::kPS384,
    Algorithm::kPS512, Algorithm::kES256, Algorithm::kES384, Algorithm::kES512, Algorithm::kEdDSA};

enum class KeyType { kRsa, kEc, kOkp };
enum class Curve { kNone, kP256, kP384, kP521, kEd25519 };

std::string_view AlgorithmName(Algorithm alg);

// Parses a header or JWK `alg` value, case-sensitively (RFC 7515 §4.1.1).
// Reasons: alg_none for any spelling of "none" (so "nOnE" is named for what it is),
// alg_symmetric_refused for HS256/384/512, alg_unsupported for anything else.
// The status code is invalid_token.
Result<Algorithm> ParseAlgorithm(std::string_view name);

// The key type and curve an algorithm requires (kNone for RSA).
KeyType RequiredKeyType(Algorithm alg);
Curve RequiredCurve(Algorithm alg);
std::string_view CurveName(Curve curve);  // "P-256", ..., "Ed25519"; "" for kNone
// Bytes in one coordinate (EC) or in the public key (Ed25519); 0 for kNone. ECDSA
// signatures in JWS are two such integers, r and s (RFC 7518 §3.4).
size_t CoordinateBytes(Curve curve);

}  // namespace signet::jose
