#include "credentials/token_exchange.h"

#include "common/json.h"
#include "credentials/outbound.h"
#include "http/form.h"

namespace signet::credentials {

Result<Credential> RunTokenExchange(const Destination& destination, http::HttpClient& client,
                                    const TokenExchange& exchange, SystemTime sent_at,
                                    std::string_view hint) {
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", std::string(kTokenExchangeGrant)},
      {"subject_token", exchange.subject_token},
      {"subject_token_type", std::string(kJwtTokenType)},
      {"requested_token_type", exchange.requested_token_type},
  };
  if (!exchange.audience.empty()) {
    form.emplace_back("audience", exchange.audience);
  }
  if (!exchange.resource.empty()) {
    form.emplace_back("resource", exchange.resource);
  }
  if (!exchange.scopes.empty()) {
    form.emplace_back("scope", JoinScopes(exchange.scopes));
  }
  http::ClientRequest post;
  post.method = "POST";
  post.url = exchange.token_url;
  post.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"Accept", "application/json"},
                  {"User-Agent", "signet"}};
  if (!exchange.client_id.empty()) {
    post.headers.emplace_back("Authorization",
                              ClientSecretBasic(exchange.client_id, exchange.client_secret));
  }
  post.body = http::EncodeForm(form);
  Result<http::ClientResponse> response = client.Send(post);
  if (!response.ok()) {
    return DestinationUnreachable(destination, response.status());
  }
  if (response->status != 200) {
    return DestinationRefusal(destination, response->status, JsonErrorCode(response->body), hint);
  }
  SIGNET_ASSIGN_OR_RETURN(Credential credential, ParseTokenResponse(destination, response->body,
                                                                    sent_at, exchange.scopes));
  // RFC 8693 requires issued_token_type; a token of another type than asked for would be
  // handed to the workload as what it is not.
  Result<boost::json::object> answer = ParseJsonObject(response->body);  // parsed above
  const boost::json::value* issued = answer->if_contains("issued_token_type");
  if (issued == nullptr || !issued->is_string() ||
      issued->as_string() != exchange.requested_token_type) {
    return MalformedAnswer(destination,
                           "has no issued_token_type " + exchange.requested_token_type);
  }
  credential.issued_token_type = exchange.requested_token_type;
  return credential;
}

}  // namespace signet::credentials
