// gcp-sts: a Google Cloud access token through Workload Identity Federation, with Signet
// as the OIDC issuer of a workload identity pool provider.
//
// For each credential Signet mints an assertion (a JWT signed with its own key: iss =
// Signet's issuer URL, sub = the workload's SPIFFE id, aud = the destination's audience,
// by default what a pool provider accepts unless told otherwise,
// https://iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>,
// iat, exp, jti) and trades it at Google's STS, POST {token_url} (RFC 8693, form-encoded,
// no Authorization; credentials/token_exchange.h) with audience
// //iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>,
// scope (the policy's granted scopes, https://www.googleapis.com/auth/cloud-platform when
// none), requested_token_type access_token and subject_token_type jwt. The answer is a
// federated access token (access_token, issued_token_type, token_type, expires_in).
//
// With service_account set, a second hop impersonates that service account:
// POST {iam_credentials_url}/v1/projects/-/serviceAccounts/<email>:generateAccessToken with
// Authorization: Bearer <federated token> and JSON {"scope": [...], "lifetime": "<n>s"}
// (n: the granted lifetime, at most Google's default maximum of 3600), answered with
// {accessToken, expireTime (RFC 3339)}; Google's errors there are {"error": {"code",
// "message", "status"}}, of which only `status` is repeated.
//
// Tokens are cached per (workload, scopes) and refreshed ahead of expiry
// (CachingProvider); the expiry reported to the workload is the earlier of the token's
// own and the lifetime the policy granted.
//
// Settings: project_number, pool_id, provider_id (required); service_account, token_url
// (https://sts.googleapis.com/v1/token), iam_credentials_url
// (https://iamcredentials.googleapis.com), ca_file. See docs/credentials/gcp-sts.md.
#pragma once

#include "credentials/provider.h"

namespace signet::credentials {

// The kind's registry entry: factory, settings; the audience derives from the pool
// provider's settings.
ProviderKind GcpStsKind();

}  // namespace signet::credentials
