// IssuerRegistry: every trusted issuer, found by a token's `iss`.
//
// The `iss` is read from the token's unverified payload only to choose which issuer's
// rules and keys verify it: the chosen issuer's validator checks `iss` again, byte for
// byte, after the signature. Tokens from issuers not configured are refused without any
// fetch: their `iss` is never a URL Signet contacts. The lookup is one map search, so
// the number of configured issuers does not slow a request down.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "trust/issuer.h"

namespace signet::trust {

class IssuerRegistry {
 public:
  // Refuses two issuers with the same `iss` (invalid_config). Issuers are shared so that
  // a registry built for a new configuration can keep the issuers (and their fetched
  // keys) whose settings did not change (Find).
  static Result<IssuerRegistry> Build(std::vector<std::shared_ptr<Issuer>> issuers);

  // The issuer configured exactly as `config`, or null.
  std::shared_ptr<Issuer> Find(const IssuerConfig& config) const;

  // The issuer of `token` and the verified token. Reasons (invalid_request): the
  // parser's (token_charset, alg_none, ...) for a token that is not a well-formed JWS,
  // the JSON parser's (json_*) for claims that are not a strict JSON object, iss_missing
  // or iss_mismatch (not a string), issuer_untrusted when no configured issuer has that
  // `iss`; then Issuer::Verify's.
  // Thread-safe, as Issuer::Verify is.
  Result<std::pair<const Issuer*, jose::VerifiedJwt>> Verify(std::string_view token,
                                                             SystemTime now) const;

  // Fetches every issuer's keys, in configuration order; the first error, after trying
  // them all. Const as Verify is: the issuers' key caches synchronise internally.
  Status RefreshAll() const;

 private:
  std::vector<std::shared_ptr<Issuer>> issuers_;  // configuration order
  std::map<std::string, Issuer*, std::less<>> by_iss_;
};

}  // namespace signet::trust
