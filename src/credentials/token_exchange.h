// An RFC 8693 token exchange at a destination's security token service: Signet's
// assertion traded for the destination's own token. One request and one reading of the
// answer for every kind that speaks it (rfc8693, gcp-sts), so they cannot drift apart.
//
// The request (RFC 8693 §2.1): POST {token_url}, application/x-www-form-urlencoded, with
// grant_type urn:ietf:params:oauth:grant-type:token-exchange, subject_token,
// subject_token_type urn:ietf:params:oauth:token-type:jwt, requested_token_type and, when
// set, audience, resource and scope; HTTP Basic client authentication (RFC 6749 §2.3.1)
// when a client id is set, no Authorization header otherwise.
// The answer (RFC 8693 §2.2.1): access_token, issued_token_type (the type requested),
// token_type Bearer, expires_in, optional scope; errors are RFC 6749 §5.2 JSON, of which
// only `error` is repeated (outbound.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/secret.h"
#include "credentials/provider.h"
#include "http/client.h"

namespace signet::credentials {

inline constexpr std::string_view kTokenExchangeGrant =
    "urn:ietf:params:oauth:grant-type:token-exchange";

struct TokenExchange {
  std::string token_url;
  std::string subject_token;  // a JWT Signet signed (SignAssertion)
  std::string requested_token_type;
  std::string audience;             // sent when not empty
  std::string resource;             // sent when not empty
  std::vector<std::string> scopes;  // sent as `scope` when not empty
  std::string client_id;            // HTTP Basic client authentication when not empty
  Secret client_secret;
};

// Sends `exchange` with `client` and reads the answer as a bearer credential of the
// requested type, expiring expires_in after `sent_at`; its scopes are the answer's
// `scope`, or `exchange.scopes` when it names none. Failures as outbound.h maps them,
// `hint` telling the operator where to look when the destination refuses.
Result<Credential> RunTokenExchange(const Destination& destination, http::HttpClient& client,
                                    const TokenExchange& exchange, SystemTime sent_at,
                                    std::string_view hint);

}  // namespace signet::credentials
