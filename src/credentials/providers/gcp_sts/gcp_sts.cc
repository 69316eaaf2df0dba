#include "credentials/providers/gcp_sts/gcp_sts.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>

#include "common/json.h"
#include "credentials/outbound.h"
#include "credentials/token_exchange.h"

namespace signet::credentials {
namespace {

constexpr std::string_view kCloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";
// Google's default maximum for a generateAccessToken lifetime (more needs an organization
// policy), and the longest assertion worth minting for one exchange.
constexpr std::chrono::seconds kMaxLifetime{3600};

// The identifier of Google's API error shape, {"error": {"code", "message", "status"}}:
// its `status` ("PERMISSION_DENIED"); the message may echo what was sent.
std::string GoogleErrorStatus(std::string_view body) {
  Result<boost::json::object> json = ParseJsonObject(body);
  const boost::json::value* error = json.ok() ? json->if_contains("error") : nullptr;
  const boost::json::value* status =
      error != nullptr && error->is_object() ? error->as_object().if_contains("status") : nullptr;
  return status != nullptr && status->is_string() ? UpstreamIdentifier(status->as_string()) : "";
}

class GcpStsProvider final : public CachingProvider {
 public:
  GcpStsProvider(Destination destination, ProviderContext context,
                 std::unique_ptr<http::HttpClient> client, std::string token_url,
                 std::string pool_provider, std::string impersonation_url)
      : CachingProvider(*context.clock, kAccessTokenType),
        destination_(std::move(destination)),
        context_(std::move(context)),
        client_(std::move(client)),
        token_url_(std::move(token_url)),
        pool_provider_(std::move(pool_provider)),
        impersonation_url_(std::move(impersonation_url)) {}

 private:
  Result<Credential> Fetch(const IssueRequest& request) const override {
    SIGNET_ASSIGN_OR_RETURN(Assertion assertion,
                            SignAssertion(context_, request.workload, destination_.audience,
                                          request.lifetime, kMaxLifetime));
    std::vector<std::string> scopes = request.scopes;
    if (scopes.empty()) {
      scopes.emplace_back(kCloudPlatformScope);
    }
    TokenExchange exchange{token_url_,
                           std::move(assertion.jwt),
                           std::string(kAccessTokenType),
                           "//iam.googleapis.com/" + pool_provider_,
                           "",
                           scopes,
                           "",
                           Secret()};
    SIGNET_ASSIGN_OR_RETURN(
        Credential credential,
        RunTokenExchange(destination_, *client_, exchange, assertion.issued_at,
                         "check the pool provider's issuer, allowed audiences and attribute "
                         "condition"));
    if (!impersonation_url_.empty()) {
      SIGNET_ASSIGN_OR_RETURN(credential,
                              Impersonate(credential.access_token, scopes, request.lifetime));
    }
    credential.jti = std::move(assertion.jti);
    return credential;
  }

  // The service account's access token, asked for with the federated one.
  Result<Credential> Impersonate(const std::string& federated,
                                 const std::vector<std::string>& scopes,
                                 std::chrono::seconds lifetime) const {
    boost::json::array scope_list;
    for (const std::string& scope : scopes) {
      scope_list.emplace_back(scope);
    }
    http::ClientRequest post;
    post.method = "POST";
    post.url = impersonation_url_;
    post.headers = {{"Authorization", "Bearer " + federated},
                    {"Content-Type", "application/json"},
                    {"Accept", "application/json"},
                    {"User-Agent", "signet"}};
    post.body = boost::json::serialize(boost::json::object{
        {"scope", std::move(scope_list)},
        {"lifetime", std::to_string(std::min(lifetime, kMaxLifetime).count()) + "s"}});
    Result<http::ClientResponse> response = client_->Send(post);
    if (!response.ok()) {
      return DestinationUnreachable(destination_, response.status());
    }
    if (response->status != 200) {
      return DestinationRefusal(destination_, response->status, GoogleErrorStatus(response->body),
                                "check that the pool's principals may impersonate " +
                                    Setting(destination_, "service_account") +
                                    " (roles/iam.workloadIdentityUser)");
    }
    Result<boost::json::object> answer = ParseJsonObject(response->body);
    if (!answer.ok()) {
      return MalformedAnswer(destination_, "to generateAccessToken is not a JSON object");
    }
    const boost::json::value* token = answer->if_contains("accessToken");
    if (token == nullptr || !token->is_string() || token->as_string().empty()) {
      return MalformedAnswer(destination_, "to generateAccessToken has no accessToken");
    }
    const boost::json::value* expire = answer->if_contains("expireTime");
    std::optional<SystemTime> expires_at =
        expire != nullptr && expire->is_string() ? ParseRfc3339(expire->as_string()) : std::nullopt;
    if (!expires_at) {
      return MalformedAnswer(destination_, "to generateAccessToken has no RFC 3339 expireTime");
    }
    Credential credential = BearerCredential(std::string(token->as_string()),
                                             std::string(kAccessTokenType), "Bearer", *expires_at);
    credential.scopes = scopes;
    return credential;
  }

