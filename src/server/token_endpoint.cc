#include "server/token_endpoint.h"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <map>

#include "http/form.h"

namespace signet::server {
namespace {

constexpr std::string_view kFormType = "application/x-www-form-urlencoded";

void AddNoStore(http::Response* response) {
  // RFC 6749 §5.1: token responses, and errors alike, must not be cached.
  response->headers.emplace_back("Cache-Control", "no-store");
  response->headers.emplace_back("Pragma", "no-cache");
}

http::Response Answer(const Result<credentials::Credential>& credential, SystemTime now) {
  http::Response response;
  if (!credential.ok()) {
    response = http::Response::Error(credential.status());
  } else {
    boost::json::object body{
        {"access_token", credential->access_token},
        {"issued_token_type", credential->issued_token_type},
        {"token_type", credential->token_type},
        {"expires_in",
         std::chrono::floor<std::chrono::seconds>(credential->expires_at - now).count()},
    };
    if (!credential->scopes.empty()) {
      body["scope"] = credentials::JoinScopes(credential->scopes);
    }
    response = http::Response::Json(200, boost::json::serialize(body));
  }
  AddNoStore(&response);
  return response;
}

bool IsFormContentType(std::string_view value) {
  // "application/x-www-form-urlencoded; charset=UTF-8" is common; compare the media type.
  std::string_view media = value.substr(0, value.find(';'));
  while (!media.empty() && media.back() == ' ') {
    media.remove_suffix(1);
  }
  if (media.size() != kFormType.size()) {
    return false;
  }
  for (size_t i = 0; i < media.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(media[i])) != kFormType[i]) {
      return false;
    }
  }
  return true;
}

// The form's parameters, or why the request is malformed. Parameters without a value
// are dropped (RFC 6749 §3.1); unknown ones are ignored.
Result<ExchangeRequest> ParseExchange(const http::Request& request) {
  auto content_type = request.Header("Content-Type");
  if (!content_type || !IsFormContentType(*content_type)) {
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
    int64_t seconds = 0;
    auto [end, ec] =
        std::from_chars(lifetime->data(), lifetime->data() + lifetime->size(), seconds);
    if (ec != std::errc() || end != lifetime->data() + lifetime->size() || seconds <= 0) {
      return Status(ErrorCode::kInvalidRequest, "requested_expires_in_invalid",
                    "requested_expires_in must be a positive number of seconds");
    }
    exchange.requested_lifetime = std::chrono::seconds(seconds);
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

  void Serve(const http::Request& request, http::Responder respond) const {
    MonotonicTime started = clock_.MonotonicNow();
    audit::Event event;
    event.time = clock_.Now();
    event.request_id = random_.Base64UrlId(12);
    event.client_address = request.remote_address;
    Result<ExchangeRequest> exchange = ParseExchange(request);
    std::shared_ptr<const Broker> broker = broker_();
    // The identity, the kill switch and the policy are decided here, on the I/O thread:
    // only an authorized request reaches a destination's provider.
    Result<Broker::Authorization> authorized =
        exchange.ok() ? broker->Authorize(*exchange, &event) : Status(exchange.status());
    if (!authorized.ok()) {
      RecordRefusal(authorized.status(), &event);
      Finish(authorized.status(), std::move(event), std::move(respond), started);
      return;
    }
    if (!authorized->provider->CallsOut()) {
      Result<credentials::Credential> credential = Broker::Issue(*authorized, &event);
      Finish(std::move(credential), std::move(event), std::move(respond), started);
      return;
    }
    // The destination's token endpoint may take seconds: never on the I/O thread. The
    // task holds the broker, which owns the provider.
    auto task = std::make_shared<OutboundTask>(
        OutboundTask{std::move(broker), std::move(authorized).value(), std::move(event),
                     std::move(respond), started});
    if (!workers_.TryPost([self = shared_from_this(), task] {
          Result<credentials::Credential> credential =
              Broker::Issue(task->authorization, &task->event);
          self->Finish(std::move(credential), std::move(task->event), std::move(task->respond),
                       task->started);
        })) {
      Status busy(ErrorCode::kTemporarilyUnavailable, "destinations_busy",
                  "too many requests are waiting for destinations' token endpoints; retry "
                  "shortly");
      RecordRefusal(busy, &task->event);
      Finish(busy, std::move(task->event), std::move(task->respond), started);
    }
  }

 private:
  // An authorized exchange waiting for a worker.
  struct OutboundTask {
    std::shared_ptr<const Broker> broker;
    Broker::Authorization authorization;
    audit::Event event;
    http::Responder respond;
    MonotonicTime started;
  };

  // Counts the exchange, and answers once its audit record is committed.
  void Finish(Result<credentials::Credential> credential, audit::Event event,
              http::Responder respond, MonotonicTime started) const {
    std::string request_id = event.request_id;
    SystemTime now = event.time;
    if (metrics_ != nullptr) {
      // The reason is a stable identifier from a fixed vocabulary, never request text.
      metrics_
          ->GetCounter(
              "signet_exchanges_total", "Token exchanges by decision and reason.",
              {{"decision", event.decision}, {"error", event.error}, {"reason", event.reason}})
          .Increment();
    }
    audit_.Append(std::move(event), [self = shared_from_this(), respond = std::move(respond),
                                     credential = std::move(credential), request_id, now,
                                     started](const Status& committed) {
      http::Response response =
          committed.ok() ? Answer(credential, now)
                         : Answer(Status(ErrorCode::kTemporarilyUnavailable, "audit_unavailable",
                                         "the audit trail cannot record this request "
                                         "now; retry shortly"),
                                  now);
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
                    route->Serve(request, std::move(respond));
                  });
}

}  // namespace signet::server
