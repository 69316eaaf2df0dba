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

// A credential request from signet-agent for a local process it attested (POST
// /v1/agents/credentials), the agent already verified.
struct AttestedRequest {
  std::string agent;  // the vouching agent's name: its agent token's subject
  // When the agent token expires: no credential outlives the identity that vouched.
  SystemTime agent_expires_at;
  // The process's selectors (kAgentSelectors but `agent`); "" for one not attested, as a
  // container_id outside a container.
  std::map<std::string, std::string, std::less<>> selectors;
  std::string destination;
  std::optional<std::string> scope;  // space-delimited
  std::optional<std::chrono::seconds> requested_lifetime;
};

// How the audit trail names an attested process as its upstream subject: "agent:<agent>
// uid=<uid> gid=<gid> exe=<exe> sha256=<sha256>", then " container_id=<id>" and
// " pod_uid=<uid>" when not empty.
std::string AttestedSubject(std::string_view agent,
                            const std::map<std::string, std::string, std::less<>>& selectors);

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
    std::string destination_url;  // the destination's url; "" when it has none
  };
  // Fills `event` as Exchange does, but for the decision (a refusal is returned, not
  // recorded: Exchange and the caller record it).
  Result<Authorization> Authorize(const ExchangeRequest& request, audit::Event* event) const;
  // Authorize for a process signet-agent attested: the workload is the one that the
  // identity rules of the agent issuers trusting `request.agent` (its `agents` globs)
  // resolve the selectors (and `agent`) to, refused as ambiguous when two issuers'
  // rules give two workloads. Fills `event` as Authorize does, upstream_issuer being the
  // agent issuer that resolved it (the trusting ones, comma-separated, when none did)
  // and upstream_subject AttestedSubject. Refusals beyond Authorize's: access_denied
  // agent_suspended (the agent's name is suspended) and agent_not_trusted (no agent
  // issuer trusts it); no_workload_match as for a token.
  Result<Authorization> AuthorizeAttested(const AttestedRequest& request,
                                          audit::Event* event) const;

  // The workload a subject token from a configured issuer belongs to, as Authorize
  // resolves it (an agent joining with its platform's identity takes that name). Fills
  // `event`'s upstream_issuer, upstream_subject and workload. Authorize's refusals, up to
  // and including the identity's.
  Result<std::string> IdentifySubject(std::string_view subject_token,
                                      std::string_view subject_token_type,
                                      audit::Event* event) const;

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
         policy::PolicyIndex policies, std::vector<AgentIssuerConfig> agent_issuers,
         const policy::KillSwitch& kill_switch, const Clock& clock);

  Result<const Destination*> FindDestination(const ExchangeRequest& request) const;
  // Verifies the subject token and resolves its workload into `event`; the token's expiry.
  Result<SystemTime> Identify(std::string_view subject_token, SystemTime now,
                              audit::Event* event) const;
  // The workload's part, once `event` names it: the kill switch, the destination
  // `request` names, the policy and the lifetime, which never passes `identity_expires_at`.
  Result<Authorization> AuthorizeWorkload(const ExchangeRequest& request,
                                          const std::vector<std::string>& scopes,
                                          SystemTime identity_expires_at, SystemTime now,
                                          audit::Event* event) const;

  trust::IssuerRegistry issuers_;
  trust::WorkloadResolver resolver_;
  policy::PolicyIndex policies_;
  std::vector<AgentIssuerConfig> agent_issuers_;
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
