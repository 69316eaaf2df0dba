// The Beast/Asio half of http/server.h: one coroutine per connection, keep-alive,
// bounded header and body sizes, read and write timeouts, a cap on open connections.
// The only translation unit outside the proxy that includes Beast.
#include "http/server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <optional>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>

namespace signet::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Moves the body out of `in`; the rest is copied.
Request ToRequest(bhttp::request<bhttp::string_body>& in, const std::string& remote) {
  Request out;
  out.method = std::string(in.method_string());
  std::string_view target = in.target();
  size_t q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) {
    out.query = std::string(target.substr(q + 1));
  }
  for (const auto& field : in) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(in.body());
  out.remote_address = remote;
  return out;
}

bhttp::response<bhttp::string_body> ToBeast(Response&& in, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> out(static_cast<bhttp::status>(in.status), version);
  out.set(bhttp::field::server, "signet");
  out.set(bhttp::field::content_type, in.content_type);
  for (auto& [name, value] : in.headers) {
    out.set(name, value);
  }
  out.body() = std::move(in.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

Response ParseFailure(const beast::error_code& ec) {
  int status = ec == bhttp::error::body_limit ? 413 : ec == bhttp::error::header_limit ? 431 : 400;
  Response r = Response::Error(
      Status(ErrorCode::kInvalidRequest, "http_malformed", "malformed request: " + ec.message()));
  r.status = status;
  return r;
}

// TLS 1.2 and later, with the certificate chain and key from PEM files.
Result<ssl::context> MakeTlsContext(const TlsOptions& files) {
  ssl::context context(ssl::context::tls_server);
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                      ssl::context::single_dh_use);
  beast::error_code ec;
  context.use_certificate_chain_file(files.cert_file, ec);
  if (ec) {
    return Status(ErrorCode::kInvalidConfig, "tls_invalid",
                  "cannot load the TLS certificate chain " + files.cert_file + ": " + ec.message());
  }
  context.use_private_key_file(files.key_file, ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(context.native_handle()) != 1) {
    return Status(ErrorCode::kInvalidConfig, "tls_invalid",
                  "cannot load the TLS private key " + files.key_file +
                      ", or it does not match the certificate");
  }
  return context;
}

Response InternalError() {
  Response r = Response::Error(Status(ErrorCode::kServerError, "internal", "internal error"));
  r.close_connection = true;
  return r;
}

// The coroutine's half of a Responder: completes the awaiting coroutine exactly once, on
// the connection's executor, whichever thread answers. If the handler drops every copy
// of its Responder without answering, the destructor answers 500 so the client never
// hangs.
template <typename Handler>
class PendingResponse {
 public:
  PendingResponse(Handler handler, asio::any_io_executor executor)
      : handler_(std::move(handler)), executor_(std::move(executor)) {}
  PendingResponse(const PendingResponse&) = delete;
  PendingResponse& operator=(const PendingResponse&) = delete;
  ~PendingResponse() { Complete(InternalError()); }

  void Complete(Response response) {
    if (done_.exchange(true)) {
      return;
    }
    asio::post(executor_,
               [handler = std::move(handler_), response = std::move(response)]() mutable {
                 std::move(handler)(std::move(response));
               });
  }

 private:
  Handler handler_;
  asio::any_io_executor executor_;
  std::atomic<bool> done_{false};
};

// Holds one of the server's max_connections slots while a connection is open, however
// its coroutine ends (return, exception, or destruction with the io_context).
class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::atomic<size_t>* open) : open_(open) { ++*open_; }
  ConnectionSlot(ConnectionSlot&& other) noexcept : open_(std::exchange(other.open_, nullptr)) {}
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() { Release(); }

  void Release() {
    if (open_ != nullptr) {
      --*open_;
      open_ = nullptr;
    }
  }

 private:
  std::atomic<size_t>* open_;
};

// Counts one request from the end of its read to the end of its answer's write.
class InFlight {
 public:
  explicit InFlight(std::atomic<size_t>* count) : count_(count) { ++*count_; }
  ~InFlight() { --*count_; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::atomic<size_t>* count_;
};

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Router router;
  // Connections open now. Declared before `io` so that coroutine frames destroyed with
  // `io` can still release their slots.
  std::atomic<size_t> open_connections = 0;
  // Requests read and not yet fully answered; and whether the server is draining.
  std::atomic<size_t> in_flight = 0;
  std::atomic<bool> draining = false;
  asio::io_context io;
  std::optional<ssl::context> tls;  // set when serving HTTPS
  tcp::acceptor acceptor{io};
  asio::signal_set signals{io, SIGINT, SIGTERM};

