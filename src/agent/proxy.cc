// Forwarding as RFC 9110 §7.6 asks of a proxy: hop-by-hop fields stop here, the rest pass;
// each body is framed anew for the next hop (Content-Length kept, chunked re-chunked with
// its trailers, a body ending at close sent chunked), piece by piece as it arrives.
#include "agent/proxy.h"

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <optional>
#include <span>

#include "agent/asio_names.h"

namespace signet::agent {
namespace {

constexpr size_t kPieceBytes = 16 * 1024;  // a TLS record's worth

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && beast::iequals(text.substr(0, prefix.size()), prefix);
}

// Which fields of a message go on to the next hop. Never the hop-by-hop ones (RFC 9110
// §7.6.1: Connection and the fields it names, Keep-Alive, Proxy-*, TE, Transfer-Encoding,
// Upgrade), nor Content-Length (each hop's framing is the proxy's own). From a caller,
// neither Host (the upstream's is set), Expect (the proxy answers 100-continue itself),
// credentials the caller brought, nor a field the destination's credential sets.
class FieldFilter {
 public:
  FieldFilter(const bhttp::fields& message, std::span<const credentials::HttpHeader> injected,
              bool from_caller)
      : injected_(injected), from_caller_(from_caller) {
    for (const auto& field : message) {
      if (field.name() == bhttp::field::connection) {
        for (auto token : bhttp::token_list(field.value())) {
          named_.push_back(token);
        }
      }
    }
  }

  bool Forwards(const bhttp::fields::value_type& field) const {
    switch (field.name()) {
      case bhttp::field::connection:
      case bhttp::field::keep_alive:
      case bhttp::field::te:
      case bhttp::field::transfer_encoding:
      case bhttp::field::upgrade:
      case bhttp::field::content_length:
        return false;
      case bhttp::field::host:
      case bhttp::field::expect:
      case bhttp::field::authorization:
      case bhttp::field::cookie:
        return !from_caller_;
      default:
        break;
    }
    std::string_view name = field.name_string();
    if (StartsWithNoCase(name, "proxy-")) {
      return false;
    }
    for (std::string_view named : named_) {
      if (beast::iequals(name, named)) {
        return false;
      }
    }
    if (!from_caller_) {
      return true;
    }
    for (std::string_view credential : {"x-api-key", "api-key", "x-goog-api-key"}) {
      if (beast::iequals(name, credential)) {
        return false;
      }
    }
    for (const auto& header : injected_) {
      if (beast::iequals(name, header.name)) {
        return false;
      }
    }
    return true;
  }

 private:
  std::span<const credentials::HttpHeader> injected_;
  bool from_caller_;
  std::vector<std::string_view> named_;  // by the Connection field; views into the message
};

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

// How a body travels on the next hop.
enum class Framing {
  kNone,        // no body
  kLength,      // Content-Length
  kChunked,     // Transfer-Encoding: chunked
  kUntilClose,  // the body ends when the connection does (for an HTTP/1.0 caller)
};

// The framing fields of a message sent on with `framing`. `incoming` is how it came: a
// transfer coding other than chunked (gzip, say) stays on the body the proxy relays, so
// it is named again before the proxy's own chunked.
void AppendFraming(std::string& out, Framing framing, std::optional<uint64_t> length,
                   const bhttp::fields& incoming) {
  if (framing == Framing::kLength) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof(digits), *length).ptr;
    AppendField(out, "Content-Length", std::string_view(digits, end - digits));
  } else if (framing == Framing::kChunked) {
    out.append("Transfer-Encoding: ");
    for (auto coding : bhttp::token_list(incoming[bhttp::field::transfer_encoding])) {
      if (!beast::iequals(coding, "chunked")) {
        out.append(coding).append(", ");
      }
    }
    out.append("chunked\r\n");
  }
}

// The fields a chunked message carried after its body: those its parser added after the
// head's `head_fields`.
void AppendTrailers(std::string& out, const bhttp::fields& message, size_t head_fields,
                    const FieldFilter& filter) {
  size_t index = 0;
  for (const auto& field : message) {
    if (index++ >= head_fields && filter.Forwards(field)) {
      AppendField(out, field.name_string(), field.value());
    }
  }
}

size_t CountFields(const bhttp::fields& message) {
  return static_cast<size_t>(std::distance(message.begin(), message.end()));
}

