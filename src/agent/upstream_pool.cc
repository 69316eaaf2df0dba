#include "agent/upstream_pool.h"

#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <cerrno>
#include <utility>

#include "agent/asio_names.h"
#include "common/url.h"

namespace signet::agent {
namespace {

// Where a TLS connection keeps the Upstream it belongs to, so that the session callback
// can store the session there.
int UpstreamSlot() {
  static const int slot = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return slot;
}

// Called by OpenSSL when an upstream hands out a session (with TLS 1.3, after the
// handshake, while an answer is read): the next connection to that upstream resumes it,
// saving the handshake's signature checks and a round trip.
int KeepNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* upstream = static_cast<Upstream*>(SSL_get_ex_data(ssl, UpstreamSlot()));
  if (upstream == nullptr) {
    return 0;  // OpenSSL keeps ownership
  }
  SSL_SESSION_free(upstream->session);
  upstream->session = session;
  return 1;  // ours now
}

Status Unreachable(const Upstream& upstream, std::string_view what, const beast::error_code& ec,
                   const Watchdog& watchdog) {
  std::string reason = watchdog.fired() ? "timed out" : ec.message();
  return Status(
      ErrorCode::kTemporarilyUnavailable, "upstream_unreachable",
      "cannot reach the upstream " + upstream.label + ": " + std::string(what) + ": " + reason);
}

Status TlsFailed(const Upstream& upstream, SSL* ssl, const beast::error_code& ec,
                 const Watchdog& watchdog) {
  long verify = SSL_get_verify_result(ssl);
  std::string why = verify != X509_V_OK ? std::string("its certificate is not trusted: ") +
                                              X509_verify_cert_error_string(verify)
                                        : (watchdog.fired() ? "timed out" : ec.message());
  return Status(ErrorCode::kTemporarilyUnavailable, "upstream_tls_failed",
                "TLS handshake with the upstream " + upstream.label + " failed: " + why);
}

// Idle for less than this, a connection is reused without the peek below: upstreams close
// idle connections after seconds (Node.js after 5, nginx after 75), and a busy proxy would
// otherwise pay a system call per request for a check that is almost never false.
constexpr std::chrono::seconds kFresh(1);

// Whether the upstream has neither closed `connection` nor sent anything on it since its
// last answer: one non-blocking peek, so a connection the upstream dropped while idle is
// not handed a request it would lose.
bool StillOpen(UpstreamConnection& connection) {
  char byte;
  int fd = beast::get_lowest_layer(connection.stream).native_handle();
  ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// Sets what the handshake checks: the name (or address) the certificate must carry, and
// the name sent in SNI (never an address: RFC 6066 §3).
bool SetPeerName(SSL* ssl, const Upstream& upstream) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (upstream.ip_literal) {
    return X509_VERIFY_PARAM_set1_ip_asc(param, upstream.connect_host.c_str()) == 1;
  }
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return X509_VERIFY_PARAM_set1_host(param, upstream.connect_host.c_str(), 0) == 1 &&
         SSL_set_tlsext_host_name(ssl, upstream.connect_host.c_str()) == 1;
}

}  // namespace

Result<std::unique_ptr<ssl::context>> MakeUpstreamTlsContext(const std::string& ca_file) {
  auto tls = std::make_unique<ssl::context>(ssl::context::tls_client);
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  tls->set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  if (ca_file.empty()) {
    tls->set_default_verify_paths(ec);
  } else {
    tls->load_verify_file(ca_file, ec);
  }
  if (ec) {
    return Status(ErrorCode::kInvalidConfig, "upstream_ca_invalid",
                  "cannot load the upstream CA certificates" +
                      (ca_file.empty() ? std::string() : " from " + ca_file) + ": " + ec.message());
  }
  SSL_CTX* native = tls->native_handle();
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(native, KeepNewSession);
  return tls;
}

UpstreamPool::UpstreamPool(asio::io_context& io, ssl::context& tls, const Clock& clock,
                           UpstreamPoolOptions options)
    : io_(io), tls_(tls), clock_(clock), options_(options) {}

UpstreamPool::~UpstreamPool() {
  for (auto& [url, upstream] : upstreams_) {
    // Connections first: a session callback during their teardown must find the upstream.
    upstream->idle.clear();
    SSL_SESSION_free(upstream->session);
  }
}

