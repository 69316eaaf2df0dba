#include "server/token_endpoint.h"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <map>

#include "common/json.h"
#include "credentials/credential_answer.h"
#include "http/form.h"

namespace signet::server {
namespace {

constexpr std::string_view kFormType = "application/x-www-form-urlencoded";

// The two ways to ask for a credential: they differ only in how the request is read and
// the credential written.
enum class Api {
  kTokenExchange,  // POST /oauth2/token, RFC 8693: tokens only
  kCredentials,    // POST /v1/credentials: any credential, typed
};

void AddNoStore(http::Response* response) {
  // RFC 6749 §5.1: token responses, and errors alike, must not be cached.
  response->headers.emplace_back("Cache-Control", "no-store");
  response->headers.emplace_back("Pragma", "no-cache");
}

// The RFC 8693 answer (§2.2.1): only token credentials reach it (TokenRoute::Serve).
boost::json::object TokenExchangeAnswer(const credentials::Credential& credential,
                                        std::chrono::seconds expires_in) {
  boost::json::object body{
      {"access_token", credential.access_token},
      {"issued_token_type", credential.issued_token_type},
      {"token_type", credential.token_type},
      {"expires_in", expires_in.count()},
  };
  if (!credential.scopes.empty()) {
    body["scope"] = credentials::JoinScopes(credential.scopes);
  }
  return body;
}

http::Response Answer(Api api, const Result<credentials::Credential>& credential,
                      std::string_view destination, std::string_view request_id, SystemTime now) {
  http::Response response;
  if (!credential.ok() && credential.status().code() == ErrorCode::kServerError) {
    // Signet's own fault or its configuration's (a vault secret missing, a destination
    // answering nonsense): nothing the workload can act on, and the detail names
    // Signet's internals. The audit record keeps it.
    response = http::Response::Error(
        Status(ErrorCode::kServerError, credential.status().reason(),
               "Signet could not issue this credential; an administrator can find why in "
               "audit record " +
                   std::string(request_id)));
  } else if (!credential.ok()) {
    response = http::Response::Error(credential.status());
  } else {
    auto expires_in = std::chrono::floor<std::chrono::seconds>(credential->expires_at - now);
    response = http::Response::Json(
        200, boost::json::serialize(
                 api == Api::kTokenExchange
                     ? TokenExchangeAnswer(*credential, expires_in)
                     : credentials::CredentialAnswer(*credential, destination, expires_in)));
  }
  AddNoStore(&response);
  return response;
}

// Whether a Content-Type names `media`: "application/x-www-form-urlencoded;
// charset=UTF-8" is common, so parameters are ignored and the type compared without case.
bool HasMediaType(std::string_view value, std::string_view media) {
  std::string_view type = value.substr(0, value.find(';'));
  while (!type.empty() && type.back() == ' ') {
    type.remove_suffix(1);
  }
  if (type.size() != media.size()) {
    return false;
  }
  for (size_t i = 0; i < type.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(type[i])) != media[i]) {
      return false;
    }
  }
  return true;
}

std::optional<std::chrono::seconds> PositiveLifetime(std::string_view text) {
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || seconds <= 0) {
    return std::nullopt;
  }
  return std::chrono::seconds(seconds);
}

Status LifetimeInvalid() {
  return Status(ErrorCode::kInvalidRequest, "requested_expires_in_invalid",
                "requested_expires_in must be a positive number of seconds");
}

// The form's parameters, or why the request is malformed. Parameters without a value
// are dropped (RFC 6749 §3.1); unknown ones are ignored.
Result<ExchangeRequest> ParseExchange(const http::Request& request) {
  auto content_type = request.Header("Content-Type");
  if (!content_type || !HasMediaType(*content_type, kFormType)) {
    return Status(ErrorCode::kInvalidRequest, "content_type_invalid",
                  "send the parameters as application/x-www-form-urlencoded");
  }
  SIGNET_ASSIGN_OR_RETURN(auto form, http::ParseForm(request.body));
  std::map<std::string, std::string, std::less<>> single;
  ExchangeRequest exchange;
  for (auto& [name, value] : form) {
    if (value.empty()) {
      continue;
    }
    if (name == "audience") {
      exchange.audiences.push_back(std::move(value));
    } else if (name == "resource") {
      exchange.resources.push_back(std::move(value));
    } else if (!single.emplace(name, std::move(value)).second) {
      return Status(ErrorCode::kInvalidRequest, "parameter_repeated",
                    "the parameter " + name.substr(0, 64) + " appears more than once");
    }
  }
  auto take = [&single](std::string_view name) -> std::optional<std::string> {
    auto it = single.find(name);
    if (it == single.end()) {
      return std::nullopt;
    }
    return std::move(it->second);
  };
  std::optional<std::string> grant_type = take("grant_type");
  if (!grant_type) {
    return Status(ErrorCode::kInvalidRequest, "grant_type_missing",
                  std::string("grant_type is required (") + std::string(kTokenExchangeGrant) + ")");
  }
  if (*grant_type != kTokenExchangeGrant) {
    return Status(ErrorCode::kUnsupportedGrantType, "grant_type_unsupported",
                  std::string("the supported grant_type is ") + std::string(kTokenExchangeGrant));
  }
  if (single.contains("actor_token") || single.contains("actor_token_type")) {
    return Status(ErrorCode::kInvalidRequest, "actor_token_unsupported",
                  "delegation (actor_token) is not supported yet");
  }
  exchange.subject_token = take("subject_token").value_or("");
  exchange.subject_token_type = take("subject_token_type").value_or("");
  exchange.scope = take("scope");
  exchange.requested_token_type = take("requested_token_type");
  if (std::optional<std::string> lifetime = take("requested_expires_in")) {
    exchange.requested_lifetime = PositiveLifetime(*lifetime);
    if (!exchange.requested_lifetime) {
      return LifetimeInvalid();
    }
  }
  return exchange;
}

