#include "cli/doctor.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <ostream>
#include <sstream>
#include <string_view>
#include <system_error>

#include "common/json.h"
#include "common/url.h"

extern char** environ;

namespace signet::cli {
namespace {

// What a variable means when set, and what to do about it.
struct Rule {
  std::string variable;
  std::string_view shadows;
  std::string remove;
  std::string_view instead;
  // Set beside it, these say federation is configured, and ignored.
  std::vector<std::string_view> federation = {};
  // A loopback URL here is signet-agent's proxy, which drops the key the SDK sends: the
  // value is then a placeholder...
  std::string_view proxy_base_url = {};
  // ...unless it is shaped like a real key.
  std::string_view real_key_prefix = {};
  // A value starting so is a credential that expires by itself.
  std::string_view short_lived_prefix = {};
};

constexpr std::string_view kAnthropicShadows =
    "Anthropic workload identity federation: the SDKs take ANTHROPIC_API_KEY or "
    "ANTHROPIC_AUTH_TOKEN before a federation profile or the ANTHROPIC_FEDERATION_RULE_ID "
    "settings, even when the value is empty";
constexpr std::string_view kAwsShadows =
    "every other AWS credential source: the SDKs' default chain takes keys from the "
    "environment before web identity (AWS_WEB_IDENTITY_TOKEN_FILE) and the container endpoint "
    "(AWS_CONTAINER_CREDENTIALS_FULL_URI)";
constexpr std::string_view kAwsInstead =
    "signet-agent's AWS endpoint: AWS_CONTAINER_CREDENTIALS_FULL_URI="
    "http://127.0.0.1:PORT/aws/credentials/<destination> and "
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=<the agent's aws_token_file>; every AWS SDK then "
    "fetches and renews short-lived keys itself";
constexpr std::string_view kAzureShadows =
    "Azure workload identity: DefaultAzureCredential tries EnvironmentCredential (a client "
    "secret, certificate or password) before WorkloadIdentityCredential";
constexpr std::string_view kAzureInstead =
    "workload identity federation: AZURE_CLIENT_ID, AZURE_TENANT_ID and "
    "AZURE_FEDERATED_TOKEN_FILE holding a token Signet issues (an azure-entra destination), "
    "or `signet token <destination>` for a job";
constexpr std::string_view kGitHubShadows =
    "GitHub App installation tokens: gh, Octokit and git credential helpers take a token from "
    "the environment first, and a personal access token lives until it is revoked";
constexpr std::string_view kGitHubInstead =
    "a github-app destination: `signet token <destination> --format env --env-name GH_TOKEN` "
    "for a job (an installation token of one hour), or signet-agent's proxy as the API base "
    "URL (http://127.0.0.1:PORT/<destination>)";
constexpr std::string_view kStaticShadows =
    "nothing federates in its place: it is a long-lived secret that works from wherever it "
    "leaks to, and tools take it before anything else";
constexpr std::string_view kVaultInstead =
    "a static-secret destination: the secret stays in Signet's vault and signet-agent's proxy "
    "injects it (point the client's base URL at http://127.0.0.1:PORT/<destination>)";

Rule Anthropic(std::string variable, std::string remove, std::string_view instead) {
  return {.variable = std::move(variable),
          .shadows = kAnthropicShadows,
          .remove = std::move(remove),
          .instead = instead,
          .federation = {"ANTHROPIC_FEDERATION_RULE_ID", "ANTHROPIC_IDENTITY_TOKEN_FILE",
                         "ANTHROPIC_IDENTITY_TOKEN", "ANTHROPIC_PROFILE"},
          .proxy_base_url = "ANTHROPIC_BASE_URL",
          .real_key_prefix = "sk-ant-"};
}

Rule Aws(std::string variable) {
  return {.variable = std::move(variable),
          .shadows = kAwsShadows,
          .remove =
              "unset AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and "
              "deactivate the access key in IAM",
          .instead = kAwsInstead,
          .federation = {"AWS_CONTAINER_CREDENTIALS_FULL_URI",
                         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"}};
}

Rule Azure(std::string variable, std::string remove) {
  return {.variable = std::move(variable),
          .shadows = kAzureShadows,
          .remove = std::move(remove),
          .instead = kAzureInstead,
          .federation = {"AZURE_FEDERATED_TOKEN_FILE"}};
}

Rule GitHub(const std::string& variable) {
  return {.variable = variable,
          .shadows = kGitHubShadows,
          .remove = "unset " + variable + ", and revoke the token if it is a personal access token",
          .instead = kGitHubInstead,
          .short_lived_prefix = "ghs_"};
}

Rule HuggingFace(const std::string& variable) {
  return {.variable = variable,
          .shadows = kStaticShadows,
          .remove = "unset " + variable + " and revoke the token on huggingface.co",
          .instead = kVaultInstead};
}

const std::vector<Rule>& Rules() {
  static const std::vector<Rule> rules = {
      Anthropic("ANTHROPIC_API_KEY",
                "unset ANTHROPIC_API_KEY (an empty value still wins) and revoke the key in the "
                "Anthropic Console",
                "ANTHROPIC_BASE_URL=http://127.0.0.1:PORT/<destination>: signet-agent's proxy "
                "injects a short-lived credential and the SDK needs only a placeholder key; for "
                "a job without the agent, `signet token <destination> --format env --env-name "
                "ANTHROPIC_AUTH_TOKEN`"),
      Anthropic("ANTHROPIC_AUTH_TOKEN", "unset ANTHROPIC_AUTH_TOKEN (an empty value still wins)",
                "ANTHROPIC_BASE_URL=http://127.0.0.1:PORT/<destination>: signet-agent's proxy "
                "injects a credential and renews it; a token `signet token` put in this "
                "variable expires and nothing renews it"),
      {.variable = "OPENAI_API_KEY",
       .shadows = "OpenAI workload identity federation: the SDK takes OPENAI_API_KEY as its key "
                  "by default, and a key and workloadIdentity cannot be used together",
       .remove = "unset OPENAI_API_KEY and revoke the key in the OpenAI dashboard",
       .instead = "OPENAI_BASE_URL=http://127.0.0.1:PORT/<destination>: signet-agent's proxy "
                  "injects the credential and the SDK needs only a placeholder key",
       .proxy_base_url = "OPENAI_BASE_URL",
       .real_key_prefix = "sk-"},
      Aws("AWS_ACCESS_KEY_ID"),
      Aws("AWS_SECRET_ACCESS_KEY"),
      Aws("AWS_SESSION_TOKEN"),
      Azure("AZURE_CLIENT_SECRET",
            "unset AZURE_CLIENT_SECRET and delete the secret from the app registration"),
      Azure("AZURE_CLIENT_CERTIFICATE_PATH",
            "unset AZURE_CLIENT_CERTIFICATE_PATH (and AZURE_CLIENT_CERTIFICATE_PASSWORD) and "
            "remove the certificate from the app registration"),
      Azure("AZURE_PASSWORD", "unset AZURE_USERNAME and AZURE_PASSWORD"),
      GitHub("GITHUB_TOKEN"),
      GitHub("GH_TOKEN"),
      GitHub("GH_ENTERPRISE_TOKEN"),
      HuggingFace("HF_TOKEN"),
      HuggingFace("HUGGING_FACE_HUB_TOKEN"),
  };
  return rules;
}

// A file of at most 1 MiB (a path from an environment may name /dev/zero or a FIFO), or
// nullopt with errno set.
std::optional<std::string> ReadLimited(const std::string& path) {
  constexpr size_t kLimit = 1 << 20;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return std::nullopt;
  }
  std::string text;
  char buffer[8192];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof(buffer))) > 0 && text.size() <= kLimit) {
    text.append(buffer, static_cast<size_t>(n));
  }
  int error = errno;
  ::close(fd);
  if (n < 0 || text.size() > kLimit) {
    errno = n < 0 ? error : EFBIG;
    return std::nullopt;
  }
  return text;
}

