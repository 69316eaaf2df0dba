// A deliberately plain HTTP/1.1 client for tests of servers that stream: the test writes
// the request bytes itself and reads answers with its own small parser (Content-Length,
// chunked with trailers, or until close), so it sees exactly what went over the wire, and
// can read a stream as far as some text and stop there. Every read waits with a bound.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace signet::testing {

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // de-chunked
  std::vector<std::pair<std::string, std::string>> trailers;

  // The first field of that name, case-insensitively.
  std::optional<std::string> Header(std::string_view name) const;
};

class RawConnection {
 public:
  // To 127.0.0.1:<port>, or to a unix socket. A connection that fails is !ok().
  static RawConnection Tcp(uint16_t port);
  static RawConnection Unix(const std::string& path);
  ~RawConnection();
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&&) = delete;

  bool ok() const { return fd_ >= 0; }
  uint16_t local_port() const;  // TCP only

  bool Send(std::string_view bytes);
  // One answer; nullopt if the connection ends or `timeout` passes first. A 1xx answer is
  // returned like any other (read again for the final one). `to_head` says the request was
  // HEAD, whose answer has no body whatever its fields say.
  std::optional<RawResponse> ReadResponse(
      std::chrono::milliseconds timeout = std::chrono::seconds(20), bool to_head = false);
  // Reads until `text` has arrived (in the raw bytes, from where the last read stopped);
  // what follows it stays for the next read. False on timeout or end of connection.
  bool ReadUntil(std::string_view text,
                 std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Whether the peer closes the connection within `timeout` (what arrives first is kept).
  bool ClosedByPeer(std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  explicit RawConnection(int fd) : fd_(fd) {}
  // Appends what arrives before `deadline`; false on timeout or end of connection.
  bool Receive(std::chrono::steady_clock::time_point deadline);
  // Waits until `pending_` holds `n` bytes.
  bool Want(size_t n, std::chrono::steady_clock::time_point deadline);
  // Waits for a line ending in CRLF and takes it (without the CRLF).
  std::optional<std::string> TakeLine(std::chrono::steady_clock::time_point deadline);
  // Takes "Name: value" lines up to an empty one; false if one is not a field.
  bool TakeFields(std::chrono::steady_clock::time_point deadline,
                  std::vector<std::pair<std::string, std::string>>* fields);

  int fd_ = -1;
  std::string pending_;  // received and not yet consumed
  bool peer_closed_ = false;
};

}  // namespace signet::testing
