// Runs a real Server on a loopback port and talks to it over plain POSIX sockets, so the
// test needs no Beast (and compiles fast). Every wait is a poll() with a deadline, so a
// server bug fails a test instead of hanging it.
#include "http/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace signet::http {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kTimeout(5000);  // generous: the sanitizer build on a busy machine

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Waits for `events` on `fd` until `deadline`; the revents, or 0 on timeout.
short PollUntil(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    pollfd p{.fd = fd, .events = events, .revents = 0};
    int n = poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (n > 0) {
      return p.revents;
    }
    if (n == 0 || errno != EINTR) {
      return 0;
    }
  }
}

// A non-blocking socket connected to 127.0.0.1:port (invalid on failure).
Fd Connect(uint16_t port, int receive_buffer = 0) {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return Fd();
  }
  if (receive_buffer > 0) {
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS ||
        !(PollUntil(fd.get(), POLLOUT, Clock::now() + kTimeout) & POLLOUT)) {
      return Fd();
    }
    int error = 0;
    socklen_t size = sizeof(error);
    if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0 || error != 0) {
      return Fd();
    }
  }
  return fd;
}

bool SendAll(int fd, std::string_view data) {
  Clock::time_point deadline = Clock::now() + kTimeout;
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!(PollUntil(fd, POLLOUT, deadline) & POLLOUT)) {
        return false;
      }
    } else {
      return false;
    }
  }
  return true;
}

enum class Received { kData, kClosed, kTimeout };

// Appends what arrives to `buffer`; kClosed on EOF or a reset.
Received ReceiveSome(int fd, std::string* buffer, Clock::time_point deadline) {
  for (;;) {
    char chunk[16384];
    ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffer->append(chunk, static_cast<size_t>(n));
      return Received::kData;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      return Received::kClosed;
    }
    if (PollUntil(fd, POLLIN, deadline) == 0) {
      return Received::kTimeout;
    }
  }
}

struct HttpResponse {
  int status = 0;
  std::string head;
  std::string body;
};

// Reads one Content-Length framed response; nullopt when the connection closes or the
// deadline passes first. Bytes past the response stay in `buffer`.
std::optional<HttpResponse> ReadResponse(int fd, std::string* buffer) {
  Clock::time_point deadline = Clock::now() + kTimeout;
  size_t head_end;
  while ((head_end = buffer->find("\r\n\r\n")) == std::string::npos) {
    if (ReceiveSome(fd, buffer, deadline) != Received::kData) {
      return std::nullopt;
    }
  }
  HttpResponse response;
  response.head = buffer->substr(0, head_end + 4);
  if (response.head.size() < 12 || !response.head.starts_with("HTTP/1.1 ")) {
    return std::nullopt;
  }
  response.status = std::atoi(response.head.c_str() + 9);
  size_t length = 0;
  std::string lower = response.head;
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (size_t at = lower.find("\r\ncontent-length: "); at != std::string::npos) {
    length = std::strtoul(lower.c_str() + at + 18, nullptr, 10);
  }
  while (buffer->size() < head_end + 4 + length) {
    if (ReceiveSome(fd, buffer, deadline) != Received::kData) {
      return std::nullopt;
    }
  }
  response.body = buffer->substr(head_end + 4, length);
  buffer->erase(0, head_end + 4 + length);
  return response;
}

// True when the peer closes (EOF or reset) before the deadline; discards any data.
bool WaitClosed(int fd) {
  Clock::time_point deadline = Clock::now() + kTimeout;
  std::string ignored;
  for (;;) {
    Received r = ReceiveSome(fd, &ignored, deadline);
    if (r != Received::kData) {
      return r == Received::kClosed;
    }
  }
}

std::optional<HttpResponse> Exchange(int fd, std::string_view request) {
  std::string buffer;
  if (!SendAll(fd, request)) {
    return std::nullopt;
  }
  return ReadResponse(fd, &buffer);
}

