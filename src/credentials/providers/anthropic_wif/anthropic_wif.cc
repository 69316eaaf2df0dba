#include "credentials/providers/anthropic_wif/anthropic_wif.h"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cmath>
#include <fstream>

#include "common/json.h"
#include "common/url.h"
#include "credentials/credential_cache.h"
#include "jose/jwt.h"

namespace signet::credentials {
namespace {

// Anthropic's default max_jwt_lifetime_seconds for a federation issuer: an assertion
// that lives longer is refused.
constexpr std::chrono::seconds kMaxAssertionLifetime{3600};
// The header Anthropic's SDKs send on the exchange: it routes the request to the
// federation service.
constexpr std::string_view kBetaHeader = "oauth-2025-04-20,oidc-federation-2026-04-01";

std::string Setting(const Destination& destination, std::string_view name,
                    std::string_view fallback = "") {
  auto it = destination.settings.find(name);
  return it != destination.settings.end() ? it->second : std::string(fallback);
}

std::vector<std::string> SplitScopes(std::string_view joined) {
  std::vector<std::string> scopes;
  size_t start = 0;
  while (start < joined.size()) {
    size_t end = std::min(joined.find(' ', start), joined.size());
    if (end > start) {
      scopes.emplace_back(joined.substr(start, end - start));
    }
    start = end + 1;
  }
  return scopes;
}

// What Anthropic's error body names: the OAuth `error` ("invalid_grant"), or the API
// error's `error.type`; "" when the body says neither. Only this identifier is repeated:
// a description is the destination's text, kept out of Signet's answers and records.
std::string UpstreamErrorCode(std::string_view body) {
  Result<boost::json::object> json = ParseJsonObject(body);
  if (!json.ok()) {
    return "";
  }
  const boost::json::value* error = json->if_contains("error");
  if (error != nullptr && error->is_object()) {
    error = error->as_object().if_contains("type");
  }
  if (error == nullptr || !error->is_string()) {
    return "";
  }
  std::string code(error->as_string());
  bool identifier = code.size() <= 64 && std::all_of(code.begin(), code.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                    });
  return identifier ? code : "";
}

// {base_url}/v1/oauth/token; a base URL given with a trailing slash names the same one.
std::string TokenUrl(const Destination& destination) {
  std::string base = Setting(destination, "base_url", kAnthropicAudience);
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  return base + "/v1/oauth/token";
}

class AnthropicWifProvider final : public CredentialProvider {
 public:
  AnthropicWifProvider(Destination destination, ProviderContext context,
                       std::unique_ptr<http::HttpClient> client)
      : destination_(std::move(destination)),
        context_(std::move(context)),
        client_(std::move(client)),
        token_url_(TokenUrl(destination_)),
        cache_(*context_.clock) {}

  bool CallsOut() const override { return true; }

  Result<Credential> Issue(const IssueRequest& request) const override {
    if (request.lifetime.count() <= 0) {
      return Status(ErrorCode::kInvalidRequest, "lifetime_exhausted",
                    "the subject token has no lifetime left to issue a credential for");
    }
    if (request.requested_token_type && *request.requested_token_type != kAccessTokenType) {
      return Status(ErrorCode::kInvalidRequest, "requested_token_type_unsupported",
                    "this destination issues urn:ietf:params:oauth:token-type:access_token");
    }
    // The destination is fixed per provider; what the token carries varies by workload
    // and by the scopes policy granted. '\n' appears in neither.
    std::string key = request.workload + "\n" + JoinScopes(request.scopes);
    SIGNET_ASSIGN_OR_RETURN(Credential credential,
                            cache_.Get(key, [this, &request] { return Exchange(request); }));
    // The policy's lifetime bounds what Signet tells the workload, even when Anthropic's
    // rule lets the token itself live longer: the workload comes back for it in time.
    credential.expires_at = std::min(credential.expires_at, request.decided_at + request.lifetime);
    return credential;
  }

 private:
  // One exchange at Anthropic, outside any lock (the cache calls it).
  Result<Credential> Exchange(const IssueRequest& request) const {
    std::shared_ptr<const jose::SigningKey> key = context_.signing_key();
    if (!key) {
      return Status(ErrorCode::kServerError, "signing_key_missing",
                    "Signet has no signing key to sign with");
    }
    SystemTime issued_at = FromUnixSeconds(ToUnixSecondsFloor(context_.clock->Now()));
    std::string jti = context_.random->Base64UrlId();
    boost::json::object claims{
        {"iss", context_.issuer},
        {"sub", WorkloadId(context_, request.workload)},
        {"aud", destination_.audience},
        {"iat", ToUnixSecondsFloor(issued_at)},
        {"exp", ToUnixSecondsFloor(issued_at + std::min(request.lifetime, kMaxAssertionLifetime))},
        {"jti", jti},
    };
    SIGNET_ASSIGN_OR_RETURN(std::string assertion, jose::SignJwt(*key, claims, "JWT"));

    boost::json::object body{
        {"grant_type", kJwtBearerGrant},
        {"assertion", assertion},
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
      return Status(ErrorCode::kTemporarilyUnavailable, "destination_unavailable",
                    Name() + "'s token endpoint cannot be reached: " + response.status().message());
    }
    if (response->status != 200) {
      return Refusal(*response);  // a 2xx other than 200 is no token answer either
    }
    return ParseToken(response->body, issued_at, std::move(jti), request.scopes);
  }

