#include "credentials/outbound.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>

#include "common/base64url.h"
#include "common/json.h"
#include "common/url.h"
#include "http/form.h"
#include "jose/jwt.h"

namespace signet::credentials {

std::string Setting(const Destination& destination, std::string_view name,
                    std::string_view fallback) {
  auto it = destination.settings.find(name);
  return it != destination.settings.end() ? it->second : std::string(fallback);
}

Result<std::string> UrlSetting(const Destination& destination, std::string_view name,
                               std::string_view fallback) {
  std::string url = Setting(destination, name, fallback);
  if (Status secure = CheckSecureUrl(url); !secure.ok()) {
    return Status(
        ErrorCode::kInvalidConfig, "destination_setting_invalid",
        DestinationLabel(destination) + ": " + std::string(name) + ": " + secure.message());
  }
  // Paths are appended to these URLs: a query or fragment would swallow them.
  if (url.find_first_of("?#") != std::string::npos) {
    return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                  DestinationLabel(destination) + ": " + std::string(name) +
                      " must have no query or fragment");
  }
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

Result<std::unique_ptr<http::HttpClient>> ClientFor(const Destination& destination,
                                                    const ProviderContext& context) {
  http::ClientOptions options;
  options.ca_file = Setting(destination, "ca_file");
  if (!options.ca_file.empty() && !std::ifstream(options.ca_file).good()) {
    return Status(
        ErrorCode::kInvalidConfig, "destination_setting_invalid",
        DestinationLabel(destination) + ": ca_file " + options.ca_file + " cannot be read");
  }
  return context.http_clients(options);
}

Status CheckCallingOutContext(const ProviderContext& context, std::string_view kind, bool signs) {
  if ((signs && !context.signing_key) || context.clock == nullptr || context.random == nullptr ||
      !context.http_clients) {
    return Status(ErrorCode::kInvalidConfig, "provider_context_incomplete",
                  std::string(kind) + " needs " + (signs ? "Signet's signing key, " : "") +
                      "a clock, randomness and an HTTP client");
  }
  return Status::Ok();
}

Result<Assertion> SignAssertion(const ProviderContext& context, std::string_view workload,
                                std::string_view audience, std::chrono::seconds lifetime,
                                std::chrono::seconds max_lifetime) {
  return SignAssertionClaims(context, {context.issuer, WorkloadId(context, workload),
                                       std::string(audience), std::min(lifetime, max_lifetime)});
}

std::string DestinationLabel(const Destination& destination) {
  return "destination " + destination.name;
}

Status DestinationUnreachable(const Destination& destination, const Status& transport) {
  return Status(ErrorCode::kTemporarilyUnavailable, "destination_unavailable",
                DestinationLabel(destination) +
                    "'s token endpoint cannot be reached: " + transport.message());
}

namespace {

// "HTTP <status>" and the destination's error identifier, if it named one.
std::string AnswerStatus(int status, std::string_view upstream_code) {
  std::string what = "HTTP " + std::to_string(status);
  if (!upstream_code.empty()) {
    what += " " + std::string(upstream_code);
  }
  return what;
}

}  // namespace

Status DestinationBusy(const Destination& destination, int status, std::string_view upstream_code) {
  return Status(ErrorCode::kTemporarilyUnavailable, "destination_unavailable",
                DestinationLabel(destination) + " is unavailable (" +
                    AnswerStatus(status, upstream_code) + "); retry shortly");
}

Status DestinationRefusal(const Destination& destination, int status,
                          std::string_view upstream_code, std::string_view hint) {
  if (status == 408 || status == 429 || status >= 500) {
    return DestinationBusy(destination, status, upstream_code);
  }
  std::string what = AnswerStatus(status, upstream_code);
  if (status < 400) {
    return Status(ErrorCode::kServerError, "destination_answer_malformed",
                  DestinationLabel(destination) + "'s token endpoint answered " + what +
                      " instead of a credential");
  }
  return Status(ErrorCode::kInvalidTarget, "destination_refused",
                DestinationLabel(destination) + " refused the exchange (" + what + ")" +
                    (hint.empty() ? "" : ": " + std::string(hint)));
}

Status MalformedAnswer(const Destination& destination, std::string_view why) {
  return Status(ErrorCode::kServerError, "destination_answer_malformed",
                DestinationLabel(destination) + "'s answer " + std::string(why));
}

std::string UpstreamIdentifier(std::string_view text) {
  bool identifier =
      !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
      });
  return identifier ? std::string(text) : "";
}