// `n` body bytes at `data`, after `head` (which may be empty): as they are, or as one
// chunk; then `tail` (the end of a chunked body). Zero-sized parts are left out of a
// chunked frame so that an empty piece never reads as the last chunk.
class Frame {
 public:
  std::array<asio::const_buffer, 5> Parts(std::string_view head, bool chunked, const char* data,
                                          size_t n, std::string_view tail) {
    std::array<asio::const_buffer, 5> parts;
    parts[0] = asio::buffer(head);
    if (chunked && n > 0) {
      auto end = std::to_chars(size_line_, size_line_ + sizeof(size_line_) - 2, n, 16).ptr;
      *end++ = '\r';
      *end++ = '\n';
      parts[1] = asio::buffer(size_line_, static_cast<size_t>(end - size_line_));
      parts[3] = asio::buffer("\r\n", 2);
    }
    parts[2] = asio::buffer(data, n);
    parts[4] = asio::buffer(tail);
    return parts;
  }

 private:
  char size_line_[24];
};

struct Pumped {
  beast::error_code read_error;
  beast::error_code write_error;
  bool head_written = false;
  uint64_t bytes = 0;
};

// Writes `head`, then the body `parser` reads from `from`, piece by piece as it arrives,
// to `to`: each piece is written before the next is read, so nothing is held back (an
// event stream passes event by event) and at most one piece is in memory.
template <bool isRequest, class From, class To>
asio::awaitable<Pumped> Pump(From& from, beast::flat_buffer& from_buffer,
                             bhttp::parser<isRequest, bhttp::buffer_body>& parser,
                             std::chrono::milliseconds read_timeout, To& to,
                             std::chrono::milliseconds write_timeout, std::string_view head,
                             bool chunked, size_t head_fields, const FieldFilter& filter,
                             CallerLink& caller) {
  Pumped out;
  Watchdog& watchdog = *caller.watchdog;
  std::vector<char>& piece = caller.piece;
  if (piece.empty()) {
    piece.resize(kPieceBytes);
  }
  Frame frame;
  for (;;) {
    size_t n = 0;
    // Send the head at once unless body bytes are already here to go with it: the peer
    // learns of the message even when its body is slow to come.
    bool wait_for_body = out.head_written || from_buffer.size() > 0;
    if (!parser.is_done() && wait_for_body) {
      auto& body = parser.get().body();
      body.data = piece.data();
      body.size = piece.size();
      // Bytes already read are parsed here: Beast's read would post its completion to the
      // event loop rather than run it at once, a round trip per message.
      beast::error_code read_error;
      bool parsed_here = false;
      if (from_buffer.size() > 0) {
        from_buffer.consume(parser.put(from_buffer.data(), read_error));
        parsed_here = read_error != bhttp::error::need_more;
      }
      if (!parsed_here) {
        watchdog.Arm(read_timeout);
        size_t parsed;
        std::tie(read_error, parsed) =
            co_await bhttp::async_read_some(from, from_buffer, parser, kNoThrow);
      }
      if (read_error == asio::ssl::error::stream_truncated && parser.need_eof()) {
        // An upstream that ends its body by closing, without TLS close_notify: the body
        // ends there all the same (RFC 9112 §6.3 item 8).
        parser.put_eof(read_error);
      }
      if (read_error && read_error != bhttp::error::need_buffer) {
        out.read_error = read_error;
        co_return out;
      }
      n = piece.size() - body.size;
      if (n == 0 && !parser.is_done()) {
        continue;  // a chunk's header, say: nothing to send yet
      }
    }
    bool last = parser.is_done();
    caller.tail.clear();
    if (last && chunked) {
      caller.tail = "0\r\n";
      AppendTrailers(caller.tail, parser.get(), head_fields, filter);
      caller.tail += "\r\n";
    }
    auto parts = frame.Parts(out.head_written ? std::string_view() : head, chunked, piece.data(), n,
                             caller.tail);
    watchdog.Arm(write_timeout);
    auto [write_error, written] = co_await asio::async_write(to, parts, kNoThrow);
    (void)written;
    if (write_error) {
      out.write_error = write_error;
      co_return out;
    }
    out.head_written = true;
    out.bytes += n;
    if (last) {
      co_return out;
    }
  }
}

