#include "server/agent_tokens.h"

#include <boost/json/object.hpp>

#include "common/sha256.h"
#include "server/admin_auth.h"
#include "server/config.h"

namespace signet::server {
namespace {

constexpr size_t kJoinTokenBytes = 32;
constexpr size_t kJoinTokenIdBytes = 9;

}  // namespace

Result<IssuedJoinToken> CreateJoinToken(store::Store& store, Random& random, const Clock& clock,
                                        std::string_view agent, std::chrono::seconds ttl,
                                        std::string actor) {
  if (!IsValidName(agent)) {
    return Status(ErrorCode::kInvalidRequest, "agent_name_invalid",
                  "an agent's name is 1 to 128 lowercase letters, digits, '-', '_' and '.', "
                  "as a workload's is");
  }
  if (ttl.count() <= 0 || ttl > kMaxJoinTokenTtl) {
    return Status(ErrorCode::kInvalidRequest, "join_token_ttl_invalid",
                  "a join token's ttl must be positive and at most 24h");
  }
  Secret token(std::string(kJoinTokenPrefix) + random.Base64UrlId(kJoinTokenBytes));
  int64_t now = ToUnixSecondsFloor(clock.Now());
  store::JoinTokenRow row{random.Base64UrlId(kJoinTokenIdBytes),
                          Sha256Hex(token.Reveal(SecretAccess::Grant())),
                          std::string(agent),
                          std::move(actor),
                          now,
                          now + ttl.count(),
                          0};
  SIGNET_RETURN_IF_ERROR(store.InsertJoinToken(row));
  return IssuedJoinToken{std::move(token), std::move(row)};
}

Result<store::JoinTokenRow> RedeemJoinToken(store::Store& store, const Clock& clock,
                                            std::string_view token) {
  if (!token.starts_with(kJoinTokenPrefix)) {
    return Status(ErrorCode::kInvalidClient, "join_token_unknown",
                  "this is not a join token (they start with sjt_); create one with `signet "
                  "agent join-token create`");
  }
  return store.RedeemJoinToken(Sha256Hex(token), ToUnixSecondsFloor(clock.Now()));
}

Result<std::unique_ptr<AgentTokens>> AgentTokens::Create(
    std::string issuer, credentials::SigningKeySource signing_key,
    std::function<std::shared_ptr<const jose::Jwks>()> published_keys, const Clock& clock,
    Random& random) {
  jose::JwtValidator::Builder builder;
  builder.ExpectIssuer(issuer)
      .ExpectAudience(issuer + "/v1/agents")
      .ExpectType(std::string(kAgentTokenType))
      .AllowAlgorithms({jose::Algorithm::kES256, jose::Algorithm::kEdDSA, jose::Algorithm::kRS256})
      .SetMaxLifetime(kAgentTokenLifetime)
      .RequireIssuedAt();
  SIGNET_ASSIGN_OR_RETURN(jose::JwtValidator validator, builder.Build());
  return std::unique_ptr<AgentTokens>(
      new AgentTokens(std::move(issuer), std::move(signing_key), std::move(published_keys),
                      jose::JwtVerifier(std::move(validator)), clock, random));
}

AgentTokens::AgentTokens(std::string issuer, credentials::SigningKeySource signing_key,
                         std::function<std::shared_ptr<const jose::Jwks>()> published_keys,
                         jose::JwtVerifier verifier, const Clock& clock, Random& random)
    : issuer_(std::move(issuer)),
      audience_(issuer_ + "/v1/agents"),
      signing_key_(std::move(signing_key)),
      published_keys_(std::move(published_keys)),
      verifier_(std::move(verifier)),
      clock_(clock),
      random_(random) {}

Result<AgentTokens::Issued> AgentTokens::Issue(std::string_view agent) const {
  std::shared_ptr<const jose::SigningKey> key = signing_key_();
  if (!key) {
    return Status(ErrorCode::kServerError, "signing_key_missing",
                  "Signet has no signing key to sign with");
  }
  int64_t now = ToUnixSecondsFloor(clock_.Now());
  Issued issued{"", random_.Base64UrlId(), FromUnixSeconds(now) + kAgentTokenLifetime};
  boost::json::object claims{{"iss", issuer_},   {"sub", agent},
                             {"aud", audience_}, {"jti", issued.jti},
                             {"iat", now},       {"exp", ToUnixSecondsFloor(issued.expires_at)}};
  SIGNET_ASSIGN_OR_RETURN(issued.token, jose::SignJwt(*key, claims, kAgentTokenType));
  return issued;
}

Result<jose::VerifiedJwt> AgentTokens::Verify(std::optional<std::string_view> authorization) const {
  if (!authorization) {
    return Status(ErrorCode::kInvalidToken, "agent_token_missing",
                  "send the agent token as Authorization: Bearer <token> (POST /v1/agents/join "
                  "gives one)");
  }
  std::optional<std::string_view> token = BearerToken(*authorization);
  if (!token) {
    return Status(ErrorCode::kInvalidToken, "agent_token_malformed",
                  "the Authorization scheme must be Bearer");
  }
  return verifier_.Verify(*token, *published_keys_(), clock_.Now());
}

}  // namespace signet::server
