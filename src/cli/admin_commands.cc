#include "cli/admin_commands.h"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/json.h"
#include "common/random.h"
#include "store/master_key.h"
#include "store/store.h"

namespace signet::cli {
namespace {

constexpr std::string_view kDefaultServer = "http://127.0.0.1:8080";
constexpr std::string_view kDefaultTokenFile = "./data/admin.token";

Result<Secret> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status(ErrorCode::kInvalidRequest, "admin_token_missing",
                  "cannot read the admin token file " + path);
  }
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (token.empty()) {
    return Status(ErrorCode::kInvalidRequest, "admin_token_missing",
                  "the admin token file " + path + " is empty");
  }
  return Secret(std::move(token));
}

std::string Str(const boost::json::object& object, std::string_view key) {
  const boost::json::value* v = object.if_contains(key);
  if (v == nullptr) {
    return "";
  }
  return v->is_string() ? std::string(v->get_string()) : boost::json::serialize(*v);
}

std::string JsonBody(std::initializer_list<std::pair<std::string_view, std::string>> fields) {
  boost::json::object body;
  for (const auto& [key, value] : fields) {
    if (!value.empty()) {
      body[key] = value;
    }
  }
  return boost::json::serialize(body);
}

// A name as one path segment: RFC 3986 unreserved characters as they are, the rest
// percent-encoded, so a name the server will refuse still reaches it to be refused.
std::string Segment(std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

boost::json::object Parse(const std::string& text) {
  auto parsed = ParseJsonObject(text);
  return parsed.ok() ? *parsed : boost::json::object();
}

}  // namespace

std::string ResolveServer(const std::string& server_flag) {
  const char* env_server = std::getenv("SIGNET_SERVER");
  std::string server = !server_flag.empty()        ? server_flag
                       : env_server && *env_server ? env_server
                                                   : std::string(kDefaultServer);
  while (!server.empty() && server.back() == '/') {
    server.pop_back();
  }
  return server;
}

Result<AdminConnection> ResolveAdminConnection(const std::string& server_flag,
                                               const std::string& token_file_flag) {
  AdminConnection connection;
  connection.server = ResolveServer(server_flag);
  if (!token_file_flag.empty()) {
    SIGNET_ASSIGN_OR_RETURN(connection.token, ReadTokenFile(token_file_flag));
    return connection;
  }
  if (const char* env_token = std::getenv("SIGNET_ADMIN_TOKEN"); env_token && *env_token) {
    connection.token = Secret(env_token);
    return connection;
  }
  if (const char* env_file = std::getenv("SIGNET_ADMIN_TOKEN_FILE"); env_file && *env_file) {
    SIGNET_ASSIGN_OR_RETURN(connection.token, ReadTokenFile(env_file));
    return connection;
  }
  if (std::filesystem::exists(std::string(kDefaultTokenFile))) {
    SIGNET_ASSIGN_OR_RETURN(connection.token, ReadTokenFile(std::string(kDefaultTokenFile)));
    return connection;
  }
  return Status(ErrorCode::kInvalidRequest, "admin_token_missing",
                "no admin token: pass --token-file, or set SIGNET_ADMIN_TOKEN or "
                "SIGNET_ADMIN_TOKEN_FILE, or run from the directory holding data/admin.token");
}

AdminCommands::AdminCommands(AdminConnection connection, http::HttpClient& client,
                             std::ostream& out, std::ostream& err)
    : connection_(std::move(connection)), client_(client), out_(out), err_(err) {}