constexpr std::string_view kGoogleCredentials = "GOOGLE_APPLICATION_CREDENTIALS";

const std::string* Find(const Environment& environment, std::string_view name) {
  auto found = environment.find(std::string(name));
  return found == environment.end() ? nullptr : &found->second;
}

std::string Length(const std::string& value) {
  return value.empty() ? "set but empty" : "set (" + std::to_string(value.size()) + " characters)";
}

// `shadows`, naming the federation settings present beside the variable.
std::string Shadows(const Rule& rule, const Environment& environment) {
  std::string present;
  for (std::string_view name : rule.federation) {
    if (Find(environment, name) != nullptr) {
      present += (present.empty() ? "" : ", ") + std::string(name);
    }
  }
  std::string shadows(rule.shadows);
  if (!present.empty()) {
    shadows += " (here " + present + " is set: federation is configured, and ignored)";
  }
  return shadows;
}

// The base URL variable names a loopback http(s) URL: signet-agent's proxy, presumably.
bool PointsAtLoopback(const Environment& environment, std::string_view variable) {
  const std::string* url = variable.empty() ? nullptr : Find(environment, variable);
  if (url == nullptr) {
    return false;
  }
  Result<HttpUrl> parsed = ParseHttpUrl(*url);
  return parsed.ok() && IsLoopbackHost(parsed->host);
}

