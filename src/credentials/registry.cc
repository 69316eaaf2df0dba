// The one list of destination kinds. Adding a kind: a folder under providers/, its
// factory and settings declared there, one entry here.
#include <algorithm>

#include "credentials/provider.h"
#include "credentials/providers/anthropic_wif/anthropic_wif.h"
#include "credentials/providers/aws_sts/aws_sts.h"
#include "credentials/providers/azure_entra/azure_entra.h"
#include "credentials/providers/gcp_sts/gcp_sts.h"
#include "credentials/providers/github_app/github_app.h"
#include "credentials/providers/oauth2_client_credentials/oauth2_client_credentials.h"
#include "credentials/providers/rfc8693/rfc8693.h"
#include "credentials/providers/signet_jwt/signet_jwt.h"
#include "credentials/providers/snowflake_keypair/snowflake_keypair.h"
#include "credentials/providers/static_secret/static_secret.h"

namespace signet::credentials {

const std::map<std::string, ProviderKind, std::less<>>& ProviderRegistry() {
  static const auto* registry = new std::map<std::string, ProviderKind, std::less<>>{
      {"anthropic-wif", AnthropicWifKind()},
      {"aws-sts", AwsStsKind()},
      {"azure-entra", AzureEntraKind()},
      {"gcp-sts", GcpStsKind()},
      {"github-app", GitHubAppKind()},
      {"oauth2-client-credentials", OAuth2ClientCredentialsKind()},
      {"rfc8693", Rfc8693Kind()},
      {"signet-jwt", SignetJwtKind()},
      {"snowflake-keypair", SnowflakeKeypairKind()},
      {"static-secret", StaticSecretKind()},
  };
  return *registry;
}

std::string WorkloadId(const ProviderContext& context, std::string_view workload) {
  return "spiffe://" + context.trust_domain + "/workload/" + std::string(workload);
}

std::string_view CredentialFormName(CredentialForm form) {
  switch (form) {
    case CredentialForm::kToken:
      return "token";
    case CredentialForm::kHeaders:
      return "headers";
    case CredentialForm::kAws:
      return "aws";
  }
  return "token";
}

Credential BearerCredential(std::string token, std::string issued_token_type,
                            std::string token_type, SystemTime expires_at) {
  Credential credential;
  credential.form = CredentialForm::kToken;
  credential.headers = {{"Authorization", "Bearer " + token}};
  credential.access_token = std::move(token);
  credential.issued_token_type = std::move(issued_token_type);
  credential.token_type = std::move(token_type);
  credential.expires_at = expires_at;
  return credential;
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string joined;
  for (const auto& scope : scopes) {
    joined += (joined.empty() ? "" : " ") + scope;
  }
  return joined;
}

std::string DefaultAudience(const ProviderKind& kind, const Destination& destination) {
  if (!kind.has_audience) {
    return "";
  }
  return kind.derive_audience ? kind.derive_audience(destination)
                              : std::string(kind.default_audience);
}

Result<std::unique_ptr<CredentialProvider>> CreateProvider(const Destination& destination,
                                                           const ProviderContext& context) {
  const auto& registry = ProviderRegistry();
  auto it = registry.find(destination.kind);
  if (it == registry.end()) {
    std::string known;
    for (const auto& [kind, spec] : registry) {
      known += (known.empty() ? "" : ", ") + kind;
    }
    return Status(ErrorCode::kInvalidConfig, "provider_unknown",
                  "destination " + destination.name + ": unknown kind \"" + destination.kind +
                      "\" (known: " + known + ")");
  }
  const ProviderKind& kind = it->second;
  // The configuration parser checks the same (with file and line); this holds for
  // destinations built any other way.
  for (const auto& setting : destination.settings) {
    const std::string& name = setting.first;
    auto spec = std::find_if(kind.settings.begin(), kind.settings.end(),
                             [&name](const SettingSpec& s) { return s.name == name; });
    if (spec == kind.settings.end()) {
      return Status(ErrorCode::kInvalidConfig, "destination_setting_unknown",
                    "destination " + destination.name + ": kind " + destination.kind +
                        " takes no setting " + name);
    }
  }
  for (const SettingSpec& spec : kind.settings) {
    if (spec.required && !destination.settings.contains(spec.name)) {
      return Status(ErrorCode::kInvalidConfig, "destination_setting_missing",
                    "destination " + destination.name + ": kind " + destination.kind +
                        " requires " + std::string(spec.name));
    }
  }
  Destination filled = destination;
  if (!kind.has_audience && !filled.audience.empty()) {
    return Status(
        ErrorCode::kInvalidConfig, "destination_setting_unknown",
        "destination " + destination.name + ": kind " + destination.kind + " takes no audience");
  }
  if (filled.audience.empty()) {
    filled.audience = DefaultAudience(kind, filled);
  }
  // A kind that derives its audience may derive none (a setting decides it needs none).
  if (kind.has_audience && filled.audience.empty() && !kind.derive_audience) {
    return Status(
        ErrorCode::kInvalidConfig, "destination_setting_missing",
        "destination " + destination.name + ": kind " + destination.kind + " requires an audience");
  }
  return kind.create(filled, context);
}

}  // namespace signet::credentials
