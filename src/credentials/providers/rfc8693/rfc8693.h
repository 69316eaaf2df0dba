// rfc8693: a token from any destination's security token service that trusts Signet as
// an OIDC issuer, through a generic RFC 8693 token exchange.
//
// For each credential Signet mints an assertion (a JWT signed with its own key: iss =
// Signet's issuer URL, sub = the workload's SPIFFE id, aud = the destination's audience,
// which must be configured, iat, exp, jti) and trades it at POST {token_url},
// form-encoded (credentials/token_exchange.h): grant_type
// urn:ietf:params:oauth:grant-type:token-exchange, subject_token, subject_token_type
// urn:ietf:params:oauth:token-type:jwt, requested_token_type, audience (the
// exchange_audience setting, by default the destination's audience; not sent when set
// empty), resource (when set) and scope (the policy's granted scopes; not sent when
// none), with HTTP Basic client authentication when client_id is set. The STS answers as
// RFC 8693 §2.2.1 says, with a bearer token of the requested type; its refusals are
// RFC 6749 §5.2 JSON errors.
//
// Tokens are cached per (workload, scopes) and refreshed ahead of expiry
// (credentials/outbound.h, CachingProvider); the expiry reported to the workload is the
// earlier of the token's own and the lifetime the policy granted.
//
// Settings: token_url (required); exchange_audience, resource, requested_token_type
// (urn:ietf:params:oauth:token-type:access_token), client_id, client_secret (the name of
// the vault secret holding the client's secret; requires client_id), ca_file. See
// docs/credentials/rfc8693.md.
#pragma once

#include "credentials/provider.h"

namespace signet::credentials {

// The kind's registry entry: factory, settings, no default audience.
ProviderKind Rfc8693Kind();

}  // namespace signet::credentials
