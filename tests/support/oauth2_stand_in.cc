#include "support/oauth2_stand_in.h"

#include <algorithm>

#include "common/base64url.h"
#include "http/form.h"
#include "jose/jwt.h"

namespace signet::testing {
namespace {

// The client id of an `Authorization: Basic` header, "" when there is none.
std::string BasicClientId(const http::Request& request) {
  std::string_view header = request.Header("Authorization").value_or("");
  if (!header.starts_with("Basic ")) {
    return "";
  }
  std::string encoded(header.substr(6));
  std::replace(encoded.begin(), encoded.end(), '+', '-');
  std::replace(encoded.begin(), encoded.end(), '/', '_');
  encoded.erase(std::remove(encoded.begin(), encoded.end(), '='), encoded.end());
  Result<std::string> joined = Base64UrlDecode(encoded);
  if (!joined.ok() || joined->find(':') == std::string::npos) {
    return "";
  }
  // "<id>:<secret>", each form-urlencoded (RFC 6749 §2.3.1).
  (*joined)[joined->find(':')] = '=';
  auto pair = http::ParseForm(*joined);
  return pair.ok() && pair->size() == 1 ? pair->front().first : "";
}

std::string KeyOf(const http::Request& request) {
  auto fields = http::ParseForm(request.body);
  if (!fields.ok()) {
    return BasicClientId(request);
  }
  std::string client_id;
  for (const auto& [name, value] : *fields) {
    if (name == "client_assertion") {
      auto assertion = jose::ParseJwt(value);
      if (assertion.ok() && assertion->claims.contains("sub") &&
          assertion->claims.at("sub").is_string()) {
        return std::string(assertion->claims.at("sub").as_string());
      }
    }
    if (name == "client_id") {
      client_id = value;
    }
  }
  return client_id.empty() ? BasicClientId(request) : client_id;
}

}  // namespace

OAuth2StandIn::OAuth2StandIn(const std::string& dir, Dialect dialect)
    : dialect_(dialect),
      server_(dir, dialect == Dialect::kEntra ? "entra-stand-in" : "oauth2-stand-in", Routes()) {}

http::Router OAuth2StandIn::Routes() {
  http::Router router;
  router.Add("POST", dialect_ == Dialect::kEntra ? "/{tenant}/oauth2/v2.0/token" : "/oauth2/token",
             [this](const http::Request& request) { return Answer(request); });
  return router;
}

std::string OAuth2StandIn::url() const {
  return dialect_ == Dialect::kEntra ? server_.base_url() : server_.base_url() + "/oauth2/token";
}

std::vector<http::Request> OAuth2StandIn::RequestsFor(const std::string& who) {
  std::lock_guard lock(mu_);
  std::vector<http::Request> matching;
  for (const auto& [key, request] : requests_) {
    if (key == who) {
      matching.push_back(request);
    }
  }
  return matching;
}

http::Response OAuth2StandIn::Answer(const http::Request& request) {
  std::string key = KeyOf(request);
  int n = 0;
  {
    std::lock_guard lock(mu_);
    requests_.emplace_back(key, request);
    n = static_cast<int>(requests_.size());
  }
  bool entra = dialect_ == Dialect::kEntra;
  // Entra's error shape; the generic one is its first two members.
  auto error = [entra](int status, const std::string& code, int aadsts) {
    std::string body = R"({"error":")" + code + R"(","error_description":"AADSTS)" +
                       std::to_string(aadsts) + R"(: standin-private-detail")";
    if (entra) {
      body += R"(,"error_codes":[)" + std::to_string(aadsts) +
              R"(],"timestamp":"2026-11-29 13:00:00Z","trace_id":"standin-trace",)"
              R"("correlation_id":"standin-correlation")";
    }
    return http::Response::Json(status, body + "}");
  };
  if (key.ends_with("refused")) {
    return error(entra ? 400 : 401, "invalid_client", 700213);
  }
  if (key.ends_with("flaky")) {
    return error(503, "temporarily_unavailable", 50196);
  }
  if (key.ends_with("malformed")) {
    return http::Response::Json(200, R"({"token_type":"Bearer","expires_in":3600})");
  }
  std::string lifetime = key.ends_with("short") ? "100" : entra ? "3599" : "3600";
  return http::Response::Json(
      200, R"({"token_type":"Bearer","access_token":"standin-)" +
               std::string(entra ? "entra" : "oauth2") + "-at-" + std::to_string(n) +
               R"(","expires_in":)" + lifetime +
               (entra ? R"(,"ext_expires_in":)" + lifetime : std::string()) + "}");
}

}  // namespace signet::testing
