// CredentialProvider: turns an authorized request into the destination's credential.
//
// One provider per destination kind ("signet-jwt" today; Anthropic WIF, AWS STS and others
// later), each in its own folder under providers/, registered by name in registry.cc.
// The broker has already verified the workload's identity and the policy grant when it
// calls Issue(); a provider only mints or fetches the credential, and must never return
// a partial one: any failure is an error Status.
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
#include "common/status.h"
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

// What a provider needs from the server, fixed for its lifetime.
struct ProviderContext {
  std::string issuer;        // Signet's issuer URL (`iss` of what it signs)
  std::string trust_domain;  // SPIFFE trust domain of workload ids
  SigningKeySource signing_key;
  const Clock* clock = nullptr;
  Random* random = nullptr;
};

// The destination as configured.
struct Destination {
  std::string name;
  std::string kind;
  std::string audience;
};

struct IssueRequest {
  std::string workload;              // the workload's name
  std::vector<std::string> scopes;   // granted by policy; may be empty
  std::chrono::seconds lifetime{0};  // already min(requested, policy, upstream)
  // RFC 8693 requested_token_type; the provider refuses a type it cannot issue.
  std::optional<std::string> requested_token_type;
  std::string upstream_issuer;
  std::string upstream_subject;
};

struct Credential {
  std::string access_token;
  std::string issued_token_type;  // RFC 8693 §3 URI
  std::string token_type;         // "Bearer", or "N_A" when not an access token
  SystemTime expires_at;
  std::string jti;  // for the audit trail; empty when the destination assigns none
  std::vector<std::string> scopes;
};

class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  // Thread-safe. Errors carry the OAuth code the workload should see.
  virtual Result<Credential> Issue(const IssueRequest& request) const = 0;
};

using ProviderFactory = std::function<Result<std::unique_ptr<CredentialProvider>>(
    const Destination& destination, const ProviderContext& context)>;

// Every destination kind Signet knows, by name.
const std::map<std::string, ProviderFactory>& ProviderRegistry();

// The provider for `destination.kind`; invalid_config (provider_unknown) names the known
// kinds when there is none.
Result<std::unique_ptr<CredentialProvider>> CreateProvider(const Destination& destination,
                                                           const ProviderContext& context);

}  // namespace signet::credentials