// What a GOOGLE_APPLICATION_CREDENTIALS file is, as a state for a finding; nullopt when
// it is a federation configuration (external_account, or impersonation through one).
std::optional<std::string> GoogleCredentialsProblem(const std::string& path,
                                                    const FileReader& read_file) {
  std::optional<std::string> text = read_file(path);
  if (!text) {
    return "names " + path + ", which cannot be read: if it is a service-account key, it wins";
  }
  Result<boost::json::object> config = ParseJsonObject(*text);
  if (!config.ok()) {
    return "names " + path + ", which is not a JSON credentials file";
  }
  auto type_of = [](const boost::json::object& object) -> std::string {
    const boost::json::value* type = object.if_contains("type");
    return type != nullptr && type->is_string() ? std::string(type->as_string()) : "";
  };
  std::string type = type_of(*config);
  if (type == "external_account") {
    return std::nullopt;
  }
  if (type == "impersonated_service_account") {
    const boost::json::value* source = config->if_contains("source_credentials");
    if (source != nullptr && source->is_object() &&
        type_of(source->as_object()) == "external_account") {
      return std::nullopt;
    }
  }
  if (type == "service_account") {
    return "names a service-account key file (" + path + ")";
  }
  return "names " + path + ", of type \"" + type + "\", not an external_account federation config";
}

void Add(Diagnosis& diagnosis, const std::string& variable, std::string state, std::string shadows,
         std::string_view remove, std::string_view instead) {
  diagnosis.findings.push_back(
      {variable, std::move(state), std::move(shadows), std::string(remove), std::string(instead)});
}

bool IsOtherApiKey(const std::string& name) {
  return name.ends_with("_API_KEY") && !name.starts_with("SIGNET_") &&
         name != "ANTHROPIC_API_KEY" && name != "OPENAI_API_KEY";
}

}  // namespace

Diagnosis Diagnose(const Environment& environment, const FileReader& read_file) {
  Diagnosis diagnosis;
  for (const Rule& rule : Rules()) {
    const std::string* value = Find(environment, rule.variable);
    if (value == nullptr) {
      continue;
    }
    const std::string& variable = rule.variable;
    bool real_key = !rule.real_key_prefix.empty() && value->starts_with(rule.real_key_prefix);
    if (PointsAtLoopback(environment, rule.proxy_base_url) && !real_key) {
      diagnosis.notes.push_back(variable + " is " + Length(*value) + ", but " +
                                std::string(rule.proxy_base_url) +
                                " points at a loopback proxy (signet-agent's?), which drops it "
                                "and injects the credential: keep it a placeholder");
      continue;
    }
    if (!rule.short_lived_prefix.empty() && value->starts_with(rule.short_lived_prefix)) {
      diagnosis.notes.push_back(variable +
                                " holds a GitHub App installation token, which expires by "
                                "itself (nothing renews it)");
      continue;
    }
    Add(diagnosis, variable, Length(*value) + (real_key ? ", shaped like a real key" : ""),
        Shadows(rule, environment), rule.remove, rule.instead);
  }
  if (const std::string* path = Find(environment, kGoogleCredentials); path != nullptr) {
    if (std::optional<std::string> problem = GoogleCredentialsProblem(*path, read_file)) {
      Add(diagnosis, std::string(kGoogleCredentials), *problem,
          "Google's Application Default Credentials read this file before the metadata server, "
          "and a service-account key never expires",
          "unset GOOGLE_APPLICATION_CREDENTIALS, then delete the key (gcloud iam "
          "service-accounts keys delete)",
          "an external_account configuration (workload identity federation) whose "
          "credential_source is a token Signet issues, for a gcp-sts destination; or `signet "
          "token <destination>` for a job");
    }
  }
  for (const auto& [name, value] : environment) {
    if (IsOtherApiKey(name)) {
      Add(diagnosis, name, Length(value), std::string(kStaticShadows), "unset " + name,
          kVaultInstead);
    }
  }
  return diagnosis;
}

