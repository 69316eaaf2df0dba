// The Beast/Asio half of agent/local_server.h: listeners, one io_context per I/O thread (a
// connection and the upstream connections it uses stay on one thread, so nothing on the
// request path takes a lock or hops threads), one coroutine per caller connection, and the
// routes. The proxy's exchange itself is in proxy.cc.
#include "agent/local_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/json/serialize.hpp>
#include <cstring>
#include <functional>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "agent/asio_names.h"
#include "agent/proxy.h"
#include "agent/upstream_pool.h"
#include "common/worker_pool.h"
#include "credentials/credential_answer.h"
#include "http/server.h"

namespace signet::agent {
namespace {

using UnixProtocol = asio::local::stream_protocol;

constexpr std::string_view kCredentialsPrefix = "/v1/credentials/";
constexpr std::string_view kAwsPrefix = "/aws/credentials/";

// Destination names as signetd's configuration allows them (lowercase letters, digits,
// '-', '_', '.'; not starting with '.' or '-').
bool IsDestinationName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.' || name.front() == '-') {
    return false;
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

Status NoSuchRoute(std::string_view why) {
  return Status(ErrorCode::kInvalidRequest, "route_unknown",
                std::string(why) +
                    ": the agent serves /v1/credentials/<destination>, "
                    "/aws/credentials/<destination> and /<destination>/... (the proxy)");
}

Status Busy() {
  return Status(ErrorCode::kTemporarilyUnavailable, "agent_busy",
                "the agent has too many requests waiting on attestation or on signetd; retry");
}

// An answer the agent writes itself (not the upstream's).
struct LocalAnswer {
  int status = 200;
  std::string body;  // JSON
  std::vector<std::pair<std::string_view, std::string_view>> headers;

  static LocalAnswer Error(const Status& status, int http_status) {
    return LocalAnswer{http_status, http::Response::Error(status).body, {}};
  }
  static LocalAnswer Error(const Status& status) {
    return Error(status, http::HttpStatusFor(status.code()));
  }
};

// The AWS container-credentials provider's error shape: {"Code", "Message"}.
LocalAnswer AwsError(int status, std::string_view code, std::string_view message) {
  return LocalAnswer{
      status,
      boost::json::serialize(boost::json::object{{"Code", code}, {"Message", message}}),
      {}};
}

// Runs `work` (moved from) on the worker pool and resumes the awaiting coroutine on its own
// executor with the result; agent_busy when the pool's queue is full.
//
// Callers pass a named `work`, never a temporary: GCC 12 destroys some temporaries of a
// co_await expression twice (seen with valgrind), so every co_await in this directory has
// only trivially destructible temporaries in its expression.
template <typename T>
auto OnWorkers(WorkerPool& workers, std::function<Result<T>()>& work) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(Result<T>)>(
      [&workers](auto handler, std::function<Result<T>()>* work) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto executor = asio::get_associated_executor(*shared);
        bool posted = workers.TryPost([shared, executor, work = std::move(*work)] {
          asio::post(executor, [shared, result = work()]() mutable {
            std::move (*shared)(std::move(result));
          });
        });
        if (!posted) {
          asio::post(executor, [shared] { std::move (*shared)(Result<T>(Busy())); });
        }
      },
      asio::use_awaitable, &work);
}

// The read errors that mean the caller is done with the connection, not that it sent
// something malformed.
bool CallerLeft(const beast::error_code& error) {
  return error == bhttp::error::end_of_stream || error == asio::error::eof ||
         error == asio::error::connection_reset ||
         error == asio::error::operation_aborted;  // the watchdog: idle for too long
}

LocalAnswer MalformedRequest(const beast::error_code& error) {
  return LocalAnswer::Error(
      Status(ErrorCode::kInvalidRequest, "http_malformed", "malformed request: " + error.message()),
      error == bhttp::error::header_limit ? 431 : 400);
}

