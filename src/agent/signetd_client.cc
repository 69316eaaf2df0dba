#include "agent/signetd_client.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <sstream>

#include "common/json.h"
#include "credentials/outbound.h"

namespace signet::agent {
namespace {

constexpr std::chrono::seconds kRetryAfterFailure{5};

Status Malformed(std::string_view what) {
  return Status(ErrorCode::kServerError, "credential_answer_malformed",
                "signetd's answer " + std::string(what));
}

// The member `name` as a string; "" when absent or not a string.
std::string StringAt(const boost::json::object& object, std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : "";
}

Result<std::string> ReadTokenFile(const std::string& path, std::string_view what) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  // Platforms and editors end these files with a newline.
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (!in || token.empty()) {
    return Status(ErrorCode::kInvalidConfig, "agent_credential_missing",
                  "cannot read the " + std::string(what) + " from " + path);
  }
  return token;
}

boost::json::object SelectorsJson(const ProcessSelectors& caller) {
  return boost::json::object{{"uid", caller.uid},
                             {"gid", caller.gid},
                             {"exe", caller.exe},
                             {"sha256", caller.sha256},
                             {"container_id", caller.container_id},
                             {"pod_uid", caller.pod_uid}};
}

boost::json::object UsageJson(const UsageRecord& record) {
  return boost::json::object{{"time", FormatUtcSeconds(record.time)},
                             {"workload", record.workload},
                             {"destination", record.destination},
                             {"method", record.method},
                             {"host", record.host},
                             {"path", record.path},
                             {"status", record.status},
                             {"bytes_sent", record.bytes_sent},
                             {"bytes_received", record.bytes_received},
                             {"latency_us", record.latency.count()}};
}

}  // namespace

SignetdClient::SignetdClient(SignetdClientOptions options, http::HttpClient& http,
                             const Clock& clock)
    : options_(std::move(options)), http_(http), clock_(clock) {}

Result<boost::json::object> SignetdClient::JoinRequest() const {
  if (!options_.join_token_file.empty()) {
    SIGNET_ASSIGN_OR_RETURN(std::string token,
                            ReadTokenFile(options_.join_token_file, "join token"));
    return boost::json::object{{"join_token", token}};
  }
  SIGNET_ASSIGN_OR_RETURN(std::string token,
                          ReadTokenFile(options_.identity_token_file, "identity token"));
  return boost::json::object{{"subject_token", token}};
}

Status SignetdClient::Join() {
  SIGNET_ASSIGN_OR_RETURN(boost::json::object request, JoinRequest());
  Result<boost::json::object> answer = Call("POST", "/v1/agents/join", &request, false);
  if (!answer.ok()) {
    if (answer.status().code() == ErrorCode::kInvalidClient && !options_.join_token_file.empty()) {
      return answer.status().WithContext(
          "joining signetd with the join token in " + options_.join_token_file +
          " (a join token works once and expires: create another with `signet agent "
          "join-token create`)");
    }
    return answer.status().WithContext("joining signetd");
  }
  return TakeAgentToken(*answer);
}

Status SignetdClient::TakeAgentToken(const boost::json::object& answer) {
  std::string name = StringAt(answer, "agent");
  std::string token = StringAt(answer, "agent_token");
  std::optional<SystemTime> expires_at = ParseRfc3339(StringAt(answer, "expires_at"));
  if (name.empty() || token.empty() || !expires_at) {
    return Status(ErrorCode::kServerError, "agent_answer_malformed",
                  "signetd's join answer lacks agent, agent_token or expires_at");
  }
  std::lock_guard lock(mu_);
  agent_name_ = std::move(name);
  agent_token_ = std::move(token);
  issued_at_ = clock_.Now();
  expires_at_ = *expires_at;
  return Status::Ok();
}

std::chrono::milliseconds SignetdClient::UntilRenewal() const {
  std::lock_guard lock(mu_);
  const SystemTime renew_at = issued_at_ + (expires_at_ - issued_at_) / 2;
  return std::chrono::duration_cast<std::chrono::milliseconds>(renew_at - clock_.Now());
}

std::chrono::milliseconds SignetdClient::MaintainToken() {
  if (std::chrono::milliseconds wait = UntilRenewal(); wait.count() > 0) {
    return wait;
  }
  SystemTime expires_at;
  {
    std::lock_guard lock(mu_);
    expires_at = expires_at_;
  }
  const SystemTime now = clock_.Now();
  Status renewed = Status::Ok();
  if (now < expires_at) {
    Result<boost::json::object> answer = Call("POST", "/v1/agents/renew", nullptr, true);
    renewed = answer.ok() ? TakeAgentToken(*answer) : answer.status();
  } else {
    renewed = Status(ErrorCode::kInvalidToken, "agent_token_expired", "the agent token expired");
  }
  // An identity token is the platform's and renewed by it: joining again recovers from
  // an agent token that lapsed (signetd down for longer than its life). A join token is
  // spent: only an operator can let the agent back in.
  if (!renewed.ok() && !options_.identity_token_file.empty() && clock_.Now() >= expires_at) {
    renewed = Join();
  }
  if (!renewed.ok()) {
    return kRetryAfterFailure;
  }
  // At least a second: a token signetd issued already half spent (clocks apart) must not
  // make the agent renew in a tight loop.
  return std::max(UntilRenewal(), std::chrono::milliseconds(1000));
}

