// How a signet-agent gets its name and keeps it (docs/agent.md).
//
// An agent is a name ("node-a"). An administrator creates a join token for that name
// (`signet agent join-token create --agent node-a`): "sjt_" and 32 random bytes in
// base64url, shown once and stored by its SHA-256 only, good for one join before it
// expires. (An agent may instead join with an OIDC token its platform gives it: the
// Broker resolves it to a workload, whose name becomes the agent's; see AgentApi.)
//
// Joining earns an agent token, which the agent presents at every other /v1/agents/*
// route and renews before it expires: a JWT signed with signetd's signing key of the
// moment, iss = signetd's issuer, aud = "<issuer>/v1/agents", sub = the agent's name,
// iat, exp (kAgentTokenLifetime), jti, header typ "signet-agent+jwt". No other token
// Signet signs has that typ or that aud, and what Signet accepts elsewhere (subject
// tokens, introspection) refuses that typ, so an agent token is good at /v1/agents/*
// only, and nothing else Signet issues is good there.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/random.h"
#include "common/secret.h"
#include "common/status.h"
#include "credentials/provider.h"
#include "jose/jwk.h"
#include "jose/jwt.h"
#include "store/store.h"

namespace signet::server {

inline constexpr std::string_view kJoinTokenPrefix = "sjt_";
inline constexpr std::chrono::seconds kDefaultJoinTokenTtl = std::chrono::hours(1);
inline constexpr std::chrono::seconds kMaxJoinTokenTtl = std::chrono::hours(24);
// Signing keys must stay published at least this long after they stop signing, or a
// rotation would cut off agents that joined with a one-time token.
inline constexpr std::chrono::seconds kAgentTokenLifetime = std::chrono::hours(1);
inline constexpr std::string_view kAgentTokenType = "signet-agent+jwt";

struct IssuedJoinToken {
  Secret token;  // the whole token: shown once, never stored
  store::JoinTokenRow row;
};

// A new join token for the agent named `agent`, created by the admin token `actor`.
// invalid_request agent_name_invalid (not a valid name, config.h IsValidName) or
// join_token_ttl_invalid (not within (0, kMaxJoinTokenTtl]); store errors pass through.
Result<IssuedJoinToken> CreateJoinToken(store::Store& store, Random& random, const Clock& clock,
                                        std::string_view agent, std::chrono::seconds ttl,
                                        std::string actor);

// Uses up `token`: its row, naming the agent. invalid_client join_token_unknown for what
// is not a join token at all, then the store's join_token_unknown, join_token_used and
// join_token_expired. The token never appears in a message.
Result<store::JoinTokenRow> RedeemJoinToken(store::Store& store, const Clock& clock,
                                            std::string_view token);

// Signs and verifies agent tokens. Thread-safe.
class AgentTokens {
 public:
  // `signing_key` gives the key that signs now, `published_keys` the keys that verify
  // (both change as keys rotate: server/signing_key_rotator.h). invalid_config when
  // `issuer` is empty.
  static Result<std::unique_ptr<AgentTokens>> Create(
      std::string issuer, credentials::SigningKeySource signing_key,
      std::function<std::shared_ptr<const jose::Jwks>()> published_keys, const Clock& clock,
      Random& random);

  struct Issued {
    std::string token;
    std::string jti;
    SystemTime expires_at;
  };
  // server_error signing_key_missing when no key signs.
  Result<Issued> Issue(std::string_view agent) const;

  // Verifies the agent token of an Authorization header value ("Bearer <token>"); the
  // verified token's subject is the agent's name. invalid_token: agent_token_missing,
  // agent_token_malformed (another scheme), or jose's reason for the token.
  Result<jose::VerifiedJwt> Verify(std::optional<std::string_view> authorization) const;

 private:
  AgentTokens(std::string issuer, credentials::SigningKeySource signing_key,
              std::function<std::shared_ptr<const jose::Jwks>()> published_keys,
              jose::JwtVerifier verifier, const Clock& clock, Random& random);

  const std::string issuer_;
  const std::string audience_;
  const credentials::SigningKeySource signing_key_;
  const std::function<std::shared_ptr<const jose::Jwks>()> published_keys_;
  const jose::JwtVerifier verifier_;
  const Clock& clock_;
  Random& random_;
};

}  // namespace signet::server