// Why the proxy cannot forward with `edge`, if it cannot; else its upstream in *upstream.
std::optional<LocalAnswer> CannotProxy(const EdgeCredential& edge, UpstreamPool& upstreams,
                                       Upstream** upstream) {
  if (edge.credential.form == credentials::CredentialForm::kAws) {
    return LocalAnswer::Error(Status(ErrorCode::kInvalidRequest, "credential_not_injectable",
                                     "destination " + edge.destination +
                                         " hands out AWS credentials, which requests are signed "
                                         "with rather than carry: point the AWS SDK at "
                                         "/aws/credentials/" +
                                         edge.destination));
  }
  if (edge.url.empty()) {
    return LocalAnswer::Error(Status(ErrorCode::kInvalidRequest, "destination_without_url",
                                     "destination " + edge.destination +
                                         " has no url, so the proxy has nowhere to forward to; "
                                         "use /v1/credentials/" +
                                         edge.destination));
  }
  auto found = upstreams.Find(edge.url);
  if (!found.ok()) {
    return LocalAnswer::Error(found.status(), 502);
  }
  *upstream = *found;
  return std::nullopt;
}

// Counts a request being served, for the drain.
class Serving {
 public:
  explicit Serving(std::atomic<size_t>& count) : count_(count) { ++count_; }
  ~Serving() { --count_; }
  Serving(const Serving&) = delete;
  Serving& operator=(const Serving&) = delete;

 private:
  std::atomic<size_t>& count_;
};

// What attestation needs of a connection: a unix socket's descriptor, or the endpoints
// of a TCP one as TCP sees them (the caller is found by them in /proc/net/tcp). Nullopt
// when the caller is gone already.
std::optional<CallerConnection> DescribeCaller(CallerSocket& socket) {
  CallerConnection connection;
  connection.fd = socket.native_handle();
  beast::error_code ec;
  auto agent_generic = socket.local_endpoint(ec);
  if (ec) {
    return std::nullopt;
  }
  if (agent_generic.protocol().family() == AF_UNIX) {
    connection.unix_socket = true;
    return connection;
  }
  auto caller_generic = socket.remote_endpoint(ec);
  tcp::endpoint agent_end, caller_end;
  if (ec || agent_generic.size() > agent_end.capacity() ||
      caller_generic.size() > caller_end.capacity()) {
    return std::nullopt;
  }
  std::memcpy(agent_end.data(), agent_generic.data(), agent_generic.size());
  std::memcpy(caller_end.data(), caller_generic.data(), caller_generic.size());
  socket.set_option(tcp::no_delay(true), ec);
  connection.agent_address = agent_end.address().to_string();
  connection.agent_port = agent_end.port();
  connection.caller_address = caller_end.address().to_string();
  connection.caller_port = caller_end.port();
  return connection;
}

// Where a request goes: a local endpoint, the proxy, or an answer decided from its head.
struct Routed {
  enum Route { kCredentialApi, kAws, kProxy, kAnswer } route;
  std::string_view destination;  // into the request's target
  LocalAnswer answer;            // kAnswer's
};

// What a connection learned of its caller, set once.
struct Attested {
  std::shared_ptr<const ProcessSelectors> selectors;
};

// One I/O thread: its io_context, and the upstream connections its caller connections use.
struct IoThread {
  IoThread(asio::ssl::context& tls, const Clock& clock, UpstreamPoolOptions options)
      : io(1), keep_running(asio::make_work_guard(io)), upstreams(io, tls, clock, options) {}
  asio::io_context io;
  // Keeps run() going while every connection of the thread waits on the worker pool.
  asio::executor_work_guard<asio::io_context::executor_type> keep_running;
  UpstreamPool upstreams;  // after io: its connections close before io goes
};

}  // namespace

struct LocalServer::Impl {
  Impl(LocalServerOptions options, CallerAttestor& attestor, CredentialSource& credentials,
       UsageSink& usage, const Clock& clock)
      : options(std::move(options)),
        attestor(attestor),
        credentials(credentials),
        usage(usage),
        clock(clock),
        timeouts{this->options.idle_timeout, this->options.write_timeout,
                 this->options.upstream_read_timeout, this->options.max_header_bytes} {}

