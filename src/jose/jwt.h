// JWT validation (RFC 7519, RFC 8725 / 8725bis), strict by construction.
//
// A JwtValidator holds the rules for one issuer. It is built once, at config load, by
// JwtValidator::Builder, whose Build() refuses loose settings: no issuer, no audience,
// an empty algorithm allowlist, a leeway above 5 minutes, a maximum lifetime that is
// not positive. Defaults: `iss` equal to the configured issuer byte for byte; `aud`
// required, a string or an array of strings, one of which equals a configured audience
// byte for byte; `exp` required; `nbf` and `iat` checked when present; `sub` required;
// leeway 30 s; maximum lifetime 24 h; tokens up to 16 KiB. Every loosening is a named
// builder call, so a reviewer can grep for it.
//
// Typing (RFC 8725bis "Use Explicit Typing"): with ExpectType("at+jwt") the header
// `typ` must be that type (compared case-insensitively, "application/" optional).
// Without it, `typ` must be absent, "JWT" or "JOSE": a token explicitly typed as
// something else (an access token, a DPoP proof, a client assertion) is refused, so the
// rules for different kinds of JWT are mutually exclusive.
//
// VerifiedJwt can only be created by JwtVerifier: code that takes one knows every rule
// above held at verification time. JwtValidator, JwtVerifier and VerifiedJwt are
// immutable and safe for concurrent use.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "jose/algorithm.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/signing_key.h"

namespace signet::jose {

inline constexpr std::chrono::seconds kDefaultLeeway{30};
inline constexpr std::chrono::seconds kMaxLeeway{300};
inline constexpr std::chrono::seconds kDefaultMaxLifetime{24 * 3600};
inline constexpr std::chrono::seconds kMaxMaxLifetime{30 * 24 * 3600};
inline constexpr size_t kDefaultMaxTokenBytes = 16 * 1024;
inline constexpr size_t kMaxMaxTokenBytes = 64 * 1024;

class JwtValidator {
 public:
  class Builder {
   public:
    Builder& ExpectIssuer(std::string issuer);
    // Adds an accepted audience; a token must name at least one of them.
    Builder& ExpectAudience(std::string audience);
    Builder& AllowAlgorithms(std::vector<Algorithm> algorithms);
    Builder& SetLeeway(std::chrono::seconds leeway);
    // The longest `exp - iat` accepted (or `exp - now` when `iat` is absent).
    Builder& SetMaxLifetime(std::chrono::seconds lifetime);
    // Refuse tokens whose `iat` is older than this (off by default).
    Builder& SetMaxTokenAge(std::chrono::seconds age);
    Builder& SetMaxTokenBytes(size_t bytes);
    Builder& ExpectType(std::string typ);
    // Refuse an `aud` array with more than one member (JWT-SVID §7.2 replay concern).
    Builder& RequireSingleAudience();
    Builder& RequireIssuedAt();
    // Loosening: accept tokens without `sub`.
    Builder& AllowMissingSubject();

    // Reasons (code invalid_config): iss_missing, aud_missing, alg_not_allowed,
    // leeway_invalid, lifetime_invalid, token_size_invalid, typ_invalid.
    Result<JwtValidator> Build() const;

   private:
    std::string issuer_;
    std::vector<std::string> audiences_;
    std::vector<Algorithm> algorithms_;
    std::chrono::seconds leeway_ = kDefaultLeeway;
    std::chrono::seconds max_lifetime_ = kDefaultMaxLifetime;
    std::optional<std::chrono::seconds> max_token_age_;
    size_t max_token_bytes_ = kDefaultMaxTokenBytes;
    std::optional<std::string> expected_type_;
    bool require_single_audience_ = false;
    bool require_issued_at_ = false;
    bool allow_missing_subject_ = false;
  };

  const std::string& issuer() const { return issuer_; }
  const std::vector<std::string>& audiences() const { return audiences_; }
  const std::vector<Algorithm>& algorithms() const { return algorithms_; }
  std::chrono::seconds leeway() const { return leeway_; }
  std::chrono::seconds max_lifetime() const { return max_lifetime_; }
  size_t max_token_bytes() const { return max_token_bytes_; }

