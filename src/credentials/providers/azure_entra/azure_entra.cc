#include "credentials/providers/azure_entra/azure_entra.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "common/json.h"
#include "credentials/providers/oauth2_client_credentials/oauth2_client_credentials.h"

namespace signet::credentials {
namespace {

// The assertion only authenticates one exchange: Entra's token lives by its own policy.
constexpr std::chrono::seconds kMaxAssertionLifetime{300};

constexpr std::string_view kDefaultScopeSuffix = "/.default";

// 8-4-4-4-12 hexadecimal digits, as Entra writes tenant and application ids.
bool IsGuid(std::string_view text) {
  if (text.size() != 36) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

// A DNS name with at least two labels (contoso.onmicrosoft.com): a tenant's domain.
bool IsDomain(std::string_view text) {
  if (text.empty() || text.size() > 253 || text.find('.') == std::string_view::npos ||
      text.front() == '.' || text.back() == '.' || text.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

Status ScopeRefused(const Destination& destination, std::string_view why) {
  return Status(ErrorCode::kInvalidScope, "scope_invalid",
                DestinationLabel(destination) +
                    " asks Entra for one <resource>/.default scope: " + std::string(why));
}

class AzureEntraProvider final : public ClientCredentialsProvider {
 public:
  AzureEntraProvider(Destination destination, ProviderContext context,
                     std::unique_ptr<http::HttpClient> client, std::string token_url)
      : ClientCredentialsProvider(
            std::move(destination), std::move(context), std::move(client), std::move(token_url),
            "check the federated identity credential (issuer, subject, audience) of the app "
            "registration in Entra") {}

 private:
  Result<std::string> ScopeFor(const IssueRequest& request) const override {
    if (request.scopes.size() > 1) {
      return ScopeRefused(
          destination(),
          "the policy granted " + std::to_string(request.scopes.size()) + " scopes; request one");
    }
    std::string scope =
        request.scopes.empty() ? Setting(destination(), "scope") : request.scopes.front();
    if (scope.empty()) {
      return ScopeRefused(destination(),
                          "the policy granted none and the destination sets no scope");
    }
    if (!scope.ends_with(kDefaultScopeSuffix)) {
      return ScopeRefused(destination(), "\"" + scope + "\" does not end in /.default");
    }
    return scope;
  }

  Result<ClientAuthentication> Authenticate(const IssueRequest& request) const override {
    SIGNET_ASSIGN_OR_RETURN(Assertion assertion,
                            SignAssertion(context(), request.workload, destination().audience,
                                          request.lifetime, kMaxAssertionLifetime));
    return ClientAuthentication{{{"client_id", Setting(destination(), "client_id")},
                                 {"client_assertion_type", std::string(kJwtBearerClientAssertion)},
                                 {"client_assertion", std::move(assertion.jwt)}},
                                {},
                                std::move(assertion.jti)};
  }

  // `error` and, for the operator to look up, the first AADSTS number of error_codes.
  std::string UpstreamErrorCode(std::string_view body) const override {
    std::string code = JsonErrorCode(body);
    Result<boost::json::object> json = ParseJsonObject(body);
    const boost::json::value* codes = json.ok() ? json->if_contains("error_codes") : nullptr;
    if (codes != nullptr && codes->is_array() && !codes->as_array().empty() &&
        codes->as_array().front().is_int64() && codes->as_array().front().as_int64() > 0) {
      code += (code.empty() ? "AADSTS" : " AADSTS") +
              std::to_string(codes->as_array().front().as_int64());
    }
    return code;
  }
};

Result<std::unique_ptr<CredentialProvider>> CreateAzureEntraProvider(
    const Destination& destination, const ProviderContext& context) {
  SIGNET_RETURN_IF_ERROR(CheckCallingOutContext(context, "azure-entra", /*signs=*/true));
  SIGNET_ASSIGN_OR_RETURN(std::string authority,
                          UrlSetting(destination, "authority", kEntraAuthority));
  std::string tenant = Setting(destination, "tenant_id");
  if (!IsGuid(tenant) && !IsDomain(tenant)) {
    return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                  DestinationLabel(destination) + ": tenant_id \"" + tenant +
                      "\" is neither a GUID nor a domain such as contoso.onmicrosoft.com (the "
                      "Directory (tenant) ID of the app registration's overview)");
  }
  if (!IsGuid(Setting(destination, "client_id"))) {
    return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                  DestinationLabel(destination) +
                      ": client_id is not a GUID (the Application (client) ID of the app "
                      "registration or managed identity)");
  }
  if (std::string scope = Setting(destination, "scope");
      destination.settings.contains("scope") && !scope.ends_with(kDefaultScopeSuffix)) {
    return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                  DestinationLabel(destination) + ": scope \"" + scope +
                      "\" must be <resource>/.default, e.g. https://graph.microsoft.com/.default");
  }
  SIGNET_ASSIGN_OR_RETURN(auto client, ClientFor(destination, context));
  return std::unique_ptr<CredentialProvider>(new AzureEntraProvider(
      destination, context, std::move(client), authority + "/" + tenant + "/oauth2/v2.0/token"));
}

}  // namespace

ProviderKind AzureEntraKind() {
  return ProviderKind{CreateAzureEntraProvider,
                      {{"tenant_id", true},
                       {"client_id", true},
                       {"authority", false},
                       {"scope", false},
                       {"ca_file", false}},
                      kEntraAudience};
}

}  // namespace signet::credentials