  Status Refusal(const http::ClientResponse& response) const {
    std::string what = "HTTP " + std::to_string(response.status);
    if (std::string code = UpstreamErrorCode(response.body); !code.empty()) {
      what += " " + code;
    }
    if (response.status == 408 || response.status == 429 || response.status >= 500) {
      return Status(ErrorCode::kTemporarilyUnavailable, "destination_unavailable",
                    Name() + " is unavailable (" + what + "); retry shortly");
    }
    if (response.status < 400) {
      return Status(ErrorCode::kServerError, "destination_answer_malformed",
                    Name() + "'s token endpoint answered " + what + " instead of a token");
    }
    // Anthropic consolidates every refusal of the assertion (issuer, rule, claims,
    // service account) into invalid_grant; the cause is in its authentication history.
    return Status(ErrorCode::kInvalidTarget, "destination_refused",
                  Name() + " refused the federated exchange (" + what +
                      "): check the federation issuer, rule and service account at Anthropic");
  }

  Result<Credential> ParseToken(std::string_view text, SystemTime issued_at, std::string jti,
                                const std::vector<std::string>& granted) const {
    auto malformed = [this](std::string_view why) {
      return Status(ErrorCode::kServerError, "destination_answer_malformed",
                    Name() + "'s token response " + std::string(why));
    };
    Result<boost::json::object> json = ParseJsonObject(text);
    if (!json.ok()) {
      return malformed("is not a JSON object");
    }
    const boost::json::value* access_token = json->if_contains("access_token");
    if (access_token == nullptr || !access_token->is_string() ||
        access_token->as_string().empty()) {
      return malformed("has no access_token");
    }
    if (const boost::json::value* type = json->if_contains("token_type")) {
      std::string lower = type->is_string() ? std::string(type->as_string()) : "";
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (lower != "bearer") {
        return malformed("has a token_type other than Bearer");
      }
    }
    const boost::json::value* expires_in = json->if_contains("expires_in");
    double seconds = 0;
    if (expires_in != nullptr && expires_in->is_number()) {
      seconds = expires_in->to_number<double>();
    }
    // Bounded so the conversion below is defined: a year is longer than any token lives.
    if (!std::isfinite(seconds) || seconds <= 0 || seconds > 366.0 * 24 * 3600) {
      return malformed("has no positive expires_in");
    }
    Credential credential;
    credential.access_token = std::string(access_token->as_string());
    credential.token_type = "Bearer";
    credential.issued_token_type = std::string(kAccessTokenType);
    credential.expires_at =
        issued_at + std::chrono::seconds(static_cast<int64_t>(std::floor(seconds)));
    credential.jti = std::move(jti);  // the assertion's: Anthropic's records can name it
    const boost::json::value* scope = json->if_contains("scope");
    credential.scopes =
        scope != nullptr && scope->is_string() ? SplitScopes(scope->as_string()) : granted;
    return credential;
  }

  std::string Name() const { return "destination " + destination_.name; }

  Destination destination_;
  ProviderContext context_;
  std::unique_ptr<http::HttpClient> client_;
  const std::string token_url_;
  mutable CredentialCache cache_;
};

Result<std::unique_ptr<CredentialProvider>> CreateAnthropicWifProvider(
    const Destination& destination, const ProviderContext& context) {
  if (!context.signing_key || context.clock == nullptr || context.random == nullptr ||
      !context.http_clients) {
    return Status(ErrorCode::kInvalidConfig, "provider_context_incomplete",
                  "anthropic-wif needs Signet's signing key, a clock, randomness and an HTTP "
                  "client");
  }
  std::string base_url = Setting(destination, "base_url", kAnthropicAudience);
  if (Status secure = CheckSecureUrl(base_url); !secure.ok()) {
    return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                  "destination " + destination.name + ": base_url: " + secure.message());
  }
  for (std::string_view id : {"organization_id", "federation_rule_id", "service_account_id"}) {
    if (Setting(destination, id).empty()) {
      return Status(
          ErrorCode::kInvalidConfig, "destination_setting_missing",
          "destination " + destination.name + ": " + std::string(id) + " must not be empty");
    }
  }
  http::ClientOptions options;
  options.ca_file = Setting(destination, "ca_file");
  if (!options.ca_file.empty() && !std::ifstream(options.ca_file).good()) {
    return Status(
        ErrorCode::kInvalidConfig, "destination_setting_invalid",
        "destination " + destination.name + ": ca_file " + options.ca_file + " cannot be read");
  }
  return std::unique_ptr<CredentialProvider>(
      new AnthropicWifProvider(destination, context, context.http_clients(options)));
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
