// Absolute http(s) URLs as Signet's configuration and discovery documents use them:
// issuer URLs, jwks_uri, destination URLs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace signet {

struct HttpUrl {
  bool https = false;
  std::string host;   // an IPv6 literal keeps its brackets: "[::1]"
  uint16_t port = 0;  // the explicit port, or 443 / 80
  std::string path;   // "" or starting with '/'
};

// Parses an absolute http or https URL with a host, no user info and no fragment (the
// user info would let "http://localhost@evil.example" pass for a loopback URL).
// Reason url_invalid (invalid_request), with a message naming what is wrong.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

// 127.0.0.1, localhost or [::1]: the hosts on which plain http is accepted for local
// development.
bool IsLoopbackHost(std::string_view host);

// An https URL, or an http URL on a loopback host; otherwise url_invalid or
// url_insecure (invalid_request).
Status CheckSecureUrl(std::string_view url);

// Splits a listen address "host:port" ("127.0.0.1:8080", "[::1]:0": an IPv6 host loses
// its brackets); reason listen_address_invalid (invalid_config).
Status ParseListenAddress(std::string_view text, std::string* host, uint16_t* port);

}  // namespace signet
