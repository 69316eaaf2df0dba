#include "support/raw_http_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cstring>

#include "common/clock.h"

namespace signet::testing {
namespace {

using Deadline = MonotonicTime;

bool HasName(std::string_view name, std::string_view wanted) {
  return name.size() == wanted.size() && strncasecmp(name.data(), wanted.data(), name.size()) == 0;
}

std::string Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

}  // namespace

std::optional<std::string> RawResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (HasName(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

RawConnection RawConnection::Tcp(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return RawConnection(-1);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return RawConnection(fd);
}

RawConnection RawConnection::Unix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return RawConnection(-1);
  }
  return RawConnection(fd);
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) {
    close(fd_);
  }
}

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      pending_(std::move(other.pending_)),
      peer_closed_(other.peer_closed_) {}

uint16_t RawConnection::local_port() const {
  sockaddr_in address{};
  socklen_t size = sizeof(address);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
  return ntohs(address.sin_port);
}

bool RawConnection::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool RawConnection::Receive(Deadline deadline) {
  if (peer_closed_) {
    return false;
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                    Clock::Real().MonotonicNow());
  pollfd waiting{fd_, POLLIN, 0};
  if (left.count() <= 0 || poll(&waiting, 1, static_cast<int>(left.count())) <= 0) {
    return false;
  }
  char buffer[64 * 1024];
  ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
  if (n <= 0) {
    peer_closed_ = true;
    return false;
  }
  pending_.append(buffer, static_cast<size_t>(n));
  return true;
}

bool RawConnection::Want(size_t n, Deadline deadline) {
  while (pending_.size() < n) {
    if (!Receive(deadline)) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> RawConnection::TakeLine(Deadline deadline) {
  size_t end;
  while ((end = pending_.find("\r\n")) == std::string::npos) {
    if (!Receive(deadline)) {
      return std::nullopt;
    }
  }
  std::string line = pending_.substr(0, end);
  pending_.erase(0, end + 2);
  return line;
}

bool RawConnection::TakeFields(Deadline deadline,
                               std::vector<std::pair<std::string, std::string>>* fields) {
  for (;;) {
    auto line = TakeLine(deadline);
    if (!line) {
      return false;
    }
    if (line->empty()) {
      return true;
    }
    size_t colon = line->find(':');
    if (colon == std::string::npos) {
      return false;
    }
    fields->emplace_back(line->substr(0, colon), Trim(std::string_view(*line).substr(colon + 1)));
  }
}

std::optional<RawResponse> RawConnection::ReadResponse(std::chrono::milliseconds timeout,
                                                       bool to_head) {
  Deadline deadline = Clock::Real().MonotonicNow() + timeout;
  auto status_line = TakeLine(deadline);
  if (!status_line || !status_line->starts_with("HTTP/1.")) {
    return std::nullopt;
  }
  RawResponse response;
  response.status = std::atoi(status_line->c_str() + 9);
  if (!TakeFields(deadline, &response.headers)) {
    return std::nullopt;
  }
  if (to_head || response.status < 200 || response.status == 204 || response.status == 304) {
    return response;
  }
  auto encoding = response.Header("Transfer-Encoding");
  if (encoding && HasName(*encoding, "chunked")) {
    for (;;) {
      auto size_line = TakeLine(deadline);
      if (!size_line) {
        return std::nullopt;
      }
      size_t size = std::stoul(*size_line, nullptr, 16);
      if (size == 0) {
        break;
      }
      if (!Want(size + 2, deadline)) {
        return std::nullopt;
      }
      response.body.append(pending_, 0, size);
      pending_.erase(0, size + 2);
    }
    if (!TakeFields(deadline, &response.trailers)) {
      return std::nullopt;
    }
  } else if (auto length = response.Header("Content-Length")) {
    size_t size = std::stoul(*length);
    if (!Want(size, deadline)) {
      return std::nullopt;
    }
    response.body = pending_.substr(0, size);
    pending_.erase(0, size);
  } else {
    while (Receive(deadline)) {
    }
    if (!peer_closed_) {
      return std::nullopt;
    }
    response.body = std::move(pending_);
    pending_.clear();
  }
  return response;
}

bool RawConnection::ReadUntil(std::string_view text, std::chrono::milliseconds timeout) {
  Deadline deadline = Clock::Real().MonotonicNow() + timeout;
  size_t found;
  while ((found = pending_.find(text)) == std::string::npos) {
    if (!Receive(deadline)) {
      return false;
    }
  }
  pending_.erase(0, found + text.size());
  return true;
}

bool RawConnection::ClosedByPeer(std::chrono::milliseconds timeout) {
  Deadline deadline = Clock::Real().MonotonicNow() + timeout;
  while (Receive(deadline)) {
  }
  return peer_closed_;
}

}  // namespace signet::testing
