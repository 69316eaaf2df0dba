#include "credentials/token_exchange.h"

#include <openssl/evp.h>

#include "common/json.h"
#include "credentials/outbound.h"
#include "http/form.h"

namespace signet::credentials {
namespace {

// One value as application/x-www-form-urlencoded encodes it.
std::string FormEncoded(std::string_view value) {
  return http::EncodeForm({{"", std::string(value)}}).substr(1);
}

// RFC 6749 §2.3.1: the client id and secret are form-encoded before they are joined, so
// a ':' in either survives.
std::string BasicAuthorization(std::string_view client_id, const Secret& client_secret) {
  std::string joined =
      FormEncoded(client_id) + ":" + FormEncoded(client_secret.Reveal(SecretAccess::Grant()));
  std::string encoded(4 * ((joined.size() + 2) / 3), '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(joined.data()),
                                static_cast<int>(joined.size()));
  encoded.resize(static_cast<size_t>(written));
  Secret wipe(std::move(joined));  // the secret in clear goes when this does
  return "Basic " + encoded;
}

}  // namespace

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
                              BasicAuthorization(exchange.client_id, exchange.client_secret));
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
