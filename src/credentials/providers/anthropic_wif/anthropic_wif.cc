#include "credentials/providers/anthropic_wif/anthropic_wif.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "credentials/outbound.h"

namespace signet::credentials {
namespace {

// Anthropic's default max_jwt_lifetime_seconds for a federation issuer: an assertion
// that lives longer is refused.
constexpr std::chrono::seconds kMaxAssertionLifetime{3600};
// The header Anthropic's SDKs send on the exchange: it routes the request to the
// federation service.
constexpr std::string_view kBetaHeader = "oauth-2025-04-20,oidc-federation-2026-04-01";

class AnthropicWifProvider final : public CachingProvider {
 public:
  AnthropicWifProvider(Destination destination, ProviderContext context,
                       std::unique_ptr<http::HttpClient> client, std::string token_url)
      : CachingProvider(*context.clock, kAccessTokenType),
        destination_(std::move(destination)),
        context_(std::move(context)),
        client_(std::move(client)),
        token_url_(std::move(token_url)) {}

 private:
  // One exchange at Anthropic, outside any lock (the cache calls it).
  Result<Credential> Fetch(const IssueRequest& request) const override {
    SIGNET_ASSIGN_OR_RETURN(Assertion assertion,
                            SignAssertion(context_, request.workload, destination_.audience,
                                          request.lifetime, kMaxAssertionLifetime));
    boost::json::object body{
        {"grant_type", kJwtBearerGrant},
        {"assertion", assertion.jwt},
        {"federation_rule_id", Setting(destination_, "federation_rule_id")},
        {"organization_id", Setting(destination_, "organization_id")},
        {"service_account_id", Setting(destination_, "service_account_id")},
    };
    if (std::string workspace = Setting(destination_, "workspace_id"); !workspace.empty()) {
      body["workspace_id"] = workspace;
    }
    http::ClientRequest post;
    post.method = "POST";
    post.url = token_url_;
    post.headers = {{"Content-Type", "application/json"},
                    {"Accept", "application/json"},
                    {"anthropic-beta", std::string(kBetaHeader)},
                    {"User-Agent", "signet"}};
    post.body = boost::json::serialize(body);
    Result<http::ClientResponse> response = client_->Send(post);
    if (!response.ok()) {
      return DestinationUnreachable(destination_, response.status());
    }
    if (response->status != 200) {
      // Anthropic consolidates every refusal of the assertion (issuer, rule, claims,
      // service account) into invalid_grant; the cause is in its authentication history.
      return DestinationRefusal(
          destination_, response->status, JsonErrorCode(response->body),
          "check the federation issuer, rule and service account at Anthropic");
    }
    SIGNET_ASSIGN_OR_RETURN(
        Credential credential,
        ParseTokenResponse(destination_, response->body, assertion.issued_at, request.scopes));
    credential.jti = std::move(assertion.jti);  // Anthropic's records can name it
    return credential;
  }

  Destination destination_;
  ProviderContext context_;
  std::unique_ptr<http::HttpClient> client_;
  const std::string token_url_;
};

Result<std::unique_ptr<CredentialProvider>> CreateAnthropicWifProvider(
    const Destination& destination, const ProviderContext& context) {
  SIGNET_RETURN_IF_ERROR(CheckCallingOutContext(context, "anthropic-wif", /*signs=*/true));
  SIGNET_ASSIGN_OR_RETURN(std::string base_url,
                          UrlSetting(destination, "base_url", kAnthropicAudience));
  for (std::string_view id : {"organization_id", "federation_rule_id", "service_account_id"}) {
    if (Setting(destination, id).empty()) {
      return Status(ErrorCode::kInvalidConfig, "destination_setting_missing",
                    DestinationLabel(destination) + ": " + std::string(id) + " must not be empty");
    }
  }
  SIGNET_ASSIGN_OR_RETURN(auto client, ClientFor(destination, context));
  return std::unique_ptr<CredentialProvider>(new AnthropicWifProvider(
      destination, context, std::move(client), base_url + "/v1/oauth/token"));
}

}  // namespace

ProviderKind AnthropicWifKind() {
  return ProviderKind{CreateAnthropicWifProvider,
                      {{"organization_id", true},
                       {"federation_rule_id", true},
                       {"service_account_id", true},
                       {"workspace_id", false},
                       {"base_url", false},
                       {"ca_file", false}},
                      kAnthropicAudience};
}

}  // namespace signet::credentials
