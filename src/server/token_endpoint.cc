#include "server/token_endpoint.h"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <map>

#include "common/json.h"
#include "credentials/credential_answer.h"
#include "http/form.h"
#include "server/credential_delivery.h"

namespace signet::server {
namespace {

constexpr std::string_view kFormType = "application/x-www-form-urlencoded";

// The two ways to ask for a credential: they differ only in how the request is read and
// the credential written.
enum class Api {
  kTokenExchange,  // POST /oauth2/token, RFC 8693: tokens only
  kCredentials,    // POST /v1/credentials: any credential, typed
};

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

}  // namespace

Result<ExchangeRequest> ParseCredentialsJson(const http::Request& request,
                                             const CredentialsMember& member,
                                             std::string_view members) {
  auto content_type = request.Header("Content-Type");
  if (!content_type || !HasMediaType(*content_type, "application/json")) {
    return Status(ErrorCode::kInvalidRequest, "content_type_invalid",
                  "send the request as application/json");
  }
  SIGNET_ASSIGN_OR_RETURN(boost::json::object body, ParseJsonObject(request.body));
  ExchangeRequest exchange;
  for (const auto& [key, value] : body) {
    std::string name(key.substr(0, 64));
    if (name == "requested_expires_in") {
      if (!value.is_int64() || value.as_int64() <= 0) {
        return LifetimeInvalid();
      }
      exchange.requested_lifetime = std::chrono::seconds(value.as_int64());
      continue;
    }
    if (name != "destination" && name != "scope") {
      SIGNET_ASSIGN_OR_RETURN(bool taken, member(name, value, &exchange));
      if (!taken) {
        return Status(ErrorCode::kInvalidRequest, "parameter_unknown",
                      "unknown member " + name + ": the request takes " + std::string(members));
      }
      continue;
    }
    SIGNET_ASSIGN_OR_RETURN(std::string text, StringMember(name, value));
    if (name == "destination") {
      exchange.audiences.push_back(std::move(text));
    } else {
      exchange.scope = std::move(text);
    }
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

Result<std::string> StringMember(std::string_view name, const boost::json::value& value) {
  if (!value.is_string()) {
    return Status(ErrorCode::kInvalidRequest, "parameter_invalid",
                  std::string(name) + " must be a string");
  }
  return std::string(value.get_string());
}

namespace {

// POST /v1/credentials: a JSON object naming the destination beside the subject token.
// Its members mean what the token endpoint's parameters of the same name mean.
Result<ExchangeRequest> ParseCredentialsRequest(const http::Request& request) {
  bool typed = false;
  Result<ExchangeRequest> exchange = ParseCredentialsJson(
      request,
      [&typed](std::string_view name, const boost::json::value& value,
               ExchangeRequest* into) -> Result<bool> {
        typed = typed || name == "subject_token_type";
        std::string* field = name == "subject_token"        ? &into->subject_token
                             : name == "subject_token_type" ? &into->subject_token_type
                                                            : nullptr;
        if (field == nullptr) {
          return false;
        }
        SIGNET_ASSIGN_OR_RETURN(*field, StringMember(name, value));
        return true;
      },
      "destination, subject_token, subject_token_type, scope and requested_expires_in");
  if (exchange.ok() && !typed) {
    exchange->subject_token_type = std::string(kJwtTokenTypeUri);
  }
  return exchange;
}

// The routes' state: what every request needs, fixed for the server's life.
class TokenRoute {
 public:
  TokenRoute(BrokerSource broker, const Clock& clock, Random& random,
             std::shared_ptr<CredentialDelivery> delivery)
      : broker_(std::move(broker)),
        clock_(clock),
        random_(random),
        delivery_(std::move(delivery)) {}

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
    CredentialDelivery::AnswerBody body;
    if (api == Api::kTokenExchange) {
      body = TokenExchangeAnswer;
    } else {
      body = [destination = event.destination](const credentials::Credential& credential,
                                               std::chrono::seconds expires_in) {
        return credentials::CredentialAnswer(credential, destination, expires_in);
      };
    }
    delivery_->Deliver(std::move(broker), std::move(authorized), std::move(event), std::move(body),
                       std::move(respond), started);
  }

 private:
  BrokerSource broker_;
  const Clock& clock_;
  Random& random_;
  std::shared_ptr<CredentialDelivery> delivery_;
};

}  // namespace

void AddTokenRoutes(http::Router& router, BrokerSource broker, audit::AuditLog& audit,
                    const Clock& clock, Random& random, WorkerPool& workers,
                    MetricsRegistry* metrics) {
  auto route = std::make_shared<TokenRoute>(
      std::move(broker), clock, random, CredentialDelivery::Create(audit, clock, workers, metrics));
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