constexpr std::string_view kGetHello = "GET /hello HTTP/1.1\r\nHost: test\r\n\r\n";
constexpr size_t kBigBody = 16 * 1024 * 1024;  // far beyond the socket buffers

// Responders of /later requests, answered by the test from its own thread.
struct ParkedResponders {
  std::mutex mu;
  std::condition_variable arrived;
  std::vector<Responder> responders;

  Responder WaitForOne() {
    std::unique_lock lock(mu);
    if (!arrived.wait_for(lock, kTimeout, [this] { return !responders.empty(); })) {
      return nullptr;
    }
    Responder r = std::move(responders.back());
    responders.pop_back();
    return r;
  }
};
ParkedResponders parked;

Router TestRouter() {
  Router router;
  router.AddAsync("POST", "/later", [](const Request&, Responder respond) {
    std::lock_guard lock(parked.mu);
    parked.responders.push_back(std::move(respond));
    parked.arrived.notify_all();
  });
  router.AddAsync("GET", "/dropped", [](const Request&, Responder) {});
  router.Add("GET", "/hello", [](const Request&) { return Response::Json(200, R"({"hi":1})"); });
  router.Add("POST", "/echo",
             [](const Request& r) { return Response::Json(200, std::string(r.body)); });
  router.Add("GET", "/throw", [](const Request&) -> Response {
    throw std::runtime_error("secret: the database password is hunter2");
  });
  router.Add("GET", "/big",
             [](const Request&) { return Response::Json(200, std::string(kBigBody, 'x')); });
  return router;
}

// A Server serving on its own thread, as signetd runs it.
class RunningServer {
 public:
  explicit RunningServer(ServerOptions options = {}) {
    options.address = "127.0.0.1";
    options.port = 0;
    auto server = Server::Start(std::move(options), TestRouter());
    if (!server.ok()) {
      ADD_FAILURE() << server.status().ToString();
      return;
    }
    server_ = std::move(*server);
    port_ = server_->port();
    std::packaged_task<void()> run([server = server_.get()] { server->Run(); });
    done_ = run.get_future();
    thread_ = std::thread(std::move(run));
  }
  ~RunningServer() { Stop(); }

  bool ok() const { return server_ != nullptr; }
  uint16_t port() const { return port_; }
  std::thread& thread() { return thread_; }

  // Stops the server and joins its thread. A Run() that does not return would hang the
  // join, so that ends the test binary instead.
  bool Stop() {
    if (!thread_.joinable()) {
      return true;
    }
    server_->Stop();
    if (done_.wait_for(kTimeout) != std::future_status::ready) {
      std::fprintf(stderr, "Server::Run() did not return after Stop()\n");
      std::abort();
    }
    thread_.join();
    return true;
  }

 private:
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::future<void> done_;
  std::thread thread_;
};

TEST(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  RunningServer server;
  ASSERT_TRUE(server.ok());
  Fd fd = Connect(server.port());
  ASSERT_GE(fd.get(), 0);
  for (int i = 0; i < 2; ++i) {
    auto response = Exchange(fd.get(), kGetHello);
    ASSERT_TRUE(response.has_value()) << "request " << i;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, R"({"hi":1})");
  }
}

TEST(ServerTest, OversizedRequestHeadIs431) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  RunningServer server(options);
  ASSERT_TRUE(server.ok());
  Fd fd = Connect(server.port());
  ASSERT_GE(fd.get(), 0);
  auto response =
      Exchange(fd.get(), "GET /hello HTTP/1.1\r\nHost: test\r\nX-Big: " + std::string(2000, 'a') +
                             "\r\n\r\n");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 431);
}

TEST(ServerTest, OversizedBodyIs413) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  RunningServer server(options);
  ASSERT_TRUE(server.ok());
  Fd fd = Connect(server.port());
  ASSERT_GE(fd.get(), 0);
  auto post = [](size_t size) {
    return "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(size) +
           "\r\n\r\n" + std::string(size, 'b');
  };
  auto fits = Exchange(fd.get(), post(1024));
  ASSERT_TRUE(fits.has_value());
  EXPECT_EQ(fits->status, 200);
  EXPECT_EQ(fits->body.size(), 1024u);
  auto too_big = Exchange(fd.get(), post(1100));
  ASSERT_TRUE(too_big.has_value());
  EXPECT_EQ(too_big->status, 413);
}

