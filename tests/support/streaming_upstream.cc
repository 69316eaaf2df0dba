// One thread per connection, blocking Beast calls: simple, and the handler of /events can
// wait on the test's signal without holding up other connections.
#include "support/streaming_upstream.h"

#include <strings.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "support/https_stand_in.h"

namespace signet::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = ssl::stream<tcp::socket>;

constexpr size_t kBodyKept = 1024 * 1024;
constexpr auto kReleaseWait = std::chrono::seconds(20);

std::string Chunk(std::string_view data) {
  char size[20];
  int n = snprintf(size, sizeof(size), "%zx\r\n", data.size());
  return std::string(size, static_cast<size_t>(n)) + std::string(data) + "\r\n";
}

std::string Fixed(std::string_view status_line, std::string_view extra_fields,
                  std::string_view body) {
  return "HTTP/1.1 " + std::string(status_line) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + std::string(extra_fields) + "\r\n" + std::string(body);
}

}  // namespace

std::optional<std::string> StreamingUpstream::Received::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return std::nullopt;
}

struct StreamingUpstream::Impl {
  std::string cert;
  asio::io_context io;
  ssl::context tls{ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::thread accepting;

  mutable std::mutex mu;
  mutable std::condition_variable changed;
  std::vector<Received> requests;    // guarded by mu
  int connections = 0;               // guarded by mu
  uint64_t body_bytes_now = 0;       // guarded by mu: of the body being read
  bool released = false;             // guarded by mu
  std::vector<std::thread> serving;  // guarded by mu
  std::vector<int> open_sockets;     // guarded by mu

  void Accept() {
    for (;;) {
      tcp::socket socket(io);
      beast::error_code ec;
      acceptor.accept(socket, ec);
      if (ec) {
        return;  // shut down by the destructor
      }
      std::lock_guard lock(mu);
      ++connections;
      open_sockets.push_back(socket.native_handle());
      serving.emplace_back(
          [this, socket = std::move(socket)]() mutable { Serve(std::move(socket)); });
    }
  }

  void Serve(tcp::socket socket) {
    int fd = socket.native_handle();
    TlsStream stream(std::move(socket), tls);
    Converse(stream);
    // Forgotten before it closes, so that the destructor never shuts down a reused fd.
    std::lock_guard lock(mu);
    std::erase(open_sockets, fd);
  }

  void Converse(TlsStream& stream) {
    beast::error_code ec;
    stream.handshake(ssl::stream_base::server, ec);
    beast::flat_buffer buffer;
    while (!ec) {
      bhttp::request_parser<bhttp::buffer_body> parser;
      parser.body_limit(boost::none);
      bhttp::read_header(stream, buffer, parser, ec);
      if (ec) {
        return;
      }
      Received received;
      received.method = std::string(parser.get().method_string());
      received.target = std::string(parser.get().target());
      for (const auto& field : parser.get()) {
        received.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      if (!ReadBody(stream, buffer, parser, received)) {
        return;
      }
      size_t index = 0;
      for (const auto& field : parser.get()) {
        if (index++ >= received.headers.size()) {
          received.trailers.emplace_back(std::string(field.name_string()),
                                         std::string(field.value()));
        }
      }
      std::string target = received.target;
      uint64_t body_bytes = received.body_bytes;
      {
        std::lock_guard lock(mu);
        requests.push_back(std::move(received));
      }
      changed.notify_all();
      ec = Answer(stream, target, body_bytes);
    }
  }

  bool ReadBody(TlsStream& stream, beast::flat_buffer& buffer,
                bhttp::request_parser<bhttp::buffer_body>& parser, Received& received) {
    {
      std::lock_guard lock(mu);
      body_bytes_now = 0;
    }
    std::vector<char> piece(64 * 1024);
    while (!parser.is_done()) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      beast::error_code ec;
      bhttp::read_some(stream, buffer, parser, ec);
      if (ec && ec != bhttp::error::need_buffer) {
        return false;
      }
      size_t n = piece.size() - parser.get().body().size;
      for (size_t i = 0; i < n; ++i) {
        received.body_is_pattern =
            received.body_is_pattern && piece[i] == PatternByte(received.body_bytes + i);
      }
      size_t kept = std::min(n, kBodyKept - std::min(kBodyKept, received.body.size()));
      received.body.append(piece.data(), kept);
      received.body_bytes += n;
      {
        std::lock_guard lock(mu);
        body_bytes_now = received.body_bytes;
      }
      changed.notify_all();
    }
    return true;
  }

  bool WaitForRelease() {
    std::unique_lock lock(mu);
    return changed.wait_for(lock, kReleaseWait, [this] { return released; });
  }

  beast::error_code Answer(TlsStream& stream, const std::string& target, uint64_t body_bytes) {
    beast::error_code ec;
    auto send = [&](std::string_view bytes) {
      if (!ec) {
        asio::write(stream, asio::buffer(bytes), ec);
      }
    };
    std::string path = target.substr(0, target.find('?'));
    size_t status_at = path.find("/status/");
    if (path.ends_with("/hop")) {
      send(Fixed("201 Created",
                 "X-Upstream: yes\r\nKeep-Alive: timeout=5\r\nConnection: X-Hop\r\n"
                 "X-Hop: secret\r\nProxy-Authenticate: Basic\r\n",
                 R"({"created":true})"));
    } else if (status_at != std::string::npos) {
      std::string code = path.substr(status_at + 8);
      send(Fixed(code + " Custom", "", R"({"status":)" + code + "}"));
    } else if (path.ends_with("/trailers")) {
      send(
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
          "Trailer: X-Checksum\r\n\r\n" +
          Chunk("part1") + Chunk("part2") + "0\r\nX-Checksum: abc\r\n\r\n");
    } else if (path.ends_with("/events")) {
      send(
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
          "Transfer-Encoding: chunked\r\n\r\n" +
          Chunk("event: one\ndata: 1\n\n"));
      send(Chunk(WaitForRelease() ? "event: two\ndata: 2\n\n"
                                  : "event: timeout\ndata: never released\n\n") +
           "0\r\n\r\n");
    } else if (path.ends_with("/hold")) {
      WaitForRelease();
      send(Fixed("200 OK", "", R"({"held":true})"));
    } else {
      send(Fixed("200 OK", "", R"({"received":)" + std::to_string(body_bytes) + "}"));
    }
    return ec;
  }
};

StreamingUpstream::StreamingUpstream(const std::string& dir, const std::string& name)
    : impl_(std::make_unique<Impl>()) {
  TestCertificate made = MakeTestCertificate(dir, name);
  impl_->cert = made.cert;
  impl_->tls.use_certificate_chain_file(made.cert);
  impl_->tls.use_private_key_file(made.key, ssl::context::pem);
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->accepting = std::thread([this] { impl_->Accept(); });
}

StreamingUpstream::~StreamingUpstream() {
  // Wakes the blocked accept and every blocked read.
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  impl_->accepting.join();
  std::vector<std::thread> serving;
  {
    std::lock_guard lock(impl_->mu);
    impl_->released = true;
    for (int fd : impl_->open_sockets) {
      ::shutdown(fd, SHUT_RDWR);
    }
    serving = std::move(impl_->serving);
  }
  impl_->changed.notify_all();
  for (auto& thread : serving) {
    thread.join();
  }
}

const std::string& StreamingUpstream::cert() const { return impl_->cert; }

uint16_t StreamingUpstream::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string StreamingUpstream::base_url() const {
  return "https://127.0.0.1:" + std::to_string(port());
}

std::vector<StreamingUpstream::Received> StreamingUpstream::Requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

int StreamingUpstream::Connections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connections;
}

bool StreamingUpstream::WaitForBodyBytes(uint64_t bytes, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->changed.wait_for(lock, timeout, [&] { return impl_->body_bytes_now >= bytes; });
}

void StreamingUpstream::Release() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->released = true;
  }
  impl_->changed.notify_all();
}

}  // namespace signet::testing
