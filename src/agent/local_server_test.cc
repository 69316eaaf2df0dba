// The local server over real sockets (TCP and unix), with a real HTTPS upstream that
// streams and records what it received; attestation, the credential source and the usage
// sink are the seams of agent/edge.h, replaced here.
#include "agent/local_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <strings.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "common/json.h"
#include "support/raw_http_client.h"
#include "support/status_matchers.h"
#include "support/streaming_upstream.h"
#include "support/temp_dir.h"

namespace signet::agent {
namespace {

using ::signet::testing::IsOk;
using ::signet::testing::PatternByte;
using ::signet::testing::RawConnection;
using ::signet::testing::RawResponse;
using ::signet::testing::StreamingUpstream;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

constexpr std::string_view kAwsToken = "aws-token-for-tests";
const SystemTime kExpiry = FromUnixSeconds(4'000'000'000);

class FakeAttestor final : public CallerAttestor {
 public:
  Result<ProcessSelectors> Attest(const CallerConnection& connection) override {
    std::lock_guard lock(mu_);
    connections_.push_back(connection);
    if (!refusal_.ok()) {
      return refusal_;
    }
    ProcessSelectors selectors;
    selectors.pid = 4242;
    selectors.uid = "1000";
    selectors.gid = "1000";
    selectors.exe = "/usr/bin/node";
    selectors.sha256 = std::string(64, 'a');
    return selectors;
  }
  void Refuse(Status refusal) {
    std::lock_guard lock(mu_);
    refusal_ = std::move(refusal);
  }
  std::vector<CallerConnection> connections() {
    std::lock_guard lock(mu_);
    return connections_;
  }

 private:
  std::mutex mu_;
  Status refusal_;
  std::vector<CallerConnection> connections_;
};

class FakeCredentials final : public CredentialSource {
 public:
  std::shared_ptr<const EdgeCredential> Cached(const ProcessSelectors& caller,
                                               std::string_view destination) override {
    std::lock_guard lock(mu_);
    EXPECT_EQ(caller.exe, "/usr/bin/node");
    auto found = credentials_.find(destination);
    return cache_ && found != credentials_.end() ? found->second : nullptr;
  }
  Result<std::shared_ptr<const EdgeCredential>> Fetch(const ProcessSelectors& caller,
                                                      std::string_view destination) override {
    std::lock_guard lock(mu_);
    EXPECT_EQ(caller.uid, "1000");
    ++fetches_;
    if (auto refused = refusals_.find(destination); refused != refusals_.end()) {
      return refused->second;
    }
    auto found = credentials_.find(destination);
    if (found == credentials_.end()) {
      return Status(ErrorCode::kInvalidTarget, "destination_unknown",
                    "no destination named " + std::string(destination));
    }
    return found->second;
  }

  void Add(EdgeCredential credential) {
    std::lock_guard lock(mu_);
    std::string name = credential.destination;
    credentials_[name] = std::make_shared<const EdgeCredential>(std::move(credential));
  }
  void Refuse(std::string destination, Status refusal) {
    std::lock_guard lock(mu_);
    refusals_[std::move(destination)] = std::move(refusal);
  }
  void StopCaching() {
    std::lock_guard lock(mu_);
    cache_ = false;
  }
  int fetches() {
    std::lock_guard lock(mu_);
    return fetches_;
  }

 private:
  std::mutex mu_;
  bool cache_ = true;
  int fetches_ = 0;
  std::map<std::string, std::shared_ptr<const EdgeCredential>, std::less<>> credentials_;
  std::map<std::string, Status, std::less<>> refusals_;
};

class RecordingUsage final : public UsageSink {
 public:
  void Record(UsageRecord record) override {
    {
      std::lock_guard lock(mu_);
      records_.push_back(std::move(record));
    }
    recorded_.notify_all();
  }
  // The records once there are `n` of them (or, after a bounded wait, those there are).
  std::vector<UsageRecord> WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    recorded_.wait_for(lock, std::chrono::seconds(20), [&] { return records_.size() >= n; });
    return records_;
  }

 private:
  std::mutex mu_;
  std::condition_variable recorded_;
  std::vector<UsageRecord> records_;
};

EdgeCredential TokenFor(std::string destination, std::string url) {
  EdgeCredential edge{
      "claude-bot", std::move(destination), std::move(url),
      credentials::BearerCredential("real-token", std::string(credentials::kAccessTokenType),
                                    "Bearer", kExpiry)};
  edge.credential.headers.push_back({"X-Injected", "yes"});
  return edge;
}

boost::json::object Json(const RawResponse& response) {
  auto parsed = ParseJsonObject(response.body);
  EXPECT_THAT(parsed, IsOk()) << response.body;
  return parsed.ok() ? *parsed : boost::json::object();
}

std::string ErrorDescription(const RawResponse& response) {
  auto body = Json(response);
  return body.contains("error_description") ? std::string(body.at("error_description").as_string())
                                            : "";
}

int CountHeaders(const StreamingUpstream::Received& request, std::string_view name) {
  int count = 0;
  for (const auto& [key, value] : request.headers) {
    count += key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0;
  }
  return count;
}

class LocalServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = std::make_unique<StreamingUpstream>(dir_.path(), "upstream");
    credentials_.Add(TokenFor("claude", upstream_->base_url() + "/base/"));
    EdgeCredential keys{"claude-bot", "keys", upstream_->base_url(), {}};
    keys.credential.form = credentials::CredentialForm::kHeaders;
    keys.credential.headers = {{"x-api-key", "real-key"}};
    keys.credential.expires_at = kExpiry;
    credentials_.Add(std::move(keys));
    EdgeCredential aws{"claude-bot", "aws", "", {}};
    aws.credential.form = credentials::CredentialForm::kAws;
    aws.credential.aws = {"ASIAEXAMPLE", "secret-key", "session-token"};
    aws.credential.expires_at = kExpiry;
    credentials_.Add(std::move(aws));
    credentials_.Add(TokenFor("nourl", ""));
    Start(Options());
  }

