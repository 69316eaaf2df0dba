#include "jose/algorithm.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "jose/reasons.h"

namespace signet::jose {

std::string_view AlgorithmName(Algorithm alg) {
  switch (alg) {
    case Algorithm::kRS256:
      return "RS256";
    case Algorithm::kRS384:
      return "RS384";
    case Algorithm::kRS512:
      return "RS512";
    case Algorithm::kPS256:
      return "PS256";
    case Algorithm::kPS384:
      return "PS384";
    case Algorithm::kPS512:
      return "PS512";
    case Algorithm::kES256:
      return "ES256";
    case Algorithm::kES384:
      return "ES384";
    case Algorithm::kES512:
      return "ES512";
    case Algorithm::kEdDSA:
      return "EdDSA";
  }
  return "";
}

Result<Algorithm> ParseAlgorithm(std::string_view name) {
  for (Algorithm alg : kAllAlgorithms) {
    if (AlgorithmName(alg) == name) {
      return alg;
    }
  }
  std::string lower(name.substr(0, 16));
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "none" && name.size() == 4) {
    return Status(ErrorCode::kInvalidToken, reason::kAlgNone,
                  "alg \"none\" (unsecured JWS) is never accepted");
  }
  if (name == "HS256" || name == "HS384" || name == "HS512") {
    return Status(ErrorCode::kInvalidToken, reason::kAlgSymmetricRefused,
                  "symmetric alg " + std::string(name) +
                      " is refused: Signet verifies only asymmetric signatures");
  }
  return Status(ErrorCode::kInvalidToken, reason::kAlgUnsupported,
                "alg is not one Signet implements (RS*, PS*, ES*, EdDSA)");
}

KeyType RequiredKeyType(Algorithm alg) {
  switch (alg) {
    case Algorithm::kES256:
    case Algorithm::kES384:
    case Algorithm::kES512:
      return KeyType::kEc;
    case Algorithm::kEdDSA:
      return KeyType::kOkp;
    default:
      return KeyType::kRsa;
  }
}

Curve RequiredCurve(Algorithm alg) {
  switch (alg) {
    case Algorithm::kES256:
      return Curve::kP256;
    case Algorithm::kES384:
      return Curve::kP384;
    case Algorithm::kES512:
      return Curve::kP521;
    case Algorithm::kEdDSA:
      return Curve::kEd25519;
    default:
      return Curve::kNone;
  }
}

std::string_view CurveName(Curve curve) {
  switch (curve) {
    case Curve::kP256:
      return "P-256";
    case Curve::kP384:
      return "P-384";
    case Curve::kP521:
      return "P-521";
    case Curve::kEd25519:
      return "Ed25519";
    case Curve::kNone:
      return "";
  }
  return "";
}

size_t CoordinateBytes(Curve curve) {
  switch (curve) {
    case Curve::kP256:
    case Curve::kEd25519:
      return 32;
    case Curve::kP384:
      return 48;
    case Curve::kP521:
      return 66;
    case Curve::kNone:
      return 0;
  }
  return 0;
}

}  // namespace signet::jose
