#include "common/url.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>

namespace signet {
namespace {

Status UrlError(std::string_view url, std::string_view problem) {
  constexpr size_t kShown = 200;  // enough to recognise the URL, bounded for logs
  std::string shown(url.substr(0, kShown));
  return Status(ErrorCode::kInvalidRequest, "url_invalid",
                "\"" + shown + "\" is not a usable URL: " + std::string(problem));
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) {
    return UrlError(text, "it is not an absolute URI");
  }
  const boost::urls::url_view& url = *parsed;
  HttpUrl result;
  if (url.scheme() == "https") {
    result.https = true;
  } else if (url.scheme() != "http") {
    return UrlError(text, "the scheme must be https (or http on a loopback host)");
  }
  if (!url.has_authority() || url.encoded_host().empty()) {
    return UrlError(text, "it has no host");
  }
  if (url.has_userinfo()) {
    return UrlError(text, "user info (\"user@\") is not allowed");
  }
  if (url.has_fragment()) {
    return UrlError(text, "a fragment (\"#...\") is not allowed");
  }
  result.host = std::string(url.encoded_host());
  if (url.has_port()) {
    // port_number() is 0 for an empty port and for one beyond 65535.
    if (url.port_number() == 0) {
      return UrlError(text, "the port must be 1..65535");
    }
    result.port = url.port_number();
  } else {
    result.port = result.https ? 443 : 80;
  }
  result.path = std::string(url.encoded_path());
  // Boost.URL 1.81 reads "https://a.example:44x3" as port 44 and path "x3"; a path after
  // an authority must start with '/' (RFC 3986 §3.3), so this refuses such a port.
  if (!result.path.empty() && result.path.front() != '/') {
    return UrlError(text, "the port must be a number and the path must start with '/'");
  }
  return result;
}

bool IsLoopbackHost(std::string_view host) {
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

Status CheckSecureUrl(std::string_view text) {
  SIGNET_ASSIGN_OR_RETURN(HttpUrl url, ParseHttpUrl(text));
  if (!url.https && !IsLoopbackHost(url.host)) {
    return Status(ErrorCode::kInvalidRequest, "url_insecure",
                  "\"" + std::string(text.substr(0, 200)) +
                      "\" must be https (plain http is accepted only on a loopback host)");
  }
  return Status::Ok();
}

Status ParseListenAddress(std::string_view text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status(ErrorCode::kInvalidConfig, "listen_address_invalid",
                  "listen address must be host:port, e.g. 127.0.0.1:8080");
  }
  std::string_view h = text.substr(0, colon);
  if (h.starts_with("[") && h.ends_with("]")) {
    h = h.substr(1, h.size() - 2);
  }
  std::string_view digits = text.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || value > 65535 || h.empty()) {
    return Status(ErrorCode::kInvalidConfig, "listen_address_invalid",
                  "listen address must be host:port with a port of 0..65535");
  }
  *host = std::string(h);
  *port = static_cast<uint16_t>(value);
  return Status::Ok();
}

}  // namespace signet