TEST(ServerTest, APathMayBeAllowedALargerBody) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  options.max_body_bytes_by_path = {{"/echo", 4096}};
  RunningServer server(options);
  ASSERT_TRUE(server.ok());
  Fd fd = Connect(server.port());
  ASSERT_GE(fd.get(), 0);
  auto post = [](const std::string& path, size_t size) {
    return "POST " + path + " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(size) +
           "\r\n\r\n" + std::string(size, 'b');
  };
  auto larger = Exchange(fd.get(), post("/echo?x=1", 4096));
  ASSERT_TRUE(larger.has_value());
  EXPECT_EQ(larger->status, 200);
  EXPECT_EQ(larger->body.size(), 4096u);
  auto too_big = Exchange(fd.get(), post("/echo", 4097));
  ASSERT_TRUE(too_big.has_value());
  EXPECT_EQ(too_big->status, 413);
  Fd other = Connect(server.port());
  auto elsewhere = Exchange(other.get(), post("/echo-not", 2048));
  ASSERT_TRUE(elsewhere.has_value());
  EXPECT_EQ(elsewhere->status, 413) << "the larger limit leaked to another path";
}

TEST(ServerTest, ThrowingHandlerGetsAGeneric500AndOthersAreStillServed) {
  RunningServer server;
  ASSERT_TRUE(server.ok());
  Fd other = Connect(server.port());
  ASSERT_GE(other.get(), 0);
  ASSERT_TRUE(Exchange(other.get(), kGetHello).has_value());

  Fd fd = Connect(server.port());
  ASSERT_GE(fd.get(), 0);
  auto response = Exchange(fd.get(), "GET /throw HTTP/1.1\r\nHost: test\r\n\r\n");
  ASSERT_TRUE(response.has_value()) << "the connection dropped without an answer";
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body, R"({"error":"server_error","error_description":"internal error"})");
  EXPECT_EQ(response->head.find("secret"), std::string::npos);
  EXPECT_NE(response->head.find("Connection: close"), std::string::npos) << response->head;
  EXPECT_TRUE(WaitClosed(fd.get()));

  auto still = Exchange(other.get(), kGetHello);
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->status, 200);
  Fd fresh = Connect(server.port());
  ASSERT_GE(fresh.get(), 0);
  auto again = Exchange(fresh.get(), kGetHello);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 200);
}

TEST(ServerTest, AsyncHandlerAnswersLaterFromAnotherThreadWhileOthersAreServed) {
  RunningServer server;
  ASSERT_TRUE(server.ok());
  Fd waiting = Connect(server.port());
  ASSERT_GE(waiting.get(), 0);
  ASSERT_TRUE(
      SendAll(waiting.get(), "POST /later HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"));
  Responder respond = parked.WaitForOne();
  ASSERT_TRUE(respond != nullptr) << "the async handler never ran";

  // The one I/O thread is free while that request waits.
  Fd other = Connect(server.port());
  ASSERT_GE(other.get(), 0);
  auto hello = Exchange(other.get(), kGetHello);
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->status, 200);

  std::thread([respond] { respond(Response::Json(202, R"({"late":true})")); }).join();
  std::string buffer;
  auto late = ReadResponse(waiting.get(), &buffer);
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->status, 202);
  EXPECT_EQ(late->body, R"({"late":true})");
  // Answering twice is harmless: the first answer is the one sent.
  respond(Response::Json(500, "{}"));
  auto next = Exchange(waiting.get(), kGetHello);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
}

