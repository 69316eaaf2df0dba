// oauth2-client-credentials: an access token from any OAuth 2.0 authorization server
// through the client credentials grant (RFC 6749 §4.4), Signet being the client.
//
// Signet POSTs to the token_url an application/x-www-form-urlencoded body:
// grant_type=client_credentials, scope (the scopes the policy granted, else the `scope`
// setting, else left out), resource (RFC 8707, when set), and the client authentication
// of `auth_method`:
//   - client_secret_basic (the default): `Authorization: Basic base64(id:secret)`, id and
//     secret form-urlencoded first (RFC 6749 §2.3.1);
//   - client_secret_post: client_id and client_secret in the body;
//   - private_key_jwt (RFC 7523 §2.2, §3): client_id, client_assertion_type
//     urn:ietf:params:oauth:client-assertion-type:jwt-bearer and client_assertion, a JWT
//     Signet signs with its own key (iss = sub = client_id, aud = the destination's
//     audience, the token_url by default, iat, exp 5 minutes on, jti); the client is
//     registered at the authorization server with Signet's JWKS URL.
// The answer is an RFC 6749 §5.1 bearer token; an error is RFC 6749 §5.2 JSON, of which
// only `error` is repeated.
//
// The client secret lives in Signet's vault: the `client_secret` setting names the vault
// secret (`signet secret put NAME`), opened for each exchange and never logged.
//
// Tokens are cached per (workload, scopes) and refreshed ahead of expiry
// (credentials/credential_cache.h); the expiry a workload is told is capped by the
// lifetime the policy granted.
//
// Settings: token_url, client_id (required); auth_method (client_secret_basic,
// client_secret_post or private_key_jwt); client_secret (required for the secret methods,
// refused for private_key_jwt); scope; resource; ca_file (a PEM bundle to trust instead of
// the system's CAs). See docs/credentials/oauth2-client-credentials.md.
//
// ClientCredentialsProvider is the exchange itself, shared with azure-entra (Entra's
// token endpoint speaks the same grant with a private_key_jwt-shaped assertion).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "credentials/outbound.h"
#include "credentials/provider.h"

namespace signet::credentials {

// What a client adds to the token request to authenticate (RFC 6749 §2.3).
struct ClientAuthentication {
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string jti;  // the client assertion's, for the audit trail; "" for a secret
};

// RFC 6749 §4.4 at one token endpoint: POST grant_type=client_credentials, the scope
// ScopeFor names ("" leaves it out), the destination's `resource` setting when set, and
// what Authenticate adds; the answer is an RFC 6749 §5.1 bearer token.
class ClientCredentialsProvider : public CachingProvider {
 protected:
  // `refusal_hint` tells the operator where to look when the destination refuses.
  ClientCredentialsProvider(Destination destination, ProviderContext context,
                            std::unique_ptr<http::HttpClient> client, std::string token_url,
                            std::string refusal_hint);

  virtual Result<std::string> ScopeFor(const IssueRequest& request) const = 0;
  virtual Result<ClientAuthentication> Authenticate(const IssueRequest& request) const = 0;
  // The error identifier of a refusal's body: RFC 6749 §5.2 `error`.
  virtual std::string UpstreamErrorCode(std::string_view body) const;

  const Destination& destination() const { return destination_; }
  const ProviderContext& context() const { return context_; }
  const std::string& token_url() const { return token_url_; }

 private:
  Result<Credential> Fetch(const IssueRequest& request) const final;

  const Destination destination_;
  const ProviderContext context_;
  const std::unique_ptr<http::HttpClient> client_;
  const std::string token_url_;
  const std::string refusal_hint_;
};

// The kind's registry entry: factory, settings, default audience.
ProviderKind OAuth2ClientCredentialsKind();

}  // namespace signet::credentials