void AppendRequestHead(std::string& out, const ProxyRequest& proxied, const FieldFilter& filter) {
  const auto& request = proxied.request.get();
  out.clear();
  out.append(request.method_string()).append(" ").append(proxied.upstream.base_path);
  if (!proxied.path.starts_with('/')) {
    out += '/';
  }
  out.append(proxied.path).append(" HTTP/1.1\r\n");
  AppendField(out, "Host", proxied.upstream.host_header);
  for (const auto& field : request) {
    if (filter.Forwards(field)) {
      AppendField(out, field.name_string(), field.value());
    }
  }
  for (const auto& header : proxied.credential.headers) {
    AppendField(out, header.name, header.value);
  }
  if (request.chunked()) {
    AppendFraming(out, Framing::kChunked, std::nullopt, request);
  } else if (auto length = proxied.request.content_length()) {
    AppendFraming(out, Framing::kLength, *length, request);
  }
  out += "\r\n";
}

void AppendResponseHead(std::string& out, const bhttp::response_header<>& response,
                        const FieldFilter& filter, Framing framing, std::optional<uint64_t> length,
                        bool keep_alive, unsigned caller_version) {
  out.clear();
  out.append("HTTP/1.1 ");
  char digits[8];
  auto end = std::to_chars(digits, digits + sizeof(digits), response.result_int()).ptr;
  out.append(digits, end).append(" ");
  std::string_view reason = response.reason();
  if (reason.empty()) {
    reason = bhttp::obsolete_reason(response.result());
  }
  out.append(reason).append("\r\n");
  for (const auto& field : response) {
    if (filter.Forwards(field)) {
      AppendField(out, field.name_string(), field.value());
    }
  }
  AppendFraming(out, framing, length, response);
  if (framing == Framing::kNone && response.count(bhttp::field::content_length) > 0) {
    // A HEAD or 304 answer's length describes the body it would have had.
    AppendField(out, "Content-Length", response[bhttp::field::content_length]);
  }
  if (!keep_alive) {
    AppendField(out, "Connection", "close");
  } else if (caller_version < 11) {
    AppendField(out, "Connection", "keep-alive");
  }
  out += "\r\n";
}

bool IsIdempotent(bhttp::verb method) {
  switch (method) {
    case bhttp::verb::get:
    case bhttp::verb::head:
    case bhttp::verb::options:
    case bhttp::verb::trace:
    case bhttp::verb::put:
    case bhttp::verb::delete_:
      return true;
    default:
      return false;
  }
}

// A failure of a kept-alive connection that the upstream closed as the request went out.
bool ClosedUnderUs(const beast::error_code& error) {
  return error == bhttp::error::end_of_stream || error == asio::error::eof ||
         error == asio::error::connection_reset || error == asio::error::broken_pipe ||
         error == asio::ssl::error::stream_truncated;
}

Status UpstreamFailed(const Upstream& upstream, std::string_view what,
                      const beast::error_code& error, const Watchdog& watchdog) {
  std::string reason = watchdog.fired() ? "timed out" : error.message();
  return Status(ErrorCode::kTemporarilyUnavailable, "upstream_failed",
                "the upstream " + upstream.label + " failed " + std::string(what) + ": " + reason);
}

struct Attempt {
  Forwarded forwarded;
  bool retry = false;  // the upstream closed a reused connection before answering
  bool upstream_reusable = false;
};

