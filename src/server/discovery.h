// The OIDC discovery document and JWKS that let a relying party (a destination that
// trusts Signet, or a vendor's federation such as Anthropic WIF) verify Signet's tokens.
#pragma once

#include <string>

#include "http/server.h"
#include "jose/jwk.h"

namespace signet::server {

// Adds GET /.well-known/openid-configuration, GET /.well-known/jwks.json and
// GET /healthz to `router`. The JWKS holds public members only.
void AddDiscoveryRoutes(http::Router& router, const std::string& issuer,
                        const jose::Jwks& signing_keys);

}  // namespace signet::server
