#include "credentials/providers/rfc8693/rfc8693.h"

#include "credentials/outbound.h"
#include "credentials/token_exchange.h"

namespace signet::credentials {
namespace {

// What an STS can be expected to accept: longer-lived assertions are a risk for little
// gain, since one is minted per exchange.
constexpr std::chrono::seconds kMaxAssertionLifetime{3600};

class Rfc8693Provider final : public CachingProvider {
 public:
  Rfc8693Provider(Destination destination, ProviderContext context,
                  std::unique_ptr<http::HttpClient> client, std::string token_url,
                  std::string requested_token_type)
      : CachingProvider(*context.clock, requested_token_type),
        destination_(std::move(destination)),
        context_(std::move(context)),
        client_(std::move(client)),
        token_url_(std::move(token_url)),
        requested_token_type_(std::move(requested_token_type)) {}

 private:
  Result<Credential> Fetch(const IssueRequest& request) const override {
    TokenExchange exchange{token_url_,
                           "",
                           requested_token_type_,
                           Setting(destination_, "exchange_audience", destination_.audience),
                           Setting(destination_, "resource"),
                           request.scopes,
                           Setting(destination_, "client_id"),
                           Secret()};
    // Opened per exchange, so a secret replaced in the vault is used from the next one.
    if (std::string name = Setting(destination_, "client_secret"); !name.empty()) {
      SIGNET_ASSIGN_OR_RETURN(exchange.client_secret,
                              OpenVaultSecret(destination_, context_, name));
    }
    SIGNET_ASSIGN_OR_RETURN(Assertion assertion,
                            SignAssertion(context_, request.workload, destination_.audience,
                                          request.lifetime, kMaxAssertionLifetime));
    exchange.subject_token = std::move(assertion.jwt);
    SIGNET_ASSIGN_OR_RETURN(
        Credential credential,
        RunTokenExchange(destination_, *client_, exchange, assertion.issued_at,
                         "check that the STS trusts Signet's issuer for this audience"));
    credential.jti = std::move(assertion.jti);
    return credential;
  }

  Destination destination_;
  ProviderContext context_;
  std::unique_ptr<http::HttpClient> client_;
  const std::string token_url_;
  const std::string requested_token_type_;
};

Result<std::unique_ptr<CredentialProvider>> CreateRfc8693Provider(const Destination& destination,
                                                                  const ProviderContext& context) {
  SIGNET_RETURN_IF_ERROR(CheckCallingOutContext(context, "rfc8693", /*signs=*/true));
  SIGNET_ASSIGN_OR_RETURN(std::string token_url, UrlSetting(destination, "token_url"));
  auto invalid = [&destination](const std::string& why) {
    return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                  DestinationLabel(destination) + ": " + why);
  };
  std::string requested = Setting(destination, "requested_token_type", kAccessTokenType);
  // Another type is answered with token_type N_A (RFC 8693 §2.2.1): not a credential a
  // workload can present as a bearer token.
  if (requested != kAccessTokenType) {
    return invalid("requested_token_type: only " + std::string(kAccessTokenType) + " is supported");
  }
  bool has_secret = !Setting(destination, "client_secret").empty();
  if (has_secret != !Setting(destination, "client_id").empty()) {
    return invalid(
        "client_id and client_secret (the vault secret holding the client's secret) go "
        "together: set both for HTTP Basic client authentication, or neither");
  }
  if (has_secret && !context.secrets) {
    return Status(ErrorCode::kInvalidConfig, "provider_context_incomplete",
                  "rfc8693 with a client_secret needs Signet's vault");
  }
  SIGNET_ASSIGN_OR_RETURN(auto client, ClientFor(destination, context));
  return std::unique_ptr<CredentialProvider>(new Rfc8693Provider(
      destination, context, std::move(client), std::move(token_url), std::move(requested)));
}

}  // namespace

ProviderKind Rfc8693Kind() {
  ProviderKind kind{CreateRfc8693Provider,
                    {{"token_url", true},
                     {"exchange_audience", false},
                     {"resource", false},
                     {"requested_token_type", false},
                     {"client_id", false},
                     {"client_secret", false},
                     {"ca_file", false}},
                    ""};
  kind.audience_exclusive = true;  // the assertion goes to whatever STS is named
  return kind;
}

}  // namespace signet::credentials
