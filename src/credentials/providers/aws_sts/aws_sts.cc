#include "credentials/providers/aws_sts/aws_sts.h"

#include <algorithm>
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <charconv>
#include <exception>
#include <optional>
#include <regex>
#include <sstream>

#include "common/clock.h"
#include "credentials/outbound.h"
#include "http/form.h"

namespace signet::credentials {
namespace {

using boost::property_tree::ptree;

constexpr std::string_view kKind = "aws-sts";
constexpr std::string_view kStsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/";
// STS's bounds on DurationSeconds, and IAM's default MaxSessionDuration for a role.
constexpr int64_t kMinDuration = 900;
constexpr int64_t kMaxDuration = 43200;
constexpr int64_t kDefaultMaxSessionDuration = 3600;
// The assertion is spent at once on the exchange; a short life limits what a copy of it
// is worth.
constexpr std::chrono::seconds kMaxAssertionLifetime{300};
// STS's limits on RoleSessionName and on the number of session policy ARNs.
constexpr size_t kMaxSessionName = 64;
constexpr size_t kMaxPrefix = 32;
constexpr size_t kMaxPolicyArns = 10;

bool IsSessionNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '=' ||
         c == ',' || c == '.' || c == '@' || c == '-';
}

// RoleSessionName, which CloudTrail shows as the assumed role's session: the prefix and
// the workload's name, outside characters replaced, cut to STS's 64.
std::string SessionName(std::string_view prefix, std::string_view workload) {
  std::string name = std::string(prefix) + std::string(workload);
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !IsSessionNameChar(c); }, '-');
  name.resize(std::min(name.size(), kMaxSessionName));
  return name;
}

bool IsRoleArn(const std::string& text) {
  static const std::regex kRoleArn(R"(arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512})");
  return std::regex_match(text, kRoleArn);
}

// A managed policy's ARN: a customer's (12-digit account) or an AWS managed one ("aws").
bool IsPolicyArn(const std::string& text) {
  static const std::regex kPolicyArn(
      R"(arn:aws(-[a-z]+)*:iam::([0-9]{12}|aws):policy/[\w+=,.@/-]{1,512})");
  return std::regex_match(text, kPolicyArn);
}

bool IsRegion(const std::string& text) {
  static const std::regex kRegion(R"([a-z]{2}(-[a-z]+)+-[0-9]{1,2})");
  return std::regex_match(text, kRegion);
}

Status InvalidSetting(const Destination& destination, std::string_view message) {
  return Status(ErrorCode::kInvalidConfig, "destination_setting_invalid",
                DestinationLabel(destination) + ": " + std::string(message));
}

// STS answers XML; a document that does not parse is nullopt.
std::optional<ptree> ParseXml(std::string_view body) {
  std::istringstream in{std::string(body)};
  ptree tree;
  try {
    boost::property_tree::read_xml(in, tree, boost::property_tree::xml_parser::no_comments);
  } catch (const std::exception&) {  // the parser's only way to say no
    return std::nullopt;
  }
  return tree;
}

// The text of `parent`'s only child element `name`, or "" when there is not exactly one.
std::string OnlyChildText(const ptree& parent, const std::string& name) {
  if (parent.count(name) != 1) {
    return "";
  }
  const ptree& child = parent.get_child(name);
  return child.empty() ? child.data() : "";
}

// The Code of an ErrorResponse (as an identifier), or "".
std::string StsErrorCode(std::string_view body) {
  std::optional<ptree> tree = ParseXml(body);
  if (!tree) {
    return "";
  }
  auto error = tree->get_child_optional("ErrorResponse.Error");
  return error ? UpstreamIdentifier(OnlyChildText(*error, "Code")) : "";
}

// Codes STS sends with HTTP 400 although retrying later may work: it is throttling
// Signet, or could not reach Signet's JWKS.
bool IsTransient(std::string_view code) {
  return code == "Throttling" || code == "IDPCommunicationError";
}

// Where an operator looks when STS refuses with `code`.
std::string_view HintFor(std::string_view code) {
  if (code == "ExpiredTokenException") {
    return "check that Signet's clock is right: STS found the token expired";
  }
  if (code == "InvalidIdentityToken" || code == "IDPRejectedClaim") {
    return "check IAM's OIDC identity provider for Signet's issuer URL (its audience, and that "
           "AWS can fetch Signet's /.well-known/jwks.json)";
  }
  if (code == "AccessDenied") {
    return "check that the role's trust policy lets this workload's SPIFFE id (sub) call "
           "sts:AssumeRoleWithWebIdentity";
  }
  if (code == "MalformedPolicyDocument" || code == "PackedPolicyTooLarge") {
    return "check the policy ARNs the policy grants as scopes";
  }
  if (code == "RegionDisabledException") {
    return "activate STS in the account for the destination's region";
  }
  return "check role_arn and max_session_duration against the role in IAM";
}