std::optional<std::string> AdminCommands::Call(const std::string& method, const std::string& path,
                                               std::string body, const std::string& content_type) {
  http::ClientRequest request;
  request.method = method;
  request.url = connection_.server + path;
  request.headers.emplace_back(
      "Authorization", "Bearer " + std::string(connection_.token.Reveal(SecretAccess::Grant())));
  if (!body.empty()) {
    request.headers.emplace_back("Content-Type", content_type);
    request.body = std::move(body);
  }
  auto response = client_.Send(request);
  if (!response.ok()) {
    err_ << "signet: cannot reach " << connection_.server << ": " << response.status().message()
         << "\n";
    return std::nullopt;
  }
  if (response->status < 200 || response->status >= 300) {
    boost::json::object error = Parse(response->body);
    std::string description = Str(error, "error_description");
    err_ << "signet: " << method << " " << path << " failed (HTTP " << response->status
         << (error.contains("error") ? " " + Str(error, "error") : std::string()) << ")"
         << (description.empty() ? "" : ": " + description) << "\n";
    return std::nullopt;
  }
  return response->body;
}

int AdminCommands::CreateToken(const std::string& role, const std::string& ttl,
                               const std::string& description) {
  auto answer = Call("POST", "/v1/admin-tokens",
                     JsonBody({{"role", role}, {"ttl", ttl}, {"description", description}}),
                     "application/json");
  if (!answer) {
    return 1;
  }
  boost::json::object token = Parse(*answer);
  err_ << "created " << Str(token, "role") << " token " << Str(token, "id") << ", expires "
       << Str(token, "expires_at") << "; it is shown only now:\n";
  out_ << Str(token, "token") << "\n";
  return 0;
}

int AdminCommands::ListTokens() {
  auto answer = Call("GET", "/v1/admin-tokens", "", "");
  if (!answer) {
    return 1;
  }
  boost::json::object listing = Parse(*answer);
  for (const auto& t : listing["tokens"].as_array()) {
    const auto& token = t.as_object();
    out_ << Str(token, "id") << "  " << Str(token, "role") << "  expires "
         << Str(token, "expires_at") << "  " << Str(token, "description") << "\n";
  }
  return 0;
}

int AdminCommands::DeleteToken(const std::string& id) {
  if (!Call("DELETE", "/v1/admin-tokens/" + Segment(id), "", "")) {
    return 1;
  }
  out_ << "admin token " << id << " deleted\n";
  return 0;
}

int AdminCommands::ListWorkloads() {
  auto answer = Call("GET", "/v1/workloads", "", "");
  if (!answer) {
    return 1;
  }
  boost::json::object listing = Parse(*answer);
  for (const auto& w : listing["workloads"].as_array()) {
    const auto& workload = w.as_object();
    out_ << Str(workload, "name");
    if (workload.at("suspended").as_bool()) {
      out_ << "  SUSPENDED since " << Str(workload, "suspended_at") << " by "
           << Str(workload, "suspended_by") << ": " << Str(workload, "reason");
    } else {
      out_ << "  active";
    }
    out_ << "\n";
  }
  return 0;
}

int AdminCommands::Suspend(const std::string& workload, const std::string& reason) {
  if (!Call("POST", "/v1/workloads/" + Segment(workload) + "/suspend",
            JsonBody({{"reason", reason}}), "application/json")) {
    return 1;
  }
  out_ << "workload " << workload << " suspended: new exchanges are refused and its tokens "
       << "introspect as inactive\n";
  return 0;
}

int AdminCommands::Resume(const std::string& workload, const std::string& reason) {
  std::string body = JsonBody({{"reason", reason}});
  if (!Call("POST", "/v1/workloads/" + Segment(workload) + "/resume", body == "{}" ? "" : body,
            "application/json")) {
    return 1;
  }
  out_ << "workload " << workload << " resumed\n";
  return 0;
}

int AdminCommands::Revoke(const std::string& jti, const std::string& reason) {
  if (!Call("POST", "/v1/revocations", JsonBody({{"jti", jti}, {"reason", reason}}),
            "application/json")) {
    return 1;
  }
  out_ << "token " << jti << " revoked\n";
  return 0;
}

int AdminCommands::PutSecret(const std::string& name, const std::string& file, std::istream& in) {
  std::stringstream value;
  if (file.empty() || file == "-") {
    value << in.rdbuf();
  } else {
    std::ifstream source(file, std::ios::binary);
    if (!source) {
      err_ << "signet: cannot read " << file << "\n";
      return 1;
    }
    value << source.rdbuf();
  }
  auto answer =
      Call("PUT", "/v1/secrets/" + Segment(name), value.str(), "application/octet-stream");
  if (!answer) {
    return 1;
  }
  out_ << "secret " << name << " stored (version " << Str(Parse(*answer), "version") << ")\n";
  return 0;
}