asio::awaitable<Attempt> Exchange(const ProxyRequest& proxied, UpstreamConnection& connection,
                                  const FieldFilter& request_filter, size_t request_fields) {
  Attempt attempt;
  Forwarded& out = attempt.forwarded;
  auto& request = proxied.request;
  const ProxyTimeouts& timeouts = proxied.timeouts;
  bool had_body = !request.is_done();
  bool may_retry = connection.reused && !had_body && IsIdempotent(request.get().method());

  CallerLink& caller = proxied.caller;
  const Watchdog& watchdog = *caller.watchdog;
  Pumped sent = co_await Pump(caller.socket, caller.in, request, timeouts.caller_read,
                              connection.stream, timeouts.write, caller.head,
                              request.get().chunked(), request_fields, request_filter, caller);
  out.bytes_sent = sent.bytes;
  if (sent.read_error) {
    out.caller_gone = true;
    co_return attempt;
  }
  if (sent.write_error) {
    attempt.retry = may_retry && ClosedUnderUs(sent.write_error);
    out.failure =
        UpstreamFailed(proxied.upstream, "to take the request", sent.write_error, watchdog);
    co_return attempt;
  }

  std::optional<UpstreamResponseParser>& response = caller.response;
  for (;;) {
    response.emplace();
    response->header_limit(static_cast<uint32_t>(timeouts.max_header_bytes));
    response->body_limit(boost::none);
    response->skip(request.get().method() == bhttp::verb::head);
    caller.watchdog->Arm(timeouts.upstream_read);
    auto [read_error, read] = co_await bhttp::async_read_header(
        connection.stream, connection.buffer, *response, kNoThrow);
    (void)read;
    if (read_error) {
      attempt.retry = may_retry && ClosedUnderUs(read_error);
      out.failure = UpstreamFailed(proxied.upstream, "to answer", read_error, watchdog);
      co_return attempt;
    }
    int status = response->get().result_int();
    if (status == 101) {
      out.failure = Status(ErrorCode::kTemporarilyUnavailable, "upstream_failed",
                           "the upstream " + proxied.upstream.label +
                               " switched protocols, which the proxy does not relay");
      co_return attempt;
    }
    if (status >= 200) {
      break;
    }
    // An interim answer (103 Early Hints): the proxy sent no Expect, so nothing waits for
    // it; the final answer follows on the same connection.
  }
  auto& head = response->get();
  out.status = head.result_int();
  std::optional<uint64_t> length;
  if (auto declared = response->content_length()) {
    length = *declared;
  }
  unsigned caller_version = request.get().version();
  Framing framing = response->is_done()    ? Framing::kNone
                    : length               ? Framing::kLength
                    : caller_version >= 11 ? Framing::kChunked
                                           : Framing::kUntilClose;
  out.caller_reusable =
      request.keep_alive() && framing != Framing::kUntilClose && !proxied.draining.load();
  FieldFilter response_filter(head, {}, /*from_caller=*/false);
  AppendResponseHead(caller.head, head, response_filter, framing, length, out.caller_reusable,
                     caller_version);
  Pumped relayed =
      co_await Pump(connection.stream, connection.buffer, *response, timeouts.upstream_read,
                    caller.socket, timeouts.write, caller.head, framing == Framing::kChunked,
                    CountFields(head), response_filter, caller);
  out.bytes_received = relayed.bytes;
  out.answered = relayed.head_written;
  if (relayed.write_error) {
    out.caller_gone = true;
    out.caller_reusable = false;
    co_return attempt;
  }
  if (relayed.read_error) {
    out.failure = UpstreamFailed(proxied.upstream, "while answering", relayed.read_error, watchdog);
    out.caller_reusable = false;  // the caller must see the answer cut short
    co_return attempt;
  }
  attempt.upstream_reusable = response->keep_alive();
  co_return attempt;
}

}  // namespace

asio::awaitable<Forwarded> Forward(const ProxyRequest& proxied) {
  auto& request = proxied.request;
  FieldFilter request_filter(request.get(), proxied.credential.headers, /*from_caller=*/true);
  size_t request_fields = CountFields(request.get());
  AppendRequestHead(proxied.caller.head, proxied, request_filter);
  bool expects_continue =
      !request.is_done() && beast::iequals(request.get()[bhttp::field::expect], "100-continue");
  Watchdog& watchdog = *proxied.caller.watchdog;
  for (int tries = 0;; ++tries) {
    std::unique_ptr<UpstreamConnection> connection = proxied.pool.TakeIdle(proxied.upstream);
    if (!connection) {
      auto connected = co_await proxied.pool.Connect(proxied.upstream, watchdog);
      watchdog.Watch(nullptr);  // what Connect was waiting on may be gone now
      if (!connected.ok()) {
        Forwarded failed;
        failed.failure = std::move(connected).status();
        co_return failed;
      }
      connection = std::move(*connected);
    }
    watchdog.Watch(&beast::get_lowest_layer(connection->stream));
    if (expects_continue) {
      // The upstream is there: let the caller send its body.
      expects_continue = false;
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      watchdog.Arm(proxied.timeouts.write);
      auto [write_error, written] =
          co_await asio::async_write(proxied.caller.socket, asio::buffer(kContinue), kNoThrow);
      (void)written;
      if (write_error) {
        watchdog.Watch(nullptr);
        Forwarded gone;
        gone.caller_gone = true;
        co_return gone;
      }
    }
    Attempt attempt = co_await Exchange(proxied, *connection, request_filter, request_fields);
    watchdog.Watch(nullptr);
    if (attempt.retry && tries == 0) {
      continue;
    }
    if (attempt.upstream_reusable) {
      proxied.pool.Release(proxied.upstream, std::move(connection));
    }
    co_return std::move(attempt.forwarded);
  }
}

}  // namespace signet::agent