  LocalServerOptions options;
  CallerAttestor& attestor;
  CredentialSource& credentials;
  UsageSink& usage;
  const Clock& clock;
  const ProxyTimeouts timeouts;
  std::unique_ptr<asio::ssl::context> tls;         // before the threads: their connections use it
  std::vector<std::unique_ptr<IoThread>> threads;  // [0] also runs the listeners
  std::optional<tcp::acceptor> tcp_listener;
  std::optional<UnixProtocol::acceptor> unix_listener;
  std::optional<asio::signal_set> signals;
  bool unix_socket_bound = false;
  size_t next_thread = 0;  // on threads[0] only
  std::atomic<size_t> in_flight = 0;
  std::atomic<bool> draining = false;
  // Last, so it is destroyed first: its tasks still running post into live io_contexts.
  std::unique_ptr<WorkerPool> workers;

  Status Listen();
  template <typename Listener>
  asio::awaitable<void> Accept(Listener& listener);
  asio::awaitable<void> Serve(CallerSocket socket, CallerConnection connection, IoThread& thread);
  Routed Route(const CallerRequestParser& request);
  asio::awaitable<LocalAnswer> CredentialApi(std::string_view destination, const Attested& who);
  asio::awaitable<LocalAnswer> AwsCredentials(const CallerRequestParser& request,
                                              std::string_view destination, const Attested& who);
  asio::awaitable<bool> Proxy(CallerLink& caller, CallerRequestParser& request,
                              std::string_view destination, const Attested& who, IoThread& thread);
  asio::awaitable<Result<std::shared_ptr<const EdgeCredential>>> CredentialFor(
      const Attested& who, std::string_view destination);
  asio::awaitable<bool> Write(CallerLink& caller, const CallerRequestParser& request,
                              const LocalAnswer& answer);
  void BeginDrain();
  asio::awaitable<void> FinishDrain();

  IoThread& NextThread() { return *threads[next_thread++ % threads.size()]; }
};

Status LocalServer::Impl::Listen() {
  beast::error_code ec;
  asio::io_context& io = threads[0]->io;
  if (!options.tcp_address.empty()) {
    auto address = asio::ip::make_address(options.tcp_address, ec);
    if (ec) {
      return Status(ErrorCode::kInvalidConfig, "listen_address_invalid",
                    "cannot parse the listen address " + options.tcp_address);
    }
    if (!address.is_loopback()) {
      return Status(ErrorCode::kInvalidConfig, "listen_address_not_loopback",
                    "the agent listens on TCP only on a loopback address (127.0.0.1 or ::1), not " +
                        options.tcp_address + ": a caller on another host cannot be attested");
    }
    tcp::endpoint endpoint(address, options.tcp_port);
    tcp_listener.emplace(io);
    if (tcp_listener->open(endpoint.protocol(), ec);
        !ec && (tcp_listener->set_option(asio::socket_base::reuse_address(true), ec), !ec) &&
        (tcp_listener->bind(endpoint, ec), !ec)) {
      tcp_listener->listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return Status(ErrorCode::kServerError, "listen_failed",
                    "cannot listen on " + options.tcp_address + ":" +
                        std::to_string(options.tcp_port) + ": " + ec.message());
    }
  }
  if (!options.socket_path.empty()) {
    struct stat existing;
    if (lstat(options.socket_path.c_str(), &existing) == 0) {
      if (!S_ISSOCK(existing.st_mode)) {
        return Status(ErrorCode::kInvalidConfig, "socket_path_taken",
                      options.socket_path +
                          " exists and is not a socket; the agent will not "
                          "replace it");
      }
      unlink(options.socket_path.c_str());  // left by an earlier run
    }
    unix_listener.emplace(io);
    UnixProtocol::endpoint endpoint(options.socket_path);
    if (unix_listener->open(endpoint.protocol(), ec);
        !ec && (unix_listener->bind(endpoint, ec), !ec)) {
      unix_socket_bound = true;
      if (chmod(options.socket_path.c_str(), 0666) != 0) {
        ec.assign(errno, beast::system_category());
      } else {
        unix_listener->listen(asio::socket_base::max_listen_connections, ec);
      }
    }
    if (ec) {
      return Status(
          ErrorCode::kServerError, "listen_failed",
          "cannot listen on the unix socket " + options.socket_path + ": " + ec.message());
    }
  }
  if (!tcp_listener && !unix_listener) {
    return Status(ErrorCode::kInvalidConfig, "listen_missing",
                  "the agent needs a unix socket path or a loopback TCP address to listen on");
  }
  return Status::Ok();
}

