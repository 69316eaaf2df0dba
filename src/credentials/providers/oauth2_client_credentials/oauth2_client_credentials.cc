#include "credentials/providers/oauth2_client_credentials/oauth2_client_credentials.h"

#include <chrono>

#include "common/secret.h"
#include "http/form.h"

namespace signet::credentials {

ClientCredentialsProvider::ClientCredentialsProvider(Destination destination,
                                                     ProviderContext context,
                                                     std::unique_ptr<http::HttpClient> client,
                                                     std::string token_url,
                                                     std::string refusal_hint)
    : CachingProvider(*context.clock, kAccessTokenType),
      destination_(std::move(destination)),
      context_(std::move(context)),
      client_(std::move(client)),
      token_url_(std::move(token_url)),
      refusal_hint_(std::move(refusal_hint)) {}

std::string ClientCredentialsProvider::UpstreamErrorCode(std::string_view body) const {
  return JsonErrorCode(body);
}

// One exchange at the token endpoint, outside any lock (the cache calls it).
Result<Credential> ClientCredentialsProvider::Fetch(const IssueRequest& request) const {
  SIGNET_ASSIGN_OR_RETURN(std::string scope, ScopeFor(request));
  SIGNET_ASSIGN_OR_RETURN(ClientAuthentication authentication, Authenticate(request));
  std::vector<std::pair<std::string, std::string>> fields = {{"grant_type", "client_credentials"}};
  if (!scope.empty()) {
    fields.emplace_back("scope", scope);
  }
  if (std::string resource = Setting(destination_, "resource"); !resource.empty()) {
    fields.emplace_back("resource", std::move(resource));
  }
  fields.insert(fields.end(), authentication.fields.begin(), authentication.fields.end());
  http::ClientRequest post;
  post.method = "POST";
  post.url = token_url_;
  post.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"Accept", "application/json"},
                  {"User-Agent", "signet"}};
  post.headers.insert(post.headers.end(), authentication.headers.begin(),
                      authentication.headers.end());
  post.body = http::EncodeForm(fields);
  SystemTime sent_at = context_.clock->Now();
  Result<http::ClientResponse> response = client_->Send(post);
  if (!response.ok()) {
    return DestinationUnreachable(destination_, response.status());
  }
  if (response->status != 200) {
    return DestinationRefusal(destination_, response->status, UpstreamErrorCode(response->body),
                              refusal_hint_);
  }
  // Unless the answer names the scope granted, it is the scope asked for.
  SIGNET_ASSIGN_OR_RETURN(Credential credential, ParseTokenResponse(destination_, response->body,
                                                                    sent_at, SplitScopes(scope)));
  credential.jti = std::move(authentication.jti);  // the authorization server can name it
  return credential;
}

namespace {

// Long enough for one exchange and the clocks' skew; the assertion is used once.
constexpr std::chrono::seconds kClientAssertionLifetime{300};

enum class AuthMethod { kClientSecretBasic, kClientSecretPost, kPrivateKeyJwt };

Result<AuthMethod> AuthMethodOf(const Destination& destination) {
  std::string method = Setting(destination, "auth_method", "client_secret_basic");
  if (method == "client_secret_basic") {
    return AuthMethod::kClientSecretBasic;
  }
  if (method == "client_secret_post") {
    return AuthMethod::kClientSecretPost;
  }
  if (method == "private_key_jwt") {
    return AuthMethod::kPrivateKeyJwt;
  }
  return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                DestinationLabel(destination) + ": auth_method \"" + method +
                    "\" is none of client_secret_basic, client_secret_post, private_key_jwt");
}

class OAuth2ClientCredentialsProvider final : public ClientCredentialsProvider {
 public:
  OAuth2ClientCredentialsProvider(Destination destination, ProviderContext context,
                                  std::unique_ptr<http::HttpClient> client, std::string token_url,
                                  AuthMethod method, std::string assertion_audience)
      : ClientCredentialsProvider(
            std::move(destination), std::move(context), std::move(client), std::move(token_url),
            "check the client's registration (client_id, its credentials, the scope) at the "
            "authorization server"),
        method_(method),
        assertion_audience_(std::move(assertion_audience)) {}

 private:
  Result<std::string> ScopeFor(const IssueRequest& request) const override {
    return request.scopes.empty() ? Setting(destination(), "scope") : JoinScopes(request.scopes);
  }

