// The OIDC discovery document and JWKS that let a relying party (a destination that
// trusts Signet, or a vendor's federation such as Anthropic WIF) verify Signet's tokens.
#pragma once

#include <string>
#include <string_view>

#include "http/server.h"
#include "jose/jwk.h"

namespace signet::server {

// Adds GET /.well-known/openid-configuration (and the same document at
// /.well-known/oauth-authorization-server), GET /.well-known/jwks.json and GET /healthz
// to `router`. The JWKS holds public members only; `token_path` is appended to the issuer
// to name the token endpoint.
void AddDiscoveryRoutes(http::Router& router, const std::string& issuer,
                        std::string_view token_path, const jose::Jwks& signing_keys);

}  // namespace signet::server