template <typename Listener>
asio::awaitable<void> LocalServer::Impl::Accept(Listener& listener) {
  asio::steady_timer backoff(threads[0]->io);
  for (;;) {
    IoThread& thread = NextThread();
    CallerSocket socket(thread.io);
    auto [ec] = co_await listener.async_accept(socket, kNoThrow);
    if (ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      // e.g. EMFILE: the connection stays in the backlog; retry once some may have closed.
      backoff.expires_after(std::chrono::milliseconds(100));
      auto [wait_ec] = co_await backoff.async_wait(kNoThrow);
      if (wait_ec) {
        co_return;
      }
      continue;
    }
    std::optional<CallerConnection> connection = DescribeCaller(socket);
    if (connection) {
      asio::co_spawn(thread.io, Serve(std::move(socket), std::move(*connection), thread),
                     asio::detached);
    }
  }
}

asio::awaitable<void> LocalServer::Impl::Serve(CallerSocket socket, CallerConnection connection,
                                               IoThread& thread) {
  // Attested before the first request is read, while the caller is surely still there.
  std::function<Result<ProcessSelectors>()> attest = [this, &connection] {
    return attestor.Attest(connection);
  };
  Result<ProcessSelectors> attested = co_await OnWorkers<ProcessSelectors>(*workers, attest);
  CallerLink caller(std::move(socket), clock);
  Attested who;
  if (attested.ok()) {
    who.selectors = std::make_shared<const ProcessSelectors>(std::move(*attested));
  }
  for (;;) {
    CallerRequestParser request;
    request.header_limit(static_cast<uint32_t>(options.max_header_bytes));
    request.body_limit(boost::none);  // the proxy streams bodies of any size
    caller.watchdog->Arm(options.idle_timeout);
    auto [read_error, read] =
        co_await bhttp::async_read_header(caller.socket, caller.in, request, kNoThrow);
    (void)read;
    if (read_error && CallerLeft(read_error)) {
      break;
    }
    Serving serving(in_flight);
    if (read_error) {
      LocalAnswer malformed = MalformedRequest(read_error);
      co_await Write(caller, request, malformed);
      break;
    }
    if (!who.selectors) {
      // Answered only now that the request is read, so that the caller sees the refusal
      // rather than a reset connection.
      LocalAnswer refused = LocalAnswer::Error(attested.status());
      request.get().keep_alive(false);
      co_await Write(caller, request, refused);
      break;
    }
    Routed routed = Route(request);
    bool reusable;
    if (routed.route == Routed::kProxy) {
      reusable = co_await Proxy(caller, request, routed.destination, who, thread);
    } else {
      if (routed.route == Routed::kCredentialApi) {
        routed.answer = co_await CredentialApi(routed.destination, who);
      } else if (routed.route == Routed::kAws) {
        routed.answer = co_await AwsCredentials(request, routed.destination, who);
      }
      reusable = co_await Write(caller, request, routed.answer);
    }
    // While draining, each answer is the connection's last, even one whose head went out
    // before the drain began.
    if (!reusable || draining.load()) {
      break;
    }
  }
  beast::error_code ignored;
  caller.socket.shutdown(CallerSocket::shutdown_send, ignored);
}

