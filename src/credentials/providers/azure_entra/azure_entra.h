// azure-entra: a Microsoft Entra access token through workload identity federation, with
// Signet as the issuer of a federated identity credential on an app registration (or a
// user-assigned managed identity).
//
// For each token Signet mints an assertion, a JWT signed with its own key (iss = Signet's
// issuer URL, sub = the workload's SPIFFE id, aud = the destination's audience,
// api://AzureADTokenExchange by default: the federated identity credential's issuer,
// subject and audience), and trades it with the client credentials grant at
// POST {authority}/{tenant_id}/oauth2/v2.0/token, form-encoded: grant_type
// client_credentials, scope (<resource>/.default), client_id, client_assertion_type
// urn:ietf:params:oauth:client-assertion-type:jwt-bearer, client_assertion. Entra answers
// with a bearer token and expires_in; an error is {error, error_description, error_codes,
// timestamp, trace_id, correlation_id}, of which only `error` and the first AADSTS number
// of error_codes are repeated (the description may echo what was sent).
//
// The scope is the one scope the policy granted, else the `scope` setting; one of them
// is needed, and it must end in /.default (the client credentials grant takes only the
// resource's statically consented permissions).
//
// Tokens are cached per (workload, scope) and refreshed ahead of expiry; the expiry a
// workload is told is capped by the lifetime the policy granted.
//
// Settings: tenant_id (a GUID or a verified domain), client_id (a GUID) (required);
// authority (https://login.microsoftonline.com), scope, ca_file (a PEM bundle to trust
// instead of the system's CAs). See docs/credentials/azure-entra.md.
#pragma once

#include <string_view>

#include "credentials/provider.h"

namespace signet::credentials {

inline constexpr std::string_view kEntraAudience = "api://AzureADTokenExchange";
inline constexpr std::string_view kEntraAuthority = "https://login.microsoftonline.com";

// The kind's registry entry: factory, settings, default audience.
ProviderKind AzureEntraKind();

}  // namespace signet::credentials