  Destination destination_;
  ProviderContext context_;
  std::unique_ptr<http::HttpClient> client_;
  const std::string token_url_;
  // projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>
  const std::string pool_provider_;
  const std::string impersonation_url_;  // empty: no service account to impersonate
};

// projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>
std::string PoolProvider(const Destination& destination) {
  return "projects/" + Setting(destination, "project_number") +
         "/locations/global/workloadIdentityPools/" + Setting(destination, "pool_id") +
         "/providers/" + Setting(destination, "provider_id");
}

// What a pool provider accepts as `aud` unless told otherwise.
std::string PoolProviderAudience(const Destination& destination) {
  return "https://iam.googleapis.com/" + PoolProvider(destination);
}

bool AllOf(std::string_view text, bool (*allowed)(char)) {
  return std::all_of(text.begin(), text.end(), allowed);
}

// Pool and provider ids as Google allows them: 4 to 32 lowercase letters, digits and
// '-', not starting with the reserved "gcp-".
bool IsPoolId(std::string_view id) {
  return id.size() >= 4 && id.size() <= 32 && !id.starts_with("gcp-") && AllOf(id, [](char c) {
           return std::islower(static_cast<unsigned char>(c)) ||
                  std::isdigit(static_cast<unsigned char>(c)) || c == '-';
         });
}

// An email's shape, with nothing that would change the URL path it goes into.
bool IsServiceAccountEmail(std::string_view email) {
  size_t at = email.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < email.size() &&
         email.find('@', at + 1) == std::string_view::npos && email.size() <= 254 &&
         AllOf(email, [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '@' || c == '.' || c == '-' ||
                  c == '_' || c == '+';
         });
}

Result<std::unique_ptr<CredentialProvider>> CreateGcpStsProvider(const Destination& destination,
                                                                 const ProviderContext& context) {
  SIGNET_RETURN_IF_ERROR(CheckCallingOutContext(context, "gcp-sts", /*signs=*/true));
  auto invalid = [&destination](const std::string& why) {
    return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                  DestinationLabel(destination) + ": " + why);
  };
  std::string project = Setting(destination, "project_number");
  if (project.empty() || project.size() > 20 ||
      !AllOf(project, [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    return invalid(
        "project_number must be the project's number (digits, as `gcloud projects "
        "describe` shows it), not its id");
  }
  for (std::string_view id : {"pool_id", "provider_id"}) {
    if (!IsPoolId(Setting(destination, id))) {
      return invalid(std::string(id) +
                     " must be 4 to 32 lowercase letters, digits or '-', not starting with gcp-");
    }
  }
  std::string pool_provider = PoolProvider(destination);
  SIGNET_ASSIGN_OR_RETURN(std::string token_url, UrlSetting(destination, "token_url",
                                                            "https://sts.googleapis.com/v1/token"));
  SIGNET_ASSIGN_OR_RETURN(std::string iam_url, UrlSetting(destination, "iam_credentials_url",
                                                          "https://iamcredentials.googleapis.com"));
  std::string impersonation_url;
  if (std::string account = Setting(destination, "service_account"); !account.empty()) {
    if (!IsServiceAccountEmail(account)) {
      return invalid(
          "service_account must be the service account's email, such as "
          "reader@my-project.iam.gserviceaccount.com");
    }
    impersonation_url =
        iam_url + "/v1/projects/-/serviceAccounts/" + account + ":generateAccessToken";
  }
  SIGNET_ASSIGN_OR_RETURN(auto client, ClientFor(destination, context));
  return std::unique_ptr<CredentialProvider>(
      new GcpStsProvider(destination, context, std::move(client), std::move(token_url),
                         std::move(pool_provider), std::move(impersonation_url)));
}

}  // namespace

ProviderKind GcpStsKind() {
  ProviderKind kind{CreateGcpStsProvider,
                    {{"project_number", true},
                     {"pool_id", true},
                     {"provider_id", true},
                     {"service_account", false},
                     {"token_url", false},
                     {"iam_credentials_url", false},
                     {"ca_file", false}},
                    ""};
  kind.derive_audience = PoolProviderAudience;
  return kind;
}

}  // namespace signet::credentials
