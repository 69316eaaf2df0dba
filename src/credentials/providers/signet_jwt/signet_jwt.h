// signet-jwt: an RFC 9068 JWT access token signed by Signet, for services that trust
// Signet's JWKS directly. Header typ "at+jwt"; claims iss (Signet's issuer), sub (the
// workload's SPIFFE id spiffe://<trust_domain>/workload/<name>), aud (the destination's
// audience), client_id (the workload's name), jti, iat, exp, scope (when granted), and
// upstream {iss, sub}: the identity the workload proved, for the destination's own logs.
#pragma once

#include <memory>

#include "credentials/provider.h"

namespace signet::credentials {

// The token is both an OAuth access token and a JWT: it is issued as the type the request
// asks for (kAccessTokenType by default, or kJwtTokenType).
Result<std::unique_ptr<CredentialProvider>> CreateSignetJwtProvider(const Destination& destination,
                                                                    const ProviderContext& context);

// The kind's registry entry: the audience is required and the destination's own (the
// token is the workload's to present).
ProviderKind SignetJwtKind();

}  // namespace signet::credentials