int AdminCommands::ListSecrets() {
  auto answer = Call("GET", "/v1/secrets", "", "");
  if (!answer) {
    return 1;
  }
  boost::json::object listing = Parse(*answer);
  for (const auto& s : listing["secrets"].as_array()) {
    const auto& secret = s.as_object();
    out_ << Str(secret, "name") << "  version " << Str(secret, "version") << "  updated "
         << Str(secret, "updated_at") << "\n";
  }
  return 0;
}

int AdminCommands::DeleteSecret(const std::string& name) {
  if (!Call("DELETE", "/v1/secrets/" + Segment(name), "", "")) {
    return 1;
  }
  out_ << "secret " << name << " deleted\n";
  return 0;
}

namespace {

// One document per file, named by its path so that errors name the file.
Result<boost::json::array> ReadConfigDocuments(const std::vector<std::string>& paths) {
  std::vector<std::filesystem::path> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        std::string ext = entry.path().extension().string();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
          found.push_back(entry.path());
        }
      }
      if (found.empty()) {
        return Status(ErrorCode::kInvalidRequest, "config_files_missing",
                      "no .yaml or .yml files in " + path);
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.emplace_back(path);
    }
  }
  boost::json::array documents;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return Status(ErrorCode::kInvalidRequest, "config_files_missing",
                    "cannot read " + file.string());
    }
    std::stringstream text;
    text << in.rdbuf();
    documents.push_back(boost::json::object{{"source", file.string()}, {"text", text.str()}});
  }
  return documents;
}

}  // namespace

int AdminCommands::ApplyConfig(const std::vector<std::string>& paths, const ApplyOptions& options) {
  bool dry_run = options.dry_run;
  auto documents = ReadConfigDocuments(paths);
  if (!documents.ok()) {
    err_ << "signet: " << documents.status().message() << "\n";
    return 1;
  }
  boost::json::object body{{"documents", std::move(*documents)}};
  if (!options.comment.empty()) {
    body["comment"] = options.comment;
  }
  if (options.expected_version) {
    body["expected_version"] = *options.expected_version;
  }
  if (options.allow_empty) {
    body["allow_empty"] = true;
  }
  auto answer = Call("POST", dry_run ? "/v1/config/diff" : "/v1/config",
                     boost::json::serialize(body), "application/json");
  if (!answer) {
    return 1;
  }
  boost::json::object result = Parse(*answer);
  out_ << Str(result, "diff");
  bool changed = result["changed"].is_bool() && result["changed"].as_bool();
  if (!changed) {
    err_ << "config version " << Str(result, "version_before") << " in force already says this\n";
  } else if (dry_run) {
    err_ << "against config version " << Str(result, "version_before")
         << "; `signet apply --expected-version " << Str(result, "version_before")
         << "` with the same files makes exactly this change\n";
  } else {
    err_ << "applied as config version " << Str(result, "version_after") << " (was "
         << Str(result, "version_before") << ")\n";
  }
  return 0;
}

int AdminCommands::ExportConfig() {
  auto answer = Call("GET", "/v1/config", "", "");
  if (!answer) {
    return 1;
  }
  boost::json::object config = Parse(*answer);
  out_ << "# Signet access configuration, version " << Str(config, "version")
       << " (signet export)\n"
       << Str(config, "document");
  return 0;
}