TEST(ServerTest, AHandlerThatDropsItsResponderGets500NotAHang) {
  RunningServer server;
  ASSERT_TRUE(server.ok());
  Fd fd = Connect(server.port());
  ASSERT_GE(fd.get(), 0);
  auto response = Exchange(fd.get(), "GET /dropped HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_TRUE(WaitClosed(fd.get()));
}

TEST(ServerTest, SeveralThreadsServeConnectionsInParallel) {
  ServerOptions options;
  options.threads = 3;
  RunningServer server(options);
  ASSERT_TRUE(server.ok());
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int c = 0; c < 6; ++c) {
    clients.emplace_back([&] {
      Fd fd = Connect(server.port());
      for (int i = 0; i < 20 && fd.get() >= 0; ++i) {
        auto r = Exchange(fd.get(), kGetHello);
        ok += r.has_value() && r->status == 200;
      }
    });
  }
  for (auto& t : clients) {
    t.join();
  }
  EXPECT_EQ(ok.load(), 120);
}

TEST(ServerTest, ConnectionsBeyondMaxConnectionsAreClosed) {
  ServerOptions options;
  options.max_connections = 2;
  RunningServer server(options);
  ASSERT_TRUE(server.ok());
  // Answered requests prove that the server has accepted both before the third arrives.
  Fd first = Connect(server.port());
  Fd second = Connect(server.port());
  ASSERT_GE(first.get(), 0);
  ASSERT_GE(second.get(), 0);
  ASSERT_TRUE(Exchange(first.get(), kGetHello).has_value());
  ASSERT_TRUE(Exchange(second.get(), kGetHello).has_value());

  Fd third = Connect(server.port());
  ASSERT_GE(third.get(), 0);
  EXPECT_TRUE(WaitClosed(third.get())) << "a connection over the cap was kept open";

  auto response = Exchange(first.get(), kGetHello);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);

  // Ending one connection frees its slot: the server frees it before the close reaches
  // us, so the next connection is served.
  response =
      Exchange(second.get(), "GET /hello HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(response.has_value());
  EXPECT_TRUE(WaitClosed(second.get()));
  Fd fourth = Connect(server.port());
  ASSERT_GE(fourth.get(), 0);
  response = Exchange(fourth.get(), kGetHello);
  ASSERT_TRUE(response.has_value()) << "a freed slot was not reused";
  EXPECT_EQ(response->status, 200);
}

TEST(ServerTest, AClientThatStopsReadingIsCutOffByTheWriteTimeout) {
  ServerOptions options;
  options.write_timeout = milliseconds(200);  // the idle timeout stays at 30 s
  RunningServer server(options);
  ASSERT_TRUE(server.ok());
  Fd fd = Connect(server.port(), /*receive_buffer=*/4096);
  ASSERT_GE(fd.get(), 0);
  ASSERT_TRUE(SendAll(fd.get(), "GET /big HTTP/1.1\r\nHost: test\r\n\r\n"));
  ASSERT_NE(PollUntil(fd.get(), POLLIN, Clock::now() + kTimeout) & POLLIN, 0)
      << "the response never started";
  // Bytes the server has not read make its close a reset, which reaches us at once even
  // though our receive window is full (a FIN would queue behind the unsent response).
  ASSERT_TRUE(SendAll(fd.get(), kGetHello));
  // Never reading, wait for the reset: POLLERR/POLLHUP are reported without asking.
  short revents = PollUntil(fd.get(), 0, Clock::now() + kTimeout);
  EXPECT_NE(revents & (POLLHUP | POLLERR), 0) << "the stalled write was not timed out";
}

// Lowers RLIMIT_NOFILE and fills every descriptor below it, so accept() fails with
// EMFILE; undone on destruction.
class DescriptorExhaustion {
 public:
  DescriptorExhaustion() {
    getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit low = saved_;
    low.rlim_cur = std::min<rlim_t>(saved_.rlim_cur, 256);
    setrlimit(RLIMIT_NOFILE, &low);
    fds_.reserve(256);
    for (int fd; fds_.size() < 256 && (fd = dup(STDERR_FILENO)) >= 0;) {
      fds_.push_back(fd);
    }
    exhausted_ = errno == EMFILE;
  }
  ~DescriptorExhaustion() {
    for (int fd : fds_) {
      close(fd);
    }
    setrlimit(RLIMIT_NOFILE, &saved_);
  }
  bool exhausted() const { return exhausted_; }

