// A small HTTP/1.1 server for Signet's fronts (token endpoint, discovery, admin API).
//
// Boost.Beast and Asio stay behind this header: handlers see only the plain Request and
// Response values below, so no other module pays Beast's compile cost or depends on its
// types. Handlers run on the server's I/O threads and must not block on I/O: a handler
// that has to wait (for a disk commit, say) is added with AddAsync and answers through
// its Responder when ready, from any thread, while the I/O thread serves other
// connections. A handler that throws gets its client a generic 500 (server_error, never
// the exception's text) and its connection closed; the server goes on serving others.
// Handlers log their own failures: this module has no logging dependency.
//
// Thread safety: Start() and port() may be called from any thread; Stop() may be called
// from any thread (including a signal handler's strand) and makes Run() return.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/status.h"

namespace signet::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // target without the query, e.g. "/.well-known/jwks.json"
  std::string query;   // raw query string without '?'
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;
  // Set by the router for a route with "{name}" segments: each name and the segment it
  // matched (raw, not percent-decoded).
  std::vector<std::pair<std::string, std::string>> path_params;

  // The first header with this name (case-insensitive), if any.
  std::optional<std::string_view> Header(std::string_view name) const;
  // The path parameter `name`, or "" when the route has none of that name.
  std::string_view PathParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close_connection = false;  // close after sending, even if the client keeps alive

  static Response Json(int status, std::string body);
  // {"error": "<code>", "error_description": "<message>"} with the status for `code`.
  static Response Error(const Status& status);
};

using Handler = std::function<Response(const Request&)>;
// Completes a request: call it exactly once, from any thread. If every copy is destroyed
// without a call, the client gets a 500 rather than a hang.
using Responder = std::function<void(Response)>;
// The Request stays valid until the Responder is called.
using AsyncHandler = std::function<void(const Request&, Responder)>;

// Routing by path: a route's path is matched segment by segment, where a segment
// "{name}" matches any one non-empty segment and is passed to the handler as a path
// parameter ("/v1/workloads/{name}/suspend"). Routes are tried in the order added. An
// unknown path answers 404; a known path with another method answers 405 with an Allow
// header.
class Router {
 public:
  void Add(std::string method, std::string path, Handler handler);
  void AddAsync(std::string method, std::string path, AsyncHandler handler);
  // Answers `request` through `respond` (at once for a synchronous handler). Exceptions
  // from a handler propagate to the caller.
  void Dispatch(const Request& request, Responder respond) const;
  // Every (method, path) pair, for documentation checks.
  std::vector<std::pair<std::string, std::string>> Routes() const;
  // Counts every answer in signet_http_requests_total{method,route,status}, `route`
  // being the route's pattern ("/v1/workloads/{name}/suspend") or "unmatched".
  // `metrics` must outlive the router.
  void SetMetrics(MetricsRegistry* metrics) { metrics_ = metrics; }

 private:
  struct Route {
    std::string method;
    std::string path;
    AsyncHandler handler;
  };
  std::vector<Route> routes_;
  MetricsRegistry* metrics_ = nullptr;
};

struct TlsOptions {
  std::string cert_file;  // PEM certificate chain, leaf first
  std::string key_file;   // PEM private key
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;               // 0 picks a free port; see Server::port()
  size_t max_body_bytes = 64 * 1024;  // larger bodies answer 413
  // Paths (exact, without the query) allowed a larger body than max_body_bytes: a
  // configuration upload, not a token request. Read from the request head before the body.
  std::map<std::string, size_t, std::less<>> max_body_bytes_by_path;
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
  // HTTPS (TLS 1.2 and later) when set; plain HTTP otherwise.
  std::optional<TlsOptions> tls;
  // Threads running the I/O loop (and synchronous handlers); each connection is served
  // by one of them at a time.
  int threads = 1;
  // On Stop() or SIGTERM/SIGINT: how long requests already read may take to be answered
  // before the loop stops regardless.
  std::chrono::milliseconds drain_timeout = std::chrono::seconds(10);
  // Measures the drain. Must outlive the server.
  const Clock* clock = &Clock::Real();
};

class Server {
 public:
  // Binds and listens; fails with server_error when the address cannot be bound, and
  // invalid_config (tls_invalid) when the TLS files cannot be loaded or do not match.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options, Router router);
  ~Server();

  uint16_t port() const;
  // Serves until Stop() or SIGINT/SIGTERM, on the calling thread and threads - 1 more.
  // Either one drains: the listening socket closes at once, every request already read
  // is answered (up to drain_timeout), each on a connection that then closes, and Run()
  // returns.
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
