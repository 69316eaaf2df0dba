// The client against the project's own Server (http) and against `openssl s_server`
// (https), a third-party TLS server, with a certificate made for the test.
#include "http/client.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "http/server.h"
#include "support/signet_processes.h"
#include "support/status_matchers.h"

namespace signet::http {
namespace {

using std::chrono::milliseconds;
using testing::FailsWith;
using testing::IsOk;

class LocalServer {
 public:
  LocalServer() {
    Router router;
    router.Add("GET", "/jwks", [](const Request& r) {
      return Response::Json(200, R"({"keys":[],"query":")" + r.query + "\"}");
    });
    router.Add("POST", "/echo", [](const Request& r) {
      Response response = Response::Json(201, r.body);
      response.headers.emplace_back("X-Seen", std::string(r.Header("X-Test").value_or("")));
      return response;
    });
    router.Add("GET", "/big",
               [](const Request&) { return Response::Json(200, std::string(4096, 'x')); });
    router.AddAsync("GET", "/never", [this](const Request&, Responder respond) {
      parked_ = std::move(respond);  // answered only when the server stops
    });
    ServerOptions options;
    options.port = 0;
    server_ = std::move(Server::Start(options, std::move(router)).value());
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~LocalServer() {
    server_->Stop();
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
  Responder parked_;
};

TEST(HttpClientTest, GetsAndPosts) {
  LocalServer server;
  auto client = MakeHttpClient({});
  auto got = client->Send({"GET", server.url("/jwks?a=1"), {}, ""});
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->content_type, "application/json");
  EXPECT_EQ(got->body, R"({"keys":[],"query":"a=1"})");

  auto posted = client->Send({"POST", server.url("/echo"), {{"X-Test", "yes"}}, "payload"});
  ASSERT_THAT(posted, IsOk());
  EXPECT_EQ(posted->status, 201);
  EXPECT_EQ(posted->body, "payload");
  bool seen = false;
  for (const auto& [name, value] : posted->headers) {
    seen = seen || (name == "X-Seen" && value == "yes");
  }
  EXPECT_TRUE(seen);

  auto missing = client->Send({"GET", server.url("/nope"), {}, ""});
  ASSERT_THAT(missing, IsOk());  // an answer, even a 404, is not a transport failure
  EXPECT_EQ(missing->status, 404);
}

TEST(HttpClientTest, BoundsSizeAndTime) {
  LocalServer server;
  ClientOptions options;
  options.max_response_bytes = 1024;
  options.timeout = milliseconds(300);
  auto client = MakeHttpClient(options);
  EXPECT_THAT(client->Send({"GET", server.url("/big"), {}, ""}), FailsWith("response_too_large"));
  auto slow = client->Send({"GET", server.url("/never"), {}, ""});
  ASSERT_THAT(slow, FailsWith("fetch_timeout"));
  EXPECT_EQ(slow.status().code(), ErrorCode::kTemporarilyUnavailable);
}

TEST(HttpClientTest, TransportFailuresAndBadUrls) {
  auto client = MakeHttpClient({});
  int closed_port = signet::testing::FreeLoopbackPort();
  auto refused =
      client->Send({"GET", "http://127.0.0.1:" + std::to_string(closed_port) + "/", {}, ""});
  ASSERT_THAT(refused, FailsWith("fetch_failed"));
  EXPECT_NE(refused.status().message().find("127.0.0.1"), std::string::npos);
  EXPECT_THAT(client->Send({"GET", "ftp://127.0.0.1/", {}, ""}), FailsWith("url_invalid"));
  EXPECT_THAT(client->Send({"GET", "not a url", {}, ""}), FailsWith("url_invalid"));
}

// openssl s_server on a loopback port with a certificate for `san`.
class TlsServer {
 public:
  explicit TlsServer(const std::string& san) {
    cert_ = dir_.path() + "/cert.pem";
    std::string key = dir_.path() + "/key.pem";
    int code = -1;
    signet::testing::RunCommand(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
        "-subj /CN=test -addext subjectAltName=" +
            san + " -keyout " + key + " -out " + cert_ + " 2>&1",
        &code);
    EXPECT_EQ(code, 0);
    port_ = signet::testing::FreeLoopbackPort();
    server_ = std::make_unique<signet::testing::Subprocess>(
        std::vector<std::string>{"/usr/bin/openssl", "s_server", "-quiet", "-www", "-accept",
                                 "127.0.0.1:" + std::to_string(port_), "-cert", cert_, "-key", key},
        dir_.path() + "/s_server.log");
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/"; }
  const std::string& cert() const { return cert_; }

  // s_server takes a moment to listen; retry a bounded number of times.
  Result<ClientResponse> Send(HttpClient& client) const {
    Result<ClientResponse> answer = Status(ErrorCode::kServerError, "unset", "");
    for (int attempt = 0; attempt < 50; ++attempt) {
      answer = client.Send({"GET", url(), {}, ""});
      if (answer.ok() ||
          answer.status().message().find("Connection refused") == std::string::npos) {
        break;
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
    return answer;
  }

 private:
  signet::testing::TempDir dir_;
  signet::testing::ReadyPipe ready_;
  std::string cert_;
  int port_ = 0;
  std::unique_ptr<signet::testing::Subprocess> server_;
};

TEST(HttpClientTest, HttpsVerifiesTheChainAndTheHostName) {
  TlsServer server("IP:127.0.0.1");
  ClientOptions trusting;
  trusting.ca_file = server.cert();
  auto client = MakeHttpClient(trusting);
  auto ok = server.Send(*client);
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->status, 200);

  // The system's CAs do not know the test certificate.
  auto untrusted = server.Send(*MakeHttpClient({}));
  ASSERT_THAT(untrusted, FailsWith("fetch_failed"));
  EXPECT_NE(untrusted.status().message().find("TLS handshake"), std::string::npos);
}

TEST(HttpClientTest, HttpsRefusesACertificateForAnotherHost) {
  TlsServer server("DNS:other.example");
  ClientOptions trusting;
  trusting.ca_file = server.cert();
  EXPECT_THAT(server.Send(*MakeHttpClient(trusting)), FailsWith("fetch_failed"));
}

}  // namespace
}  // namespace signet::http
