// An HTTPS upstream for tests of signet-agent's proxy: it writes its answers byte for byte
// (so tests control framing, hop-by-hop fields and trailers), streams some of them under
// the test's control, reads request bodies piece by piece, and records what it received.
//
// Paths it answers, after any prefix (a destination's URL may have a path), to any method;
// the request body is read whole, counted, never held beyond its first MiB:
//   /hop             201 with X-Upstream and hop-by-hop fields (Keep-Alive, Connection
//                    naming X-Hop, X-Hop, Proxy-Authenticate) that must not pass a proxy
//   /status/<code>   that status, a short JSON body
//   /trailers        a chunked body "part1" "part2" and the trailer X-Checksum: abc
//   /events          server-sent events, chunked: event 1, then (once the test calls
//                    Release) event 2
//   /hold            nothing until the test calls Release, then 200
//   anything else    200 {"received": <body bytes>}
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace signet::testing {

// The first bytes of a request body the upstream checks, byte i being PatternByte(i).
inline char PatternByte(uint64_t i) { return static_cast<char>(i % 251); }

class StreamingUpstream {
 public:
  struct Received {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;   // as sent
    std::vector<std::pair<std::string, std::string>> trailers;  // after a chunked body
    std::string body;                                           // its first MiB
    uint64_t body_bytes = 0;
    bool body_is_pattern = true;  // every byte was PatternByte(its offset)

    // The first field of that name, case-insensitively.
    std::optional<std::string> Header(std::string_view name) const;
  };

  // Serves HTTPS on 127.0.0.1 with a certificate made at <dir>/<name>.pem.
  StreamingUpstream(const std::string& dir, const std::string& name);
  ~StreamingUpstream();
  StreamingUpstream(const StreamingUpstream&) = delete;
  StreamingUpstream& operator=(const StreamingUpstream&) = delete;

  const std::string& cert() const;
  uint16_t port() const;
  std::string base_url() const;  // https://127.0.0.1:<port>

  // The requests read whole so far, in order.
  std::vector<Received> Requests() const;
  // TCP connections accepted so far.
  int Connections() const;
  // Waits (up to `timeout`) until the request body being read has reached `bytes`.
  bool WaitForBodyBytes(uint64_t bytes, std::chrono::milliseconds timeout) const;
  // Lets /events send its second event and /hold answer.
  void Release();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace signet::testing