  Result<ClientAuthentication> Authenticate(const IssueRequest& /*request*/) const override {
    std::string client_id = Setting(destination(), "client_id");
    if (method_ == AuthMethod::kPrivateKeyJwt) {
      SIGNET_ASSIGN_OR_RETURN(
          Assertion assertion,
          SignAssertionClaims(
              context(), {client_id, client_id, assertion_audience_, kClientAssertionLifetime}));
      return ClientAuthentication{
          {{"client_id", client_id},
           {"client_assertion_type", std::string(kJwtBearerClientAssertion)},
           {"client_assertion", std::move(assertion.jwt)}},
          {},
          std::move(assertion.jti)};
    }
    // Opened for each exchange, so a secret replaced in the vault is used at once.
    SIGNET_ASSIGN_OR_RETURN(
        Secret secret,
        OpenVaultSecret(destination(), context(), Setting(destination(), "client_secret")));
    if (method_ == AuthMethod::kClientSecretPost) {
      return ClientAuthentication{
          {{"client_id", client_id},
           {"client_secret", std::string(secret.Reveal(SecretAccess::Grant()))}},
          {},
          ""};
    }
    return ClientAuthentication{{}, {{"Authorization", ClientSecretBasic(client_id, secret)}}, ""};
  }

  const AuthMethod method_;
  const std::string assertion_audience_;
};

Result<std::unique_ptr<CredentialProvider>> CreateOAuth2ClientCredentialsProvider(
    const Destination& destination, const ProviderContext& context) {
  SIGNET_ASSIGN_OR_RETURN(AuthMethod method, AuthMethodOf(destination));
  bool with_secret = method != AuthMethod::kPrivateKeyJwt;
  SIGNET_RETURN_IF_ERROR(
      CheckCallingOutContext(context, "oauth2-client-credentials", /*signs=*/!with_secret));
  if (with_secret && !context.secrets) {
    return Status(ErrorCode::kInvalidConfig, "provider_context_incomplete",
                  "oauth2-client-credentials with a client secret needs Signet's vault");
  }
  SIGNET_ASSIGN_OR_RETURN(std::string token_url, UrlSetting(destination, "token_url"));
  if (Setting(destination, "client_id").empty()) {
    return Status(ErrorCode::kInvalidConfig, "destination_setting_missing",
                  DestinationLabel(destination) + ": client_id must not be empty");
  }
  bool has_secret = !Setting(destination, "client_secret").empty();
  if (with_secret && !has_secret) {
    return Status(ErrorCode::kInvalidConfig, "destination_setting_missing",
                  DestinationLabel(destination) + ": auth_method " +
                      Setting(destination, "auth_method", "client_secret_basic") +
                      " needs client_secret, the name of the vault secret holding the client "
                      "secret (store it with `signet secret put NAME`)");
  }
  if (!with_secret && has_secret) {
    return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                  DestinationLabel(destination) +
                      ": private_key_jwt authenticates with Signet's signing key; remove "
                      "client_secret");
  }
  // The kind derives the token_url as audience for private_key_jwt, none otherwise.
  bool audience_named =
      !destination.audience.empty() && destination.audience != Setting(destination, "token_url");
  if (with_secret && audience_named) {
    return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                  DestinationLabel(destination) +
                      ": audience is the aud of a private_key_jwt client assertion; a client "
                      "secret has none, so remove it");
  }
  std::string audience = audience_named ? destination.audience : token_url;
  SIGNET_ASSIGN_OR_RETURN(auto client, ClientFor(destination, context));
  return std::unique_ptr<CredentialProvider>(new OAuth2ClientCredentialsProvider(
      destination, context, std::move(client), std::move(token_url), method, std::move(audience)));
}

}  // namespace

ProviderKind OAuth2ClientCredentialsKind() {
  ProviderKind kind{CreateOAuth2ClientCredentialsProvider,
                    {{"token_url", true},
                     {"client_id", true},
                     {"auth_method", false},
                     {"client_secret", false},
                     {"scope", false},
                     {"resource", false},
                     {"ca_file", false}},
                    ""};
  // A private_key_jwt client assertion is for the token endpoint (RFC 7523 §3); a
  // client secret signs nothing.
  kind.derive_audience = [](const Destination& destination) {
    return Setting(destination, "auth_method") == "private_key_jwt"
               ? Setting(destination, "token_url")
               : std::string();
  };
  kind.audience_exclusive = true;  // the assertion goes to whatever server is named
  return kind;
}

}  // namespace signet::credentials
