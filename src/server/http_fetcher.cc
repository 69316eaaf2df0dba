#include "server/http_fetcher.h"

namespace signet::server {

Result<std::string> HttpFetcher::Get(const std::string& url) {
  http::ClientRequest request;
  request.url = url;
  request.headers.emplace_back("Accept", "application/json");
  SIGNET_ASSIGN_OR_RETURN(http::ClientResponse response, client_.Send(request));
  if (response.status != 200) {
    return Status(ErrorCode::kTemporarilyUnavailable, "fetch_status",
                  "GET " + url + " answered HTTP " + std::to_string(response.status));
  }
  return std::move(response.body);
}

}  // namespace signet::server
