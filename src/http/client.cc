// The Beast/Asio half of http/client.h: each Send runs its own io_context, so calls from
// several threads share nothing but the immutable TLS context.
#include "http/client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <optional>

#include "common/url.h"

namespace signet::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

Status Failed(const std::string& host, const std::string& what, const beast::error_code& ec) {
  if (ec == beast::error::timeout) {
    return Status(ErrorCode::kTemporarilyUnavailable, "fetch_timeout",
                  "request to " + host + " timed out (" + what + ")");
  }
  if (ec == bhttp::error::body_limit || ec == bhttp::error::buffer_overflow) {
    return Status(ErrorCode::kTemporarilyUnavailable, "response_too_large",
                  "the answer from " + host + " is too large");
  }
  return Status(ErrorCode::kTemporarilyUnavailable, "fetch_failed",
                "request to " + host + " failed: " + what + ": " + ec.message());
}

class BeastClient final : public HttpClient {
 public:
  explicit BeastClient(ClientOptions options)
      : options_(std::move(options)), tls_(ssl::context::tls_client) {
    tls_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    tls_.set_verify_mode(ssl::verify_peer);
    beast::error_code ec;
    if (options_.ca_file.empty()) {
      tls_.set_default_verify_paths(ec);
    } else {
      tls_.load_verify_file(options_.ca_file, ec);
    }
    tls_error_ = ec ? "cannot load CA certificates: " + ec.message() : "";
  }

  Result<ClientResponse> Send(const ClientRequest& request) override {
    SIGNET_ASSIGN_OR_RETURN(HttpUrl url, ParseHttpUrl(request.url));
    if (url.https && !tls_error_.empty()) {
      return Status(ErrorCode::kTemporarilyUnavailable, "fetch_failed", tls_error_);
    }
    asio::io_context io;
    // Result has no default value, which co_spawn's own result passing needs.
    std::optional<Result<ClientResponse>> result;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { result = co_await Exchange(io, url, request); },
        asio::detached);
    io.run();
    if (!result) {
      return Status(ErrorCode::kTemporarilyUnavailable, "fetch_failed",
                    "request to " + url.host + " ended without an answer");
    }
    return std::move(*result);
  }

 private:
  template <typename Stream>
  asio::awaitable<Result<ClientResponse>> Talk(Stream& stream, const HttpUrl& url,
                                               const ClientRequest& request) {
    std::string target = url.path.empty() ? "/" : url.path;
    if (auto q = request.url.find('?'); q != std::string::npos) {
      target += request.url.substr(q, request.url.find('#', q) - q);
    }
    bhttp::request<bhttp::string_body> out(bhttp::string_to_verb(request.method), target, 11);
    out.set(bhttp::field::host, url.host);
    out.set(bhttp::field::user_agent, "signet");
    for (const auto& [name, value] : request.headers) {
      out.set(name, value);
    }
    out.body() = request.body;
    out.prepare_payload();
    auto [write_ec, written] = co_await bhttp::async_write(stream, out, kNoThrow);
    (void)written;
    if (write_ec) {
      co_return Failed(url.host, "sending the request", write_ec);
    }
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_response_bytes);
    auto [read_ec, read] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
    (void)read;
    if (read_ec) {
      co_return Failed(url.host, "reading the answer", read_ec);
    }
    ClientResponse response;
    auto& in = parser.get();
    response.status = static_cast<int>(in.result_int());
    for (const auto& field : in) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.content_type = std::string(in[bhttp::field::content_type]);
    response.body = std::move(in.body());
    co_return response;
  }

  asio::awaitable<Result<ClientResponse>> Exchange(asio::io_context& io, HttpUrl url,
                                                   ClientRequest request) {
    std::string host = url.host;
    if (host.starts_with('[')) {
      host = host.substr(1, host.size() - 2);
    }
    beast::tcp_stream tcp_stream(io);
    tcp_stream.expires_after(options_.timeout);
    tcp::resolver resolver(io);
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(host, std::to_string(url.port), kNoThrow);
    if (resolve_ec) {
      co_return Failed(url.host, "resolving the host", resolve_ec);
    }
    auto [connect_ec, endpoint] = co_await tcp_stream.async_connect(endpoints, kNoThrow);
    (void)endpoint;
    if (connect_ec) {
      co_return Failed(url.host, "connecting", connect_ec);
    }
    if (!url.https) {
      co_return co_await Talk(tcp_stream, url, request);
    }
    beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(tcp_stream), tls_);
    if (!SSL_set_tlsext_host_name(tls_stream.native_handle(), host.c_str())) {
      co_return Status(ErrorCode::kTemporarilyUnavailable, "fetch_failed",
                       "cannot set the TLS server name for " + url.host);
    }
    tls_stream.set_verify_callback(ssl::host_name_verification(host));
    auto [handshake_ec] = co_await tls_stream.async_handshake(ssl::stream_base::client, kNoThrow);
    if (handshake_ec) {
      co_return Failed(url.host, "TLS handshake (is the certificate valid for this host?)",
                       handshake_ec);
    }
    co_return co_await Talk(tls_stream, url, request);
  }

  ClientOptions options_;
  ssl::context tls_;
  std::string tls_error_;
};

}  // namespace

std::unique_ptr<HttpClient> MakeHttpClient(ClientOptions options) {
  return std::make_unique<BeastClient>(std::move(options));
}

}  // namespace signet::http
