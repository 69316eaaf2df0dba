// github-app: a GitHub App installation access token, minted with the App's private key
// kept in Signet's vault.
//
// For each credential Signet signs an App JWT with that key (RS256; iat 60 s in the past
// against clock drift, exp 9 minutes ahead, under GitHub's 10-minute limit; iss = the
// App's client id) and calls POST {api_url}/app/installations/{installation_id}/
// access_tokens with Authorization: Bearer <App JWT>, Accept: application/vnd.github+json,
// X-GitHub-Api-Version: 2022-11-28, User-Agent: signet and a JSON body that narrows the
// token to repositories and permissions. GitHub answers 201 with {token, expires_at
// (RFC 3339, one hour ahead), permissions, repository_selection, repositories}; the token
// is handed out as a bearer access token expiring at expires_at (no assumption on its
// length or shape: GitHub changes the format).
//
// Scopes the policy grants narrow the token:
//   <permission>:<read|write|admin>  e.g. contents:read, pull_requests:write
//                                    -> "permissions": {"<permission>": "<level>"}
//                                       (the highest level granted for a permission)
//   repo:<name>                      e.g. repo:signet -> "repositories": ["signet"]
// Any other scope is refused (invalid_scope). Where the granted scopes name no
// permission, the destination's `permissions` setting applies; where they name no
// repository, its `repositories` setting applies; with neither, no body is sent and the
// token gets everything the installation has.
//
// GitHub's errors are {message, documentation_url, status}; message may echo the input,
// so only the HTTP status is repeated. A 403 with x-ratelimit-remaining: 0 or retry-after
// (GitHub's primary and secondary rate limits), like a 429, is temporarily_unavailable.
//
// Settings: client_id, installation_id (digits), private_key_secret (the vault secret
// holding the App's PEM private key, PKCS#1 as GitHub hands it out, or PKCS#8) required;
// api_url (https://api.github.com; GitHub Enterprise Server: https://HOST/api/v3),
// repositories (names, separated by commas or spaces), permissions (scopes of the form
// above, separated by commas or spaces), ca_file. See docs/credentials/github-app.md.
#pragma once

#include <string_view>

#include "credentials/provider.h"

namespace signet::credentials {

inline constexpr std::string_view kGitHubApiUrl = "https://api.github.com";

// The kind's registry entry: factory and settings; it takes no audience.
ProviderKind GitHubAppKind();

}  // namespace signet::credentials
