// The proxy's upstreams and the connections to them, private to the local server (Beast
// types: include only from src/agent's server files).
//
// One UpstreamPool per I/O thread: its connections are used only by that thread's
// connections, so it takes no lock. Connections are TLS (the agent forwards credentials
// only over TLS), verify the certificate and host name, send SNI, resume the last TLS
// session to the same upstream, and are kept for reuse while the upstream keeps them alive.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/watchdog.h"
#include "common/clock.h"
#include "common/status.h"

namespace signet::agent {

using UpstreamStream = boost::beast::ssl_stream<boost::asio::ip::tcp::socket>;

struct UpstreamConnection {
  UpstreamConnection(boost::asio::io_context& io, boost::asio::ssl::context& tls)
      : stream(io, tls) {}
  UpstreamStream stream;
  boost::beast::flat_buffer buffer;  // bytes read from the upstream and not yet parsed
  MonotonicTime idle_since;
  bool reused = false;  // served an earlier request (the upstream may since have closed it)
};

// A destination's base URL, parsed once, and what is kept for it.
struct Upstream {
  std::string label;         // "host:port", for messages
  std::string host_header;   // the Host header: the URL's host, with ":port" unless 443
  std::string base_path;     // the URL's path without a trailing '/': "" or "/v1"
  std::string connect_host;  // the host without IPv6 brackets
  uint16_t port = 443;
  bool ip_literal = false;  // no SNI, and the certificate must name the address
  // LIFO, so the oldest (the first to expire) are at the front.
  std::vector<std::unique_ptr<UpstreamConnection>> idle;
  SSL_SESSION* session = nullptr;  // the newest session the upstream handed out, owned
};

struct UpstreamPoolOptions {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds keepalive_timeout{30000};
  size_t max_idle = 256;
};

// The TLS client context every pool shares: TLS 1.2 and later, peer verification against
// `ca_file` (or the system's CAs when empty), and client-side session caching into the
// Upstream a connection belongs to. Error: invalid_config upstream_ca_invalid.
Result<std::unique_ptr<boost::asio::ssl::context>> MakeUpstreamTlsContext(
    const std::string& ca_file);

class UpstreamPool {
 public:
  // `io`, `tls` and `clock` must outlive the pool.
  UpstreamPool(boost::asio::io_context& io, boost::asio::ssl::context& tls, const Clock& clock,
               UpstreamPoolOptions options);
  ~UpstreamPool();
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // The upstream for a destination's URL, parsed the first time it is seen. Errors
  // (invalid_request upstream_url_invalid): not an https URL.
  Result<Upstream*> Find(std::string_view url);

  // An idle connection to `upstream` that is still open and young enough; null when there
  // is none (then Connect).
  std::unique_ptr<UpstreamConnection> TakeIdle(Upstream& upstream);

  // A new connection to `upstream`, connected (TLS handshake included) within the connect
  // timeout that `watchdog` enforces. Errors (temporarily_unavailable upstream_unreachable
  // or upstream_tls_failed) name the upstream and what failed.
  boost::asio::awaitable<Result<std::unique_ptr<UpstreamConnection>>> Connect(Upstream& upstream,
                                                                              Watchdog& watchdog);

  // Keeps `connection` for reuse. REQUIRES: its last answer was read to the end and the
  // upstream did not ask to close it.
  void Release(Upstream& upstream, std::unique_ptr<UpstreamConnection> connection);

 private:
  boost::asio::io_context& io_;
  boost::asio::ssl::context& tls_;
  const Clock& clock_;
  const UpstreamPoolOptions options_;
  std::map<std::string, std::unique_ptr<Upstream>, std::less<>> upstreams_;  // by URL
};

}  // namespace signet::agent