// POST /v1/credentials: a JSON object naming the destination beside the subject token.
// Its members mean what the token endpoint's parameters of the same name mean; an
// unknown member is refused, so a misspelt one is not silently ignored.
Result<ExchangeRequest> ParseCredentialsRequest(const http::Request& request) {
  auto content_type = request.Header("Content-Type");
  if (!content_type || !HasMediaType(*content_type, "application/json")) {
    return Status(ErrorCode::kInvalidRequest, "content_type_invalid",
                  "send the request as application/json");
  }
  SIGNET_ASSIGN_OR_RETURN(boost::json::object body, ParseJsonObject(request.body));
  ExchangeRequest exchange;
  exchange.subject_token_type = std::string(kJwtTokenTypeUri);
  for (const auto& [member, value] : body) {
    std::string name(member.substr(0, 64));
    if (name == "requested_expires_in") {
      if (!value.is_int64() || value.as_int64() <= 0) {
        return LifetimeInvalid();
      }
      exchange.requested_lifetime = std::chrono::seconds(value.as_int64());
      continue;
    }
    std::string* field = name == "destination"          ? &exchange.audiences.emplace_back()
                         : name == "subject_token"      ? &exchange.subject_token
                         : name == "subject_token_type" ? &exchange.subject_token_type
                         : name == "scope"              ? &exchange.scope.emplace()
                                                        : nullptr;
    if (field == nullptr) {
      return Status(ErrorCode::kInvalidRequest, "parameter_unknown",
                    "unknown member " + name +
                        ": the request takes destination, subject_token, subject_token_type, "
                        "scope and requested_expires_in");
    }
    if (!value.is_string()) {
      return Status(ErrorCode::kInvalidRequest, "parameter_invalid", name + " must be a string");
    }
    *field = std::string(value.as_string());
  }
  if (exchange.scope && exchange.scope->empty()) {
    exchange.scope.reset();  // as the token endpoint drops a parameter without a value
  }
  if (exchange.audiences.empty() || exchange.audiences.front().empty()) {
    return Status(ErrorCode::kInvalidRequest, "target_missing",
                  "name the destination in \"destination\"");
  }
  return exchange;
}

// The route's state: what every request needs, fixed for the server's life. Work queued
// for later (on the worker pool, in an audit callback) holds the route itself, so a
// shutdown that destroys the router first leaves none of it dangling.
class TokenRoute : public std::enable_shared_from_this<TokenRoute> {
 public:
  TokenRoute(BrokerSource broker, audit::AuditLog& audit, const Clock& clock, Random& random,
             WorkerPool& workers, MetricsRegistry* metrics)
      : broker_(std::move(broker)),
        audit_(audit),
        clock_(clock),
        random_(random),
        workers_(workers),
        metrics_(metrics),
        duration_(metrics == nullptr
                      ? nullptr
                      : &metrics->GetHistogram(
                            "signet_exchange_duration_seconds",
                            "Token exchanges, from the request to the committed answer.")) {}

