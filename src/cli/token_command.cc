#include "cli/token_command.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/json.h"
#include "http/form.h"

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
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
      {"subject_token", subject_token},
      {"subject_token_type", std::string(kTokenTypePrefix) + request.subject_token_type},
      {"audience", request.destination},
  };
  if (!request.scope.empty()) {
    form.emplace_back("scope", request.scope);
  }
  http::ClientRequest post;
  post.method = "POST";
  post.url = request.server + "/oauth2/token";
  post.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"Accept", "application/json"}};
  post.body = http::EncodeForm(form);
  Result<http::ClientResponse> response = client.Send(post);
  if (!response.ok()) {
    err << "signet token: " << response.status().message() << "\n";
    return 1;
  }
  Result<boost::json::object> body = ParseJsonObject(response->body);
  if (!body.ok()) {
    err << "signet token: signetd answered HTTP " << response->status
        << " with a body that is not JSON\n";
    return 1;
  }
  const boost::json::value* token = body->if_contains("access_token");
  if (response->status != 200 || token == nullptr || !token->is_string()) {
    const boost::json::value* error = body->if_contains("error");
    const boost::json::value* description = body->if_contains("error_description");
    err << "signet token: refused (HTTP " << response->status << " "
        << (error != nullptr && error->is_string() ? std::string(error->as_string()) : "") << "): "
        << (description != nullptr && description->is_string()
                ? std::string(description->as_string())
                : "no description")
        << "\n";
    return 1;
  }
  if (request.format == "json") {
    out << response->body << "\n";
    return 0;
  }
  // Single quotes keep the value literal for the shell; a quote inside is closed,
  // escaped and reopened.
  std::string quoted;
  for (char c : std::string(token->as_string())) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  out << "export " << request.env_name << "='" << quoted << "'\n";
  return 0;
}

}  // namespace signet::cli