Status StsRefusal(const Destination& destination, int status, std::string_view body) {
  std::string code = StsErrorCode(body);
  if (IsTransient(code)) {
    return DestinationBusy(destination, status, code);
  }
  return DestinationRefusal(destination, status, code, HintFor(code));
}

Result<Credential> ParseStsCredentials(const Destination& destination, std::string_view body) {
  std::optional<ptree> tree = ParseXml(body);
  if (!tree) {
    return MalformedAnswer(destination, "is not XML");
  }
  auto response = tree->get_child_optional("AssumeRoleWithWebIdentityResponse");
  if (!response || response->get("<xmlattr>.xmlns", "") != kStsNamespace) {
    return MalformedAnswer(destination,
                           "is not an AssumeRoleWithWebIdentityResponse of STS 2011-06-15");
  }
  auto credentials = response->get_child_optional("AssumeRoleWithWebIdentityResult.Credentials");
  if (!credentials) {
    return MalformedAnswer(destination, "has no Credentials");
  }
  Credential credential;
  credential.form = CredentialForm::kAws;
  credential.aws.access_key_id = OnlyChildText(*credentials, "AccessKeyId");
  credential.aws.secret_access_key = OnlyChildText(*credentials, "SecretAccessKey");
  credential.aws.session_token = OnlyChildText(*credentials, "SessionToken");
  if (credential.aws.access_key_id.empty() || credential.aws.secret_access_key.empty() ||
      credential.aws.session_token.empty()) {
    return MalformedAnswer(destination,
                           "lacks one of AccessKeyId, SecretAccessKey and SessionToken");
  }
  std::optional<SystemTime> expiration = ParseRfc3339(OnlyChildText(*credentials, "Expiration"));
  if (!expiration) {
    return MalformedAnswer(destination, "has no Expiration in RFC 3339");
  }
  credential.expires_at = *expiration;
  return credential;
}

// PolicyArns.member.N.arn for each scope, or invalid_scope for one that is no policy ARN.
Result<std::vector<std::pair<std::string, std::string>>> PolicyArnFields(
    const std::vector<std::string>& scopes) {
  if (scopes.size() > kMaxPolicyArns) {
    return Status(ErrorCode::kInvalidScope, "scope_too_many_policies",
                  "aws-sts takes at most 10 policy ARNs as scopes; " +
                      std::to_string(scopes.size()) + " were granted");
  }
  std::vector<std::pair<std::string, std::string>> fields;
  for (const std::string& scope : scopes) {
    if (!IsPolicyArn(scope)) {
      return Status(ErrorCode::kInvalidScope, "scope_not_policy_arn",
                    "aws-sts scopes are IAM policy ARNs (arn:aws:iam::<account or aws>:policy/"
                    "<name>), passed to STS as session policies; \"" +
                        scope + "\" is not one");
    }
    fields.emplace_back("PolicyArns.member." + std::to_string(fields.size() + 1) + ".arn", scope);
  }
  return fields;
}

class AwsStsProvider final : public CachingProvider {
 public:
  AwsStsProvider(Destination destination, ProviderContext context,
                 std::unique_ptr<http::HttpClient> client, std::string sts_url,
                 std::chrono::seconds max_duration)
      : CachingProvider(*context.clock, ""),
        destination_(std::move(destination)),
        context_(std::move(context)),
        client_(std::move(client)),
        sts_url_(std::move(sts_url)),
        max_duration_(max_duration) {}

  CredentialForm Form() const override { return CredentialForm::kAws; }

