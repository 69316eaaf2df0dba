// anthropic-wif: a Claude API access token through Anthropic's Workload Identity
// Federation, with Signet as the federation issuer registered at Anthropic.
//
// For each credential Signet mints an assertion, a JWT signed with its own key (header
// alg, kid, typ JWT; claims iss = Signet's issuer URL exactly as registered, sub = the
// workload's SPIFFE id, aud = the destination's audience, https://api.anthropic.com by
// default, iat, exp, jti), and trades it at POST {base_url}/v1/oauth/token with a JSON
// body: grant_type urn:ietf:params:oauth:grant-type:jwt-bearer, assertion,
// federation_rule_id, organization_id, service_account_id and, when set, workspace_id.
// Anthropic answers with a bearer access token and expires_in (RFC 6749 §5.1).
//
// Tokens are cached per (workload, scopes) and refreshed ahead of expiry
// (credentials/credential_cache.h). The expiry reported to the workload is the earlier
// of the token's own and the lifetime the policy granted this request; the token's real
// lifetime is the federation rule's (token_lifetime_seconds), which the rule should keep
// at or below the policy's max_ttl.
//
// Settings: organization_id, federation_rule_id, service_account_id (required);
// workspace_id, base_url (https://api.anthropic.com), ca_file (a PEM bundle to trust
// instead of the system's CAs). See docs/credentials/anthropic-wif.md.
#pragma once

#include <memory>
#include <string_view>

#include "credentials/provider.h"

namespace signet::credentials {

inline constexpr std::string_view kAnthropicAudience = "https://api.anthropic.com";

// The kind's registry entry: factory, settings, default audience.
ProviderKind AnthropicWifKind();

}  // namespace signet::credentials
