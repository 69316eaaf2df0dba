// A small HTTP/1.1 server for Signet's fronts (token endpoint, discovery, admin API).
//
// Boost.Beast and Asio stay behind this header: handlers see only the plain Request and
// Response values below, so no other module pays Beast's compile cost or depends on its
// types. Handlers run on the server's I/O thread and must not block on I/O. A handler
// that throws gets its client a generic 500 (server_error, never the exception's text) and
// its connection closed; the server goes on serving others. Handlers log their own
// failures: this module has no logging dependency.
//
// Thread safety: Start() and port() may be called from any thread; Stop() may be called
// from any thread (including a signal handler's strand) and makes Run() return.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace signet::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // target without the query, e.g. "/.well-known/jwks.json"
  std::string query;   // raw query string without '?'
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;

  // The first header with this name (case-insensitive), if any.
  std::optional<std::string_view> Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static Response Json(int status, std::string body);
  // {"error": "<code>", "error_description": "<message>"} with the status for `code`.
  static Response Error(const Status& status);
};

using Handler = std::function<Response(const Request&)>;

// Exact-path routing. An unknown path answers 404; a known path with another method
// answers 405 with an Allow header.
class Router {
 public:
  void Add(std::string method, std::string path, Handler handler);
  Response Dispatch(const Request& request) const;
  // Every (method, path) pair, for documentation checks.
  std::vector<std::pair<std::string, std::string>> Routes() const;

 private:
  struct Route {
    std::string method;
    std::string path;
    Handler handler;
  };
  std::vector<Route> routes_;
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;                 // 0 picks a free port; see Server::port()
  size_t max_body_bytes = 64 * 1024;    // larger bodies answer 413
  size_t max_header_bytes = 16 * 1024;  // larger request heads answer 431
  // Bounds the wait for the next request on a kept-alive connection and reading it.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);
  // Bounds writing one response, so a client that stops reading cannot pin the
  // connection (and the response buffered for it) for longer.
  std::chrono::milliseconds write_timeout = std::chrono::seconds(30);
  // Open connections beyond this are accepted and closed at once, without a response.
  // Accepting and closing (rather than pausing accept) keeps the listen backlog drained,
  // so an excess client learns at once instead of waiting in the backlog for a slot, and
  // the accept loop needs no wake-up when a connection ends.
  size_t max_connections = 1024;
};

class Server {
 public:
  // Binds and listens; fails with server_error when the address cannot be bound.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options, Router router);
  ~Server();

  uint16_t port() const;
  // Serves until Stop() or SIGINT/SIGTERM.
  void Run();
  void Stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The HTTP status for an error code: 400 for request errors, 401 invalid_client and
// invalid_token, 403 access_denied, 503 temporarily_unavailable, 500 otherwise.
int HttpStatusFor(ErrorCode code);

}  // namespace signet::http