  void TearDown() override { StopServer(); }

  LocalServerOptions Options() {
    LocalServerOptions options;
    options.socket_path = dir_.File("agent.sock");
    options.tcp_address = "127.0.0.1";
    options.upstream_ca_file = upstream_->cert();
    options.aws_token = Secret(std::string(kAwsToken));
    options.worker_threads = 2;
    return options;
  }

  void Start(LocalServerOptions options) {
    auto started =
        LocalServer::Start(std::move(options), attestor_, credentials_, usage_, Clock::Real());
    ASSERT_THAT(started, IsOk());
    server_ = std::move(*started);
    running_ = std::thread([this] { server_->Run(); });
  }

  // Serves again with `change` made to the options.
  void Restart(const std::function<void(LocalServerOptions&)>& change) {
    StopServer();
    LocalServerOptions options = Options();
    change(options);
    Start(std::move(options));
  }

  void StopServer() {
    if (server_) {
      server_->Stop();
      running_.join();
      server_.reset();
    }
  }

  RawConnection Connect() {
    RawConnection connection = RawConnection::Tcp(server_->port());
    EXPECT_TRUE(connection.ok());
    return connection;
  }

  // One request on a fresh connection.
  RawResponse Ask(std::string_view request) {
    RawConnection connection = Connect();
    EXPECT_TRUE(connection.Send(request));
    auto response = connection.ReadResponse();
    EXPECT_TRUE(response.has_value());
    return response.value_or(RawResponse());
  }

  testing::TempDir dir_;
  std::unique_ptr<StreamingUpstream> upstream_;
  FakeAttestor attestor_;
  FakeCredentials credentials_;
  RecordingUsage usage_;
  std::unique_ptr<LocalServer> server_;
  std::thread running_;
};

TEST_F(LocalServerTest, ForwardsWithTheDestinationsCredentialInPlaceOfTheCallers) {
  RawResponse response =
      Ask("GET /claude/v1/echo?x=1&y=%2F HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          "Authorization: Bearer dummy\r\nx-api-key: dummy\r\napi-key: dummy\r\n"
          "X-Goog-Api-Key: dummy\r\nCookie: session=dummy\r\nProxy-Authorization: Basic dummy\r\n"
          "X-Injected: from-the-caller\r\nConnection: X-Drop-Me\r\nX-Drop-Me: 1\r\n"
          "Keep-Alive: 300\r\nTE: trailers\r\nX-Keep: yes\r\n\r\n");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"received":0})");

  auto requests = upstream_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& seen = requests[0];
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/base/v1/echo?x=1&y=%2F");
  EXPECT_THAT(seen.Header("Host"),
              Optional(std::string("127.0.0.1:") + std::to_string(upstream_->port())));
  EXPECT_THAT(seen.Header("Authorization"), Optional(std::string("Bearer real-token")));
  EXPECT_EQ(CountHeaders(seen, "Authorization"), 1);
  EXPECT_THAT(seen.Header("X-Injected"), Optional(std::string("yes")));
  EXPECT_EQ(CountHeaders(seen, "X-Injected"), 1);
  EXPECT_THAT(seen.Header("X-Keep"), Optional(std::string("yes")));
  for (std::string_view dropped :
       {"x-api-key", "api-key", "x-goog-api-key", "cookie", "proxy-authorization", "connection",
        "x-drop-me", "keep-alive", "te"}) {
    EXPECT_EQ(seen.Header(dropped), std::nullopt) << dropped;
  }
}

