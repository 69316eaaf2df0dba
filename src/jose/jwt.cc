#include "jose/jwt.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cmath>

#include "jose/reasons.h"

namespace signet::jose {
namespace {

// NumericDate bounds: after the epoch and before 2255. Later dates are not ones anyone
// issues, and SystemTime counts nanoseconds in 64 bits, which ends in 2262: bounding
// here keeps every conversion below defined (1e300, negative and NaN are refused too).
constexpr double kMaxNumericDate = 9'000'000'000.0;

// Identifiers that reach policy, logs and the audit trail must not hide a NUL or other
// control character ("admin\u0000x" would read as "admin" to any C-string consumer).
bool HasControlCharacter(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

Status Invalid(std::string_view reason, std::string message) {
  return Status(ErrorCode::kInvalidToken, reason, std::move(message));
}

Status ConfigError(std::string_view reason, std::string message) {
  return Status(ErrorCode::kInvalidConfig, reason, std::move(message));
}

// RFC 7515 §4.1.9 and RFC 8725bis: media types compare case-insensitively and
// "application/" may be omitted.
std::string NormaliseType(std::string_view typ) {
  std::string lower(typ);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  constexpr std::string_view kPrefix = "application/";
  if (lower.starts_with(kPrefix)) {
    lower.erase(0, kPrefix.size());
  }
  return lower;
}

Result<std::optional<double>> NumericDate(const boost::json::object& claims, std::string_view name,
                                          std::string_view invalid_reason) {
  const boost::json::value* v = claims.if_contains(name);
  if (v == nullptr) {
    return std::optional<double>();
  }
  double seconds;
  if (v->is_int64()) {
    seconds = static_cast<double>(v->as_int64());
  } else if (v->is_uint64()) {
    seconds = static_cast<double>(v->as_uint64());
  } else if (v->is_double()) {
    seconds = v->as_double();
  } else {
    return Invalid(invalid_reason, "\"" + std::string(name) + "\" is not a NumericDate number");
  }
  if (!std::isfinite(seconds) || seconds < 0 || seconds > kMaxNumericDate) {
    return Invalid(invalid_reason, "\"" + std::string(name) + "\" is out of range");
  }
  return std::optional<double>(seconds);
}

SystemTime ToSystemTime(double unix_seconds) {
  return SystemTime(std::chrono::duration_cast<SystemTime::duration>(
      std::chrono::duration<double>(unix_seconds)));
}

std::string Seconds(double s) { return std::to_string(static_cast<int64_t>(std::ceil(s))) + " s"; }

Result<std::vector<std::string>> Audiences(const boost::json::object& claims) {
  const boost::json::value* aud = claims.if_contains("aud");
  if (aud == nullptr) {
    return Invalid(reason::kAudMissing, "token has no \"aud\"");
  }
  std::vector<std::string> out;
  if (aud->is_string()) {
    if (HasControlCharacter(aud->as_string())) {
      return Invalid(reason::kAudInvalid, "\"aud\" holds a control character");
    }
    out.emplace_back(aud->as_string());
  } else if (aud->is_array()) {
    for (const auto& item : aud->as_array()) {
      if (!item.is_string()) {
        return Invalid(reason::kAudInvalid, "\"aud\" array holds a non-string");
      }
      if (HasControlCharacter(item.as_string())) {
        return Invalid(reason::kAudInvalid, "\"aud\" holds a control character");
      }
      out.emplace_back(item.as_string());
    }
  } else {
    return Invalid(reason::kAudInvalid, "\"aud\" is neither a string nor an array of strings");
  }
  if (out.empty()) {
    return Invalid(reason::kAudInvalid, "\"aud\" is an empty array: it names no recipient");
  }
  return out;
}

}  // namespace

JwtValidator::Builder& JwtValidator::Builder::ExpectIssuer(std::string issuer) {
  issuer_ = std::move(issuer);
  return *this;
}
JwtValidator::Builder& JwtValidator::Builder::ExpectAudience(std::string audience) {
  audiences_.push_back(std::move(audience));
  return *this;
}
JwtValidator::Builder& JwtValidator::Builder::AllowAlgorithms(std::vector<Algorithm> algorithms) {
  algorithms_ = std::move(algorithms);
  return *this;
}
JwtValidator::Builder& JwtValidator::Builder::SetLeeway(std::chrono::seconds leeway) {
  leeway_ = leeway;
  return *this;
}
JwtValidator::Builder& JwtValidator::Builder::SetMaxLifetime(std::chrono::seconds lifetime) {
  max_lifetime_ = lifetime;
  return *this;
}
JwtValidator::Builder& JwtValidator::Builder::SetMaxTokenAge(std::chrono::seconds age) {
  max_token_age_ = age;
  return *this;
}
JwtValidator::Builder& JwtValidator::Builder::SetMaxTokenBytes(size_t bytes) {
  max_token_bytes_ = bytes;
  return *this;
}
JwtValidator::Builder& JwtValidator::Builder::ExpectType(std::string typ) {
  expected_type_ = std::move(typ);
  return *this;
}
JwtValidator::Builder& JwtValidator::Builder::RequireSingleAudience() {
  require_single_audience_ = true;
  return *this;
}
JwtValidator::Builder& JwtValidator::Builder::RequireIssuedAt() {
  require_issued_at_ = true;
  return *this;
}
JwtValidator::Builder& JwtValidator::Builder::AllowMissingSubject() {
  allow_missing_subject_ = true;
  return *this;
}

Result<JwtValidator> JwtValidator::Builder::Build() const {
  if (issuer_.empty()) {
    return ConfigError(reason::kIssMissing, "an issuer is required");
  }
  if (audiences_.empty() || std::any_of(audiences_.begin(), audiences_.end(),
                                        [](const std::string& a) { return a.empty(); })) {
    return ConfigError(reason::kAudMissing, "at least one non-empty audience is required");
  }
  if (algorithms_.empty()) {
    return ConfigError(reason::kAlgNotAllowed, "the algorithm allowlist is empty");
  }
  if (leeway_ < std::chrono::seconds(0) || leeway_ > kMaxLeeway) {
    return ConfigError("leeway_invalid", "leeway must be between 0 and 300 s");
  }
  if (max_lifetime_ <= std::chrono::seconds(0) || max_lifetime_ > kMaxMaxLifetime) {
    return ConfigError("lifetime_invalid", "max lifetime must be positive and at most 30 days");
  }
  if (max_token_age_ && *max_token_age_ <= std::chrono::seconds(0)) {
    return ConfigError("lifetime_invalid", "max token age must be positive");
  }
  if (max_token_bytes_ == 0 || max_token_bytes_ > kMaxMaxTokenBytes) {
    return ConfigError("token_size_invalid", "max token size must be 1..65536 bytes");
  }
  if (expected_type_ && NormaliseType(*expected_type_).empty()) {
    return ConfigError(reason::kTypInvalid, "expected typ is empty");
  }
  JwtValidator v;
  v.issuer_ = issuer_;
  v.audiences_ = audiences_;
  v.algorithms_ = algorithms_;
  v.leeway_ = leeway_;
  v.max_lifetime_ = max_lifetime_;
  v.max_token_age_ = max_token_age_;
  v.max_token_bytes_ = max_token_bytes_;
  if (expected_type_) {
    v.expected_type_ = NormaliseType(*expected_type_);
  }
  v.require_single_audience_ = require_single_audience_;
  v.require_issued_at_ = require_issued_at_;
  v.allow_missing_subject_ = allow_missing_subject_;
  return v;
}

JwtVerifier::JwtVerifier(JwtValidator validator)
    : validator_(std::move(validator)),
      jws_(validator_.algorithms_,
           JwsLimits{
               .max_token_bytes = validator_.max_token_bytes_, .max_kid_bytes = 256, .json = {}}) {}

Result<ParsedJwt> ParseJwt(std::string_view token, const JwsLimits& limits) {
  SIGNET_ASSIGN_OR_RETURN(ParsedJws jws, ParseCompactJws(token, limits));
  Result<boost::json::object> claims = ParseJsonObject(jws.payload, limits.json);
  if (!claims.ok()) {
    return Invalid(claims.status().reason(), "claims: " + claims.status().message());
  }
  return ParsedJwt{std::move(jws), std::move(claims).value()};
}

Result<VerifiedJwt> JwtVerifier::Verify(std::string_view token, const Jwks& keys,
                                        SystemTime now) const {
  // Claims are parsed only once the signature holds.
  SIGNET_ASSIGN_OR_RETURN(ParsedJws jws, ParseCompactJws(token, jws_.limits()));
  SIGNET_RETURN_IF_ERROR(jws_.CheckSignature(jws, keys));
  SIGNET_RETURN_IF_ERROR(CheckType(jws.header));
  Result<boost::json::object> claims = ParseJsonObject(jws.payload, jws_.limits().json);
  if (!claims.ok()) {
    return Invalid(claims.status().reason(), "claims: " + claims.status().message());
  }
  return CheckClaims(jws.header, std::move(claims).value(), now);
}

Result<VerifiedJwt> JwtVerifier::Verify(const ParsedJwt& token, const Jwks& keys,
                                        SystemTime now) const {
  if (!(token.jws.limits == jws_.limits())) {
    return Verify(token.jws.token, keys, now);  // parsed under other limits: hold it to ours
  }
  SIGNET_RETURN_IF_ERROR(jws_.CheckSignature(token.jws, keys));
  SIGNET_RETURN_IF_ERROR(CheckType(token.jws.header));
  return CheckClaims(token.jws.header, token.claims, now);
}

Status JwtVerifier::CheckType(const JoseHeader& header) const {
  const std::optional<std::string>& typ = header.typ;
  if (validator_.expected_type_) {
    if (!typ || NormaliseType(*typ) != *validator_.expected_type_) {
      return Invalid(reason::kTypMismatch,
                     "token typ is not \"" + *validator_.expected_type_ + "\"");
    }
  } else if (typ && NormaliseType(*typ) != "jwt" && NormaliseType(*typ) != "jose") {
    return Invalid(reason::kTypMismatch,
                   "token is explicitly typed as another kind of JWT; refused here");
  }
  return Status::Ok();
}

Result<VerifiedJwt> JwtVerifier::CheckClaims(const JoseHeader& header,
                                             boost::json::object claims_in, SystemTime now) const {
  const JwtValidator& v = validator_;
  VerifiedJwt out;
  out.claims_ = std::move(claims_in);
  const boost::json::object& claims = out.claims_;

  const boost::json::value* iss = claims.if_contains("iss");
  if (iss == nullptr) {
    return Invalid(reason::kIssMissing, "token has no \"iss\"");
  }
  if (!iss->is_string() || iss->as_string() != v.issuer_) {
    return Invalid(reason::kIssMismatch, "\"iss\" is not the configured issuer");
  }
  out.issuer_ = v.issuer_;

  if (const boost::json::value* sub = claims.if_contains("sub")) {
    if (!sub->is_string() || sub->as_string().empty() || HasControlCharacter(sub->as_string())) {
      return Invalid(reason::kSubInvalid,
                     "\"sub\" is not a non-empty string free of control characters");
    }
    out.subject_ = std::string(sub->as_string());
  } else if (!v.allow_missing_subject_) {
    return Invalid(reason::kSubMissing, "token has no \"sub\"");
  }

  SIGNET_ASSIGN_OR_RETURN(out.audiences_, Audiences(claims));
  if (v.require_single_audience_ && out.audiences_.size() > 1) {
    return Invalid(reason::kAudMultiple, "\"aud\" names several recipients; one is required");
  }
  bool audience_ok = std::any_of(out.audiences_.begin(), out.audiences_.end(), [&](const auto& a) {
    return std::find(v.audiences_.begin(), v.audiences_.end(), a) != v.audiences_.end();
  });
  if (!audience_ok) {
    return Invalid(reason::kAudMismatch, "\"aud\" does not name this service");
  }

  const double now_s = ToUnixSeconds(now);
  const double leeway = static_cast<double>(v.leeway_.count());
  SIGNET_ASSIGN_OR_RETURN(std::optional<double> exp,
                          NumericDate(claims, "exp", reason::kExpInvalid));
  if (!exp) {
    return Invalid(reason::kExpMissing, "token has no \"exp\"");
  }
  if (now_s >= *exp + leeway) {
    return Invalid(reason::kExpired, "token expired " + Seconds(now_s - *exp) + " ago");
  }
  SIGNET_ASSIGN_OR_RETURN(std::optional<double> nbf,
                          NumericDate(claims, "nbf", reason::kNbfInvalid));
  if (nbf && *nbf >= *exp) {
    return Invalid(reason::kNbfInvalid, "\"nbf\" is not before \"exp\"");
  }
  if (nbf && now_s + leeway < *nbf) {
    return Invalid(reason::kNotYetValid, "token is not valid for another " + Seconds(*nbf - now_s));
  }
  SIGNET_ASSIGN_OR_RETURN(std::optional<double> iat,
                          NumericDate(claims, "iat", reason::kIatInvalid));
  if (!iat && (v.require_issued_at_ || v.max_token_age_)) {
    return Invalid(reason::kIatMissing, "token has no \"iat\"");
  }
  if (iat && *iat >= *exp) {
    return Invalid(reason::kIatInvalid, "\"iat\" is not before \"exp\"");
  }
  if (iat && *iat > now_s + leeway) {
    return Invalid(reason::kIatInFuture, "\"iat\" is " + Seconds(*iat - now_s) + " in the future");
  }
  const double lifetime = *exp - (iat ? *iat : now_s);
  if (lifetime > static_cast<double>(v.max_lifetime_.count())) {
    return Invalid(reason::kLifetimeTooLong, "token lifetime of " + Seconds(lifetime) +
                                                 " exceeds the issuer's maximum of " +
                                                 std::to_string(v.max_lifetime_.count()) + " s");
  }
  if (v.max_token_age_ && now_s - *iat > static_cast<double>(v.max_token_age_->count()) + leeway) {
    return Invalid(reason::kTokenTooOld, "token was issued " + Seconds(now_s - *iat) + " ago");
  }
  if (const boost::json::value* jti = claims.if_contains("jti")) {
    if (!jti->is_string() || HasControlCharacter(jti->as_string())) {
      return Invalid(reason::kJtiInvalid, "\"jti\" is not a string free of control characters");
    }
    out.jwt_id_ = std::string(jti->as_string());
  }

  out.expires_at_ = ToSystemTime(*exp);
  if (iat) {
    out.issued_at_ = ToSystemTime(*iat);
  }
  if (nbf) {
    out.not_before_ = ToSystemTime(*nbf);
  }
  out.key_id_ = header.kid;
  out.type_ = header.typ;
  out.algorithm_ = header.alg;
  return out;
}

Result<std::string> SignJwt(const SigningKey& key, const boost::json::object& claims,
                            std::string_view typ) {
  boost::json::object header{{"alg", AlgorithmName(key.algorithm())}, {"kid", key.kid()}};
  if (!typ.empty()) {
    header["typ"] = typ;
  }
  return SignCompactJws(key, boost::json::serialize(header), boost::json::serialize(claims));
}

}  // namespace signet::jose