Routed LocalServer::Impl::Route(const CallerRequestParser& request) {
  std::string_view target = request.get().target();
  std::string_view path = target.substr(0, target.find('?'));
  for (std::string_view prefix : {kCredentialsPrefix, kAwsPrefix}) {
    if (!path.starts_with(prefix)) {
      continue;
    }
    Routed routed{prefix == kCredentialsPrefix ? Routed::kCredentialApi : Routed::kAws,
                  path.substr(prefix.size()),
                  {}};
    if (request.get().method() != bhttp::verb::get) {
      routed.route = Routed::kAnswer;
      routed.answer = LocalAnswer::Error(Status(ErrorCode::kInvalidRequest, "method_not_allowed",
                                                std::string(prefix) + "... answers GET only"),
                                         405);
      routed.answer.headers.emplace_back("Allow", "GET");
    } else if (!IsDestinationName(routed.destination)) {
      routed.route = Routed::kAnswer;
      routed.answer =
          LocalAnswer::Error(NoSuchRoute("no destination named in " + std::string(path)), 404);
    }
    return routed;
  }
  std::string_view destination =
      path.starts_with('/') ? path.substr(1, path.find('/', 1) - 1) : std::string_view();
  if (!IsDestinationName(destination)) {
    return Routed{Routed::kAnswer, "",
                  LocalAnswer::Error(NoSuchRoute("no destination named in the path " +
                                                 std::string(path.substr(0, 200))),
                                     404)};
  }
  return Routed{Routed::kProxy, destination, {}};
}

asio::awaitable<Result<std::shared_ptr<const EdgeCredential>>> LocalServer::Impl::CredentialFor(
    const Attested& who, std::string_view destination) {
  if (auto cached = credentials.Cached(*who.selectors, destination)) {
    co_return cached;
  }
  std::function<Result<std::shared_ptr<const EdgeCredential>>()> fetch =
      [this, selectors = who.selectors, destination = std::string(destination)] {
        return credentials.Fetch(*selectors, destination);
      };
  co_return co_await OnWorkers<std::shared_ptr<const EdgeCredential>>(*workers, fetch);
}

asio::awaitable<LocalAnswer> LocalServer::Impl::CredentialApi(std::string_view destination,
                                                              const Attested& who) {
  auto found = co_await CredentialFor(who, destination);
  if (!found.ok()) {
    co_return LocalAnswer::Error(found.status());
  }
  const EdgeCredential& edge = **found;
  auto expires_in =
      std::chrono::floor<std::chrono::seconds>(edge.credential.expires_at - clock.Now());
  boost::json::object body =
      credentials::CredentialAnswer(edge.credential, edge.destination, expires_in);
  body["workload"] = edge.workload;
  co_return LocalAnswer{200, boost::json::serialize(body), {}};
}

asio::awaitable<LocalAnswer> LocalServer::Impl::AwsCredentials(const CallerRequestParser& request,
                                                               std::string_view destination,
                                                               const Attested& who) {
  auto presented = request.get().find(bhttp::field::authorization);
  if (presented == request.get().end()) {
    co_return AwsError(401, "Unauthorized",
                       "the Authorization header must carry the agent's AWS token (the file "
                       "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE names)");
  }
  if (options.aws_token.empty() ||
      !Secret(std::string(presented->value())).Equals(options.aws_token)) {
    co_return AwsError(403, "AccessDenied",
                       "the Authorization header is not the agent's AWS token");
  }
  auto found = co_await CredentialFor(who, destination);
  if (!found.ok()) {
    co_return AwsError(http::HttpStatusFor(found.status().code()),
                       ErrorCodeName(found.status().code()), found.status().message());
  }
  const credentials::Credential& credential = (*found)->credential;
  if (credential.form != credentials::CredentialForm::kAws) {
    co_return AwsError(400, "InvalidDestination",
                       "destination " + std::string(destination) + " hands out " +
                           std::string(credentials::CredentialFormName(credential.form)) +
                           " credentials, not AWS ones: use /v1/credentials/" +
                           std::string(destination) + " or the proxy");
  }
  co_return LocalAnswer{200,
                        boost::json::serialize(boost::json::object{
                            {"AccessKeyId", credential.aws.access_key_id},
                            {"SecretAccessKey", credential.aws.secret_access_key},
                            {"Token", credential.aws.session_token},
                            {"Expiration", FormatUtcSeconds(credential.expires_at)}}),
                        {}};
}