TEST_F(LocalServerTest, InjectsAHeadersCredential) {
  RawResponse response =
      Ask("GET /keys/v1/echo HTTP/1.1\r\nHost: x\r\nx-api-key: dummy\r\nX-API-KEY: dummy2\r\n\r\n");
  EXPECT_EQ(response.status, 200);
  auto requests = upstream_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/v1/echo");
  EXPECT_THAT(requests[0].Header("x-api-key"), Optional(std::string("real-key")));
  EXPECT_EQ(CountHeaders(requests[0], "x-api-key"), 1);
  EXPECT_EQ(requests[0].Header("Authorization"), std::nullopt);
}

TEST_F(LocalServerTest, PassesStatusAndHeadersButNotHopByHopOnes) {
  RawConnection connection = Connect();
  ASSERT_TRUE(connection.Send("GET /claude/hop HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto created = connection.ReadResponse();
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201);
  EXPECT_EQ(created->body, R"({"created":true})");
  EXPECT_THAT(created->Header("X-Upstream"), Optional(std::string("yes")));
  EXPECT_THAT(created->Header("Content-Type"), Optional(std::string("application/json")));
  for (std::string_view dropped : {"keep-alive", "x-hop", "proxy-authenticate", "connection"}) {
    EXPECT_EQ(created->Header(dropped), std::nullopt) << dropped;
  }

  // The same connection carries on, to another status.
  ASSERT_TRUE(connection.Send("GET /claude/status/404 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto missing = connection.ReadResponse();
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, R"({"status":404})");
}

TEST_F(LocalServerTest, PassesTrailers) {
  RawResponse response = Ask("GET /claude/trailers HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "part1part2");
  EXPECT_THAT(response.Header("Trailer"), Optional(std::string("X-Checksum")));
  ASSERT_EQ(response.trailers.size(), 1u);
  EXPECT_EQ(response.trailers[0], std::make_pair(std::string("X-Checksum"), std::string("abc")));
}

TEST_F(LocalServerTest, ForwardsAChunkedRequestBodyWithItsTrailersButNotCredentialsInThem) {
  RawResponse response =
      Ask("POST /claude/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
          "6\r\nhello \r\n5\r\nworld\r\n0\r\nX-Sum: 11\r\nAuthorization: Bearer sneaky\r\n\r\n");
  EXPECT_EQ(response.status, 200);
  auto requests = upstream_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body, "hello world");
  EXPECT_THAT(requests[0].Header("Transfer-Encoding"), Optional(std::string("chunked")));
  ASSERT_EQ(requests[0].trailers.size(), 1u);
  EXPECT_EQ(requests[0].trailers[0], std::make_pair(std::string("X-Sum"), std::string("11")));
}

TEST_F(LocalServerTest, KeepsTransferCodingsOtherThanChunked) {
  RawResponse response =
      Ask("POST /claude/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
          "4\r\n\x1f\x8b\x08\x01\r\n0\r\n\r\n");
  EXPECT_EQ(response.status, 200);
  auto requests = upstream_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  // The body is still gzip-coded: the upstream must be told so.
  EXPECT_THAT(requests[0].Header("Transfer-Encoding"), Optional(std::string("gzip, chunked")));
  EXPECT_EQ(requests[0].body, "\x1f\x8b\x08\x01");
}

TEST_F(LocalServerTest, ServerSentEventsArriveAsTheUpstreamSendsThem) {
  RawConnection connection = Connect();
  ASSERT_TRUE(connection.Send(
      "GET /claude/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"));
  ASSERT_TRUE(connection.ReadUntil("text/event-stream"));
  // The upstream sends the second event only once the first has reached the client.
  ASSERT_TRUE(connection.ReadUntil("event: one\ndata: 1\n\n"));
  upstream_->Release();
  ASSERT_TRUE(connection.ReadUntil("event: two\ndata: 2\n\n"));
  EXPECT_TRUE(connection.ReadUntil("0\r\n\r\n"));
}

// Restarts the count of this process's peak resident memory (VmHWM); false where Linux
// does not let it.
bool ResetPeakMemory() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.close();
  return static_cast<bool>(clear);
}

long StatusKib(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field)) {
      return std::stol(line.substr(field.size() + 1));
    }
  }
  return -1;
}

