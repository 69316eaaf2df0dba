// The trust module's Fetcher over the HTTP client: how issuers' discovery documents and
// JWKS are fetched in production.
#pragma once

#include "common/metrics.h"

#include "http/client.h"
#include "trust/fetcher.h"

namespace signet::server {

class HttpFetcher final : public trust::Fetcher {
 public:
  // `client` (and `metrics`, when given) must outlive this fetcher. With `metrics`,
  // fetches count in signet_issuer_fetches_total{outcome="ok"|"error"}.
  explicit HttpFetcher(http::HttpClient& client, MetricsRegistry* metrics = nullptr);

  // The body of a 200 answer; another status is temporarily_unavailable (fetch_status)
  // naming the status and the URL.
  Result<std::string> Get(const std::string& url) override;

 private:
  http::HttpClient& client_;
  Counter* ok_ = nullptr;
  Counter* failed_ = nullptr;
};

}  // namespace signet::server