int AdminCommands::ConfigHistory() {
  auto answer = Call("GET", "/v1/config/versions", "", "");
  if (!answer) {
    return 1;
  }
  boost::json::object listing = Parse(*answer);
  std::string in_force = Str(listing, "in_force");
  for (const auto& v : listing["versions"].as_array()) {
    const auto& version = v.as_object();
    std::string number = Str(version, "version");
    out_ << (number == in_force ? "* " : "  ") << number << "  " << Str(version, "created_at")
         << "  " << Str(version, "actor") << "  " << Str(version, "origin");
    if (version.contains("rollback_of")) {
      out_ << " of " << Str(version, "rollback_of");
    }
    std::string note = Str(version, "comment");
    out_ << (note.empty() ? "" : "  " + note) << "\n";
  }
  return 0;
}

int AdminCommands::Rollback(int64_t to, const std::string& comment) {
  boost::json::object body{{"to", to}};
  if (!comment.empty()) {
    body["comment"] = comment;
  }
  auto answer =
      Call("POST", "/v1/config/rollback", boost::json::serialize(body), "application/json");
  if (!answer) {
    return 1;
  }
  boost::json::object result = Parse(*answer);
  out_ << Str(result, "diff");
  if (result["changed"].is_bool() && result["changed"].as_bool()) {
    err_ << "version " << to << " restored as config version " << Str(result, "version_after")
         << "\n";
  } else {
    err_ << "config version " << Str(result, "version_before") << " in force already says what "
         << "version " << to << " says\n";
  }
  return 0;
}

namespace {

void PrintKey(const boost::json::object& key, std::ostream& out) {
  out << Str(key, "kid") << "  " << Str(key, "algorithm") << "  " << Str(key, "state")
      << (key.contains("signing") && key.at("signing").is_bool() && key.at("signing").as_bool()
              ? " (signing)"
              : "")
      << "  activates " << Str(key, "activates_at");
  if (std::string unpublish = Str(key, "unpublish_at"); unpublish != "null") {
    out << "  unpublished " << unpublish;
  }
  out << "\n";
}

}  // namespace

int AdminCommands::ListKeys() {
  auto answer = Call("GET", "/v1/keys", "", "");
  if (!answer) {
    return 1;
  }
  boost::json::object listing = Parse(*answer);
  for (const auto& key : listing["keys"].as_array()) {
    PrintKey(key.as_object(), out_);
  }
  return 0;
}

int AdminCommands::RotateKeys(const std::string& reason) {
  std::string body = JsonBody({{"reason", reason}});
  auto answer = Call("POST", "/v1/keys/rotate", body == "{}" ? "" : body, "application/json");
  if (!answer) {
    return 1;
  }
  err_ << "new signing key, published now and signing from its activation time:\n";
  PrintKey(Parse(*answer), out_);
  return 0;
}

int AdminCommands::CreateJoinToken(const std::string& agent, const std::string& ttl) {
  auto answer = Call("POST", "/v1/agents/join-tokens", JsonBody({{"agent", agent}, {"ttl", ttl}}),
                     "application/json");
  if (!answer) {
    return 1;
  }
  boost::json::object token = Parse(*answer);
  err_ << "join token " << Str(token, "id") << " for agent " << Str(token, "agent")
       << ", good for one join until " << Str(token, "expires_at") << "; it is shown only now:\n";
  out_ << Str(token, "token") << "\n";
  return 0;
}

int RotateMasterKey(const std::string& data_dir, std::ostream& out, std::ostream& err) {
  std::string db = data_dir + "/signet.db";
  if (!std::filesystem::exists(db)) {
    err << "signet: no Signet database at " << db << " (check --data-dir)\n";
    return 2;
  }
  auto store = store::OpenSqliteStore(db);
  if (!store.ok()) {
    err << "signet: " << store.status().message() << "\n";
    return 1;
  }
  auto rotated = store::RotateMasterKeyFile(**store, data_dir + "/master.key", Random::Secure());
  if (!rotated.ok()) {
    err << "signet: " << rotated.status().ToString() << "\n";
    return 1;
  }
  out << (*rotated == store::MasterKeyRotation::kRotated
              ? "master key rotated: every signing key and secret is sealed under the new "
                "key in "
              : "an interrupted rotation was finished: the new key is now ")
      << data_dir << "/master.key; back it up\n";
  return 0;
}

}  // namespace signet::cli
