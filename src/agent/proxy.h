// The credential-injecting reverse proxy's exchange: one caller request forwarded to its
// upstream and the answer relayed back, both bodies streamed. Private to the local server
// (Beast types: include only from src/agent's server files).
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/upstream_pool.h"
#include "agent/watchdog.h"
#include "common/clock.h"
#include "common/status.h"
#include "credentials/provider.h"

namespace signet::agent {

// A caller's socket, unix or loopback TCP alike.
using CallerSocket = boost::asio::generic::stream_protocol::socket;
// A caller's request, and an upstream's answer: the head parsed whole, the body read piece
// by piece.
using CallerRequestParser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;
using UpstreamResponseParser = boost::beast::http::response_parser<boost::beast::http::buffer_body>;

// One caller's connection: its socket, the watchdog bounding its waits, and what it reuses
// from request to request. Stays where it is built (the watchdog points at the socket).
struct CallerLink {
  CallerLink(CallerSocket caller, const Clock& clock)
      : socket(std::move(caller)),
        watchdog(std::make_shared<Watchdog>(socket.get_executor(), clock, socket)) {}
  ~CallerLink() { watchdog->Stop(); }
  CallerLink(const CallerLink&) = delete;
  CallerLink& operator=(const CallerLink&) = delete;

  CallerSocket socket;
  std::shared_ptr<Watchdog> watchdog;
  boost::beast::flat_buffer in;  // bytes read from the caller and not yet parsed
  std::string head;              // the head being written (to the upstream or the caller)
  std::string tail;              // the end of a chunked body: last chunk and trailers
  std::vector<char> piece;       // body bytes in transit, either way
  // The answer being relayed. Kept here rather than in a coroutine frame, which Asio
  // recycles only when it is small.
  std::optional<UpstreamResponseParser> response;
};

struct ProxyTimeouts {
  std::chrono::milliseconds caller_read;
  std::chrono::milliseconds write;
  std::chrono::milliseconds upstream_read;
  size_t max_header_bytes;
};

// One request to forward: `request` has its head read; `path` is the caller's target after
// "/<destination>" (starting with '/' or '?', or empty), query included.
struct ProxyRequest {
  CallerLink& caller;
  CallerRequestParser& request;
  std::string_view path;
  const credentials::Credential& credential;  // its headers are injected
  Upstream& upstream;
  UpstreamPool& pool;
  const ProxyTimeouts& timeouts;
  // Whether the server is draining: an answer whose head goes out then is the
  // connection's last.
  const std::atomic<bool>& draining;
};

struct Forwarded {
  int status = 0;  // the upstream's; 0 when no answer came
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  // Whether the answer's head reached the caller. When not, and the caller is still
  // there, the caller is owed an answer: 502 with `failure`.
  bool answered = false;
  bool caller_gone = false;
  bool caller_reusable = false;  // the caller's connection may carry another request
  Status failure;                // why the upstream gave no (complete) answer
};

boost::asio::awaitable<Forwarded> Forward(const ProxyRequest& proxied);

}  // namespace signet::agent
