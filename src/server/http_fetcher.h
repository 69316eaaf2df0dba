// The trust module's Fetcher over the HTTP client: how issuers' discovery documents and
// JWKS are fetched in production.
#pragma once

#include "http/client.h"
#include "trust/fetcher.h"

namespace signet::server {

class HttpFetcher final : public trust::Fetcher {
 public:
  // `client` must outlive this fetcher.
  explicit HttpFetcher(http::HttpClient& client) : client_(client) {}

  // The body of a 200 answer; another status is temporarily_unavailable (fetch_status)
  // naming the status and the URL.
  Result<std::string> Get(const std::string& url) override;

 private:
  http::HttpClient& client_;
};

}  // namespace signet::server
