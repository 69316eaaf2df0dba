#include "server/broker.h"

#include <algorithm>
#include <exception>
#include <set>

namespace signet::server {
namespace {

bool IsScopeChar(char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

// A token Signet signs for a destination is valid wherever its audience is accepted.
// Some leave Signet for parties it does not pin: a signet-jwt token goes to the workload,
// an rfc8693 or private_key_jwt assertion to whatever server the operator named. Were
// such a destination's audience another's too, its holder could present the token there:
// to a service trusting Signet for that audience, or to Anthropic as an assertion Signet
// would have made for anthropic-wif. So their audiences are their own.
Status CheckAudiencesApart(const std::vector<DestinationConfig>& destinations) {
  const auto& kinds = credentials::ProviderRegistry();
  auto kind_of = [&kinds](const DestinationConfig& destination) {
    auto kind = kinds.find(destination.kind);
    return kind != kinds.end() ? &kind->second : nullptr;
  };
  auto audience_of = [&kind_of](const DestinationConfig& destination) {
    if (!destination.audience.empty()) {
      return destination.audience;
    }
    const credentials::ProviderKind* kind = kind_of(destination);
    return kind != nullptr
               ? credentials::DefaultAudience(
                     *kind, {destination.name, destination.kind, "", destination.settings})
               : std::string();
  };
  for (const auto& exclusive : destinations) {
    const credentials::ProviderKind* kind = kind_of(exclusive);
    if (kind == nullptr || !kind->audience_exclusive) {
      continue;
    }
    std::string audience = audience_of(exclusive);
    for (const auto& other : destinations) {
      if (&other != &exclusive && !audience.empty() && audience_of(other) == audience) {
        return Status(ErrorCode::kInvalidConfig, "config_invalid",
                      "destinations " + exclusive.name + " and " + other.name +
                          " have the same audience " + audience + ": what Signet signs for " +
                          exclusive.name + " would be accepted for " + other.name);
      }
    }
  }
  return Status::Ok();
}

// What Authorize and IdentifySubject refuse before verifying anything.
Status CheckSubjectToken(std::string_view subject_token, std::string_view subject_token_type) {
  if (subject_token.empty()) {
    return Status(ErrorCode::kInvalidRequest, "subject_token_missing", "subject_token is required");
  }
  if (subject_token_type != kJwtTokenTypeUri && subject_token_type != kIdTokenTypeUri) {
    return Status(ErrorCode::kInvalidRequest, "subject_token_type_unsupported",
                  "subject_token_type must be urn:ietf:params:oauth:token-type:jwt or "
                  "urn:ietf:params:oauth:token-type:id_token");
  }
  return Status::Ok();
}

}  // namespace

std::string AttestedSubject(std::string_view agent,
                            const std::map<std::string, std::string, std::less<>>& selectors) {
  auto value = [&selectors](std::string_view name) {
    auto it = selectors.find(name);
    return it != selectors.end() ? it->second : std::string();
  };
  std::string subject = "agent:" + std::string(agent);
  for (std::string_view name : kAgentSelectors) {
    std::string v = value(name);
    bool optional = name == "container_id" || name == "pod_uid";
    if (name != "agent" && (!optional || !v.empty())) {
      subject += " " + std::string(name) + "=" + v;
    }
  }
  return subject;
}

void RecordRefusal(const Status& status, audit::Event* event) {
  event->decision = "deny";
  event->error = std::string(ErrorCodeName(status.code()));
  event->reason = std::string(status.reason());
  event->detail = status.message();
}

Result<std::vector<std::string>> ParseScope(std::string_view scope) {
  std::vector<std::string> scopes;
  size_t start = 0;
  while (start <= scope.size()) {
    size_t end = std::min(scope.find(' ', start), scope.size());
    std::string_view token = scope.substr(start, end - start);
    if (token.empty() || !std::all_of(token.begin(), token.end(), IsScopeChar)) {
      return Status(ErrorCode::kInvalidScope, "scope_malformed",
                    "scope must be scope tokens separated by single spaces (RFC 6749 §3.3)");
    }
    if (std::find(scopes.begin(), scopes.end(), token) == scopes.end()) {
      scopes.emplace_back(token);
    }
    start = end + 1;
  }
  return scopes;
}

Broker::Broker(trust::IssuerRegistry issuers, trust::WorkloadResolver resolver,
               policy::PolicyIndex policies, std::vector<AgentIssuerConfig> agent_issuers,
               const policy::KillSwitch& kill_switch, const Clock& clock)
    : issuers_(std::move(issuers)),
      resolver_(std::move(resolver)),
      policies_(std::move(policies)),
      agent_issuers_(std::move(agent_issuers)),
      kill_switch_(kill_switch),
      clock_(clock) {}

Result<std::unique_ptr<Broker>> Broker::Create(const AccessConfig& access, trust::Fetcher& fetcher,
                                               const credentials::ProviderContext& context,
                                               const policy::KillSwitch& kill_switch,
                                               std::vector<std::string>* warnings,
                                               const Broker* previous,
                                               trust::KeyCacheCounters key_cache) {
  std::vector<std::shared_ptr<trust::Issuer>> issuers;
  for (const auto& issuer_config : access.issuers) {
    std::shared_ptr<trust::Issuer> kept =
        previous != nullptr ? previous->issuers_.Find(issuer_config) : nullptr;
    if (kept != nullptr) {
      issuers.push_back(std::move(kept));
      continue;
    }
    SIGNET_ASSIGN_OR_RETURN(
        auto issuer, trust::Issuer::Create(issuer_config, fetcher, *context.clock, key_cache));
    issuers.push_back(std::move(issuer));
  }
  SIGNET_ASSIGN_OR_RETURN(trust::IssuerRegistry registry,
                          trust::IssuerRegistry::Build(std::move(issuers)));
  SIGNET_ASSIGN_OR_RETURN(trust::WorkloadResolver resolver,
                          trust::WorkloadResolver::Build(access.identities, warnings));
  std::set<std::string> workloads(access.workloads.begin(), access.workloads.end());
  std::set<std::string> destination_names;
  for (const auto& destination : access.destinations) {
    destination_names.insert(destination.name);
  }
  SIGNET_ASSIGN_OR_RETURN(
      policy::PolicyIndex policies,
      policy::PolicyIndex::Compile(access.policies, workloads, destination_names));

  SIGNET_RETURN_IF_ERROR(CheckAudiencesApart(access.destinations));

  std::unique_ptr<Broker> broker(new Broker(std::move(registry), std::move(resolver),
                                            std::move(policies), access.agent_issuers, kill_switch,
                                            *context.clock));
  for (const auto& destination : access.destinations) {
    SIGNET_ASSIGN_OR_RETURN(
        auto provider, credentials::CreateProvider({destination.name, destination.kind,
                                                    destination.audience, destination.settings},
                                                   context));
    if (!destination.url.empty() &&
        !broker->names_by_url_.emplace(destination.url, destination.name).second) {
      return Status(ErrorCode::kInvalidConfig, "config_invalid",
                    "destinations " + destination.name + " and " +
                        broker->names_by_url_[destination.url] + " have the same url " +
                        destination.url);
    }
    broker->destinations_.emplace(
        destination.name, Destination{destination.name, destination.url, std::move(provider)});
  }
  return broker;
}

Status Broker::RefreshIssuerKeys() const { return issuers_.RefreshAll(); }

Result<credentials::Credential> Broker::Exchange(const ExchangeRequest& request,
                                                 audit::Event* event) const {
  Result<Authorization> authorized = Authorize(request, event);
  if (!authorized.ok()) {
    RecordRefusal(authorized.status(), event);
    return authorized.status();
  }
  return Issue(*authorized, event);
}

Result<credentials::Credential> Broker::Issue(const Authorization& authorization,
                                              audit::Event* event) {
  Result<credentials::Credential> credential =
      [&authorization]() -> Result<credentials::Credential> {
    // A provider's bug must cost one request, not the server (this runs on a worker).
    try {
      return authorization.provider->Issue(authorization.issue);
    } catch (const std::exception&) {
      return Status(ErrorCode::kServerError, "internal",
                    "the destination's provider failed unexpectedly");
    }
  }();
  if (!credential.ok()) {
    RecordRefusal(credential.status(), event);
    return credential;
  }
  event->decision = "allow";
  event->jti = credential->jti;
  event->expires_at = credential->expires_at;
  return credential;
}

Result<const Broker::Destination*> Broker::FindDestination(const ExchangeRequest& request) const {
  // One credential names one destination: several audiences or resources are refused
  // rather than guessed between (RFC 8693 §2.1 leaves their interplay to the server).
  if (request.audiences.size() + request.resources.size() == 0) {
    return Status(ErrorCode::kInvalidRequest, "target_missing",
                  "name the destination with audience=<destination name> (or resource=<its url>)");
  }
  if (request.audiences.size() > 1 || request.resources.size() > 1) {
    return Status(ErrorCode::kInvalidTarget, "target_multiple",
                  "ask for one destination per request");
  }
  std::string name;
  if (!request.resources.empty()) {
    auto it = names_by_url_.find(request.resources.front());
    if (it == names_by_url_.end()) {
      return Status(ErrorCode::kInvalidTarget, "destination_unknown",
                    "no destination has this resource url");
    }
    name = it->second;
    if (!request.audiences.empty() && request.audiences.front() != name) {
      return Status(ErrorCode::kInvalidTarget, "target_conflict",
                    "audience and resource name different destinations");
    }
  } else {
    name = request.audiences.front();
  }
  auto it = destinations_.find(name);
  if (it == destinations_.end()) {
    constexpr size_t kShown = 100;
    return Status(ErrorCode::kInvalidTarget, "destination_unknown",
                  "no destination is named \"" + name.substr(0, kShown) + "\"");
  }
  return &it->second;
}

Result<SystemTime> Broker::Identify(std::string_view subject_token, SystemTime now,
                                    audit::Event* event) const {
  SIGNET_ASSIGN_OR_RETURN(auto verified, issuers_.Verify(subject_token, now));
  const auto& [issuer, jwt] = verified;
  event->upstream_issuer = jwt.issuer();
  event->upstream_subject = jwt.subject();
  SIGNET_ASSIGN_OR_RETURN(event->workload, resolver_.Resolve(issuer->config().name, jwt));
  return jwt.expires_at();
}

Result<std::string> Broker::IdentifySubject(std::string_view subject_token,
                                            std::string_view subject_token_type,
                                            audit::Event* event) const {
  SIGNET_RETURN_IF_ERROR(CheckSubjectToken(subject_token, subject_token_type));
  SIGNET_RETURN_IF_ERROR(Identify(subject_token, clock_.Now(), event).status());
  return event->workload;
}

Result<Broker::Authorization> Broker::Authorize(const ExchangeRequest& request,
                                                audit::Event* event) const {
  SIGNET_RETURN_IF_ERROR(CheckSubjectToken(request.subject_token, request.subject_token_type));
  std::vector<std::string> scopes;
  if (request.scope) {
    SIGNET_ASSIGN_OR_RETURN(scopes, ParseScope(*request.scope));
  }
  // Identity before target: an unauthenticated caller learns nothing about destinations.
  SystemTime now = clock_.Now();
  SIGNET_ASSIGN_OR_RETURN(SystemTime expires_at, Identify(request.subject_token, now, event));
  return AuthorizeWorkload(request, scopes, expires_at, now, event);
}

Result<Broker::Authorization> Broker::AuthorizeAttested(const AttestedRequest& request,
                                                        audit::Event* event) const {
  event->upstream_subject = AttestedSubject(request.agent, request.selectors);
  std::vector<std::string> scopes;
  if (request.scope) {
    SIGNET_ASSIGN_OR_RETURN(scopes, ParseScope(*request.scope));
  }
  // The agent before the process: a suspended or untrusted agent vouches for nobody.
  if (kill_switch_.IsSuspended(request.agent)) {
    return Status(ErrorCode::kAccessDenied, "agent_suspended",
                  "agent " + request.agent + " is suspended by an administrator");
  }
  boost::json::object claims;
  for (const auto& [name, value] : request.selectors) {
    claims[name] = value;
  }
  claims["agent"] = request.agent;
  std::string trusting;
  const AgentIssuerConfig* resolved_by = nullptr;
  for (const AgentIssuerConfig& issuer : agent_issuers_) {
    if (!issuer.Trusts(request.agent)) {
      continue;
    }
    trusting += (trusting.empty() ? "" : ",") + issuer.name;
    Result<std::string> workload = resolver_.Resolve(issuer.name, claims);
    if (!workload.ok() && workload.status().reason() == "no_workload_match") {
      continue;
    }
    SIGNET_RETURN_IF_ERROR(workload.status());
    if (resolved_by != nullptr && *workload != event->workload) {
      return Status(ErrorCode::kInvalidRequest, "ambiguous_identity",
                    "this process matches workload " + event->workload + " on agent issuer " +
                        resolved_by->name + " and " + *workload + " on " + issuer.name +
                        "; narrow their identity rules");
    }
    if (resolved_by == nullptr) {
      resolved_by = &issuer;
      event->workload = *workload;
    }
  }
  event->upstream_issuer = resolved_by != nullptr ? resolved_by->name : trusting;
  if (trusting.empty()) {
    return Status(ErrorCode::kAccessDenied, "agent_not_trusted",
                  "no agent issuer trusts agent " + request.agent +
                      " (an issuer of kind agent lists the agents it trusts in `agents`)");
  }
  if (resolved_by == nullptr) {
    return Status(ErrorCode::kInvalidRequest, "no_workload_match",
                  "no workload matches this process as agent " + request.agent + " attested it");
  }
  ExchangeRequest target;
  target.audiences = {request.destination};
  target.requested_lifetime = request.requested_lifetime;
  return AuthorizeWorkload(target, scopes, request.agent_expires_at, clock_.Now(), event);
}

Result<Broker::Authorization> Broker::AuthorizeWorkload(const ExchangeRequest& request,
                                                        const std::vector<std::string>& scopes,
                                                        SystemTime identity_expires_at,
                                                        SystemTime now, audit::Event* event) const {
  // The kill switch beats every policy; the reason stays in the audit trail.
  if (std::optional<policy::Suspension> suspension = kill_switch_.SuspensionOf(event->workload)) {
    return Status(ErrorCode::kAccessDenied, "workload_suspended",
                  "workload " + event->workload +
                      " is suspended by an administrator; no credential is issued to it");
  }

  SIGNET_ASSIGN_OR_RETURN(const Destination* destination, FindDestination(request));
  event->destination = destination->name;
  SIGNET_ASSIGN_OR_RETURN(policy::Grant grant,
                          policies_.Evaluate(event->workload, destination->name, scopes));
  event->policy = grant.policy;

  // Never outlive the identity it came from, nor the policy's cap.
  auto remaining = std::chrono::floor<std::chrono::seconds>(identity_expires_at - now);
  std::chrono::seconds lifetime = std::min(grant.max_ttl, remaining);
  if (request.requested_lifetime) {
    lifetime = std::min(lifetime, *request.requested_lifetime);
  }
  credentials::IssueRequest issue{event->workload,
                                  grant.scopes,
                                  lifetime,
                                  request.requested_token_type,
                                  event->upstream_issuer,
                                  event->upstream_subject,
                                  now};
  return Authorization{destination->provider.get(), std::move(issue), destination->url};
}

}  // namespace signet::server
