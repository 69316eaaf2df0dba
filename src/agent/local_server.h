// LocalServer: signet-agent's local HTTP endpoints, where processes on the node get their
// credentials without holding any.
//
//   GET /v1/credentials/{destination}   the caller's credential, typed as signetd's
//                                       POST /v1/credentials answers it, plus `workload`
//   GET /aws/credentials/{destination}  the AWS container-credentials format, for AWS SDKs
//                                       (AWS_CONTAINER_CREDENTIALS_FULL_URI), behind the
//                                       Authorization token in `aws_token`
//   /{destination}/{rest}               any method: the credential-injecting reverse proxy
//                                       to the destination's url + "/" + rest, over TLS
//
// Every connection's caller is attested once (CallerAttestor, on the worker pool) before
// its first request is served; each request then gets that caller's credential from the
// CredentialSource (the cached one on the I/O thread, else a fetch on the worker pool).
// The proxy drops the caller's own credential headers, injects the destination's, streams
// both bodies as they arrive (server-sent events pass event by event), keeps upstream
// connections alive per I/O thread, and reports each request to the UsageSink. docs/agent.md
// describes the endpoints as callers see them.
//
// Boost.Beast and Asio stay behind this header (as with http/server.h).
//
// Thread safety: Start() and port() may be called from any thread; Stop() from any thread
// but a signal handler. The injected objects are called from the I/O and worker threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "agent/edge.h"
#include "common/clock.h"
#include "common/secret.h"
#include "common/status.h"

namespace signet::agent {

struct LocalServerOptions {
  // A unix socket to listen on; "" for none. Created with mode 0666: any local process may
  // connect, because attestation, not file permissions, decides what a caller gets. A
  // socket left at the path by an earlier run is replaced; any other file there is refused.
  std::string socket_path;
  // A loopback address to listen on over TCP ("127.0.0.1", "::1"); "" for none. Any other
  // address is refused: a caller on another host could not be attested.
  std::string tcp_address;
  uint16_t tcp_port = 0;  // 0 picks a free port: see LocalServer::port()
  // Threads serving connections; each owns its connections and its upstream connections.
  int io_threads = 1;
  // Threads for the blocking calls (attestation, credential fetches), and how many such
  // calls may wait for one before callers are refused (503) rather than queued.
  size_t worker_threads = 4;
  size_t max_queued_blocking_calls = 1024;
  // What the AWS endpoint requires as the Authorization header. Empty: it refuses everyone.
  Secret aws_token;
  // PEM bundle of the CAs that upstream certificates must chain to; "" for the system's.
  std::string upstream_ca_file;
  // Bounds the wait for a caller's next request and reading it.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
  // Bounds each write to a caller or an upstream, so a peer that stops reading cannot pin
  // a connection.
  std::chrono::milliseconds write_timeout = std::chrono::seconds(60);
  // Bounds connecting to an upstream, TLS handshake included.
  std::chrono::milliseconds upstream_connect_timeout = std::chrono::seconds(10);
  // Bounds each wait for bytes from an upstream: its answer's head, and each gap in its
  // body (a stream of events may pause between events for this long).
  std::chrono::milliseconds upstream_read_timeout = std::chrono::minutes(5);
  // An idle upstream connection older than this is closed rather than reused, and at most
  // this many are kept per upstream and I/O thread.
  std::chrono::milliseconds upstream_keepalive_timeout = std::chrono::seconds(30);
  size_t max_idle_upstream_connections = 256;
  // Larger request or response heads (and trailers) are refused: 431 from a caller, 502
  // from an upstream.
  size_t max_header_bytes = 64 * 1024;
  // On Stop() or SIGINT/SIGTERM: how long requests already being served may take to end.
  std::chrono::milliseconds drain_timeout = std::chrono::seconds(10);
};

class LocalServer {
 public:
  // Binds and listens. `attestor`, `credentials`, `usage` and `clock` must outlive the
  // server. Errors: invalid_config (listen_address_invalid, listen_address_not_loopback,
  // listen_missing, socket_path_taken, upstream_ca_invalid), server_error (listen_failed).
  static Result<std::unique_ptr<LocalServer>> Start(LocalServerOptions options,
                                                    CallerAttestor& attestor,
                                                    CredentialSource& credentials, UsageSink& usage,
                                                    const Clock& clock);
  // Removes the unix socket file.
  ~LocalServer();
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  // The TCP port listened on; 0 when there is no TCP listener.
  uint16_t port() const;
  // Serves until Stop() or SIGINT/SIGTERM, on the calling thread and io_threads - 1 more.
  // Either one drains: the listeners close at once, requests being served may finish (up
  // to drain_timeout), each on a connection that then closes, and Run() returns.
  void Run();
  void Stop();

 private:
  struct Impl;
  explicit LocalServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace signet::agent
