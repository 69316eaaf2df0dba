// The client against the project's own Server (http) and against `openssl s_server`
// (https), a third-party TLS server, with a certificate made for the test.
#include "http/client.h"

#include <gtest/gtest.h>

#include <future>
#include <optional>
#include <thread>

#include "http/server.h"
#include "support/signet_processes.h"
#include "support/status_matchers.h"

namespace signet::http {
namespace {

using std::chrono::milliseconds;
using testing::FailsWith;
using testing::IsOk;

// A self-signed certificate and key for `san`, made by the openssl command line.
struct TestCertificate {
  explicit TestCertificate(const std::string& san) {
    int code = -1;
    signet::testing::RunCommand(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
        "-subj /CN=test -addext subjectAltName=" +
            san + " -keyout " + key + " -out " + cert + " 2>&1",
        &code);
    EXPECT_EQ(code, 0);
  }
  signet::testing::TempDir dir;
  std::string cert = dir.path() + "/cert.pem";
  std::string key = dir.path() + "/key.pem";
};

class LocalServer {
 public:
  explicit LocalServer(std::optional<TlsOptions> tls = std::nullopt) {
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
    options.tls = std::move(tls);
    server_ = std::move(Server::Start(options, std::move(router)).value());
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~LocalServer() {
    server_->Stop();
    thread_.join();
  }
  std::string url(const std::string& path, const char* scheme = "http") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(server_->port()) + path;
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
  explicit TlsServer(const std::string& san) : certificate_(san) {
    port_ = signet::testing::FreeLoopbackPort();
    // s_server prints ACCEPT once it listens; that line goes to the ready pipe.
    std::string command = "openssl s_server -www -accept 127.0.0.1:" + std::to_string(port_) +
                          " -cert " + certificate_.cert + " -key " + certificate_.key +
                          " | (grep -m1 ACCEPT > " + ready_.path() + "; cat > /dev/null)";
    server_ = std::make_unique<signet::testing::Subprocess>(
        std::vector<std::string>{"/bin/sh", "-c", command}, dir_.path() + "/s_server.log");
    EXPECT_EQ(ready_.ReadLine(milliseconds(10000)), "ACCEPT");
  }
  ~TlsServer() {
    // Killing the shell leaves its pipeline running: stop s_server by its command line,
    // which names this test's own port.
    signet::testing::RunCommand("pkill -f 'accept 127.0.0.1:" + std::to_string(port_) + " '");
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/"; }
  const std::string& cert() const { return certificate_.cert; }
  Result<ClientResponse> Send(HttpClient& client) const {
    return client.Send({"GET", url(), {}, ""});
  }

 private:
  signet::testing::TempDir dir_;
  signet::testing::ReadyPipe ready_;
  TestCertificate certificate_;
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

TEST(HttpClientTest, TheServerSpeaksHttpsToTheClient) {
  TestCertificate certificate("IP:127.0.0.1");
  LocalServer server(TlsOptions{certificate.cert, certificate.key});
  ClientOptions trusting;
  trusting.ca_file = certificate.cert;
  auto got = MakeHttpClient(trusting)->Send({"GET", server.url("/jwks", "https"), {}, ""});
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->status, 200);
  // Plain HTTP to the TLS port gets no answer.
  EXPECT_THAT(MakeHttpClient({})->Send({"GET", server.url("/jwks"), {}, ""}),
              FailsWith("fetch_failed"));
}

TEST(HttpClientTest, ServerRefusesTlsFilesThatDoNotLoadOrMatch) {
  TestCertificate one("IP:127.0.0.1");
  TestCertificate other("IP:127.0.0.1");
  ServerOptions options;
  options.port = 0;
  options.tls = TlsOptions{one.cert, other.key};
  EXPECT_THAT(Server::Start(options, Router()), FailsWith("tls_invalid"));
  options.tls = TlsOptions{one.dir.path() + "/missing.pem", one.key};
  auto missing = Server::Start(options, Router());
  ASSERT_THAT(missing, FailsWith("tls_invalid"));
  EXPECT_NE(missing.status().message().find("missing.pem"), std::string::npos);
}

}  // namespace
}  // namespace signet::http
