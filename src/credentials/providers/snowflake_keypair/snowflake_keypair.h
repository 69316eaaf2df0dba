// snowflake-keypair: a Snowflake key-pair authentication JWT, signed with the Snowflake
// user's RSA private key kept in Signet's vault. Signet calls nothing: the workload sends
// the JWT to Snowflake (the SQL API, drivers that take a token) itself.
//
// The JWT (RS256, header typ JWT) carries iss = <ACCOUNT>.<USER>.SHA256:<fingerprint>,
// sub = <ACCOUNT>.<USER>, iat, exp and a jti (which Snowflake ignores; the audit trail
// names it), where <ACCOUNT> is the account identifier
// uppercased and cut at its first '.' (the region, cloud and domain Snowflake's account
// URLs append), or at its first '-' for a replication name ending in .global; <USER> is
// the user's login name uppercased; <fingerprint> is base64 of the SHA-256 of the public
// key's DER SubjectPublicKeyInfo, the RSA_PUBLIC_KEY_FP that DESCRIBE USER shows. exp is
// at most an hour after iat (Snowflake's limit) and no later than the lifetime the policy
// granted. The credential is a token (issued_token_type
// urn:ietf:params:oauth:token-type:jwt) sent with two headers: Authorization: Bearer
// <JWT> and X-Snowflake-Authorization-Token-Type: KEYPAIR_JWT.
//
// JWTs are cached per (workload, scopes) like fetched credentials, so the vault is read
// once per JWT, not per request.
//
// Settings: account, user, private_key_secret (the vault secret holding the user's PEM
// RSA private key, PKCS#8 or PKCS#1, unencrypted), all required. See
// docs/credentials/snowflake-keypair.md.
#pragma once

#include <string>
#include <string_view>

#include "credentials/provider.h"

namespace signet::credentials {

// <ACCOUNT> of the JWT's iss and sub for the account identifier `account`, as Snowflake's
// key-pair sample prepares it.
std::string SnowflakeJwtAccount(std::string_view account);

// The kind's registry entry: factory and settings; it takes no audience.
ProviderKind SnowflakeKeypairKind();

}  // namespace signet::credentials
