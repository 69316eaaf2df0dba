#include "credentials/providers/github_app/github_app.h"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <map>

#include "common/json.h"
#include "credentials/outbound.h"
#include "jose/jwt.h"

namespace signet::credentials {
namespace {

// GitHub refuses an App JWT whose exp is more than 10 minutes ahead; a minute of margin
// absorbs the difference between Signet's clock and GitHub's.
constexpr std::chrono::seconds kAppJwtLifetime{9 * 60};
// GitHub's documented allowance for clock drift: iat a minute in the past.
constexpr std::chrono::seconds kAppJwtBackdate{60};
// GitHub's limit on the repositories one token may be narrowed to.
constexpr size_t kMaxRepositories = 500;
constexpr std::array<std::string_view, 3> kLevels = {"read", "write", "admin"};

// What a token is narrowed to: permission -> level, and repository names.
struct Narrowing {
  std::map<std::string, std::string> permissions;
  std::vector<std::string> repositories;
};

bool IsName(std::string_view text, size_t max, std::string_view extra, bool upper) {
  return !text.empty() && text.size() <= max &&
         std::all_of(text.begin(), text.end(), [extra, upper](char c) {
           unsigned char u = static_cast<unsigned char>(c);
           return std::islower(u) || std::isdigit(u) || (upper && std::isupper(u)) ||
                  extra.find(c) != std::string_view::npos;
         });
}

size_t LevelRank(std::string_view level) {
  return static_cast<size_t>(std::find(kLevels.begin(), kLevels.end(), level) - kLevels.begin());
}

// Adds `scope` (`<permission>:<level>` or, when `repositories_allowed`, `repo:<name>`) to
// `narrowing`; false when it is neither.
bool AddScope(std::string_view scope, bool repositories_allowed, Narrowing* narrowing) {
  size_t colon = scope.find(':');
  if (colon == std::string_view::npos) {
    return false;
  }
  std::string_view name = scope.substr(0, colon);
  std::string_view value = scope.substr(colon + 1);
  if (name == "repo") {
    // GitHub's repository names: letters, digits, '-', '_' and '.', up to 100.
    if (!repositories_allowed || !IsName(value, 100, "-_.", /*upper=*/true)) {
      return false;
    }
    auto& repositories = narrowing->repositories;
    if (std::find(repositories.begin(), repositories.end(), value) == repositories.end()) {
      repositories.emplace_back(value);
    }
    return true;
  }
  if (!IsName(name, 64, "_", /*upper=*/false) || LevelRank(value) == kLevels.size()) {
    return false;
  }
  // Both levels were granted: the token gets the higher one, which includes the other.
  std::string& level = narrowing->permissions[std::string(name)];
  if (level.empty() || LevelRank(value) > LevelRank(level)) {
    level = std::string(value);
  }
  return true;
}

// The JSON body asking for `narrowing`; "" when it narrows nothing (GitHub then grants
// everything the installation has).
std::string BodyOf(const Narrowing& narrowing) {
  boost::json::object body;
  if (!narrowing.repositories.empty()) {
    body["repositories"] =
        boost::json::array(narrowing.repositories.begin(), narrowing.repositories.end());
  }
  if (!narrowing.permissions.empty()) {
    boost::json::object permissions;
    for (const auto& [permission, level] : narrowing.permissions) {
      permissions[permission] = level;
    }
    body["permissions"] = std::move(permissions);
  }
  return body.empty() ? "" : boost::json::serialize(body);
}

// A setting's list: items separated by commas or spaces.
std::vector<std::string> ListSetting(const Destination& destination, std::string_view name) {
  std::string text = Setting(destination, name);
  std::replace(text.begin(), text.end(), ',', ' ');
  return SplitScopes(text);
}

// What the operator should check when GitHub refuses with `status`.
std::string_view RefusalHint(int status) {
  switch (status) {
    case 401:
      return "check client_id and that private_key_secret holds the App's current private key";
    case 403:
      return "the App lacks a permission asked for, or its installation is suspended";
    case 404:
      return "check installation_id: the App must be installed on that account";
    case 422:
      return "the installation lacks a repository or permission asked for";
    default:
      return "";
  }
}

// GitHub's rate limits: the primary one answers 403 with x-ratelimit-remaining: 0, a
// secondary one 403 with retry-after.
bool RateLimited(const http::ClientResponse& response) {
  return std::any_of(response.headers.begin(), response.headers.end(), [](const auto& header) {
    std::string name = header.first;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return (name == "x-ratelimit-remaining" && header.second == "0") || name == "retry-after";
  });
}

class GitHubAppProvider final : public CachingProvider {
 public:
  GitHubAppProvider(Destination destination, ProviderContext context,
                    std::unique_ptr<http::HttpClient> client, std::string token_url,
                    Narrowing defaults)
      : CachingProvider(*context.clock, kAccessTokenType),
        destination_(std::move(destination)),
        context_(std::move(context)),
        client_(std::move(client)),
        token_url_(std::move(token_url)),
        defaults_(std::move(defaults)) {}