 private:
  rlimit saved_{};
  std::vector<int> fds_;
  bool exhausted_ = false;
};

milliseconds ThreadCpuTime(std::thread& thread) {
  clockid_t clock;
  timespec ts{};
  if (pthread_getcpuclockid(thread.native_handle(), &clock) != 0 ||
      clock_gettime(clock, &ts) != 0) {
    return milliseconds(0);
  }
  return std::chrono::duration_cast<milliseconds>(std::chrono::seconds(ts.tv_sec) +
                                                  std::chrono::nanoseconds(ts.tv_nsec));
}

TEST(ServerTest, AcceptFailuresBackOffInsteadOfSpinning) {
  RunningServer server;
  ASSERT_TRUE(server.ok());
  // Created before the descriptors run out; connect() itself needs no new one.
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  ASSERT_GE(fd.get(), 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  {
    DescriptorExhaustion exhaustion;
    ASSERT_TRUE(exhaustion.exhausted());
    int rc = connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ASSERT_TRUE(rc == 0 || errno == EINPROGRESS);
    // The server now fails accept() with EMFILE over and over. Give it 600 ms (no data
    // can arrive: nothing was sent) and see how much CPU it burnt: a retry loop without
    // a pause burns most of it, one retry per 100 ms next to none.
    milliseconds before = ThreadCpuTime(server.thread());
    PollUntil(fd.get(), POLLIN, Clock::now() + milliseconds(600));
    milliseconds burnt = ThreadCpuTime(server.thread()) - before;
    EXPECT_LT(burnt.count(), 50) << "the accept loop spins on EMFILE";
  }
  // With descriptors back, the pending connection is accepted and served.
  ASSERT_NE(PollUntil(fd.get(), POLLOUT, Clock::now() + kTimeout) & POLLOUT, 0);
  auto response = Exchange(fd.get(), kGetHello);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
}

// Stop() (and SIGTERM) drains: a request already read is still answered, on a
// connection that then closes, before Run() returns.
TEST(ServerTest, StopAnswersTheRequestsInFlightFirst) {
  RunningServer server;
  ASSERT_TRUE(server.ok());
  Fd waiting = Connect(server.port());
  ASSERT_GE(waiting.get(), 0);
  ASSERT_TRUE(
      SendAll(waiting.get(), "POST /later HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"));
  Responder respond = parked.WaitForOne();
  ASSERT_TRUE(respond != nullptr) << "the async handler never ran";
  auto stopped = std::async(std::launch::async, [&server] { return server.Stop(); });
  // The drain has begun once the listening socket refuses connections.
  bool refused = false;
  for (int attempt = 0; attempt < 100000 && !refused; ++attempt) {
    refused = Connect(server.port()).get() < 0;
  }
  ASSERT_TRUE(refused) << "still accepting after Stop()";
  respond(Response::Json(202, R"({"late":true})"));
  std::string buffer;
  auto late = ReadResponse(waiting.get(), &buffer);
  ASSERT_TRUE(late.has_value()) << "the request in flight was cut off";
  EXPECT_EQ(late->status, 202);
  EXPECT_TRUE(WaitClosed(waiting.get()));
  EXPECT_TRUE(stopped.get());
}

TEST(ServerTest, StopMakesRunReturnWithConnectionsOpen) {
  RunningServer server;
  ASSERT_TRUE(server.ok());
  Fd idle = Connect(server.port());
  ASSERT_GE(idle.get(), 0);
  ASSERT_TRUE(Exchange(idle.get(), kGetHello).has_value());
  EXPECT_TRUE(server.Stop());  // aborts the binary if Run() does not return
}

}  // namespace
}  // namespace signet::http
