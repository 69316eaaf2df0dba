#include "credentials/providers/snowflake_keypair/snowflake_keypair.h"

#include <algorithm>
#include <boost/json/object.hpp>
#include <cctype>

#include "credentials/outbound.h"
#include "jose/jwt.h"

namespace signet::credentials {
namespace {

// Snowflake refuses a key-pair JWT that lives longer than an hour.
constexpr std::chrono::seconds kMaxJwtLifetime{3600};

std::string Upper(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return upper;
}

class SnowflakeKeypairProvider final : public CachingProvider {
 public:
  SnowflakeKeypairProvider(Destination destination, ProviderContext context, std::string subject)
      : CachingProvider(*context.clock, kJwtTokenType),
        destination_(std::move(destination)),
        context_(std::move(context)),
        subject_(std::move(subject)) {}

 private:
  // Signs a fresh JWT (the cache calls it when it holds none for the workload).
  Result<Credential> Fetch(const IssueRequest& request) const override {
    SIGNET_ASSIGN_OR_RETURN(auto key, VaultedRsaKey(destination_, context_, "private_key_secret"));
    SIGNET_ASSIGN_OR_RETURN(std::string fingerprint, key->PublicKeySha256());
    SystemTime issued_at = FromUnixSeconds(ToUnixSecondsFloor(context_.clock->Now()));
    SystemTime expires_at =
        std::min(issued_at + kMaxJwtLifetime,
                 FromUnixSeconds(ToUnixSecondsFloor(request.decided_at + request.lifetime)));
    if (expires_at <= issued_at) {
      return Status(ErrorCode::kInvalidRequest, "lifetime_exhausted",
                    "the subject token has no lifetime left to issue a credential for");
    }
    // Snowflake reads only iss, sub, iat and exp; a jti makes each JWT distinct and lets
    // the audit trail name the one a workload was given.
    std::string jti = context_.random->Base64UrlId();
    boost::json::object claims{
        {"iss", subject_ + ".SHA256:" + fingerprint},
        {"sub", subject_},
        {"iat", ToUnixSecondsFloor(issued_at)},
        {"exp", ToUnixSecondsFloor(expires_at)},
        {"jti", jti},
    };
    SIGNET_ASSIGN_OR_RETURN(std::string jwt, jose::SignJwt(*key, claims, "JWT"));
    Credential credential =
        BearerCredential(std::move(jwt), std::string(kJwtTokenType), "Bearer", expires_at);
    credential.headers.push_back({"X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT"});
    credential.scopes = request.scopes;
    credential.jti = std::move(jti);
    return credential;
  }

  Destination destination_;
  ProviderContext context_;
  const std::string subject_;  // <ACCOUNT>.<USER>
};

Result<std::unique_ptr<CredentialProvider>> CreateSnowflakeKeypairProvider(
    const Destination& destination, const ProviderContext& context) {
  if (context.clock == nullptr || context.random == nullptr || !context.secrets) {
    return Status(ErrorCode::kInvalidConfig, "provider_context_incomplete",
                  "snowflake-keypair needs a clock, randomness and Signet's vault");
  }
  std::string account = SnowflakeJwtAccount(Setting(destination, "account"));
  bool account_ok = !account.empty() && std::all_of(account.begin(), account.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  if (!account_ok) {
    return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                  DestinationLabel(destination) +
                      ": account must be the Snowflake account identifier (e.g. "
                      "myorg-myaccount, or xy12345.us-east-1 for a locator)");
  }
  std::string user = Upper(Setting(destination, "user"));
  bool user_ok = !user.empty() &&
                 std::all_of(user.begin(), user.end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (!user_ok) {
    return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                  DestinationLabel(destination) +
                      ": user must be the Snowflake user's login name (printable, no spaces)");
  }
  if (Setting(destination, "private_key_secret").empty()) {
    return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                  DestinationLabel(destination) +
                      ": private_key_secret must name the vault secret holding the user's "
                      "private key");
  }
  return std::unique_ptr<CredentialProvider>(
      new SnowflakeKeypairProvider(destination, context, account + "." + user));
}

}  // namespace

std::string SnowflakeJwtAccount(std::string_view account) {
  // A replication (.global) name keeps only what precedes its first '-'; any other
  // identifier what precedes its first '.'.
  size_t cut = account.find(account.find(".global") != std::string_view::npos ? '-' : '.');
  if (cut != std::string_view::npos && cut > 0) {
    account = account.substr(0, cut);
  }
  return Upper(account);
}

ProviderKind SnowflakeKeypairKind() {
  ProviderKind kind{CreateSnowflakeKeypairProvider,
                    {{"account", true}, {"user", true}, {"private_key_secret", true}},
                    ""};
  kind.has_audience = false;  // Snowflake's JWT has no aud
  return kind;
}

}  // namespace signet::credentials