 private:
  // One installation token from GitHub, for a key the cache does not hold fresh. The App
  // key is read from the vault here, so a `signet secret put` takes effect on the next
  // fetch.
  Result<Credential> Fetch(const IssueRequest& request) const override {
    SIGNET_ASSIGN_OR_RETURN(Narrowing narrowing, NarrowingFor(request.scopes));
    SIGNET_ASSIGN_OR_RETURN(auto key, VaultedRsaKey(destination_, context_, "private_key_secret"));
    SystemTime now = FromUnixSeconds(ToUnixSecondsFloor(context_.clock->Now()));
    boost::json::object claims{
        {"iat", ToUnixSecondsFloor(now - kAppJwtBackdate)},
        {"exp", ToUnixSecondsFloor(now + kAppJwtLifetime)},
        {"iss", Setting(destination_, "client_id")},
    };
    SIGNET_ASSIGN_OR_RETURN(std::string app_jwt, jose::SignJwt(*key, claims, "JWT"));

    http::ClientRequest post;
    post.method = "POST";
    post.url = token_url_;
    post.headers = {{"Authorization", "Bearer " + app_jwt},
                    {"Accept", "application/vnd.github+json"},
                    {"X-GitHub-Api-Version", "2022-11-28"},
                    {"User-Agent", "signet"}};
    post.body = BodyOf(narrowing);
    if (!post.body.empty()) {
      post.headers.emplace_back("Content-Type", "application/json");
    }
    Result<http::ClientResponse> response = client_->Send(post);
    if (!response.ok()) {
      return DestinationUnreachable(destination_, response.status());
    }
    if (response->status == 403 && RateLimited(*response)) {
      return Status(ErrorCode::kTemporarilyUnavailable, "destination_unavailable",
                    DestinationLabel(destination_) + " is rate-limited (HTTP 403); retry shortly");
    }
    if (response->status != 201) {
      // GitHub's message may echo what it was sent: only the status is repeated.
      return DestinationRefusal(destination_, response->status, "", RefusalHint(response->status));
    }
    return ParseAnswer(response->body, now, request.scopes);
  }

  // What the granted `scopes` narrow the token to, the destination's defaults filling in
  // what they leave open.
  Result<Narrowing> NarrowingFor(const std::vector<std::string>& scopes) const {
    Narrowing narrowing;
    for (const std::string& scope : scopes) {
      if (!AddScope(scope, /*repositories_allowed=*/true, &narrowing)) {
        return Status(ErrorCode::kInvalidScope, "scope_unsupported",
                      DestinationLabel(destination_) + ": scope \"" + scope +
                          "\" is neither <permission>:<read|write|admin> nor repo:<name>");
      }
    }
    if (narrowing.repositories.size() > kMaxRepositories) {
      return Status(
          ErrorCode::kInvalidScope, "scope_unsupported",
          DestinationLabel(destination_) + ": GitHub narrows a token to at most 500 repositories");
    }
    if (narrowing.permissions.empty()) {
      narrowing.permissions = defaults_.permissions;
    }
    if (narrowing.repositories.empty()) {
      narrowing.repositories = defaults_.repositories;
    }
    return narrowing;
  }