Result<Upstream*> UpstreamPool::Find(std::string_view url) {
  if (auto found = upstreams_.find(url); found != upstreams_.end()) {
    return found->second.get();
  }
  SIGNET_ASSIGN_OR_RETURN(HttpUrl parsed, ParseHttpUrl(url));
  if (!parsed.https || url.find('?') != std::string_view::npos) {
    return Status(ErrorCode::kInvalidRequest, "upstream_url_invalid",
                  "the destination's url " + std::string(url.substr(0, 200)) +
                      " cannot be proxied: the agent forwards only to an https URL without a "
                      "query");
  }
  auto upstream = std::make_unique<Upstream>();
  upstream->port = parsed.port;
  upstream->label = parsed.host + ":" + std::to_string(parsed.port);
  upstream->host_header = parsed.port == 443 ? parsed.host : upstream->label;
  upstream->base_path = parsed.path;
  if (upstream->base_path.ends_with('/')) {
    upstream->base_path.pop_back();
  }
  upstream->connect_host = parsed.host;
  if (parsed.host.starts_with('[')) {
    upstream->connect_host = parsed.host.substr(1, parsed.host.size() - 2);
  }
  beast::error_code not_ip;
  asio::ip::make_address(upstream->connect_host, not_ip);
  upstream->ip_literal = !not_ip;
  Upstream* raw = upstream.get();
  upstreams_.emplace(std::string(url), std::move(upstream));
  return raw;
}

std::unique_ptr<UpstreamConnection> UpstreamPool::TakeIdle(Upstream& upstream) {
  MonotonicTime now = clock_.MonotonicNow();
  while (!upstream.idle.empty()) {
    std::unique_ptr<UpstreamConnection> connection = std::move(upstream.idle.back());
    upstream.idle.pop_back();
    auto idle = now - connection->idle_since;
    if (idle < options_.keepalive_timeout && (idle < kFresh || StillOpen(*connection))) {
      connection->reused = true;
      return connection;
    }
  }
  return nullptr;
}

void UpstreamPool::Release(Upstream& upstream, std::unique_ptr<UpstreamConnection> connection) {
  MonotonicTime now = clock_.MonotonicNow();
  auto& idle = upstream.idle;
  size_t expired = 0;
  while (expired < idle.size() && now - idle[expired]->idle_since >= options_.keepalive_timeout) {
    ++expired;
  }
  idle.erase(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(expired));
  if (idle.size() >= options_.max_idle || connection->buffer.size() != 0) {
    return;
  }
  connection->idle_since = now;
  idle.push_back(std::move(connection));
}

asio::awaitable<Result<std::unique_ptr<UpstreamConnection>>> UpstreamPool::Connect(
    Upstream& upstream, Watchdog& watchdog) {
  auto connection = std::make_unique<UpstreamConnection>(io_, tls_);
  tcp::socket& socket = beast::get_lowest_layer(connection->stream);
  watchdog.Arm(options_.connect_timeout);
  watchdog.Watch(&socket);
  beast::error_code ec;
  if (upstream.ip_literal) {
    tcp::endpoint endpoint(asio::ip::make_address(upstream.connect_host), upstream.port);
    std::tie(ec) = co_await socket.async_connect(endpoint, kNoThrow);
  } else {
    tcp::resolver resolver(io_);
    std::string port = std::to_string(upstream.port);
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(upstream.connect_host, port, kNoThrow);
    if (resolve_ec) {
      co_return Unreachable(upstream, "resolving its host", resolve_ec, watchdog);
    }
    tcp::endpoint connected;
    std::tie(ec, connected) = co_await asio::async_connect(socket, endpoints, kNoThrow);
  }
  if (ec) {
    co_return Unreachable(upstream, "connecting", ec, watchdog);
  }
  socket.set_option(tcp::no_delay(true), ec);
  SSL* ssl = connection->stream.native_handle();
  if (!SetPeerName(ssl, upstream) || SSL_set_ex_data(ssl, UpstreamSlot(), &upstream) != 1 ||
      (upstream.session != nullptr && SSL_set_session(ssl, upstream.session) != 1)) {
    co_return Status(ErrorCode::kTemporarilyUnavailable, "upstream_tls_failed",
                     "cannot set up TLS for the upstream " + upstream.label);
  }
  std::tie(ec) = co_await connection->stream.async_handshake(ssl::stream_base::client, kNoThrow);
  if (ec) {
    co_return TlsFailed(upstream, ssl, ec, watchdog);
  }
  co_return connection;
}

}  // namespace signet::agent
