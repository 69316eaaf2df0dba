#include "credentials/providers/static_secret/static_secret.h"

#include <algorithm>
#include <cctype>

#include "common/base64url.h"
#include "credentials/outbound.h"

namespace signet::credentials {
namespace {

// RFC 9110 §5.1: a header name is a token.
bool IsHeaderName(std::string_view name) {
  constexpr std::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           kTokenPunctuation.find(c) != std::string_view::npos;
  });
}

// Header values may not hold control characters (RFC 9110 §5.5): a value with a line
// break would let whoever wrote the secret add headers of their own.
bool IsHeaderValue(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t') || byte == 0x7f;
  });
}

class StaticSecretProvider final : public CredentialProvider {
 public:
  StaticSecretProvider(Destination destination, ProviderContext context)
      : destination_(std::move(destination)),
        context_(std::move(context)),
        secret_(Setting(destination_, "secret")),
        scheme_(Setting(destination_, "scheme", "bearer")),
        header_(Setting(destination_, "header")) {}

  bool CallsOut() const override { return true; }  // the vault is store I/O

  CredentialForm Form() const override {
    return scheme_ == "bearer" ? CredentialForm::kToken : CredentialForm::kHeaders;
  }

  Result<Credential> Issue(const IssueRequest& request) const override {
    if (request.lifetime.count() <= 0) {
      return Status(ErrorCode::kInvalidRequest, "lifetime_exhausted",
                    "the subject token has no lifetime left to issue a credential for");
    }
    if (request.requested_token_type &&
        (Form() != CredentialForm::kToken || *request.requested_token_type != kAccessTokenType)) {
      return Status(ErrorCode::kInvalidRequest, "requested_token_type_unsupported",
                    Form() == CredentialForm::kToken
                        ? "this destination issues urn:ietf:params:oauth:token-type:access_token"
                        : "this destination issues no token type");
    }
    SIGNET_ASSIGN_OR_RETURN(Secret opened, OpenVaultSecret(destination_, context_, secret_));
    std::string_view value = opened.Reveal(SecretAccess::Grant());
    if (!IsHeaderValue(value)) {
      return Status(ErrorCode::kServerError, "destination_secret_invalid",
                    DestinationLabel(destination_) + ": the secret " + secret_ +
                        " holds control characters, which no header may carry");
    }
    SystemTime expires_at = request.decided_at + request.lifetime;
    Credential credential;
    if (scheme_ == "bearer") {
      credential =
          BearerCredential(std::string(value), std::string(kAccessTokenType), "Bearer", expires_at);
    } else {
      credential.form = CredentialForm::kHeaders;
      credential.expires_at = expires_at;
      credential.headers = {scheme_ == "basic"
                                ? HttpHeader{"Authorization", "Basic " + Base64Encode(value)}
                                : HttpHeader{header_, std::string(value)}};
    }
    credential.scopes = request.scopes;
    return credential;
  }

 private:
  Destination destination_;
  ProviderContext context_;
  const std::string secret_;
  const std::string scheme_;
  const std::string header_;
};

Result<std::unique_ptr<CredentialProvider>> CreateStaticSecretProvider(
    const Destination& destination, const ProviderContext& context) {
  auto invalid = [&destination](const std::string& why) {
    return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                  DestinationLabel(destination) + ": " + why);
  };
  if (!context.secrets) {
    return Status(ErrorCode::kInvalidConfig, "provider_context_incomplete",
                  "static-secret needs Signet's vault");
  }
  std::string secret = Setting(destination, "secret");
  if (secret.empty()) {
    return invalid("secret must name a secret of the vault");
  }
  std::string scheme = Setting(destination, "scheme", "bearer");
  if (scheme != "bearer" && scheme != "basic" && scheme != "header") {
    return invalid("scheme must be bearer, basic or header, not \"" + scheme.substr(0, 64) + "\"");
  }
  std::string header = Setting(destination, "header");
  if (scheme == "header" && !IsHeaderName(header)) {
    return invalid(
        "scheme header needs the setting header, naming the HTTP header (e.g. x-api-key)");
  }
  if (scheme != "header" && !header.empty()) {
    return invalid("the setting header is for scheme header only (" + scheme +
                   " uses Authorization)");
  }
  return std::unique_ptr<CredentialProvider>(new StaticSecretProvider(destination, context));
}

}  // namespace

ProviderKind StaticSecretKind() {
  ProviderKind kind{
      CreateStaticSecretProvider, {{"secret", true}, {"scheme", false}, {"header", false}}, ""};
  kind.has_audience = false;  // nothing is signed for the destination
  return kind;
}

}  // namespace signet::credentials