std::string JsonErrorCode(std::string_view body) {
  Result<boost::json::object> json = ParseJsonObject(body);
  if (!json.ok()) {
    return "";
  }
  const boost::json::value* error = json->if_contains("error");
  if (error != nullptr && error->is_object()) {
    error = error->as_object().if_contains("type");
  }
  return error != nullptr && error->is_string() ? UpstreamIdentifier(error->as_string()) : "";
}

std::optional<std::chrono::seconds> PositiveSeconds(const boost::json::value* value) {
  if (value == nullptr || !value->is_number()) {
    return std::nullopt;
  }
  double seconds = value->to_number<double>();
  // Bounded so the conversion below is defined: a year is longer than any token lives.
  if (!std::isfinite(seconds) || seconds < 1 || seconds > 366.0 * 24 * 3600) {
    return std::nullopt;
  }
  return std::chrono::seconds(static_cast<int64_t>(std::floor(seconds)));
}

Result<Secret> OpenVaultSecret(const Destination& destination, const ProviderContext& context,
                               const std::string& name) {
  Result<Secret> secret = context.secrets(name);
  if (!secret.ok()) {
    return Status(ErrorCode::kServerError, "destination_secret_unavailable",
                  DestinationLabel(destination) + ": the vault secret " + name +
                      " cannot be opened (" + std::string(secret.status().reason()) +
                      "); store it with `signet secret put " + name + "`");
  }
  return secret;
}

bool IsBearerToken(std::string_view token) {
  // RFC 6750 §2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
  size_t end = token.find_last_not_of('=');
  std::string_view body = token.substr(0, end == std::string_view::npos ? 0 : end + 1);
  return !body.empty() && std::all_of(body.begin(), body.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("-._~+/").find(c) != std::string_view::npos;
  });
}

std::string ClientSecretBasic(std::string_view client_id, const Secret& client_secret) {
  auto form_encoded = [](std::string_view value) {
    return http::EncodeForm({{"", std::string(value)}}).substr(1);  // past the '='
  };
  // Wiped when it goes: the secret in clear.
  Secret joined(form_encoded(client_id) + ":" +
                form_encoded(client_secret.Reveal(SecretAccess::Grant())));
  return "Basic " + Base64Encode(joined.Reveal(SecretAccess::Grant()));
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

Result<Credential> ParseTokenResponse(const Destination& destination, std::string_view body,
                                      SystemTime sent_at, const std::vector<std::string>& granted) {
  Result<boost::json::object> json = ParseJsonObject(body);
  if (!json.ok()) {
    return MalformedAnswer(destination, "is not a JSON object");
  }
  const boost::json::value* access_token = json->if_contains("access_token");
  if (access_token == nullptr || !access_token->is_string() ||
      !IsBearerToken(access_token->as_string())) {
    return MalformedAnswer(destination, "has no access_token a bearer header can carry");
  }
  // RFC 6749 §5.1 requires token_type (case-insensitive), yet some destinations leave
  // it out of answers whose tokens are bearer tokens all the same.
  if (const boost::json::value* type = json->if_contains("token_type")) {
    std::string lower = type->is_string() ? std::string(type->as_string()) : "";
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower != "bearer") {
      return MalformedAnswer(destination, "has a token_type other than Bearer");
    }
  }
  std::optional<std::chrono::seconds> expires_in = PositiveSeconds(json->if_contains("expires_in"));
  if (!expires_in) {
    return MalformedAnswer(destination, "has no positive expires_in");
  }
  Credential credential =
      BearerCredential(std::string(access_token->as_string()), std::string(kAccessTokenType),
                       "Bearer", sent_at + *expires_in);
  const boost::json::value* scope = json->if_contains("scope");
  credential.scopes =
      scope != nullptr && scope->is_string() ? SplitScopes(scope->as_string()) : granted;
  // The workload is told what it may do; a destination that grants more than was asked
  // for has a trust set-up wider than Signet's policy.
  if (!granted.empty()) {
    for (const std::string& answered : credential.scopes) {
      if (std::find(granted.begin(), granted.end(), answered) == granted.end()) {
        return MalformedAnswer(destination, "grants a scope beyond what was asked (" +
                                                UpstreamIdentifier(answered) +
                                                "): narrow the destination's rule or client");
      }
    }
  }
  return credential;
}

