#include "cli/token_command.h"

#include <boost/json/serialize.hpp>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/json.h"

namespace signet::cli {
namespace {

constexpr std::string_view kTokenTypePrefix = "urn:ietf:params:oauth:token-type:";

std::string Trim(std::string text) {
  const char* space = " \t\r\n";
  size_t start = text.find_first_not_of(space);
  if (start == std::string::npos) {
    return "";
  }
  return text.substr(start, text.find_last_not_of(space) - start + 1);
}

// The subject token, or "" with the reason on `err`.
std::string ReadSubjectToken(const std::string& file_flag, std::ostream& err) {
  const char* env_file = std::getenv("SIGNET_SUBJECT_TOKEN_FILE");
  std::string file = !file_flag.empty() ? file_flag : env_file != nullptr ? env_file : "";
  if (!file.empty()) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    std::string token = Trim(text.str());
    if (!in || token.empty()) {
      err << "signet token: cannot read a subject token from " << file << "\n";
    }
    return token;
  }
  const char* env_token = std::getenv("SIGNET_SUBJECT_TOKEN");
  std::string token = env_token != nullptr ? Trim(env_token) : "";
  if (token.empty()) {
    err << "signet token: no subject token: pass --subject-token-file (e.g. the "
           "Kubernetes service-account token file), or set SIGNET_SUBJECT_TOKEN_FILE or "
           "SIGNET_SUBJECT_TOKEN\n";
  }
  return token;
}

// A shell variable name: a letter or '_', then letters, digits and '_'.
bool IsShellName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  for (unsigned char c : name) {
    if (!std::isalnum(c) && c != '_') {
      return false;
    }
  }
  return true;
}

// A string member of `object`, or "".
std::string StringMember(const boost::json::object& object, std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : "";
}

// `value` single-quoted for the shell: a quote inside is closed, escaped and reopened.
std::string ShellQuoted(std::string_view value) {
  std::string quoted = "'";
  for (char c : value) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

// The credential as shell assignments: a token (or a credential of one header, such as
// an API key) in `env_name`; AWS keys in the names every AWS SDK reads.
int PrintEnv(const boost::json::object& answer, const TokenRequest& request, std::ostream& out,
             std::ostream& err) {
  std::string type = StringMember(answer, "type");
  if (type == "token") {
    out << "export " << request.env_name << "=" << ShellQuoted(StringMember(answer, "token"))
        << "\n";
    return 0;
  }
  if (type == "aws" && answer.contains("aws") && answer.at("aws").is_object()) {
    const boost::json::object& aws = answer.at("aws").as_object();
    out << "export AWS_ACCESS_KEY_ID=" << ShellQuoted(StringMember(aws, "access_key_id")) << "\n"
        << "export AWS_SECRET_ACCESS_KEY=" << ShellQuoted(StringMember(aws, "secret_access_key"))
        << "\n"
        << "export AWS_SESSION_TOKEN=" << ShellQuoted(StringMember(aws, "session_token")) << "\n";
    return 0;
  }
  const boost::json::value* headers = answer.if_contains("headers");
  if (type == "headers" && headers != nullptr && headers->is_object() &&
      headers->as_object().size() == 1 && headers->as_object().begin()->value().is_string()) {
    out << "export " << request.env_name << "="
        << ShellQuoted(headers->as_object().begin()->value().as_string()) << "\n";
    return 0;
  }
  err << "signet token: destination " << request.destination << "'s credential (" << type
      << ") is not one value for the environment; use --format json\n";
  return 1;
}

}  // namespace

int PrintToken(const TokenRequest& request, http::HttpClient& client, std::ostream& out,
               std::ostream& err) {
  if (request.format != "json" && request.format != "env") {
    err << "signet token: --format must be json or env\n";
    return 2;
  }
  if (!IsShellName(request.env_name)) {
    err << "signet token: --env-name must be a shell variable name\n";
    return 2;
  }
  if (request.subject_token_type != "jwt" && request.subject_token_type != "id_token") {
    err << "signet token: --subject-token-type must be jwt or id_token\n";
    return 2;
  }
  std::string subject_token = ReadSubjectToken(request.subject_token_file, err);
  if (subject_token.empty()) {
    return 2;
  }
  boost::json::object body{
      {"destination", request.destination},
      {"subject_token", subject_token},
      {"subject_token_type", std::string(kTokenTypePrefix) + request.subject_token_type},
  };
  if (!request.scope.empty()) {
    body["scope"] = request.scope;
  }
  http::ClientRequest post;
  post.method = "POST";
  post.url = request.server + "/v1/credentials";
  post.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  post.body = boost::json::serialize(body);
  Result<http::ClientResponse> response = client.Send(post);
  if (!response.ok()) {
    err << "signet token: " << response.status().message() << "\n";
    return 1;
  }
  Result<boost::json::object> answer = ParseJsonObject(response->body);
  if (!answer.ok()) {
    err << "signet token: signetd answered HTTP " << response->status
        << " with a body that is not JSON\n";
    return 1;
  }
  if (response->status != 200) {
    err << "signet token: refused (HTTP " << response->status << " "
        << StringMember(*answer, "error") << "): "
        << (answer->contains("error_description") ? StringMember(*answer, "error_description")
                                                  : "no description")
        << "\n";
    return 1;
  }
  if (request.format == "json") {
    out << response->body << "\n";
    return 0;
  }
  return PrintEnv(*answer, request, out, err);
}

}  // namespace signet::cli