  Result<Credential> ParseAnswer(std::string_view body, SystemTime sent_at,
                                 const std::vector<std::string>& granted) const {
    Result<boost::json::object> json = ParseJsonObject(body);
    if (!json.ok()) {
      return MalformedAnswer(destination_, "is not a JSON object");
    }
    const boost::json::value* token = json->if_contains("token");
    if (token == nullptr || !token->is_string() || token->as_string().empty()) {
      return MalformedAnswer(destination_, "has no token");
    }
    const boost::json::value* expires_at = json->if_contains("expires_at");
    std::optional<SystemTime> expiry;
    if (expires_at != nullptr && expires_at->is_string()) {
      expiry = ParseRfc3339(expires_at->as_string());
    }
    if (!expiry) {
      return MalformedAnswer(destination_, "has no RFC 3339 expires_at");
    }
    if (*expiry <= sent_at) {
      return MalformedAnswer(destination_, "has an expires_at that has already passed");
    }
    Credential credential = BearerCredential(std::string(token->as_string()),
                                             std::string(kAccessTokenType), "Bearer", *expiry);
    credential.scopes = granted;
    return credential;
  }

  Destination destination_;
  ProviderContext context_;
  std::unique_ptr<http::HttpClient> client_;
  const std::string token_url_;
  const Narrowing defaults_;
};

Status InvalidSetting(const Destination& destination, std::string_view name, std::string_view why) {
  return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                DestinationLabel(destination) + ": " + std::string(name) + " " + std::string(why));
}

Result<std::unique_ptr<CredentialProvider>> CreateGitHubAppProvider(
    const Destination& destination, const ProviderContext& context) {
  SIGNET_RETURN_IF_ERROR(CheckCallingOutContext(context, "github-app", /*signs=*/false));
  if (!context.secrets) {
    return Status(ErrorCode::kInvalidConfig, "provider_context_incomplete",
                  "github-app needs Signet's vault");
  }
  SIGNET_ASSIGN_OR_RETURN(std::string api_url, UrlSetting(destination, "api_url", kGitHubApiUrl));
  std::string client_id = Setting(destination, "client_id");
  if (client_id.empty() || !IsName(client_id, 64, "._-", /*upper=*/true)) {
    return InvalidSetting(destination, "client_id",
                          "must be the App's client id (Iv1.0123456789abcdef) from its settings");
  }
  std::string installation_id = Setting(destination, "installation_id");
  if (installation_id.empty() || installation_id.size() > 20 ||
      !std::all_of(installation_id.begin(), installation_id.end(),
                   [](unsigned char c) { return std::isdigit(c); })) {
    return InvalidSetting(destination, "installation_id",
                          "must be the installation's number (digits), as in "
                          "https://github.com/settings/installations/<id>");
  }
  if (Setting(destination, "private_key_secret").empty()) {
    return InvalidSetting(destination, "private_key_secret",
                          "must name the vault secret holding the App's private key");
  }
  Narrowing defaults;
  for (const std::string& permission : ListSetting(destination, "permissions")) {
    if (!AddScope(permission, /*repositories_allowed=*/false, &defaults)) {
      return InvalidSetting(destination, "permissions",
                            "must list <permission>:<read|write|admin> (e.g. contents:read); \"" +
                                permission + "\" is not one");
    }
  }
  for (const std::string& repository : ListSetting(destination, "repositories")) {
    if (!AddScope("repo:" + repository, /*repositories_allowed=*/true, &defaults)) {
      return InvalidSetting(destination, "repositories",
                            "must list repository names (letters, digits, '-', '_', '.'); \"" +
                                repository + "\" is not one");
    }
  }
  if (defaults.repositories.size() > kMaxRepositories) {
    return InvalidSetting(destination, "repositories", "may list at most 500 repositories");
  }
  SIGNET_ASSIGN_OR_RETURN(auto client, ClientFor(destination, context));
  return std::unique_ptr<CredentialProvider>(new GitHubAppProvider(
      destination, context, std::move(client),
      api_url + "/app/installations/" + installation_id + "/access_tokens", std::move(defaults)));
}

}  // namespace

ProviderKind GitHubAppKind() {
  ProviderKind kind{CreateGitHubAppProvider,
                    {{"client_id", true},
                     {"installation_id", true},
                     {"private_key_secret", true},
                     {"api_url", false},
                     {"repositories", false},
                     {"permissions", false},
                     {"ca_file", false}},
                    ""};
  kind.has_audience = false;  // the App JWT has no aud
  return kind;
}

}  // namespace signet::credentials