Environment OwnEnvironment() {
  Environment environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    size_t equals = text.find('=');
    if (equals != std::string_view::npos) {
      environment.emplace(text.substr(0, equals), text.substr(equals + 1));
    }
  }
  return environment;
}

Result<Environment> ProcessEnvironment(int pid, const std::string& proc_root) {
  std::string path = proc_root + "/" + std::to_string(pid) + "/environ";
  std::optional<std::string> text = ReadLimited(path);
  if (!text) {
    int error = errno;
    std::string why = error == EACCES || error == EPERM
                          ? "permission denied (another user's process: run as that user or root)"
                      : error == ENOENT ? "no such process"
                                        : std::generic_category().message(error);
    return Status(ErrorCode::kInvalidRequest, "process_unreadable",
                  "cannot read " + path + ": " + why);
  }
  Environment environment;
  std::istringstream entries(*text);
  std::string entry;
  while (std::getline(entries, entry, '\0')) {
    size_t equals = entry.find('=');
    if (equals != std::string::npos) {
      environment.emplace(entry.substr(0, equals), entry.substr(equals + 1));
    }
  }
  return environment;
}

FileReader LocalFileReader() {
  return [](const std::string& path) { return ReadLimited(path); };
}

FileReader ProcessFileReader(int pid, const std::string& proc_root) {
  std::string base = proc_root + "/" + std::to_string(pid);
  return [base](const std::string& path) {
    return ReadLimited(path.starts_with("/") ? base + "/root" + path : base + "/cwd/" + path);
  };
}

int PrintDiagnosis(const Diagnosis& diagnosis, const std::string& subject,
                   const std::string& format, std::ostream& out) {
  int status = diagnosis.findings.empty() ? 0 : 1;
  if (format == "json") {
    boost::json::array findings;
    for (const DoctorFinding& f : diagnosis.findings) {
      findings.push_back(boost::json::object{{"variable", f.variable},
                                             {"state", f.state},
                                             {"shadows", f.shadows},
                                             {"remove", f.remove},
                                             {"instead", f.instead}});
    }
    boost::json::array notes;
    for (const std::string& note : diagnosis.notes) {
      notes.push_back(boost::json::string(note));
    }
    out << boost::json::serialize(
               boost::json::object{{"subject", subject}, {"findings", findings}, {"notes", notes}})
        << "\n";
    return status;
  }
  if (diagnosis.findings.empty()) {
    out << "signet doctor: " << subject << ": no static credential shadows federation\n";
  } else {
    out << "signet doctor: " << subject << ": " << diagnosis.findings.size()
        << (diagnosis.findings.size() == 1 ? " static credential" : " static credentials")
        << " would be used before federation\n";
  }
  for (const DoctorFinding& f : diagnosis.findings) {
    out << "\n"
        << f.variable << ": " << f.state << "\n  shadows: " << f.shadows
        << "\n  remove:  " << f.remove << "\n  instead: " << f.instead << "\n";
  }
  for (const std::string& note : diagnosis.notes) {
    out << "\nnote: " << note << "\n";
  }
  return status;
}

int RunDoctor(const DoctorOptions& options, std::ostream& out, std::ostream& err) {
  if (!options.pid) {
    return PrintDiagnosis(Diagnose(OwnEnvironment(), LocalFileReader()), "this environment",
                          options.format, out);
  }
  Result<Environment> environment = ProcessEnvironment(*options.pid);
  if (!environment.ok()) {
    err << "signet doctor: " << environment.status().message() << "\n";
    return 2;
  }
  return PrintDiagnosis(Diagnose(*environment, ProcessFileReader(*options.pid)),
                        "process " + std::to_string(*options.pid), options.format, out);
}

}  // namespace signet::cli
