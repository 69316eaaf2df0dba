#include "server/http_fetcher.h"

namespace signet::server {

HttpFetcher::HttpFetcher(http::HttpClient& client, MetricsRegistry* metrics) : client_(client) {
  if (metrics != nullptr) {
    constexpr std::string_view kHelp = "Fetches of issuers' discovery documents and JWKS.";
    ok_ = &metrics->GetCounter("signet_issuer_fetches_total", kHelp, {{"outcome", "ok"}});
    failed_ = &metrics->GetCounter("signet_issuer_fetches_total", kHelp, {{"outcome", "error"}});
  }
}

Result<std::string> HttpFetcher::Get(const std::string& url) {
  http::ClientRequest request;
  request.url = url;
  request.headers.emplace_back("Accept", "application/json");
  Result<http::ClientResponse> response = client_.Send(request);
  Result<std::string> body =
      !response.ok() ? Result<std::string>(response.status())
      : response->status != 200
          ? Result<std::string>(
                Status(ErrorCode::kTemporarilyUnavailable, "fetch_status",
                       "GET " + url + " answered HTTP " + std::to_string(response->status)))
          : Result<std::string>(std::move(response->body));
  if (Counter* outcome = body.ok() ? ok_ : failed_) {
    outcome->Increment();
  }
  return body;
}

}  // namespace signet::server