  // One connection, plain (beast::tcp_stream) or TLS (beast::ssl_stream over one).
  template <typename Stream>
  asio::awaitable<void> Serve(Stream stream, ConnectionSlot slot, std::string remote) {
    auto& tcp_layer = beast::get_lowest_layer(stream);
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      tcp_layer.expires_after(options.idle_timeout);
      auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow);
      if (handshake_ec) {
        co_return;  // not TLS, or a version or cipher we refuse: nothing to answer
      }
    }
    beast::flat_buffer buffer;
    size_t largest_body = options.max_body_bytes;
    for (const auto& [path, limit] : options.max_body_bytes_by_path) {
      largest_body = std::max(largest_body, limit);
    }
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      // The head is read under the largest limit any path has (Beast checks a
      // Content-Length against the limit as the head ends), then held to its path's.
      parser.body_limit(largest_body);
      parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
      tcp_layer.expires_after(options.idle_timeout);
      auto [read_ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kNoThrow);
      (void)n;
      if (!read_ec) {
        std::string_view target = parser.get().target();
        auto larger = options.max_body_bytes_by_path.find(target.substr(0, target.find('?')));
        size_t limit = larger != options.max_body_bytes_by_path.end() ? larger->second
                                                                      : options.max_body_bytes;
        parser.body_limit(limit);  // chunked bodies are counted against it as they arrive
        if (parser.content_length() && *parser.content_length() > limit) {
          read_ec = bhttp::error::body_limit;
        } else if (!parser.is_done()) {
          std::tie(read_ec, n) = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
        }
      }
      if (read_ec == bhttp::error::end_of_stream || read_ec == asio::error::operation_aborted ||
          read_ec == beast::error::timeout || read_ec == asio::error::connection_reset ||
          read_ec == asio::error::eof) {
        break;
      }
      bool keep_alive = !read_ec && parser.get().keep_alive();
      InFlight busy(&in_flight);
      Response response;
      if (read_ec) {
        response = ParseFailure(read_ec);
      } else {
        Request request = ToRequest(parser.get(), remote);
        // Waits for the handler's answer without blocking the thread. Initiated here, not
        // in a nested awaitable<Response>: built with GCC 12 that version read a freed
        // executor once its frame ended (valgrind), so this keeps one coroutine per
        // connection.
        response = co_await asio::async_initiate<decltype(asio::use_awaitable), void(Response)>(
            [this](auto handler, const Request* request, asio::any_io_executor executor) {
              this->StartDispatch(std::move(handler), *request, std::move(executor));
            },
            asio::use_awaitable, &request, stream.get_executor());
        keep_alive = keep_alive && !response.close_connection;
      }
      // While draining, each answer is the connection's last.
      keep_alive = keep_alive && !draining.load();
      auto message = ToBeast(std::move(response), parser.get().version(), keep_alive);
      // A deadline of its own: the read's deadline may be nearly spent, and without one
      // a client that never reads would hold the connection until the read's ran out.
      tcp_layer.expires_after(options.write_timeout);
      auto [write_ec, written] = co_await bhttp::async_write(stream, message, kNoThrow);
      (void)written;
      if (write_ec || !keep_alive) {
        break;
      }
    }
    // Free the slot before the peer can see the connection end, so a client that waits
    // for the close and reconnects finds the slot free (both happen on this thread).
    slot.Release();
    beast::error_code ignored;
    tcp_layer.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  // Runs the router's handler for `request`; `handler` (the waiting coroutine) resumes
  // on `executor` once the handler answers, whichever thread that happens on.
  template <typename CompletionHandler>
  void StartDispatch(CompletionHandler handler, const Request& request,
                     asio::any_io_executor executor) {
    auto pending = std::make_shared<PendingResponse<CompletionHandler>>(std::move(handler),
                                                                        std::move(executor));
    try {
      router.Dispatch(request, [pending](Response r) { pending->Complete(std::move(r)); });
    } catch (...) {
      // Whatever the handler threw, its text may describe internals, so the client gets
      // a generic 500. There is no logger here (http/ stays free of one); a handler that
      // needs its failure logged catches and logs it itself. The connection closes after
      // the answer: the handler may have left shared state half-done, and closing makes
      // a well-behaved client start afresh.
      pending->Complete(InternalError());
    }
  }

  // Stops accepting, lets the requests in flight be answered (up to drain_timeout), then
  // stops the loop. Connections idle between requests are closed with it.
  void BeginDrain() {
    if (draining.exchange(true)) {
      return;
    }
    beast::error_code ignored;
    acceptor.close(ignored);
    asio::co_spawn(io, WaitForRequestsInFlight(), asio::detached);
  }

  asio::awaitable<void> WaitForRequestsInFlight() {
    asio::steady_timer tick(io);
    MonotonicTime deadline = options.clock->MonotonicNow() + options.drain_timeout;
    // A short poll: answers complete on any thread, and waking once per answer would
    // cost every request; a drain happens once per process.
    while (in_flight.load() > 0 && options.clock->MonotonicNow() < deadline) {
      tick.expires_after(std::chrono::milliseconds(5));
      co_await tick.async_wait(kNoThrow);
    }
    io.stop();
  }

  asio::awaitable<void> Accept() {
    asio::steady_timer backoff(io);
    for (;;) {
      // Each connection gets a strand: its coroutine may resume on any of the threads,
      // never on two at once.
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), kNoThrow);
      if (ec == asio::error::operation_aborted) {
        co_return;
      }
      if (ec) {
        // e.g. EMFILE/ENFILE: the pending connection stays in the backlog, so an
        // immediate retry fails again and spins. Keep serving the connections we have
        // and retry once some of them may have closed.
        backoff.expires_after(std::chrono::milliseconds(100));
        auto [wait_ec] = co_await backoff.async_wait(kNoThrow);
        if (wait_ec == asio::error::operation_aborted) {
          co_return;
        }
        continue;
      }
      if (open_connections >= options.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
        continue;
      }
      auto executor = socket.get_executor();
      beast::error_code peer_ec;
      tcp::endpoint peer = socket.remote_endpoint(peer_ec);
      std::string remote = peer_ec ? "" : peer.address().to_string();
      beast::tcp_stream stream(std::move(socket));
      ConnectionSlot slot(&open_connections);
      if (tls) {
        asio::co_spawn(executor,
                       Serve(beast::ssl_stream<beast::tcp_stream>(std::move(stream), *tls),
                             std::move(slot), std::move(remote)),
                       asio::detached);
      } else {
        asio::co_spawn(executor, Serve(std::move(stream), std::move(slot), std::move(remote)),
                       asio::detached);
      }
    }
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, Router router) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->router = std::move(router);
  beast::error_code ec;
  auto address = asio::ip::make_address(impl->options.address, ec);
  if (ec) {
    return Status(ErrorCode::kInvalidConfig, "listen_address_invalid",
                  "cannot parse listen address " + impl->options.address);
  }
  if (impl->options.tls) {
    SIGNET_ASSIGN_OR_RETURN(impl->tls, MakeTlsContext(*impl->options.tls));
  }
  tcp::endpoint endpoint(address, impl->options.port);
  if (impl->acceptor.open(endpoint.protocol(), ec);
      !ec && (impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec), !ec) &&
      (impl->acceptor.bind(endpoint, ec), !ec)) {
    impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Status(ErrorCode::kServerError, "listen_failed",
                  "cannot listen on " + impl->options.address + ":" +
                      std::to_string(impl->options.port) + ": " + ec.message());
  }
  asio::co_spawn(impl->io, impl->Accept(), asio::detached);
  impl->signals.async_wait([raw = impl.get()](const beast::error_code& error, int) {
    if (!error) {
      raw->BeginDrain();
    }
  });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::Run() {
  std::vector<std::thread> more;
  for (int i = 1; i < impl_->options.threads; ++i) {
    more.emplace_back([this] { impl_->io.run(); });
  }
  impl_->io.run();
  for (auto& thread : more) {
    thread.join();
  }
}

void Server::Stop() {
  asio::post(impl_->io, [raw = impl_.get()] { raw->BeginDrain(); });
}

}  // namespace signet::http
