// Broker: the token exchange engine, free of HTTP.
//
//   Exchange = verify the subject token (trust/) → resolve it to one workload (trust/)
//            → find the destination → authorize (policy/) → issue (credentials/)
//
// Every step that can refuse fills in the audit event as far as it got, so the caller
// records one event per request, allowed or denied, with the full reason. The workload
// sees only the OAuth error and its short message.
//
// A Broker is immutable after Create and safe for concurrent use: evaluation takes no
// lock (the issuers' key caches synchronise internally).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/event.h"
#include "common/clock.h"
#include "credentials/provider.h"
#include "policy/kill_switch.h"
#include "policy/policy.h"
#include "server/config.h"
#include "trust/fetcher.h"
#include "trust/identity.h"
#include "trust/issuer_registry.h"

namespace signet::server {

inline constexpr std::string_view kTokenExchangeGrant =
    "urn:ietf:params:oauth:grant-type:token-exchange";
inline constexpr std::string_view kJwtTokenTypeUri = "urn:ietf:params:oauth:token-type:jwt";
inline constexpr std::string_view kIdTokenTypeUri = "urn:ietf:params:oauth:token-type:id_token";

// An RFC 8693 request, its parameters already split out of the form.
struct ExchangeRequest {
  std::string subject_token;
  std::string subject_token_type;
  std::vector<std::string> audiences;  // destination names
  std::vector<std::string> resources;  // destination URLs
  std::optional<std::string> scope;    // space-delimited
  std::optional<std::string> requested_token_type;
  // Signet's extension `requested_expires_in`: the lifetime the workload asks for.
  std::optional<std::chrono::seconds> requested_lifetime;
};

class Broker {
 public:
  // Builds every issuer, the identity resolver, the policy index and one provider per
  // destination; does not fetch keys (see RefreshIssuerKeys). `warnings` receives the
  // configuration's overlapping identity rules.
  // `kill_switch` (suspended workloads) is consulted on every exchange and must outlive
  // the Broker. With `previous` (the broker of the configuration being replaced), its
  // issuers whose settings did not change are shared, fetched keys and all, so a new
  // configuration does not refetch every issuer's keys. New issuers count their key
  // cache's hits and misses in `key_cache`.
  static Result<std::unique_ptr<Broker>> Create(const AccessConfig& access, trust::Fetcher& fetcher,
                                                const credentials::ProviderContext& context,
                                                const policy::KillSwitch& kill_switch,
                                                std::vector<std::string>* warnings,
                                                const Broker* previous = nullptr,
                                                trust::KeyCacheCounters key_cache = {});

  // Fetches every issuer's keys; the first error, after trying them all.
  Status RefreshIssuerKeys() const;

  // Authorize, then Issue. `event` receives upstream_issuer/subject, workload,
  // destination, policy, decision, error, reason, detail, jti and expires_at (the caller
  // sets time, request id and client).
  Result<credentials::Credential> Exchange(const ExchangeRequest& request,
                                           audit::Event* event) const;

  // Everything before the credential: what the provider of the destination will be
  // asked, once the subject token, the workload, the kill switch and the policy allow
  // it. Cheap and never waits on the network, so it runs where the request arrives; the
  // provider may wait (CredentialProvider::CallsOut) and is called by Issue.
  struct Authorization {
    // Owned by the Broker, which the caller keeps alive until Issue returns.
    const credentials::CredentialProvider* provider = nullptr;
    credentials::IssueRequest issue;
  };
  // Fills `event` as Exchange does, but for the decision (a refusal is returned, not
  // recorded: Exchange and the caller record it).
  Result<Authorization> Authorize(const ExchangeRequest& request, audit::Event* event) const;
  // The provider's part: the credential, recorded in `event` as allowed (with its jti and
  // expiry) or refused.
  static Result<credentials::Credential> Issue(const Authorization& authorization,
                                               audit::Event* event);

 private:
  struct Destination {
    std::string name;
    std::string url;
    std::unique_ptr<credentials::CredentialProvider> provider;
  };

  Broker(trust::IssuerRegistry issuers, trust::WorkloadResolver resolver,
         policy::PolicyIndex policies, const policy::KillSwitch& kill_switch, const Clock& clock);

  Result<const Destination*> FindDestination(const ExchangeRequest& request) const;

  trust::IssuerRegistry issuers_;
  trust::WorkloadResolver resolver_;
  policy::PolicyIndex policies_;
  const policy::KillSwitch& kill_switch_;
  std::map<std::string, Destination, std::less<>> destinations_;  // by name
  std::map<std::string, std::string, std::less<>> names_by_url_;
  const Clock& clock_;
};

// Marks `event` denied with the code, reason and message of `status`: the audit trail
// keeps the full reason; the workload is told the code and message only.
void RecordRefusal(const Status& status, audit::Event* event);

// Splits an RFC 6749 §3.3 scope string; invalid_scope (scope_malformed) for characters
// outside %x21 / %x23-5B / %x5D-7E or an empty scope token.
Result<std::vector<std::string>> ParseScope(std::string_view scope);

}  // namespace signet::server
