// Routing and response helpers: no Beast here, so these stay cheap to compile and test.
#include <strings.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <memory>

#include "http/server.h"

namespace signet::http {

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

std::string_view Request::PathParam(std::string_view name) const {
  for (const auto& [key, value] : path_params) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

Response Response::Json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return 200;
    case ErrorCode::kInvalidClient:
    case ErrorCode::kInvalidToken:
      return 401;
    case ErrorCode::kAccessDenied:
      return 403;
    case ErrorCode::kTemporarilyUnavailable:
      return 503;
    case ErrorCode::kServerError:
    case ErrorCode::kInvalidConfig:
      return 500;
    default:
      return 400;
  }
}

namespace {

// RFC 6749 §5.2: error_description is printable ASCII without '"' and '\\'. Messages may
// quote what the client sent; quotes become apostrophes, anything else outside the
// range becomes '?'.
std::string Describe(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    if (c == '"') {
      out.push_back('\'');
    } else if (c == '\\' || c < 0x20 || c > 0x7e) {
      out.push_back('?');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Whether `path` fits `pattern`; the "{name}" segments' values go to `params`.
bool MatchPath(std::string_view pattern, std::string_view path,
               std::vector<std::pair<std::string, std::string>>* params) {
  if (pattern.find('{') == std::string_view::npos) {
    return pattern == path;
  }
  params->clear();
  while (!pattern.empty() && !path.empty()) {
    size_t pattern_end = std::min(pattern.find('/', 1), pattern.size());
    size_t path_end = std::min(path.find('/', 1), path.size());
    std::string_view want = pattern.substr(0, pattern_end);
    std::string_view got = path.substr(0, path_end);
    if (want.size() > 3 && want.substr(0, 2) == "/{" && want.back() == '}') {
      if (got.size() < 2 || got[0] != '/') {
        return false;  // a parameter matches a non-empty segment only
      }
      params->emplace_back(want.substr(2, want.size() - 3), got.substr(1));
    } else if (want != got) {
      return false;
    }
    pattern.remove_prefix(pattern_end);
    path.remove_prefix(path_end);
  }
  return pattern.empty() && path.empty();
}

}  // namespace

Response Response::Error(const Status& status) {
  boost::json::object body{{"error", ErrorCodeName(status.code())},
                           {"error_description", Describe(status.message())}};
  Response r = Json(HttpStatusFor(status.code()), boost::json::serialize(body));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

void Router::Add(std::string method, std::string path, Handler handler) {
  AddAsync(std::move(method), std::move(path),
           [handler = std::move(handler)](const Request& request, Responder respond) {
             respond(handler(request));
           });
}

void Router::AddAsync(std::string method, std::string path, AsyncHandler handler) {
  routes_.push_back({std::move(method), std::move(path), std::move(handler)});
}

void Router::Dispatch(const Request& request, Responder respond) const {
  if (metrics_ != nullptr) {
    // Labels from a fixed set: the route's pattern, not the request's path, and the
    // method only when a route serves it (a client can send any method name).
    std::vector<std::pair<std::string, std::string>> unused;
    std::string route = "unmatched";
    std::string method = "other";
    for (const Route& r : routes_) {
      if (!MatchPath(r.path, request.path, &unused)) {
        continue;
      }
      if (r.method == request.method) {
        route = r.path;
        method = r.method;
        break;
      }
      if (route == "unmatched") {
        route = r.path;
      }
    }
    respond = [metrics = metrics_, method = std::move(method), route = std::move(route),
               respond = std::move(respond)](Response response) {
      metrics
          ->GetCounter(
              "signet_http_requests_total", "HTTP requests by route and status.",
              {{"method", method}, {"route", route}, {"status", std::to_string(response.status)}})
          .Increment();
      respond(std::move(response));
    };
  }
  std::string allowed;
  std::vector<std::pair<std::string, std::string>> params;
  for (const Route& route : routes_) {
    if (!MatchPath(route.path, request.path, &params)) {
      continue;
    }
    if (route.method == request.method) {
      if (params.empty()) {
        route.handler(request, std::move(respond));
        return;
      }
      // The handler's Request carries the parameters; the copy lives until it answers.
      auto with_params = std::make_shared<Request>(request);
      with_params->path_params = std::move(params);
      route.handler(*with_params, [with_params, respond = std::move(respond)](Response r) {
        respond(std::move(r));
      });
      return;
    }
    allowed += allowed.empty() ? route.method : ", " + route.method;
  }
  if (!allowed.empty()) {
    Response r = Response::Error(Status(ErrorCode::kInvalidRequest, "method_not_allowed",
                                        "method " + request.method + " is not allowed here"));
    r.status = 405;
    r.headers.emplace_back("Allow", allowed);
    respond(std::move(r));
    return;
  }
  Response r = Response::Error(
      Status(ErrorCode::kInvalidRequest, "not_found", "no such endpoint: " + request.path));
  r.status = 404;
  respond(std::move(r));
}

std::vector<std::pair<std::string, std::string>> Router::Routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Route& route : routes_) {
    out.emplace_back(route.method, route.path);
  }
  return out;
}

}  // namespace signet::http