 private:
  friend class JwtVerifier;
  JwtValidator() = default;

  std::string issuer_;
  std::vector<std::string> audiences_;
  std::vector<Algorithm> algorithms_;
  std::chrono::seconds leeway_{};
  std::chrono::seconds max_lifetime_{};
  std::optional<std::chrono::seconds> max_token_age_;
  size_t max_token_bytes_ = 0;
  std::optional<std::string> expected_type_;  // normalised: lower case, no "application/"
  bool require_single_audience_ = false;
  bool require_issued_at_ = false;
  bool allow_missing_subject_ = false;
};

class VerifiedJwt {
 public:
  const std::string& issuer() const { return issuer_; }
  const std::string& subject() const { return subject_; }  // empty only if allowed
  const std::vector<std::string>& audiences() const { return audiences_; }
  SystemTime expires_at() const { return expires_at_; }
  std::optional<SystemTime> issued_at() const { return issued_at_; }
  std::optional<SystemTime> not_before() const { return not_before_; }
  const std::optional<std::string>& jwt_id() const { return jwt_id_; }
  const std::optional<std::string>& key_id() const { return key_id_; }
  const std::optional<std::string>& type() const { return type_; }
  Algorithm algorithm() const { return algorithm_; }
  // All claims, including the registered ones above.
  const boost::json::object& claims() const { return claims_; }

 private:
  friend class JwtVerifier;
  VerifiedJwt() = default;

  std::string issuer_;
  std::string subject_;
  std::vector<std::string> audiences_;
  SystemTime expires_at_;
  std::optional<SystemTime> issued_at_;
  std::optional<SystemTime> not_before_;
  std::optional<std::string> jwt_id_;
  std::optional<std::string> key_id_;
  std::optional<std::string> type_;
  Algorithm algorithm_ = Algorithm::kES256;
  boost::json::object claims_;
};

// A compact JWT parsed strictly (ParseCompactJws) with its claims parsed as a strict
// JSON object: NOT verified. Lets a caller read a claim (`iss`, to choose the issuer) and
// then verify without parsing the token twice.
struct ParsedJwt {
  ParsedJws jws;
  boost::json::object claims;
};

// ParseCompactJws's reasons, then json_* (message "claims: ...") for a payload that is
// not a strict JSON object. Code: invalid_token. Refers into `token`, as ParsedJws does.
Result<ParsedJwt> ParseJwt(std::string_view token, const JwsLimits& limits = {});

class JwtVerifier {
 public:
  explicit JwtVerifier(JwtValidator validator);

  // Verifies `token` with `keys` (the issuer's own keys, never merged with another
  // issuer's) at time `now`. All failures have code invalid_token and a reason from
  // jose/reasons.h or common/json.h.
  Result<VerifiedJwt> Verify(std::string_view token, const Jwks& keys, SystemTime now) const;
  // The same, for a token the caller parsed with ParseJwt. Its claims were parsed before
  // its signature was checked, so a token that fails both is refused for its claims. A
  // token parsed under limits other than limits() is parsed again under them.
  Result<VerifiedJwt> Verify(const ParsedJwt& token, const Jwks& keys, SystemTime now) const;

  const JwtValidator& validator() const { return validator_; }
  const JwsLimits& limits() const { return jws_.limits(); }

 private:
  Status CheckType(const JoseHeader& header) const;
  // Every claim rule, after the signature and typ; builds the result from `claims`.
  Result<VerifiedJwt> CheckClaims(const JoseHeader& header, boost::json::object claims_in,
                                  SystemTime now) const;

  JwtValidator validator_;
  JwsVerifier jws_;
};

// Signs `claims` as a compact JWT with header {"alg","kid","typ"} (typ omitted when
// empty). The claims are serialized as given; callers set iss/sub/aud/exp/iat/jti.
Result<std::string> SignJwt(const SigningKey& key, const boost::json::object& claims,
                            std::string_view typ = "JWT");

}  // namespace signet::jose
