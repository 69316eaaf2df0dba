#include "server/agent_api.h"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>

#include "common/json.h"
#include "server/config.h"

namespace signet::server {
namespace {

constexpr std::string_view kActionJoin = "agent_join";
constexpr std::string_view kActionRenew = "agent_renew";
constexpr std::string_view kActionProxyRequest = "proxy_request";
// What one selector or one usage field may hold: enough for any path or hash, and the
// audit trail stays bounded.
constexpr size_t kMaxFieldBytes = 2048;

http::Response Ok(const boost::json::object& body) {
  http::Response response = http::Response::Json(200, boost::json::serialize(body));
  AddNoStore(&response);
  return response;
}

// The token endpoint's error answer; a server_error says only which audit record (or
// request) explains it, since its detail names Signet's internals.
http::Response Fail(const Status& status, std::string_view request_id) {
  http::Response response =
      status.code() == ErrorCode::kServerError
          ? http::Response::Error(Status(ErrorCode::kServerError, status.reason(),
                                         "Signet could not answer; an administrator can find "
                                         "why under request id " +
                                             std::string(request_id)))
          : http::Response::Error(status);
  if (status.code() == ErrorCode::kInvalidToken) {
    // RFC 6750 §3: a 401 names the scheme it wants.
    response.headers.emplace_back("WWW-Authenticate",
                                  "Bearer realm=\"signet-agent\", error=\"invalid_token\"");
  }
  response.headers.emplace_back("Pragma", "no-cache");
  return response;
}

void Send(http::Response response, std::string_view request_id, const http::Responder& respond) {
  response.headers.emplace_back("X-Request-Id", std::string(request_id));
  respond(std::move(response));
}

// Answers `respond` with `response` once `event` is committed, and with 503
// audit_unavailable (never what `response` holds) when it cannot be.
void Commit(audit::AuditLog& audit, audit::Event event, http::Response response,
            http::Responder respond) {
  std::string request_id = event.request_id;
  audit.Append(std::move(event), [response = std::move(response), respond = std::move(respond),
                                  request_id](const Status& committed) mutable {
    Send(committed.ok() ? std::move(response)
                        : Fail(Status(ErrorCode::kTemporarilyUnavailable, "audit_unavailable",
                                      "the audit trail cannot record this request now; retry "
                                      "shortly"),
                               request_id),
         request_id, respond);
  });
}

Status Invalid(std::string_view reason, std::string message) {
  return Status(ErrorCode::kInvalidRequest, reason, std::move(message));
}

// A string member of at most kMaxFieldBytes.
Result<std::string> BoundedString(std::string_view name, const boost::json::value& value) {
  SIGNET_ASSIGN_OR_RETURN(std::string text, StringMember(name, value));
  if (text.size() > kMaxFieldBytes) {
    return Invalid("parameter_invalid", std::string(name) + " is longer than 2048 bytes");
  }
  return text;
}

// {"uid", "gid", "exe", "sha256", "container_id", "pod_uid"}: the first four required and
// not empty, the others "" when absent (outside a container or a pod).
Result<std::map<std::string, std::string, std::less<>>> ParseSelectors(
    const boost::json::value& value) {
  const boost::json::object* object = value.if_object();
  if (object == nullptr) {
    return Invalid("selectors_invalid",
                   "selectors must be an object: {uid, gid, exe, sha256, container_id, pod_uid}");
  }
  std::map<std::string, std::string, std::less<>> selectors = {{"container_id", ""},
                                                               {"pod_uid", ""}};
  for (const auto& [key, member] : *object) {
    std::string name(key.substr(0, 64));
    // `agent` is not the agent's to say: it is the name its token proves.
    if (name == "agent" ||
        std::find(kAgentSelectors.begin(), kAgentSelectors.end(), name) == kAgentSelectors.end()) {
      return Invalid("selectors_invalid",
                     "unknown selector " + name +
                         ": selectors are uid, gid, exe, sha256, container_id and pod_uid");
    }
    SIGNET_ASSIGN_OR_RETURN(selectors[name], BoundedString("selectors." + name, member));
  }
  for (std::string_view required : {"uid", "gid", "exe", "sha256"}) {
    auto it = selectors.find(required);
    if (it == selectors.end() || it->second.empty()) {
      return Invalid("selectors_invalid",
                     "selectors." + std::string(required) + " is required and not empty");
    }
  }
  return selectors;
}

// POST /v1/agents/credentials's body, from the agent `agent` verified.
Result<AttestedRequest> ParseAttested(const http::Request& request,
                                      const jose::VerifiedJwt& agent) {
  std::optional<std::map<std::string, std::string, std::less<>>> selectors;
  SIGNET_ASSIGN_OR_RETURN(ExchangeRequest exchange,
                          ParseCredentialsJson(
                              request,
                              [&selectors](std::string_view name, const boost::json::value& value,
                                           ExchangeRequest*) -> Result<bool> {
                                if (name != "selectors") {
                                  return false;
                                }
                                SIGNET_ASSIGN_OR_RETURN(selectors, ParseSelectors(value));
                                return true;
                              },
                              "destination, selectors, scope and requested_expires_in"));
  if (!selectors) {
    return Invalid("selectors_invalid", "selectors is required: what the agent attested");
  }
  return AttestedRequest{agent.subject(),
                         agent.expires_at(),
                         std::move(selectors).value(),
                         std::move(exchange.audiences.front()),
                         std::move(exchange.scope),
                         exchange.requested_lifetime};
}

// A non-negative integer member.
Result<uint64_t> Count(std::string_view name, const boost::json::value& value) {
  if (value.is_uint64()) {
    return value.get_uint64();
  }
  if (!value.is_int64() || value.get_int64() < 0) {
    return Invalid("usage_invalid", std::string(name) + " must be a non-negative integer");
  }
  return static_cast<uint64_t>(value.get_int64());
}

// Whether `text` is 1 to kMaxFieldBytes characters, none of them a space or a control
// character (what an audit record's target is made of).
bool IsPrintableWord(std::string_view text) {
  return !text.empty() && text.size() <= kMaxFieldBytes &&
         std::none_of(text.begin(), text.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

// One usage record as its audit event (time, workload, destination, target, detail).
Result<audit::Event> UsageEvent(const boost::json::value& value, audit::Event event) {
  const boost::json::object* record = value.if_object();
  if (record == nullptr) {
    return Invalid("usage_invalid", "each record must be an object");
  }
  constexpr std::array<std::string_view, 10> kMembers = {
      "time", "workload", "destination", "method",         "host",
      "path", "status",   "bytes_sent",  "bytes_received", "latency_us"};
  std::map<std::string, const boost::json::value*, std::less<>> members;
  for (const auto& [key, member] : *record) {
    std::string name(key.substr(0, 64));
    if (std::find(kMembers.begin(), kMembers.end(), name) == kMembers.end()) {
      return Invalid("usage_invalid", "unknown member " + name + " in a usage record");
    }
    members[name] = &member;
  }
  for (std::string_view name : kMembers) {
    if (!members.contains(name)) {
      return Invalid("usage_invalid", "a usage record needs " + std::string(name));
    }
  }
  SIGNET_ASSIGN_OR_RETURN(std::string time, BoundedString("time", *members["time"]));
  std::optional<SystemTime> at = ParseRfc3339(time);
  if (!at) {
    return Invalid("usage_invalid", "time must be an RFC 3339 date-time");
  }
  event.time = *at;
  SIGNET_ASSIGN_OR_RETURN(event.workload, BoundedString("workload", *members["workload"]));
  SIGNET_ASSIGN_OR_RETURN(event.destination, BoundedString("destination", *members["destination"]));
  if (!IsValidName(event.workload) || !IsValidName(event.destination)) {
    return Invalid("usage_invalid", "workload and destination must be names signetd gave");
  }
  SIGNET_ASSIGN_OR_RETURN(std::string method, BoundedString("method", *members["method"]));
  SIGNET_ASSIGN_OR_RETURN(std::string host, BoundedString("host", *members["host"]));
  SIGNET_ASSIGN_OR_RETURN(std::string path, StringMember("path", *members["path"]));
  // A long path is cut rather than the report refused: the record keeps where it went.
  path.resize(std::min(path.size(), kMaxFieldBytes));
  if (!IsPrintableWord(method) || !IsPrintableWord(host) || !IsPrintableWord(path) ||
      path.front() != '/') {
    return Invalid("usage_invalid",
                   "method, host and path must be non-empty and without spaces, and the path "
                   "must start with /");
  }
  event.target = method + " " + host + path;
  SIGNET_ASSIGN_OR_RETURN(uint64_t status, Count("status", *members["status"]));
  SIGNET_ASSIGN_OR_RETURN(uint64_t sent, Count("bytes_sent", *members["bytes_sent"]));
  SIGNET_ASSIGN_OR_RETURN(uint64_t received, Count("bytes_received", *members["bytes_received"]));
  SIGNET_ASSIGN_OR_RETURN(uint64_t latency, Count("latency_us", *members["latency_us"]));
  if (status > 999) {
    return Invalid("usage_invalid", "status must be an HTTP status, or 0 when none came");
  }
  event.detail = "status=" + std::to_string(status) + " sent=" + std::to_string(sent) +
                 " received=" + std::to_string(received) + " latency_us=" + std::to_string(latency);
  return event;
}

}  // namespace

AgentApi::AgentApi(BrokerSource broker, const AgentTokens& tokens, store::Store& store,
                   const policy::KillSwitch& kill, audit::AuditLog& audit, const Clock& clock,
                   Random& random, WorkerPool& workers, MetricsRegistry* metrics)
    : broker_(std::move(broker)),
      tokens_(tokens),
      store_(store),
      kill_(kill),
      audit_(audit),
      clock_(clock),
      random_(random),
      delivery_(CredentialDelivery::Create(audit, clock, workers, metrics)) {}

void AgentApi::AddRoutes(http::Router& router) {
  auto async = [this](void (AgentApi::*handler)(const http::Request&, http::Responder) const) {
    return [this, handler](const http::Request& request, http::Responder respond) {
      (this->*handler)(request, std::move(respond));
    };
  };
  router.AddAsync("POST", "/v1/agents/join", async(&AgentApi::Join));
  router.AddAsync("POST", "/v1/agents/renew", async(&AgentApi::Renew));
  router.AddAsync("POST", "/v1/agents/credentials", async(&AgentApi::Credentials));
  router.AddAsync("POST", "/v1/agents/usage", async(&AgentApi::Usage));
  router.Add("GET", "/v1/agents/suspended",
             [this](const http::Request& request) { return Suspended(request); });
}

Result<jose::VerifiedJwt> AgentApi::Authenticate(const http::Request& request) const {
  SIGNET_ASSIGN_OR_RETURN(jose::VerifiedJwt agent, tokens_.Verify(request.Header("Authorization")));
  if (kill_.IsSuspended(agent.subject())) {
    return Status(ErrorCode::kAccessDenied, "agent_suspended",
                  "agent " + agent.subject() + " is suspended by an administrator");
  }
  return agent;
}

audit::Event AgentApi::NewEvent(const http::Request& request, std::string_view action) const {
  audit::Event event;
  event.time = clock_.Now();
  event.request_id = random_.Base64UrlId(12);
  event.client_address = request.remote_address;
  event.action = std::string(action);
  return event;
}

void AgentApi::Admit(Result<std::string> agent, audit::Event event, http::Responder respond) const {
  if (agent.ok()) {
    event.actor = "agent:" + *agent;
    event.target = *agent;
    if (kill_.IsSuspended(*agent)) {
      agent = Status(ErrorCode::kAccessDenied, "agent_suspended",
                     "agent " + *agent + " is suspended by an administrator");
    }
  }
  Result<AgentTokens::Issued> issued =
      agent.ok() ? tokens_.Issue(*agent) : Result<AgentTokens::Issued>(agent.status());
  if (!issued.ok()) {
    RecordRefusal(issued.status(), &event);
    http::Response refused = Fail(issued.status(), event.request_id);
    return Commit(audit_, std::move(event), std::move(refused), std::move(respond));
  }
  event.decision = "allow";
  event.jti = issued->jti;
  event.expires_at = issued->expires_at;
  auto expires_in = std::chrono::floor<std::chrono::seconds>(issued->expires_at - clock_.Now());
  http::Response admitted = Ok({{"agent", *agent},
                                {"agent_token", issued->token},
                                {"expires_at", FormatUtcSeconds(issued->expires_at)},
                                {"expires_in", expires_in.count()}});
  Commit(audit_, std::move(event), std::move(admitted), std::move(respond));
}

void AgentApi::Join(const http::Request& request, http::Responder respond) const {
  audit::Event event = NewEvent(request, kActionJoin);
  // {"join_token"} or {"subject_token", "subject_token_type"?}: the agent's name.
  auto joined = [&]() -> Result<std::string> {
    SIGNET_ASSIGN_OR_RETURN(boost::json::object body, ParseJsonObject(request.body));
    std::optional<std::string> join_token;
    std::optional<std::string> subject_token;
    std::string subject_token_type(kJwtTokenTypeUri);
    for (const auto& [key, value] : body) {
      std::string name(key.substr(0, 64));
      std::optional<std::string>* field = name == "join_token"      ? &join_token
                                          : name == "subject_token" ? &subject_token
                                                                    : nullptr;
      if (field == nullptr && name != "subject_token_type") {
        return Invalid("parameter_unknown",
                       "unknown member " + name +
                           ": the request takes join_token, or subject_token and "
                           "subject_token_type");
      }
      SIGNET_ASSIGN_OR_RETURN(std::string text, StringMember(name, value));
      (field != nullptr ? field->emplace() : subject_token_type) = std::move(text);
    }
    if (join_token.has_value() == subject_token.has_value()) {
      return Invalid("join_credential_missing",
                     "send either join_token (from `signet agent join-token create`) or "
                     "subject_token (an OIDC token of the agent's platform)");
    }
    if (join_token) {
      SIGNET_ASSIGN_OR_RETURN(store::JoinTokenRow row,
                              RedeemJoinToken(store_, clock_, *join_token));
      event.detail = "join token " + row.id;
      return row.agent;
    }
    return broker_()->IdentifySubject(*subject_token, subject_token_type, &event);
  };
  Result<std::string> agent = joined();  // fills `event` before it is handed on
  Admit(std::move(agent), std::move(event), std::move(respond));
}

void AgentApi::Renew(const http::Request& request, http::Responder respond) const {
  Result<jose::VerifiedJwt> agent = tokens_.Verify(request.Header("Authorization"));
  Admit(agent.ok() ? Result<std::string>(agent->subject()) : Result<std::string>(agent.status()),
        NewEvent(request, kActionRenew), std::move(respond));
}

void AgentApi::Credentials(const http::Request& request, http::Responder respond) const {
  MonotonicTime started = clock_.MonotonicNow();
  audit::Event event = NewEvent(request, audit::kActionTokenExchange);
  Result<jose::VerifiedJwt> agent = Authenticate(request);
  if (agent.ok()) {
    event.actor = "agent:" + agent->subject();
  }
  Result<AttestedRequest> attested =
      agent.ok() ? ParseAttested(request, *agent) : Result<AttestedRequest>(agent.status());
  std::shared_ptr<const Broker> broker = broker_();
  // Decided here, on the I/O thread, as at /v1/credentials: only an authorized request
  // reaches a destination's provider.
  Result<Broker::Authorization> authorized = attested.ok()
                                                 ? broker->AuthorizeAttested(*attested, &event)
                                                 : Result<Broker::Authorization>(attested.status());
  std::string url = authorized.ok() ? authorized->destination_url : "";
  CredentialDelivery::AnswerBody body =
      [workload = event.workload, destination = event.destination, url = std::move(url)](
          const credentials::Credential& credential, std::chrono::seconds expires_in) {
        boost::json::object answer =
            credentials::CredentialAnswer(credential, destination, expires_in);
        answer["workload"] = workload;
        if (!url.empty()) {
          answer["url"] = url;
        }
        return answer;
      };
  delivery_->Deliver(std::move(broker), std::move(authorized), std::move(event), std::move(body),
                     std::move(respond), started);
}

void AgentApi::Usage(const http::Request& request, http::Responder respond) const {
  audit::Event common = NewEvent(request, kActionProxyRequest);
  std::string request_id = common.request_id;
  auto events = [&]() -> Result<std::vector<audit::Event>> {
    SIGNET_ASSIGN_OR_RETURN(jose::VerifiedJwt agent, Authenticate(request));
    common.actor = "agent:" + agent.subject();
    common.decision = "allow";
    SIGNET_ASSIGN_OR_RETURN(boost::json::object body, ParseJsonObject(request.body));
    const boost::json::value* records = body.if_contains("records");
    if (records == nullptr || !records->is_array() || body.size() != 1) {
      return Invalid("usage_invalid", "send {\"records\": [...]}");
    }
    if (records->get_array().size() > kMaxUsageRecords) {
      return Invalid("usage_invalid", "send at most 1000 records at once");
    }
    std::vector<audit::Event> events;
    for (const boost::json::value& record : records->get_array()) {
      SIGNET_ASSIGN_OR_RETURN(audit::Event event, UsageEvent(record, common));
      events.push_back(std::move(event));
    }
    return events;
  }();
  if (!events.ok()) {
    return Send(Fail(events.status(), request_id), request_id, respond);
  }
  size_t accepted = events->size();
  // One commit for the whole report: its records stand in the trail together, or none do.
  audit_.AppendAll(std::move(events).value(), [respond = std::move(respond), accepted,
                                               request_id](const Status& committed) {
    Send(committed.ok()
             ? Ok({{"accepted", accepted}})
             : Fail(Status(ErrorCode::kTemporarilyUnavailable, "audit_unavailable",
                           "the audit trail cannot record this report now; send it again"),
                    request_id),
         request_id, respond);
  });
}

http::Response AgentApi::Suspended(const http::Request& request) const {
  std::string request_id = random_.Base64UrlId(12);
  Result<jose::VerifiedJwt> agent = Authenticate(request);
  http::Response response;
  if (agent.ok()) {
    boost::json::array workloads;
    for (std::string& name : kill_.Suspended()) {
      workloads.push_back(boost::json::string(std::move(name)));
    }
    response = Ok({{"workloads", std::move(workloads)}});
  } else {
    response = Fail(agent.status(), request_id);
  }
  response.headers.emplace_back("X-Request-Id", request_id);
  return response;
}

}  // namespace signet::server
