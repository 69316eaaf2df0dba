#include "credentials/providers/signet_jwt/signet_jwt.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "jose/jwt.h"

namespace signet::credentials {
namespace {

class SignetJwtProvider final : public CredentialProvider {
 public:
  SignetJwtProvider(Destination destination, ProviderContext context)
      : destination_(std::move(destination)), context_(std::move(context)) {}

  Result<Credential> Issue(const IssueRequest& request) const override {
    if (request.lifetime.count() <= 0) {
      return Status(ErrorCode::kInvalidRequest, "lifetime_exhausted",
                    "the subject token has no lifetime left to issue a credential for");
    }
    std::string_view token_type =
        request.requested_token_type ? *request.requested_token_type : kAccessTokenType;
    if (token_type != kAccessTokenType && token_type != kJwtTokenType) {
      return Status(ErrorCode::kInvalidRequest, "requested_token_type_unsupported",
                    "this destination issues urn:ietf:params:oauth:token-type:access_token "
                    "(or :jwt)");
    }
    SystemTime now = context_.clock->Now();
    // NumericDate in whole seconds, so that `exp - iat` is the lifetime exactly.
    SystemTime issued_at = FromUnixSeconds(ToUnixSecondsFloor(now));
    SystemTime expires_at = issued_at + request.lifetime;
    std::string jti = context_.random->Base64UrlId();
    boost::json::object claims{
        {"iss", context_.issuer},
        {"sub", WorkloadId(context_, request.workload)},
        {"aud", destination_.audience},
        {"client_id", request.workload},
        {"jti", jti},
        {"iat", ToUnixSecondsFloor(issued_at)},
        {"exp", ToUnixSecondsFloor(expires_at)},
        {"upstream",
         boost::json::object{{"iss", request.upstream_issuer}, {"sub", request.upstream_subject}}},
    };
    if (!request.scopes.empty()) {
      claims["scope"] = JoinScopes(request.scopes);
    }
    // The key of this moment, held until the token is signed (keys rotate meanwhile).
    std::shared_ptr<const jose::SigningKey> key = context_.signing_key();
    if (!key) {
      return Status(ErrorCode::kServerError, "signing_key_missing",
                    "Signet has no signing key to sign with");
    }
    SIGNET_ASSIGN_OR_RETURN(std::string token, jose::SignJwt(*key, claims, "at+jwt"));
    Credential credential =
        BearerCredential(std::move(token), std::string(token_type), "Bearer", expires_at);
    credential.jti = std::move(jti);
    credential.scopes = request.scopes;
    return credential;
  }

 private:
  Destination destination_;
  ProviderContext context_;
};

}  // namespace

Result<std::unique_ptr<CredentialProvider>> CreateSignetJwtProvider(
    const Destination& destination, const ProviderContext& context) {
  if (!context.signing_key || context.clock == nullptr || context.random == nullptr) {
    return Status(ErrorCode::kInvalidConfig, "provider_context_incomplete",
                  "signet-jwt needs Signet's signing key, a clock and randomness");
  }
  return std::unique_ptr<CredentialProvider>(new SignetJwtProvider(destination, context));
}

ProviderKind SignetJwtKind() {
  ProviderKind kind{CreateSignetJwtProvider, {}, ""};
  kind.audience_exclusive = true;
  return kind;
}

}  // namespace signet::credentials