// AddressSanitizer keeps freed memory in quarantine (this test's own 1 MiB pieces among
// it), so a process's peak says nothing of what the agent held; there the upstream's
// early start is what shows the body streams.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kPeakMemoryMeans = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kPeakMemoryMeans = false;
#else
constexpr bool kPeakMemoryMeans = true;
#endif
#else
constexpr bool kPeakMemoryMeans = true;
#endif

TEST_F(LocalServerTest, StreamsALargeUploadRatherThanHoldingIt) {
  constexpr uint64_t kMib = 1 << 20;
  constexpr uint64_t kTotal = 64 * kMib;
  bool peak_measured = ResetPeakMemory();
  long resident_before = StatusKib("VmRSS:");
  auto piece = [](uint64_t index) {
    std::string bytes(kMib, '\0');
    for (uint64_t i = 0; i < kMib; ++i) {
      bytes[i] = PatternByte(index * kMib + i);
    }
    return bytes;
  };
  RawConnection connection = Connect();
  ASSERT_TRUE(connection.Send("POST /claude/upload HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                              std::to_string(kTotal) + "\r\n\r\n" + piece(0)));
  // The upstream gets the body's start while the caller has sent 1 MiB of 64.
  ASSERT_TRUE(upstream_->WaitForBodyBytes(1, std::chrono::seconds(20)));
  for (uint64_t index = 1; index < kTotal / kMib; ++index) {
    ASSERT_TRUE(connection.Send(piece(index)));
  }
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, R"({"received":)" + std::to_string(kTotal) + "}");
  auto requests = upstream_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body_bytes, kTotal);
  EXPECT_TRUE(requests[0].body_is_pattern);
  if (peak_measured && kPeakMemoryMeans) {
    EXPECT_LT(StatusKib("VmHWM:") - resident_before, 32 * 1024) << "KiB above the start";
  }
}

