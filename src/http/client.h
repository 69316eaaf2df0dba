// HttpClient: Signet's outbound HTTP(S), for fetching issuers' discovery documents and
// JWKS (and, later, calling destinations' token endpoints). Blocking: callers are
// background refreshes or rate-limited refetches, never the I/O thread's fast path.
//
// https verifies the server's certificate chain (system CAs, or `ca_file`) and host name,
// with SNI. Redirects are not followed (a 3xx is returned as is): a JWKS location that
// moves must be reconfigured, not chased. Error messages name the host and what failed,
// never a header value or a body, which may hold secrets.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace signet::http {

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ClientResponse {
  int status = 0;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ClientOptions {
  std::chrono::milliseconds timeout{5000};  // the whole exchange, connect to last byte
  size_t max_response_bytes = 1024 * 1024;
  std::string ca_file;  // PEM bundle; empty: the system's CAs
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Safe to call from several threads at once. Errors: url_invalid (invalid_request);
  // fetch_failed, fetch_timeout, response_too_large (temporarily_unavailable).
  virtual Result<ClientResponse> Send(const ClientRequest& request) = 0;
};

std::unique_ptr<HttpClient> MakeHttpClient(ClientOptions options);

}  // namespace signet::http
