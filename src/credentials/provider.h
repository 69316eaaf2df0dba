// CredentialProvider: turns an authorized request into the destination's credential.
//
// One provider per destination kind, each in its own folder under providers/, registered
// by name in registry.cc with the settings it takes. The broker has already verified the
// workload's identity and the policy grant when it calls Issue(); a provider only mints
// or fetches the credential, and must never return a partial one: any failure is an
// error Status.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/secret.h"
#include "common/status.h"
#include "http/client.h"
#include "jose/signing_key.h"

namespace signet::credentials {

// Where a provider gets the key Signet signs with: asked once per credential, because
// the key changes when signetd rotates its keys (the server's SigningKeyRotator). The
// key returned is kept for the whole credential, so a rotation in between never mixes
// keys. Returns null only when no key can sign (the provider then fails the request).
using SigningKeySource = std::function<std::shared_ptr<const jose::SigningKey>()>;

// A source that always answers `key` (tests and tools that sign with one key).
inline SigningKeySource FixedSigningKey(std::shared_ptr<const jose::SigningKey> key) {
  return [key = std::move(key)] { return key; };
}

// Makes the outbound HTTP(S) client a provider that calls out uses (tests pass one that
// answers as the destination would).
using HttpClientFactory =
    std::function<std::unique_ptr<http::HttpClient>(const http::ClientOptions& options)>;

// Opens a secret of Signet's vault by name (store/secrets.h), for providers that hand a
// destination a key or secret kept there. Errors name the secret, never its value.
using SecretSource = std::function<Result<Secret>(std::string_view name)>;

// What a provider needs from the server, fixed for its lifetime.
struct ProviderContext {
  std::string issuer;        // Signet's issuer URL (`iss` of what it signs)
  std::string trust_domain;  // SPIFFE trust domain of workload ids
  SigningKeySource signing_key;
  const Clock* clock = nullptr;
  Random* random = nullptr;
  HttpClientFactory http_clients;  // for providers that call out
  SecretSource secrets;            // for providers that hand out vaulted secrets
};

// The destination as configured.
struct Destination {
  std::string name;
  std::string kind;
  std::string audience;  // the kind's default audience when the configuration names none
  // The kind's own settings (ProviderKind::settings), as configured.
  std::map<std::string, std::string, std::less<>> settings;
};

// The SPIFFE id Signet gives a workload: spiffe://<trust_domain>/workload/<name>.
std::string WorkloadId(const ProviderContext& context, std::string_view workload);

// `scopes` as an RFC 6749 §3.3 scope string: separated by single spaces.
std::string JoinScopes(const std::vector<std::string>& scopes);

struct IssueRequest {
  std::string workload;              // the workload's name
  std::vector<std::string> scopes;   // granted by policy; may be empty
  std::chrono::seconds lifetime{0};  // already min(requested, policy, upstream)
  // RFC 8693 requested_token_type; the provider refuses a type it cannot issue.
  std::optional<std::string> requested_token_type;
  std::string upstream_issuer;
  std::string upstream_subject;
  // When `lifetime` was decided: a credential expires no later than decided_at +
  // lifetime, however long the provider then takes.
  SystemTime decided_at;
};

// RFC 8693 §3 token type identifiers.
inline constexpr std::string_view kAccessTokenType =
    "urn:ietf:params:oauth:token-type:access_token";
inline constexpr std::string_view kJwtTokenType = "urn:ietf:params:oauth:token-type:jwt";

// How a workload presents a credential to its destination. A provider's form is fixed by
// its kind and settings, so the server knows it before issuing (the RFC 8693 endpoint
// serves only tokens).
enum class CredentialForm {
  kToken,    // an OAuth access token or a JWT, sent in `headers`
  kHeaders,  // header values only: an API key, a basic credential, a custom header
  kAws,      // an AWS access key triple
};

// "token", "headers" or "aws": the `type` of a typed credential answer.
std::string_view CredentialFormName(CredentialForm form);

struct HttpHeader {
  std::string name;
  std::string value;
  bool operator==(const HttpHeader&) const = default;
};

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

struct Credential {
  CredentialForm form = CredentialForm::kToken;
  // kToken: the token and its RFC 8693 description.
  std::string access_token;
  std::string issued_token_type;  // RFC 8693 §3 URI
  std::string token_type;         // "Bearer", or "N_A" when not an access token
  // kToken and kHeaders: the headers a request to the destination carries. For a token,
  // `Authorization: Bearer <token>` and any header the destination also wants.
  std::vector<HttpHeader> headers;
  AwsCredentials aws;  // kAws
  SystemTime expires_at;
  std::string jti;  // for the audit trail; empty when the destination assigns none
  std::vector<std::string> scopes;
};

// A kToken credential sent as `Authorization: Bearer <token>`.
Credential BearerCredential(std::string token, std::string issued_token_type,
                            std::string token_type, SystemTime expires_at);

class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  // Thread-safe. Errors carry the OAuth code the workload should see.
  virtual Result<Credential> Issue(const IssueRequest& request) const = 0;
  // True when Issue may wait on the network (a destination's token endpoint): the server
  // then calls it off its I/O threads.
  virtual bool CallsOut() const { return false; }
  // What Issue returns.
  virtual CredentialForm Form() const { return CredentialForm::kToken; }
};

using ProviderFactory = std::function<Result<std::unique_ptr<CredentialProvider>>(
    const Destination& destination, const ProviderContext& context)>;

// A setting a destination kind takes beside name, kind, audience and url.
struct SettingSpec {
  std::string_view name;
  bool required = false;
};

struct ProviderKind {
  ProviderFactory create;
  std::vector<SettingSpec> settings;
  // The audience of a destination that names none; empty when it must name one.
  std::string_view default_audience;
  // False for kinds that sign nothing for the destination's audience (a vaulted secret,
  // a vendor's own JWT format): a destination of theirs may not name one.
  bool has_audience = true;
  // For a kind whose default audience depends on the destination's settings (gcp-sts: its
  // pool provider's URL): that audience, so none need be configured. Null otherwise.
  std::function<std::string(const Destination&)> derive_audience = nullptr;
};

// The audience of a destination of `kind` that names none: derived from its settings,
// else the kind's default; "" when it must name one, or (has_audience false) takes none.
std::string DefaultAudience(const ProviderKind& kind, const Destination& destination);

// Every destination kind Signet knows, by name.
const std::map<std::string, ProviderKind, std::less<>>& ProviderRegistry();

// The provider for `destination.kind`, with the kind's default audience filled in when
// the destination names none. invalid_config: provider_unknown (naming the known kinds),
// destination_setting_missing / destination_setting_unknown, or the kind's own refusal.
Result<std::unique_ptr<CredentialProvider>> CreateProvider(const Destination& destination,
                                                           const ProviderContext& context);

}  // namespace signet::credentials