TEST_F(LocalServerTest, AnswersExpectContinueOnceTheUpstreamIsThere) {
  RawConnection connection = Connect();
  ASSERT_TRUE(
      connection.Send("POST /claude/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                      "Expect: 100-continue\r\n\r\n"));
  auto interim = connection.ReadResponse();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(connection.Send("hello"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, R"({"received":5})");
  EXPECT_EQ(upstream_->Requests().at(0).Header("Expect"), std::nullopt);
}

TEST_F(LocalServerTest, AnswersHeadWithoutABody) {
  RawConnection connection = Connect();
  ASSERT_TRUE(connection.Send("HEAD /claude/status/200 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = connection.ReadResponse(std::chrono::seconds(20), /*to_head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_THAT(head->Header("Content-Length"), Optional(std::string("14")));
  ASSERT_TRUE(connection.Send("GET /claude/status/200 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto get = connection.ReadResponse();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, R"({"status":200})");
}

TEST_F(LocalServerTest, ReusesUpstreamConnections) {
  {
    RawConnection connection = Connect();
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(connection.Send("GET /claude/x HTTP/1.1\r\nHost: x\r\n\r\n"));
      ASSERT_TRUE(connection.ReadResponse());
    }
  }
  EXPECT_EQ(Ask("GET /claude/y HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  EXPECT_EQ(upstream_->Requests().size(), 4u);
  EXPECT_EQ(upstream_->Connections(), 1);
}

TEST_F(LocalServerTest, AnUpstreamWithAnUntrustedCertificateIs502) {
  StreamingUpstream stranger(dir_.path(), "stranger");
  credentials_.Add(TokenFor("stranger", stranger.base_url()));
  RawResponse response = Ask("GET /stranger/v1/x HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(response.status, 502);
  std::string described = ErrorDescription(response);
  EXPECT_THAT(described, HasSubstr("127.0.0.1:" + std::to_string(stranger.port())));
  EXPECT_THAT(described, HasSubstr("certificate"));
  EXPECT_THAT(response.body, Not(HasSubstr("real-token")));
  EXPECT_TRUE(stranger.Requests().empty());
}

TEST_F(LocalServerTest, AnUpstreamWhoseCertificateNamesAnotherHostIs502) {
  credentials_.Add(TokenFor("renamed", "https://localhost:" + std::to_string(upstream_->port())));
  RawResponse response = Ask("GET /renamed/v1/x HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(response.status, 502);
  std::string described = ErrorDescription(response);
  EXPECT_THAT(described, HasSubstr("localhost:" + std::to_string(upstream_->port())));
  EXPECT_THAT(described, HasSubstr("certificate"));
  EXPECT_TRUE(upstream_->Requests().empty());
}

TEST_F(LocalServerTest, AnUnreachableUpstreamIs502) {
  uint16_t closed_port;
  {
    // A port nothing listens on: bound, then released.
    StreamingUpstream gone(dir_.path(), "gone");
    closed_port = gone.port();
  }
  credentials_.Add(TokenFor("gone", "https://127.0.0.1:" + std::to_string(closed_port)));
  RawResponse response = Ask("GET /gone/v1/x HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(response.status, 502);
  EXPECT_THAT(ErrorDescription(response),
              HasSubstr("127.0.0.1:" + std::to_string(closed_port) + ": connecting"));
}

TEST_F(LocalServerTest, RefusesWhatItCannotForward) {
  RawResponse nourl = Ask("GET /nourl/v1/x HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(nourl.status, 400);
  EXPECT_THAT(ErrorDescription(nourl), HasSubstr("destination nourl has no url"));

  RawResponse aws = Ask("GET /aws/v1/x HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(aws.status, 400);
  EXPECT_THAT(ErrorDescription(aws), HasSubstr("/aws/credentials/aws"));

  for (std::string_view path : {"/", "/Claude/x", "/.hidden/x", "/v1/credentials/"}) {
    RawResponse unknown = Ask("GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(unknown.status, 404) << path;
  }
  RawResponse post =
      Ask("POST /v1/credentials/claude HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.status, 405);
  EXPECT_THAT(post.Header("Allow"), Optional(std::string("GET")));
  EXPECT_TRUE(upstream_->Requests().empty());
}

TEST_F(LocalServerTest, PassesSignetdsRefusalOn) {
  credentials_.Refuse("claude", Status(ErrorCode::kAccessDenied, "policy_denied",
                                       "no policy lets claude-bot reach claude"));
  credentials_.StopCaching();
  RawResponse refused = Ask("GET /claude/v1/x HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(refused.status, 403);
  auto body = Json(refused);
  EXPECT_EQ(body["error"], "access_denied");
  EXPECT_EQ(body["error_description"], "no policy lets claude-bot reach claude");

  RawResponse unknown = Ask("GET /v1/credentials/nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(Json(unknown)["error"], "invalid_target");
  EXPECT_TRUE(upstream_->Requests().empty());
}

TEST_F(LocalServerTest, CredentialApiAnswersTheTypedCredential) {
  RawConnection connection = RawConnection::Unix(dir_.File("agent.sock"));
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(connection.Send("GET /v1/credentials/claude HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(response->Header("Cache-Control"), Optional(std::string("no-store")));
  auto body = Json(*response);
  EXPECT_EQ(body["destination"], "claude");
  EXPECT_EQ(body["workload"], "claude-bot");
  EXPECT_EQ(body["type"], "token");
  EXPECT_EQ(body["token"], "real-token");
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(body["expires_at"], boost::json::value(FormatUtcSeconds(kExpiry)));
  EXPECT_GT(body["expires_in"].as_int64(), 0);
  EXPECT_EQ(body["headers"].as_object()["Authorization"], "Bearer real-token");
  EXPECT_EQ(body["headers"].as_object()["X-Injected"], "yes");
  EXPECT_EQ(credentials_.fetches(), 0);  // it was cached

  credentials_.StopCaching();
  ASSERT_TRUE(connection.Send("GET /v1/credentials/keys HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto fetched = connection.ReadResponse();
  ASSERT_TRUE(fetched);
  EXPECT_EQ(Json(*fetched)["type"], "headers");
  EXPECT_EQ(Json(*fetched)["headers"].as_object()["x-api-key"], "real-key");
  EXPECT_EQ(credentials_.fetches(), 1);
}

TEST_F(LocalServerTest, AwsEndpointAnswersOnlyWithTheToken) {
  auto ask = [&](std::string_view destination, std::string_view authorization) {
    std::string request =
        "GET /aws/credentials/" + std::string(destination) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!authorization.empty()) {
      request += "Authorization: " + std::string(authorization) + "\r\n";
    }
    return Ask(request + "\r\n");
  };
  RawResponse good = ask("aws", kAwsToken);
  EXPECT_EQ(good.status, 200);
  auto body = Json(good);
  EXPECT_EQ(body["AccessKeyId"], "ASIAEXAMPLE");
  EXPECT_EQ(body["SecretAccessKey"], "secret-key");
  EXPECT_EQ(body["Token"], "session-token");
  EXPECT_EQ(body["Expiration"], boost::json::value(FormatUtcSeconds(kExpiry)));

  RawResponse missing = ask("aws", "");
  EXPECT_EQ(missing.status, 401);
  EXPECT_TRUE(Json(missing).contains("Code"));
  EXPECT_TRUE(Json(missing).contains("Message"));

  RawResponse wrong = ask("aws", "aws-token-for-test");
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(Json(wrong)["Code"], "AccessDenied");
  EXPECT_THAT(wrong.body, Not(HasSubstr("ASIAEXAMPLE")));

  RawResponse not_aws = ask("claude", kAwsToken);
  EXPECT_EQ(not_aws.status, 400);
  EXPECT_EQ(Json(not_aws)["Code"], "InvalidDestination");
  EXPECT_THAT(not_aws.body, Not(HasSubstr("real-token")));
}

TEST_F(LocalServerTest, AnUnattestedCallerIsRefusedAndDisconnected) {
  attestor_.Refuse(Status(ErrorCode::kAccessDenied, "caller_unattested",
                          "cannot read /proc/4242/exe: permission denied"));
  RawConnection connection = Connect();
  ASSERT_TRUE(connection.Send("GET /claude/v1/x HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 403);
  EXPECT_EQ(Json(*response)["error"], "access_denied");
  EXPECT_EQ(Json(*response)["error_description"], "cannot read /proc/4242/exe: permission denied");
  EXPECT_TRUE(connection.ClosedByPeer());
  EXPECT_TRUE(upstream_->Requests().empty());
  EXPECT_EQ(credentials_.fetches(), 0);
}

TEST_F(LocalServerTest, AttestsEachConnectionOnce) {
  RawConnection over_unix = RawConnection::Unix(dir_.File("agent.sock"));
  RawConnection over_tcp = Connect();
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(over_unix.Send("GET /v1/credentials/claude HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(over_unix.ReadResponse());
    ASSERT_TRUE(over_tcp.Send("GET /v1/credentials/claude HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(over_tcp.ReadResponse());
  }
  auto attested = attestor_.connections();
  ASSERT_EQ(attested.size(), 2u);
  // The two are attested in parallel, in either order.
  const CallerConnection& tcp = attested[0].unix_socket ? attested[1] : attested[0];
  EXPECT_NE(attested[0].unix_socket, attested[1].unix_socket);
  EXPECT_EQ(tcp.caller_address, "127.0.0.1");
  EXPECT_EQ(tcp.caller_port, over_tcp.local_port());
  EXPECT_EQ(tcp.agent_address, "127.0.0.1");
  EXPECT_EQ(tcp.agent_port, server_->port());
}

TEST_F(LocalServerTest, RecordsEachProxiedRequest) {
  SystemTime before = Clock::Real().Now();
  RawResponse response =
      Ask("POST /claude/v1/messages?beta=true HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
          "hello");
  ASSERT_EQ(response.status, 200);
  auto records = usage_.WaitFor(1);
  ASSERT_EQ(records.size(), 1u);
  const UsageRecord& record = records[0];
  EXPECT_EQ(record.workload, "claude-bot");
  EXPECT_EQ(record.destination, "claude");
  EXPECT_EQ(record.method, "POST");
  EXPECT_EQ(record.host, "127.0.0.1:" + std::to_string(upstream_->port()));
  EXPECT_EQ(record.path, "/base/v1/messages");
  EXPECT_EQ(record.status, 200);
  EXPECT_EQ(record.bytes_sent, 5u);
  EXPECT_EQ(record.bytes_received, response.body.size());
  EXPECT_GT(record.latency.count(), 0);
  EXPECT_GE(record.time, before);
  EXPECT_LE(record.time, Clock::Real().Now());
}

TEST_F(LocalServerTest, ServesFromSeveralThreads) {
  Restart([](LocalServerOptions& options) { options.io_threads = 3; });
  std::vector<RawConnection> connections;
  for (int i = 0; i < 6; ++i) {
    connections.push_back(Connect());
    ASSERT_TRUE(connections.back().Send("GET /claude/v1/echo HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  for (RawConnection& connection : connections) {
    auto response = connection.ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    ASSERT_TRUE(connection.Send("GET /v1/credentials/claude HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto credential = connection.ReadResponse();
    ASSERT_TRUE(credential);
    EXPECT_EQ(credential->status, 200);
  }
  EXPECT_EQ(usage_.WaitFor(6).size(), 6u);
  EXPECT_EQ(attestor_.connections().size(), 6u);
}

TEST_F(LocalServerTest, AnUpstreamThatDoesNotAnswerInTimeIs502) {
  Restart([](LocalServerOptions& options) {
    options.upstream_read_timeout = std::chrono::milliseconds(200);
  });
  RawResponse response = Ask("GET /claude/hold HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(response.status, 502);
  EXPECT_THAT(
      ErrorDescription(response),
      HasSubstr("127.0.0.1:" + std::to_string(upstream_->port()) + " failed to answer: timed out"));
  auto records = usage_.WaitFor(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, 0);  // no answer came
}

TEST_F(LocalServerTest, AnAnswerThatStallsIsCutShort) {
  Restart([](LocalServerOptions& options) {
    options.upstream_read_timeout = std::chrono::milliseconds(200);
  });
  RawConnection connection = Connect();
  ASSERT_TRUE(connection.Send("GET /claude/events HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(connection.ReadUntil("data: 1\n\n"));
  // No last chunk: the caller can tell the answer did not end.
  EXPECT_FALSE(connection.ReadUntil("0\r\n\r\n"));
  EXPECT_TRUE(connection.ClosedByPeer());
}

TEST_F(LocalServerTest, AnIdleCallerIsDisconnected) {
  Restart(
      [](LocalServerOptions& options) { options.idle_timeout = std::chrono::milliseconds(200); });
  RawConnection connection = Connect();
  EXPECT_TRUE(connection.ClosedByPeer());
}

TEST_F(LocalServerTest, StopLetsTheAnswersUnderWayFinish) {
  RawConnection connection = Connect();
  ASSERT_TRUE(connection.Send("GET /claude/events HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(connection.ReadUntil("data: 1\n\n"));
  uint16_t port = server_->port();
  server_->Stop();
  // The stream under way goes on to its end, and is the connection's last.
  upstream_->Release();
  EXPECT_TRUE(connection.ReadUntil("data: 2\n\n"));
  EXPECT_TRUE(connection.ReadUntil("0\r\n\r\n"));
  EXPECT_TRUE(connection.ClosedByPeer());
  running_.join();
  EXPECT_FALSE(RawConnection::Tcp(port).ok());
  server_.reset();
}

TEST_F(LocalServerTest, TheUnixSocketIsOpenToEveryLocalUser) {
  struct stat socket_file;
  ASSERT_EQ(stat(dir_.File("agent.sock").c_str(), &socket_file), 0);
  EXPECT_TRUE(S_ISSOCK(socket_file.st_mode));
  EXPECT_EQ(socket_file.st_mode & 0777, 0666u);
  StopServer();
  EXPECT_NE(stat(dir_.File("agent.sock").c_str(), &socket_file), 0);
}

TEST_F(LocalServerTest, RefusesToListenBeyondLoopback) {
  LocalServerOptions options = Options();
  options.socket_path = "";
  options.tcp_address = "0.0.0.0";
  auto refused = LocalServer::Start(options, attestor_, credentials_, usage_, Clock::Real());
  EXPECT_THAT(refused,
              testing::FailsWithCode(ErrorCode::kInvalidConfig, "listen_address_not_loopback"));

  options.tcp_address = "";
  EXPECT_THAT(LocalServer::Start(options, attestor_, credentials_, usage_, Clock::Real()),
              testing::FailsWith("listen_missing"));
}

}  // namespace
}  // namespace signet::agent