CachingProvider::CachingProvider(const Clock& clock, std::string_view issued_token_type)
    : issued_token_type_(issued_token_type), cache_(clock) {}

Result<Credential> CachingProvider::Issue(const IssueRequest& request) const {
  if (request.lifetime.count() <= 0) {
    return Status(ErrorCode::kInvalidRequest, "lifetime_exhausted",
                  "the subject token has no lifetime left to issue a credential for");
  }
  if (request.requested_token_type && *request.requested_token_type != issued_token_type_) {
    return Status(ErrorCode::kInvalidRequest, "requested_token_type_unsupported",
                  issued_token_type_.empty() ? std::string("this destination issues no token type")
                                             : "this destination issues " + issued_token_type_);
  }
  // The destination is fixed per provider; what the credential carries varies by
  // workload and by the scopes policy granted. '\n' appears in neither.
  // Sorted: one grant is one entry, whatever order the request named its scopes in.
  std::vector<std::string> scopes = request.scopes;
  std::sort(scopes.begin(), scopes.end());
  std::string key = request.workload + "\n" + JoinScopes(scopes);
  SIGNET_ASSIGN_OR_RETURN(Credential credential,
                          cache_.Get(key, [this, &request] { return Fetch(request); }));
  // The policy's lifetime bounds what Signet tells the workload, even when the
  // destination lets the credential itself live longer: the workload comes back in time.
  credential.expires_at = std::min(credential.expires_at, request.decided_at + request.lifetime);
  return credential;
}

// ---------------------------------------------------------------------------------------
// Assertions with claims of the caller's choosing.

Result<Assertion> SignAssertionClaims(const ProviderContext& context,
                                      const AssertionClaims& claims) {
  // The key of this moment, held until the assertion is signed (keys rotate meanwhile).
  std::shared_ptr<const jose::SigningKey> key = context.signing_key();
  if (!key) {
    return Status(ErrorCode::kServerError, "signing_key_missing",
                  "Signet has no signing key to sign with");
  }
  Assertion assertion;
  assertion.issued_at = FromUnixSeconds(ToUnixSecondsFloor(context.clock->Now()));
  assertion.jti = context.random->Base64UrlId();
  boost::json::object payload{
      {"iss", claims.issuer},
      {"sub", claims.subject},
      {"aud", claims.audience},
      {"iat", ToUnixSecondsFloor(assertion.issued_at)},
      {"exp", ToUnixSecondsFloor(assertion.issued_at + claims.lifetime)},
      {"jti", assertion.jti},
  };
  SIGNET_ASSIGN_OR_RETURN(assertion.jwt, jose::SignJwt(*key, payload, "JWT"));
  return assertion;
}

// ---------------------------------------------------------------------------------------
// Keys of third parties kept in Signet's vault.

Result<std::shared_ptr<const jose::SigningKey>> VaultedRsaKey(const Destination& destination,
                                                              const ProviderContext& context,
                                                              std::string_view setting) {
  std::string name = Setting(destination, setting);
  auto unusable = [&destination, &name](const Status& why) {
    // server_error on the wire (the workload can do nothing about it); the reason and
    // message are for the operator.
    return Status(ErrorCode::kServerError, "private_key_unusable",
                  DestinationLabel(destination) + ": the key in secret " + name +
                      " cannot be used (" + std::string(why.reason()) + ": " + why.message() +
                      "); store an unencrypted RSA private key of at least 2048 bits with "
                      "`signet secret put " +
                      name + "`");
  };
  Result<Secret> pem = context.secrets(name);
  if (!pem.ok()) {
    return unusable(pem.status());
  }
  Result<jose::SigningKey> key = jose::SigningKey::FromRsaPrivateKeyPem(*pem, name);
  if (!key.ok()) {
    return unusable(key.status());
  }
  return std::make_shared<const jose::SigningKey>(std::move(key).value());
}

}  // namespace signet::credentials
