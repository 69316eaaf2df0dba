#include "server/broker.h"

#include <algorithm>
#include <set>

namespace signet::server {
namespace {

bool IsScopeChar(char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

// A signet-jwt token is handed to the workload, signed by Signet for its destination's
// audience. Were that audience another destination's too, the workload could present
// the token there: to a service trusting Signet for that audience, or to Anthropic as an
// assertion Signet would have made for anthropic-wif. So its audience is its own.
Status CheckAudiencesApart(const std::vector<DestinationConfig>& destinations) {
  const auto& kinds = credentials::ProviderRegistry();
  auto audience_of = [&kinds](const DestinationConfig& destination) {
    if (!destination.audience.empty()) {
      return destination.audience;
    }
    auto kind = kinds.find(destination.kind);
    return kind != kinds.end()
               ? credentials::DefaultAudience(
                     kind->second, {destination.name, destination.kind, "", destination.settings})
               : std::string();
  };
  for (const auto& minted : destinations) {
    if (minted.kind != "signet-jwt") {
      continue;
    }
    for (const auto& other : destinations) {
      if (&other != &minted && audience_of(other) == minted.audience) {
        return Status(ErrorCode::kInvalidConfig, "config_invalid",
                      "destinations " + minted.name + " and " + other.name +
                          " have the same audience " + minted.audience +
                          ": a signet-jwt token for one would be accepted by the other");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

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
               policy::PolicyIndex policies, const policy::KillSwitch& kill_switch,
               const Clock& clock)
    : issuers_(std::move(issuers)),
      resolver_(std::move(resolver)),
      policies_(std::move(policies)),
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
                                            std::move(policies), kill_switch, *context.clock));
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
  Result<credentials::Credential> credential = authorization.provider->Issue(authorization.issue);
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

Result<Broker::Authorization> Broker::Authorize(const ExchangeRequest& request,
                                                audit::Event* event) const {
  if (request.subject_token.empty()) {
    return Status(ErrorCode::kInvalidRequest, "subject_token_missing", "subject_token is required");
  }
  if (request.subject_token_type != kJwtTokenTypeUri &&
      request.subject_token_type != kIdTokenTypeUri) {
    return Status(ErrorCode::kInvalidRequest, "subject_token_type_unsupported",
                  "subject_token_type must be urn:ietf:params:oauth:token-type:jwt or "
                  "urn:ietf:params:oauth:token-type:id_token");
  }
  std::vector<std::string> scopes;
  if (request.scope) {
    SIGNET_ASSIGN_OR_RETURN(scopes, ParseScope(*request.scope));
  }

  // Identity before target: an unauthenticated caller learns nothing about destinations.
  SystemTime now = clock_.Now();
  SIGNET_ASSIGN_OR_RETURN(auto verified, issuers_.Verify(request.subject_token, now));
  const auto& [issuer, jwt] = verified;
  event->upstream_issuer = jwt.issuer();
  event->upstream_subject = jwt.subject();
  SIGNET_ASSIGN_OR_RETURN(event->workload, resolver_.Resolve(issuer->config().name, jwt));
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
  auto remaining = std::chrono::floor<std::chrono::seconds>(jwt.expires_at() - now);
  std::chrono::seconds lifetime = std::min(grant.max_ttl, remaining);
  if (request.requested_lifetime) {
    lifetime = std::min(lifetime, *request.requested_lifetime);
  }
  credentials::IssueRequest issue{
      event->workload, grant.scopes,  lifetime, request.requested_token_type,
      jwt.issuer(),    jwt.subject(), now};
  return Authorization{destination->provider.get(), std::move(issue)};
}

}  // namespace signet::server
