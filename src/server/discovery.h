// The OIDC discovery document and JWKS that let a relying party (a destination that
// trusts Signet, or a vendor's federation such as Anthropic WIF) verify Signet's tokens.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "http/server.h"
#include "jose/jwk.h"

namespace signet::server {

// Signet's published keys, read per request: they change when keys rotate
// (SigningKeyRotator::PublishedKeys). Never null.
using JwksSource = std::function<std::shared_ptr<const jose::Jwks>()>;

// Adds GET /.well-known/openid-configuration (and the same document at
// /.well-known/oauth-authorization-server) and GET /.well-known/jwks.json to `router`
// (signetd adds /healthz and /readyz itself). Both documents are built from `signing_keys` on every
// request, so a key published by a rotation is served at once. The JWKS holds public members only;
// `token_path` is appended to the issuer to name the token endpoint.
void AddDiscoveryRoutes(http::Router& router, const std::string& issuer,
                        std::string_view token_path, JwksSource signing_keys);

}  // namespace signet::server
