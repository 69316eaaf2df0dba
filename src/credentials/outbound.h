// What the providers that call a destination's token endpoint share: reading their
// settings, the assertion Signet signs for a destination that trusts it as an issuer,
// the cache in front of the exchange, and how an upstream failure reaches the workload.
//
// Upstream failures map to one vocabulary, whatever the destination:
//   - no answer (connection, TLS, timeout), HTTP 408, 429 or 5xx: temporarily_unavailable,
//     reason destination_unavailable (retrying later may work);
//   - another 4xx: invalid_target, reason destination_refused (the destination's trust
//     set-up or the request is wrong; retrying will not help);
//   - any other status, or an answer that is not the documented credential:
//     server_error, reason destination_answer_malformed.
// Only the status and the destination's own error identifier (`invalid_grant`,
// `InvalidIdentityToken`) are repeated: a destination's free text may echo what it was
// sent, so it stays out of Signet's answers, logs and audit records.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "credentials/credential_cache.h"
#include "credentials/provider.h"
#include "http/client.h"

namespace signet::credentials {

inline constexpr std::string_view kJwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
inline constexpr std::string_view kJwtBearerClientAssertion =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// The destination's setting `name`, or `fallback` when it is not configured.
std::string Setting(const Destination& destination, std::string_view name,
                    std::string_view fallback = "");

// invalid_config destination_setting_invalid unless the setting `name`, or `fallback`
// when it is not set, is an https URL (or http on a loopback host). Returns the URL with
// any trailing '/' removed, so "{url}/path" names one resource however it was written.
Result<std::string> UrlSetting(const Destination& destination, std::string_view name,
                               std::string_view fallback = "");

// The outbound client for `destination`, trusting the PEM bundle of its `ca_file`
// setting when it has one (invalid_config destination_setting_invalid when it cannot be
// read), the system's CAs otherwise.
Result<std::unique_ptr<http::HttpClient>> ClientFor(const Destination& destination,
                                                    const ProviderContext& context);

// invalid_config provider_context_incomplete unless `context` has a clock, randomness
// and an HTTP client factory, and a signing key when `signs`.
Status CheckCallingOutContext(const ProviderContext& context, std::string_view kind, bool signs);

// A JWT Signet signs with its current key for a destination that trusts Signet as an
// OIDC issuer: header alg, kid, typ JWT; claims iss = Signet's issuer URL, sub = the
// workload's SPIFFE id, aud, iat, exp = iat + min(lifetime, max_lifetime), jti.
struct Assertion {
  std::string jwt;
  std::string jti;
  SystemTime issued_at;  // whole seconds
};
Result<Assertion> SignAssertion(const ProviderContext& context, std::string_view workload,
                                std::string_view audience, std::chrono::seconds lifetime,
                                std::chrono::seconds max_lifetime);

// "destination <name>", the subject of every message below.
std::string DestinationLabel(const Destination& destination);

// The transport to the destination failed (`transport` says how).
Status DestinationUnreachable(const Destination& destination, const Status& transport);

// The destination answered `status`, not the success it documents. `upstream_code` is
// the error identifier it named ("" for none); `hint` (for a 4xx) tells the operator
// where to look.
Status DestinationRefusal(const Destination& destination, int status,
                          std::string_view upstream_code, std::string_view hint);

// temporarily_unavailable destination_unavailable, what DestinationRefusal says for a
// 5xx, for a destination whose error identifier `upstream_code` says it is throttling
// Signet or cannot reach what it depends on, whatever the status it chose (AWS STS
// answers Throttling with HTTP 400).
Status DestinationBusy(const Destination& destination, int status, std::string_view upstream_code);

// server_error destination_answer_malformed: "<destination>'s answer <why>".
Status MalformedAnswer(const Destination& destination, std::string_view why);

// `text` when it is an identifier ([A-Za-z0-9_.-], 1 to 64 characters), else "".
std::string UpstreamIdentifier(std::string_view text);

// The error identifier of a JSON error body: the OAuth `error` (RFC 6749 §5.2) or an API
// error's `error.type`; "" when there is none.
std::string JsonErrorCode(std::string_view body);

// Seconds as a JSON number (RFC 6749 `expires_in`): a whole positive count of at most a
// year (no token lives longer), or nullopt.
std::optional<std::chrono::seconds> PositiveSeconds(const boost::json::value* value);

// An RFC 6749 §5.1 access token answer (access_token, token_type Bearer, expires_in,
// optional scope) as a bearer credential expiring `expires_in` after `sent_at`; its scopes
// are the answer's `scope`, or `granted` when it names none. A `scope` beyond a non-empty
// `granted` is refused (destination_answer_malformed).
Result<Credential> ParseTokenResponse(const Destination& destination, std::string_view body,
                                      SystemTime sent_at, const std::vector<std::string>& granted);

// The vault secret `name` a destination hands on (a client secret, an API key), opened
// per use so a replaced value is used at once. server_error destination_secret_unavailable,
// naming the destination, the secret (never its value) and the fix, when it cannot be
// opened: a set-up fault only the operator can mend.
Result<Secret> OpenVaultSecret(const Destination& destination, const ProviderContext& context,
                               const std::string& name);

// Whether `token` has RFC 6750's b64token syntax, so `Authorization: Bearer <token>`
// carries it as it is (no space, no control character that could split a header).
bool IsBearerToken(std::string_view token);

// RFC 6749 §2.3.1 HTTP Basic client authentication: "Basic " and the base64 of the
// client id and secret, each form-urlencoded (so a ':' in either survives), joined by ':'.
std::string ClientSecretBasic(std::string_view client_id, const Secret& client_secret);

// Splits a space-separated scope string, dropping empty tokens.
std::vector<std::string> SplitScopes(std::string_view joined);

// The base of providers whose credentials come from a destination: Issue serves them from
// a CredentialCache keyed by (workload, granted scopes), refreshed ahead of expiry with
// one Fetch per key at a time, and tells the workload an expiry no later than the
// lifetime the policy granted (the credential itself may live longer upstream).
class CachingProvider : public CredentialProvider {
 public:
  Result<Credential> Issue(const IssueRequest& request) const final;
  bool CallsOut() const override { return true; }