  void Serve(Api api, const http::Request& request, http::Responder respond) const {
    MonotonicTime started = clock_.MonotonicNow();
    audit::Event event;
    event.time = clock_.Now();
    event.request_id = random_.Base64UrlId(12);
    event.client_address = request.remote_address;
    Result<ExchangeRequest> exchange =
        api == Api::kTokenExchange ? ParseExchange(request) : ParseCredentialsRequest(request);
    std::shared_ptr<const Broker> broker = broker_();
    // The identity, the kill switch and the policy are decided here, on the I/O thread:
    // only an authorized request reaches a destination's provider.
    Result<Broker::Authorization> authorized =
        exchange.ok() ? broker->Authorize(*exchange, &event) : Status(exchange.status());
    if (authorized.ok() && api == Api::kTokenExchange &&
        authorized->provider->Form() != credentials::CredentialForm::kToken) {
      authorized =
          Status(ErrorCode::kInvalidRequest, "credential_not_a_token",
                 "destination " + event.destination + " issues " +
                     std::string(credentials::CredentialFormName(authorized->provider->Form())) +
                     " credentials, not tokens: ask POST " + std::string(kCredentialsPath));
    }
    if (!authorized.ok()) {
      RecordRefusal(authorized.status(), &event);
      Finish(api, authorized.status(), std::move(event), std::move(respond), started);
      return;
    }
    if (!authorized->provider->CallsOut()) {
      Result<credentials::Credential> credential = Broker::Issue(*authorized, &event);
      Finish(api, std::move(credential), std::move(event), std::move(respond), started);
      return;
    }
    // The destination's token endpoint may take seconds: never on the I/O thread. The
    // task holds the broker, which owns the provider.
    auto task = std::make_shared<OutboundTask>(
        OutboundTask{api, std::move(broker), std::move(authorized).value(), std::move(event),
                     std::move(respond), started});
    if (!workers_.TryPost([self = shared_from_this(), task] {
          Result<credentials::Credential> credential =
              Broker::Issue(task->authorization, &task->event);
          self->Finish(task->api, std::move(credential), std::move(task->event),
                       std::move(task->respond), task->started);
        })) {
      Status busy(ErrorCode::kTemporarilyUnavailable, "destinations_busy",
                  "too many requests are waiting for destinations' token endpoints; retry "
                  "shortly");
      RecordRefusal(busy, &task->event);
      Finish(api, busy, std::move(task->event), std::move(task->respond), started);
    }
  }

 private:
  // An authorized exchange waiting for a worker.
  struct OutboundTask {
    Api api;
    std::shared_ptr<const Broker> broker;
    Broker::Authorization authorization;
    audit::Event event;
    http::Responder respond;
    MonotonicTime started;
  };

  // Counts the exchange, and answers once its audit record is committed.
  void Finish(Api api, Result<credentials::Credential> credential, audit::Event event,
              http::Responder respond, MonotonicTime started) const {
    std::string request_id = event.request_id;
    std::string destination = event.destination;
    // Issuing takes time (a worker's queue, the destination's answer): a credential whose
    // granted lifetime ran out meanwhile is not handed out.
    if (credential.ok() && credential->expires_at - clock_.Now() < std::chrono::seconds(1)) {
      credential = Status(ErrorCode::kInvalidRequest, "lifetime_exhausted",
                          "the subject token's lifetime ran out while the credential was "
                          "issued; present a fresh one");
      RecordRefusal(credential.status(), &event);
    }
    if (metrics_ != nullptr) {
      // The reason is a stable identifier from a fixed vocabulary, never request text.
      metrics_
          ->GetCounter(
              "signet_exchanges_total", "Token exchanges by decision and reason.",
              {{"decision", event.decision}, {"error", event.error}, {"reason", event.reason}})
          .Increment();
    }
    audit_.Append(std::move(event), [self = shared_from_this(), respond = std::move(respond),
                                     credential = std::move(credential), api, request_id,
                                     destination = std::move(destination),
                                     started](const Status& committed) {
      SystemTime now = self->clock_.Now();  // expires_in counts from the answer
      http::Response response =
          committed.ok() ? Answer(api, credential, destination, request_id, now)
                         : Answer(api,
                                  Status(ErrorCode::kTemporarilyUnavailable, "audit_unavailable",
                                         "the audit trail cannot record this request "
                                         "now; retry shortly"),
                                  destination, request_id, now);
      response.headers.emplace_back("X-Request-Id", request_id);
      respond(std::move(response));
      if (self->duration_ != nullptr) {
        self->duration_->Observe(
            std::chrono::duration<double>(self->clock_.MonotonicNow() - started).count());
      }
    });
  }

  BrokerSource broker_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  Random& random_;
  WorkerPool& workers_;
  MetricsRegistry* metrics_;
  Histogram* duration_;
};

}  // namespace

void AddTokenRoutes(http::Router& router, BrokerSource broker, audit::AuditLog& audit,
                    const Clock& clock, Random& random, WorkerPool& workers,
                    MetricsRegistry* metrics) {
  auto route =
      std::make_shared<TokenRoute>(std::move(broker), audit, clock, random, workers, metrics);
  router.AddAsync("POST", std::string(kTokenPath),
                  [route](const http::Request& request, http::Responder respond) {
                    route->Serve(Api::kTokenExchange, request, std::move(respond));
                  });
  router.AddAsync("POST", std::string(kCredentialsPath),
                  [route](const http::Request& request, http::Responder respond) {
                    route->Serve(Api::kCredentials, request, std::move(respond));
                  });
}

}  // namespace signet::server
