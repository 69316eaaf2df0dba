// The upstream of bench/proxy_bench.sh: an HTTPS server that answers every request with
// one small fixed JSON body, keeping connections alive, and does as little else as it
// can, so that what the bench measures is the proxy in front of it and not this server.
// With --expect-authorization it answers 401 to any request whose Authorization header
// is not exactly that value: how the bench proves that a proxy injected the credential.
//
// A bench tool, not part of Signet: it talks Beast directly (no Router, no Request copy)
// because every microsecond it spends is charged to the core it shares with wrk.
#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Whole responses, serialised once at start-up: answering is one write of fixed bytes.
struct Answers {
  std::string ok;
  std::string unauthorized;
};

std::string Serialise(bhttp::status status, std::string body) {
  bhttp::response<bhttp::string_body> response(status, 11);
  response.set(bhttp::field::content_type, "application/json");
  response.body() = std::move(body);
  response.prepare_payload();
  std::ostringstream out;
  out << response;
  return out.str();
}

struct Settings {
  std::string expected_authorization;  // "" accepts any request
  Answers answers;
};

asio::awaitable<void> Serve(ssl::stream<tcp::socket> stream, const Settings& settings) {
  auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow);
  if (handshake_ec) {
    co_return;
  }
  boost::beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(1024 * 1024);
    auto [read_ec, read] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
    (void)read;
    if (read_ec) {
      break;
    }
    const auto& request = parser.get();
    bool authorized = settings.expected_authorization.empty() ||
                      request[bhttp::field::authorization] == settings.expected_authorization;
    const std::string& answer = authorized ? settings.answers.ok : settings.answers.unauthorized;
    auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(answer), kNoThrow);
    (void)written;
    if (write_ec || !request.keep_alive()) {
      break;
    }
  }
  boost::system::error_code ignored;
  stream.lowest_layer().shutdown(tcp::socket::shutdown_send, ignored);
}

// Accepts on the first I/O context and hands connections to all of them in turn: one
// context per thread, so no connection ever needs a strand or a lock.
asio::awaitable<void> Accept(tcp::acceptor& acceptor,
                             std::vector<std::unique_ptr<asio::io_context>>& contexts,
                             ssl::context& tls, const Settings& settings) {
  size_t next = 0;
  for (;;) {
    auto& context = *contexts[next];
    next = (next + 1) % contexts.size();
    auto [ec, socket] = co_await acceptor.async_accept(context, kNoThrow);
    if (ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(context, Serve(ssl::stream<tcp::socket>(std::move(socket), tls), settings),
                   asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "proxy_upstream: the HTTPS upstream of bench/proxy_bench.sh. Answers every request "
      "with a small fixed JSON body over keep-alive connections."};
  std::string cert_file;
  std::string key_file;
  std::string address = "127.0.0.1";
  uint16_t port = 0;
  int threads = 1;
  std::string ready_file;
  Settings settings;
  app.add_option("--cert", cert_file, "PEM certificate chain, leaf first")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--key", key_file, "PEM private key")->required()->check(CLI::ExistingFile);
  app.add_option("--address", address, "address to listen on (default 127.0.0.1)");
  app.add_option("--port", port, "port to listen on (default 0: any free port)");
  app.add_option("--threads", threads, "I/O threads (default 1)")->check(CLI::Range(1, 256));
  app.add_option("--expect-authorization", settings.expected_authorization,
                 "answer 401 unless the Authorization header is exactly this value");
  app.add_option("--ready-file", ready_file, "write the bound port to this file once listening");
  CLI11_PARSE(app, argc, argv);

  settings.answers.ok = Serialise(
      bhttp::status::ok,
      R"({"id":"msg_bench","type":"message","role":"assistant","content":[{"type":"text","text":"ok"}]})");
  settings.answers.unauthorized = Serialise(
      bhttp::status::unauthorized,
      R"({"error":"unauthorized","error_description":"not the expected Authorization header"})");

  ssl::context tls(ssl::context::tls_server);
  tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  tls.use_certificate_chain_file(cert_file);
  tls.use_private_key_file(key_file, ssl::context::pem);

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (int i = 0; i < threads; ++i) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
  }
  tcp::acceptor acceptor(*contexts[0], tcp::endpoint(asio::ip::make_address(address), port));
  asio::co_spawn(*contexts[0], Accept(acceptor, contexts, tls, settings), asio::detached);
  asio::signal_set signals(*contexts[0], SIGINT, SIGTERM);
  signals.async_wait([&contexts](const boost::system::error_code&, int) {
    for (auto& context : contexts) {
      context->stop();
    }
  });
  if (!ready_file.empty()) {
    std::ofstream(ready_file) << acceptor.local_endpoint().port() << "\n";
  }

  std::vector<std::thread> more;
  for (int i = 1; i < threads; ++i) {
    more.emplace_back([&context = *contexts[i]] {
      auto work = asio::make_work_guard(context);
      context.run();
    });
  }
  contexts[0]->run();
  for (auto& thread : more) {
    thread.join();
  }
  return 0;
}