asio::awaitable<bool> LocalServer::Impl::Proxy(CallerLink& caller, CallerRequestParser& request,
                                               std::string_view destination, const Attested& who,
                                               IoThread& thread) {
  SystemTime arrived = clock.Now();
  MonotonicTime started = clock.MonotonicNow();
  // The cached credential without leaving this coroutine: the common case costs no
  // coroutine frame.
  Result<std::shared_ptr<const EdgeCredential>> found =
      credentials.Cached(*who.selectors, destination);
  if (*found == nullptr) {
    found = co_await CredentialFor(who, destination);
  }
  Upstream* upstream = nullptr;
  std::optional<LocalAnswer> refused = found.ok()
                                           ? CannotProxy(**found, thread.upstreams, &upstream)
                                           : LocalAnswer::Error(found.status());
  if (refused) {
    co_return co_await Write(caller, request, *refused);
  }
  const EdgeCredential& edge = **found;
  std::string_view target = request.get().target();
  std::string_view rest = target.substr(1 + destination.size());
  ProxyRequest proxied{caller,    request,          rest,     edge.credential,
                       *upstream, thread.upstreams, timeouts, draining};
  Forwarded forwarded = co_await Forward(proxied);
  bool reusable = forwarded.caller_reusable;
  if (!forwarded.answered && !forwarded.caller_gone) {
    request.get().keep_alive(false);
    LocalAnswer failed = LocalAnswer::Error(forwarded.failure, 502);
    reusable = co_await Write(caller, request, failed);
  }
  UsageRecord record;
  record.time = arrived;
  record.workload = edge.workload;
  record.destination = edge.destination;
  record.method = std::string(request.get().method_string());
  record.host = upstream->host_header;
  record.path = upstream->base_path;
  std::string_view rest_path = rest.substr(0, rest.find('?'));
  if (!rest_path.starts_with('/')) {
    record.path += '/';
  }
  record.path += rest_path;
  record.status = forwarded.status;
  record.bytes_sent = forwarded.bytes_sent;
  record.bytes_received = forwarded.bytes_received;
  record.latency =
      std::chrono::duration_cast<std::chrono::microseconds>(clock.MonotonicNow() - started);
  usage.Record(std::move(record));
  co_return reusable;
}

asio::awaitable<bool> LocalServer::Impl::Write(CallerLink& caller,
                                               const CallerRequestParser& request,
                                               const LocalAnswer& answer) {
  // An unread body would be taken for the next request: close instead.
  bool keep_alive = request.get().keep_alive() && request.is_done() && !draining.load();
  std::string& head = caller.head;
  head.clear();
  head.append("HTTP/1.1 ").append(std::to_string(answer.status)).append(" ");
  head.append(bhttp::obsolete_reason(static_cast<bhttp::status>(answer.status)));
  head.append("\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: ");
  head.append(std::to_string(answer.body.size())).append("\r\n");
  for (const auto& [name, value] : answer.headers) {
    head.append(name).append(": ").append(value).append("\r\n");
  }
  if (!keep_alive) {
    head.append("Connection: close\r\n");
  } else if (request.get().version() < 11) {
    head.append("Connection: keep-alive\r\n");
  }
  head.append("\r\n");
  std::array<asio::const_buffer, 2> parts{asio::buffer(head), asio::buffer(answer.body)};
  caller.watchdog->Arm(options.write_timeout);
  auto [error, written] = co_await asio::async_write(caller.socket, parts, kNoThrow);
  (void)written;
  co_return keep_alive && !error;
}

