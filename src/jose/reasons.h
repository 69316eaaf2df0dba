// The reasons a JOSE object is refused. Each distinct check has its own reason, so a
// test can assert exactly why a token failed and the audit trail can record it. The
// identifiers are stable: dashboards and alerts key on them.
#pragma once

#include <array>
#include <string_view>

namespace signet::jose::reason {

// Compact serialization (RFC 7515 §7.1, RFC 8725bis "Check JWT Format Type").
inline constexpr std::string_view kTokenTooLarge = "token_too_large";
inline constexpr std::string_view kTokenCharset = "token_charset";
inline constexpr std::string_view kJsonSerializationRefused = "jws_json_serialization_refused";
inline constexpr std::string_view kJweRefused = "jwe_refused";
inline constexpr std::string_view kSegmentCount = "token_segment_count";
inline constexpr std::string_view kSegmentEmpty = "token_segment_empty";
inline constexpr std::string_view kSignatureMissing = "signature_missing";
inline constexpr std::string_view kBase64Url = "base64url_noncanonical";

// Protected header.
inline constexpr std::string_view kAlgMissing = "alg_missing";
inline constexpr std::string_view kAlgNone = "alg_none";
inline constexpr std::string_view kAlgSymmetricRefused = "alg_symmetric_refused";
inline constexpr std::string_view kAlgUnsupported = "alg_unsupported";
inline constexpr std::string_view kAlgNotAllowed = "alg_not_allowed";
inline constexpr std::string_view kCritRefused = "crit_refused";
inline constexpr std::string_view kB64Refused = "b64_refused";
inline constexpr std::string_view kHeaderKeyReferenceRefused = "header_key_reference_refused";
inline constexpr std::string_view kKidInvalid = "kid_invalid";
inline constexpr std::string_view kTypInvalid = "typ_invalid";
inline constexpr std::string_view kTypMismatch = "typ_mismatch";

// Key selection and signature.
inline constexpr std::string_view kKidUnknown = "kid_unknown";
inline constexpr std::string_view kKidAmbiguous = "kid_ambiguous";
inline constexpr std::string_view kKeyRefused = "key_refused";
inline constexpr std::string_view kAlgKeyMismatch = "alg_key_mismatch";
inline constexpr std::string_view kKeyNotForSignature = "key_not_for_signature";
inline constexpr std::string_view kEcdsaSignatureLength = "ecdsa_signature_length";
inline constexpr std::string_view kEcdsaSignatureRange = "ecdsa_signature_range";
inline constexpr std::string_view kSignatureInvalid = "signature_invalid";

// Claims (RFC 7519 §4.1).
inline constexpr std::string_view kIssMissing = "iss_missing";
inline constexpr std::string_view kIssMismatch = "iss_mismatch";
inline constexpr std::string_view kSubMissing = "sub_missing";
inline constexpr std::string_view kSubInvalid = "sub_invalid";
inline constexpr std::string_view kAudMissing = "aud_missing";
inline constexpr std::string_view kAudInvalid = "aud_invalid";
inline constexpr std::string_view kAudMismatch = "aud_mismatch";
inline constexpr std::string_view kAudMultiple = "aud_multiple";
inline constexpr std::string_view kExpMissing = "exp_missing";
inline constexpr std::string_view kExpInvalid = "exp_invalid";
inline constexpr std::string_view kExpired = "expired";
inline constexpr std::string_view kNbfInvalid = "nbf_invalid";
inline constexpr std::string_view kNotYetValid = "not_yet_valid";
inline constexpr std::string_view kIatMissing = "iat_missing";
inline constexpr std::string_view kIatInvalid = "iat_invalid";
inline constexpr std::string_view kIatInFuture = "iat_in_future";
inline constexpr std::string_view kLifetimeTooLong = "lifetime_too_long";
inline constexpr std::string_view kTokenTooOld = "token_too_old";
inline constexpr std::string_view kJtiInvalid = "jti_invalid";

// JWK and JWK Set (RFC 7517, RFC 7518 §6).
inline constexpr std::string_view kJwkKtyUnsupported = "jwk_kty_unsupported";
inline constexpr std::string_view kJwkMemberMissing = "jwk_member_missing";
inline constexpr std::string_view kJwkMemberInvalid = "jwk_member_invalid";
inline constexpr std::string_view kJwkPrivateMember = "jwk_private_member";
inline constexpr std::string_view kJwkRsaTooSmall = "jwk_rsa_too_small";
inline constexpr std::string_view kJwkRsaTooLarge = "jwk_rsa_too_large";
inline constexpr std::string_view kJwkRsaExponent = "jwk_rsa_exponent_invalid";
inline constexpr std::string_view kJwkRsaRoca = "jwk_rsa_roca_weak";
inline constexpr std::string_view kJwkCurveUnsupported = "jwk_curve_unsupported";
inline constexpr std::string_view kJwkCoordinateLength = "jwk_coordinate_length";
inline constexpr std::string_view kJwkPointNotOnCurve = "jwk_point_not_on_curve";
inline constexpr std::string_view kJwkSmallOrderPoint = "jwk_small_order_point";
inline constexpr std::string_view kJwkUseKeyOpsConflict = "jwk_use_key_ops_conflict";
inline constexpr std::string_view kJwkAlgInvalid = "jwk_alg_invalid";
inline constexpr std::string_view kJwksKeysMissing = "jwks_keys_missing";
inline constexpr std::string_view kJwksTooLarge = "jwks_too_large";
inline constexpr std::string_view kJwksTooManyKeys = "jwks_too_many_keys";

// Every reason above, for the test that proves they are distinct.
inline constexpr std::array kAll = {kTokenTooLarge,
                                    kTokenCharset,
                                    kJsonSerializationRefused,
                                    kJweRefused,
                                    kSegmentCount,
                                    kSegmentEmpty,
                                    kSignatureMissing,
                                    kBase64Url,
                                    kAlgMissing,
                                    kAlgNone,
                                    kAlgSymmetricRefused,
                                    kAlgUnsupported,
                                    kAlgNotAllowed,
                                    kCritRefused,
                                    kB64Refused,
                                    kHeaderKeyReferenceRefused,
                                    kKidInvalid,
                                    kTypInvalid,
                                    kTypMismatch,
                                    kKidUnknown,
                                    kKidAmbiguous,
                                    kKeyRefused,
                                    kAlgKeyMismatch,
                                    kKeyNotForSignature,
                                    kEcdsaSignatureLength,
                                    kEcdsaSignatureRange,
                                    kSignatureInvalid,
                                    kIssMissing,
                                    kIssMismatch,
                                    kSubMissing,
                                    kSubInvalid,
                                    kAudMissing,
                                    kAudInvalid,
                                    kAudMismatch,
                                    kAudMultiple,
                                    kExpMissing,
                                    kExpInvalid,
                                    kExpired,
                                    kNbfInvalid,
                                    kNotYetValid,
                                    kIatMissing,
                                    kIatInvalid,
                                    kIatInFuture,
                                    kLifetimeTooLong,
                                    kTokenTooOld,
                                    kJtiInvalid,
                                    kJwkKtyUnsupported,
                                    kJwkMemberMissing,
                                    kJwkMemberInvalid,
                                    kJwkPrivateMember,
                                    kJwkRsaTooSmall,
                                    kJwkRsaTooLarge,
                                    kJwkRsaExponent,
                                    kJwkRsaRoca,
                                    kJwkCurveUnsupported,
                                    kJwkCoordinateLength,
                                    kJwkPointNotOnCurve,
                                    kJwkSmallOrderPoint,
                                    kJwkUseKeyOpsConflict,
                                    kJwkAlgInvalid,
                                    kJwksKeysMissing,
                                    kJwksTooLarge,
                                    kJwksTooManyKeys};

}  // namespace signet::jose::reason
