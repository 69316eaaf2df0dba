// aws-sts: AWS credentials (an access key triple) through STS AssumeRoleWithWebIdentity,
// with Signet registered in IAM as an OIDC identity provider.
//
// For each credential Signet mints an assertion, a JWT signed with its own key (header
// alg, kid, typ JWT; claims iss = Signet's issuer URL, sub = the workload's SPIFFE id,
// aud = the destination's audience, sts.amazonaws.com by default, iat, exp, jti), and
// trades it at STS with the Query API, unsigned: POST / with an
// application/x-www-form-urlencoded body Action=AssumeRoleWithWebIdentity,
// Version=2011-06-15, RoleArn, RoleSessionName (session_name_prefix + the workload's
// name, so CloudTrail names the workload), WebIdentityToken, DurationSeconds and, for
// each granted scope, PolicyArns.member.N.arn. STS answers with XML (namespace
// https://sts.amazonaws.com/doc/2011-06-15/):
// AssumeRoleWithWebIdentityResponse/AssumeRoleWithWebIdentityResult/Credentials/
// {AccessKeyId, SecretAccessKey, SessionToken, Expiration}; errors are
// ErrorResponse/Error/{Type, Code, Message}, of which only the Code is repeated.
//
// Scopes are IAM managed policy ARNs (at most 10), passed as session policies: the
// session gets the intersection of the role's policies and these. Any other scope is
// invalid_scope.
//
// Credentials are cached per (workload, scopes) and refreshed ahead of expiry
// (credentials/credential_cache.h). DurationSeconds is the granted lifetime, raised to
// STS's minimum of 900 s and lowered to max_session_duration; the expiry reported to the
// workload is still capped to the granted lifetime.
//
// Settings: role_arn (required; arn:aws:iam::<account>:role/<name>); region (STS's
// regional endpoint https://sts.<region>.amazonaws.com; without it the global
// https://sts.amazonaws.com) or sts_url (another endpoint: a VPC endpoint, a partition's
// endpoint, a test stand-in); session_name_prefix ("signet-"); max_session_duration
// (the role's MaxSessionDuration in seconds, 900..43200, default 3600); ca_file (a PEM
// bundle to trust instead of the system's CAs). See docs/credentials/aws-sts.md.
#pragma once

#include <string_view>

#include "credentials/provider.h"

namespace signet::credentials {

inline constexpr std::string_view kAwsStsAudience = "sts.amazonaws.com";

// The kind's registry entry: factory, settings, default audience.
ProviderKind AwsStsKind();

}  // namespace signet::credentials