void LocalServer::Impl::BeginDrain() {
  if (draining.exchange(true)) {
    return;
  }
  beast::error_code ignored;
  if (tcp_listener) {
    tcp_listener->close(ignored);
  }
  if (unix_listener) {
    unix_listener->close(ignored);
  }
  asio::co_spawn(threads[0]->io, FinishDrain(), asio::detached);
}

asio::awaitable<void> LocalServer::Impl::FinishDrain() {
  asio::steady_timer tick(threads[0]->io);
  MonotonicTime deadline = clock.MonotonicNow() + options.drain_timeout;
  // A short poll: requests end on any thread, and waking once per request would cost every
  // request; a drain happens once per process.
  while (in_flight.load() > 0 && clock.MonotonicNow() < deadline) {
    tick.expires_after(std::chrono::milliseconds(5));
    co_await tick.async_wait(kNoThrow);
  }
  for (auto& thread : threads) {
    thread->keep_running.reset();
    thread->io.stop();
  }
}

LocalServer::LocalServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LocalServer::~LocalServer() {
  if (impl_->unix_socket_bound) {
    unlink(impl_->options.socket_path.c_str());
  }
}

Result<std::unique_ptr<LocalServer>> LocalServer::Start(LocalServerOptions options,
                                                        CallerAttestor& attestor,
                                                        CredentialSource& credentials,
                                                        UsageSink& usage, const Clock& clock) {
  auto impl = std::make_unique<Impl>(std::move(options), attestor, credentials, usage, clock);
  SIGNET_ASSIGN_OR_RETURN(impl->tls, MakeUpstreamTlsContext(impl->options.upstream_ca_file));
  UpstreamPoolOptions pool;
  pool.connect_timeout = impl->options.upstream_connect_timeout;
  pool.keepalive_timeout = impl->options.upstream_keepalive_timeout;
  pool.max_idle = impl->options.max_idle_upstream_connections;
  for (int i = 0; i < std::max(1, impl->options.io_threads); ++i) {
    impl->threads.push_back(std::make_unique<IoThread>(*impl->tls, clock, pool));
  }
  // Owned by the server from here, so that a failed start still removes the socket file.
  std::unique_ptr<LocalServer> server(new LocalServer(std::move(impl)));
  Impl& self = *server->impl_;
  SIGNET_RETURN_IF_ERROR(self.Listen());
  self.workers = std::make_unique<WorkerPool>(std::max<size_t>(1, self.options.worker_threads),
                                              self.options.max_queued_blocking_calls);
  asio::io_context& io = self.threads[0]->io;
  if (self.tcp_listener) {
    asio::co_spawn(io, self.Accept(*self.tcp_listener), asio::detached);
  }
  if (self.unix_listener) {
    asio::co_spawn(io, self.Accept(*self.unix_listener), asio::detached);
  }
  self.signals.emplace(io, SIGINT, SIGTERM);
  self.signals->async_wait([raw = &self](const beast::error_code& error, int) {
    if (!error) {
      raw->BeginDrain();
    }
  });
  return server;
}

uint16_t LocalServer::port() const {
  return impl_->tcp_listener ? impl_->tcp_listener->local_endpoint().port() : 0;
}

void LocalServer::Run() {
  std::vector<std::thread> more;
  for (size_t i = 1; i < impl_->threads.size(); ++i) {
    more.emplace_back([this, i] { impl_->threads[i]->io.run(); });
  }
  impl_->threads[0]->io.run();
  for (auto& thread : more) {
    thread.join();
  }
}

void LocalServer::Stop() {
  asio::post(impl_->threads[0]->io, [raw = impl_.get()] { raw->BeginDrain(); });
}

}  // namespace signet::agent