 private:
  // One AssumeRoleWithWebIdentity, outside any lock (the cache calls it).
  Result<Credential> Fetch(const IssueRequest& request) const override {
    SIGNET_ASSIGN_OR_RETURN(auto policy_fields, PolicyArnFields(request.scopes));
    SIGNET_ASSIGN_OR_RETURN(Assertion assertion,
                            SignAssertion(context_, request.workload, destination_.audience,
                                          request.lifetime, kMaxAssertionLifetime));
    // STS refuses less than 900 s; the workload is still told the granted lifetime.
    std::chrono::seconds duration =
        std::clamp(request.lifetime, std::chrono::seconds(kMinDuration), max_duration_);
    std::vector<std::pair<std::string, std::string>> fields{
        {"Action", "AssumeRoleWithWebIdentity"},
        {"Version", "2011-06-15"},
        {"RoleArn", Setting(destination_, "role_arn")},
        {"RoleSessionName",
         SessionName(Setting(destination_, "session_name_prefix", "signet-"), request.workload)},
        {"WebIdentityToken", assertion.jwt},
        {"DurationSeconds", std::to_string(duration.count())},
    };
    fields.insert(fields.end(), policy_fields.begin(), policy_fields.end());
    http::ClientRequest post;
    post.method = "POST";
    post.url = sts_url_ + "/";
    post.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                    {"Accept", "text/xml"},
                    {"User-Agent", "signet"}};
    post.body = http::EncodeForm(fields);
    Result<http::ClientResponse> response = client_->Send(post);
    if (!response.ok()) {
      return DestinationUnreachable(destination_, response.status());
    }
    if (response->status != 200) {
      return StsRefusal(destination_, response->status, response->body);
    }
    SIGNET_ASSIGN_OR_RETURN(Credential credential,
                            ParseStsCredentials(destination_, response->body));
    credential.jti = std::move(assertion.jti);  // CloudTrail's record of the call names it
    credential.scopes = request.scopes;
    return credential;
  }

  Destination destination_;
  ProviderContext context_;
  std::unique_ptr<http::HttpClient> client_;
  const std::string sts_url_;
  const std::chrono::seconds max_duration_;
};

// The endpoint: sts_url, the region's, or the global one.
Result<std::string> StsUrl(const Destination& destination) {
  std::string region = Setting(destination, "region");
  if (region.empty()) {
    return UrlSetting(destination, "sts_url", "https://sts.amazonaws.com");
  }
  if (destination.settings.contains("sts_url")) {
    return InvalidSetting(destination,
                          "set region or sts_url, not both (sts_url names the "
                          "endpoint, region only chooses STS's own)");
  }
  if (!IsRegion(region)) {
    return InvalidSetting(destination,
                          "region \"" + region + "\" is not an AWS region (us-east-1)");
  }
  return "https://sts." + region + ".amazonaws.com";
}

Result<std::chrono::seconds> MaxSessionDuration(const Destination& destination) {
  std::string text =
      Setting(destination, "max_session_duration", std::to_string(kDefaultMaxSessionDuration));
  int64_t seconds = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error != std::errc() || end != text.data() + text.size() || seconds < kMinDuration ||
      seconds > kMaxDuration) {
    return InvalidSetting(destination,
                          "max_session_duration must be the role's "
                          "MaxSessionDuration in seconds, 900 to 43200");
  }
  return std::chrono::seconds(seconds);
}

Result<std::unique_ptr<CredentialProvider>> CreateAwsStsProvider(const Destination& destination,
                                                                 const ProviderContext& context) {
  SIGNET_RETURN_IF_ERROR(CheckCallingOutContext(context, kKind, /*signs=*/true));
  if (!IsRoleArn(Setting(destination, "role_arn"))) {
    return InvalidSetting(destination,
                          "role_arn must be an IAM role's ARN, arn:aws:iam::<12-digit account "
                          "id>:role/<name>");
  }
  std::string prefix = Setting(destination, "session_name_prefix", "signet-");
  if (prefix.size() > kMaxPrefix || !std::all_of(prefix.begin(), prefix.end(), IsSessionNameChar)) {
    return InvalidSetting(destination,
                          "session_name_prefix must be at most 32 of the characters "
                          "A-Z a-z 0-9 _ + = , . @ -");
  }
  SIGNET_ASSIGN_OR_RETURN(std::string sts_url, StsUrl(destination));
  SIGNET_ASSIGN_OR_RETURN(std::chrono::seconds max_duration, MaxSessionDuration(destination));
  SIGNET_ASSIGN_OR_RETURN(auto client, ClientFor(destination, context));
  return std::unique_ptr<CredentialProvider>(new AwsStsProvider(
      destination, context, std::move(client), std::move(sts_url), max_duration));
}

}  // namespace

ProviderKind AwsStsKind() {
  return ProviderKind{CreateAwsStsProvider,
                      {{"role_arn", true},
                       {"region", false},
                       {"sts_url", false},
                       {"session_name_prefix", false},
                       {"max_session_duration", false},
                       {"ca_file", false}},
                      kAwsStsAudience};
}

}  // namespace signet::credentials