std::string SignetdClient::agent_name() const {
  std::lock_guard lock(mu_);
  return agent_name_;
}

Result<EdgeCredential> SignetdClient::RequestCredential(const ProcessSelectors& caller,
                                                        std::string_view destination) {
  boost::json::object request{{"destination", destination}, {"selectors", SelectorsJson(caller)}};
  SIGNET_ASSIGN_OR_RETURN(boost::json::object answer,
                          Call("POST", "/v1/agents/credentials", &request, true));
  return ParseCredentialAnswer(answer);
}

Status SignetdClient::SendUsage(const std::vector<UsageRecord>& records) {
  boost::json::array list;
  for (const UsageRecord& record : records) {
    list.push_back(UsageJson(record));
  }
  boost::json::object request{{"records", std::move(list)}};
  return Call("POST", "/v1/agents/usage", &request, true).status();
}

Result<std::vector<std::string>> SignetdClient::SuspendedWorkloads() {
  SIGNET_ASSIGN_OR_RETURN(boost::json::object answer,
                          Call("GET", "/v1/agents/suspended", nullptr, true));
  const boost::json::value* workloads = answer.if_contains("workloads");
  if (workloads == nullptr || !workloads->is_array()) {
    return Status(ErrorCode::kServerError, "agent_answer_malformed",
                  "signetd's suspension list lacks `workloads`");
  }
  std::vector<std::string> names;
  for (const boost::json::value& name : workloads->as_array()) {
    if (name.is_string()) {
      names.emplace_back(name.as_string());
    }
  }
  return names;
}

Result<boost::json::object> SignetdClient::Call(std::string_view method, std::string_view path,
                                                const boost::json::object* body, bool authorized) {
  http::ClientRequest request;
  request.method = std::string(method);
  request.url = options_.base_url + std::string(path);
  request.headers.emplace_back("Accept", "application/json");
  if (body != nullptr) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = boost::json::serialize(*body);
  }
  if (authorized) {
    std::lock_guard lock(mu_);
    request.headers.emplace_back("Authorization", "Bearer " + agent_token_);
  }
  Result<http::ClientResponse> response = http_.Send(request);
  if (!response.ok()) {
    return Status(ErrorCode::kTemporarilyUnavailable, "signetd_unreachable",
                  "signetd did not answer: " + response.status().message());
  }
  Result<boost::json::object> answer = ParseJsonObject(response->body);
  if (response->status >= 200 && response->status < 300) {
    if (!answer.ok()) {
      return Status(ErrorCode::kServerError, "agent_answer_malformed",
                    "signetd answered " + std::string(path) + " with something other than JSON");
    }
    return answer;
  }
  // signetd's refusal, passed on as it said it: the workload acts on its message.
  std::optional<ErrorCode> code =
      answer.ok() ? ErrorCodeFromName(StringAt(*answer, "error")) : std::nullopt;
  if (!code) {
    return Status(
        ErrorCode::kServerError, "signetd_error",
        "signetd answered " + std::string(path) + " with HTTP " + std::to_string(response->status));
  }
  return Status(*code, StringAt(*answer, "error"), StringAt(*answer, "error_description"));
}

Result<EdgeCredential> ParseCredentialAnswer(const boost::json::object& answer) {
  EdgeCredential edge;
  edge.workload = StringAt(answer, "workload");
  edge.destination = StringAt(answer, "destination");
  edge.url = StringAt(answer, "url");
  credentials::Credential& credential = edge.credential;
  std::optional<SystemTime> expires_at = ParseRfc3339(StringAt(answer, "expires_at"));
  if (edge.destination.empty() || !expires_at) {
    return Malformed("lacks destination or expires_at");
  }
  credential.expires_at = *expires_at;
  std::string type = StringAt(answer, "type");
  if (type == "aws") {
    const boost::json::value* aws = answer.if_contains("aws");
    if (aws == nullptr || !aws->is_object()) {
      return Malformed("of type aws lacks `aws`");
    }
    credential.form = credentials::CredentialForm::kAws;
    credential.aws.access_key_id = StringAt(aws->as_object(), "access_key_id");
    credential.aws.secret_access_key = StringAt(aws->as_object(), "secret_access_key");
    credential.aws.session_token = StringAt(aws->as_object(), "session_token");
    if (credential.aws.access_key_id.empty() || credential.aws.secret_access_key.empty()) {
      return Malformed("of type aws lacks a key");
    }
  } else if (type == "token" || type == "headers") {
    credential.form = type == "token" ? credentials::CredentialForm::kToken
                                      : credentials::CredentialForm::kHeaders;
    credential.access_token = StringAt(answer, "token");
    credential.token_type = StringAt(answer, "token_type");
    credential.issued_token_type = StringAt(answer, "issued_token_type");
    const boost::json::value* headers = answer.if_contains("headers");
    if (headers == nullptr || !headers->is_object() || headers->as_object().empty()) {
      return Malformed("lacks the headers a request carries");
    }
    for (const auto& [name, value] : headers->as_object()) {
      if (!value.is_string()) {
        return Malformed("has a header value that is not a string");
      }
      credential.headers.push_back({std::string(name), std::string(value.as_string())});
    }
  } else {
    return Malformed("has an unknown credential type");
  }
  credential.scopes = credentials::SplitScopes(StringAt(answer, "scope"));
  return edge;
}

}  // namespace signet::agent
