// `signet dev idp`: a small OIDC issuer for the quickstart and the tests, so a newcomer
// can get an upstream identity token within a minute. It mints tokens shaped like a
// Kubernetes projected service-account token, a GitHub Actions OIDC token or a SPIFFE
// JWT-SVID, for whatever subject it is asked: it is a development tool, never an issuer
// to trust in production.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "http/server.h"
#include "jose/signing_key.h"

namespace signet::cli {

// RS256 with a 2048-bit key, as Kubernetes API servers sign; kid = RFC 7638 thumbprint.
Result<std::shared_ptr<const jose::SigningKey>> MakeDevIdpKey();

// GET /.well-known/openid-configuration, GET /.well-known/jwks.json, and POST /mint
// (form fields: see docs/cli.md). `*issuer` is the `iss` of what it mints, read at each
// request: with port 0 it is known only once the server is bound, and is set then,
// before the server runs.
void AddDevIdpRoutes(http::Router& router, std::shared_ptr<const std::string> issuer,
                     std::shared_ptr<const jose::SigningKey> key, const Clock& clock,
                     Random& random);

}  // namespace signet::cli