 protected:
  // `issued_token_type`: the RFC 8693 type a request may ask for ("" when the
  // credential is no token, and then it may ask for none).
  CachingProvider(const Clock& clock, std::string_view issued_token_type);

  // A fresh credential from the destination, for `request`'s workload and scopes.
  virtual Result<Credential> Fetch(const IssueRequest& request) const = 0;

 private:
  const std::string issued_token_type_;
  mutable CredentialCache cache_;
};

// ---------------------------------------------------------------------------------------
// Assertions with claims of the caller's choosing (oauth2-client-credentials' client
// assertion names the client, not the workload).

// The claims of a JWT Signet signs: iat is now (whole seconds), exp = iat + lifetime,
// jti fresh.
struct AssertionClaims {
  std::string issuer;
  std::string subject;
  std::string audience;
  std::chrono::seconds lifetime{0};
};

// `claims` signed with Signet's current key (header alg, kid, typ JWT). SignAssertion is
// this with iss = Signet and sub = the workload.
Result<Assertion> SignAssertionClaims(const ProviderContext& context,
                                      const AssertionClaims& claims);

// ---------------------------------------------------------------------------------------
// Keys of third parties kept in Signet's vault (github-app, snowflake-keypair).

// The RS256 key of the PEM RSA private key (PKCS#1 or PKCS#8, at least 2048 bits) kept in
// the vault under the destination's setting `setting`. Reading the vault is store I/O:
// call it off the I/O thread. server_error private_key_unusable, naming the destination,
// the secret (never its content) and what to do, when the secret cannot be opened or
// holds no such key: a set-up fault only the operator can mend.
Result<std::shared_ptr<const jose::SigningKey>> VaultedRsaKey(const Destination& destination,
                                                              const ProviderContext& context,
                                                              std::string_view setting);

}  // namespace signet::credentials
