#include "agent/config.h"

#include "common/url.h"
#include "common/yaml_parser.h"

namespace signet::agent {
namespace {

using yaml::Parser;

Result<std::string> Path(const Parser& p, const YAML::Node& root, const char* key) {
  if (!root[key]) {
    return std::string();
  }
  return p.String(root[key], key);
}

Status ParseListen(const Parser& p, const YAML::Node& node, AgentConfig* config) {
  SIGNET_RETURN_IF_ERROR(p.CheckKeys(node, "listen", {"socket", "tcp"}));
  if (node["socket"]) {
    SIGNET_ASSIGN_OR_RETURN(config->socket_path, p.String(node["socket"], "listen.socket"));
  }
  if (node["tcp"]) {
    SIGNET_ASSIGN_OR_RETURN(std::string tcp, p.String(node["tcp"], "listen.tcp"));
    std::string host;
    if (Status s = ParseListenAddress(tcp, &host, &config->tcp_port); !s.ok()) {
      return p.Error(node["tcp"], "listen.tcp", s.message());
    }
    // The agent hands out credentials to whoever it attests on this machine; a port
    // reachable from elsewhere would hand them to callers it cannot attest at all.
    if (!IsLoopbackHost(host) && host != "::1") {
      return p.Error(node["tcp"], "listen.tcp",
                     "must be a loopback address (127.0.0.1, [::1] or localhost): callers "
                     "on other machines cannot be attested");
    }
    config->tcp_host = host;
  }
  if (config->socket_path.empty() && !config->tcp_host) {
    return p.Error(node, "listen", "needs a socket, a tcp address, or both");
  }
  return Status::Ok();
}

Result<AgentConfig> Parse(const Parser& p, const YAML::Node& root) {
  if (!root || root.IsNull()) {
    return p.Error(root, "signetd", "is required (the configuration is empty)");
  }
  SIGNET_RETURN_IF_ERROR(
      p.CheckKeys(root, "",
                  {"signetd", "signetd_ca_file", "join_token_file", "identity_token_file", "listen",
                   "upstream_ca_file", "aws_token_file", "threads", "poll_suspensions_every"}));
  AgentConfig config;
  if (!root["signetd"]) {
    return p.Error(root, "signetd", "is required: the broker's base URL");
  }
  SIGNET_ASSIGN_OR_RETURN(config.signetd, p.String(root["signetd"], "signetd"));
  if (Status secure = CheckSecureUrl(config.signetd); !secure.ok()) {
    return p.Error(root["signetd"], "signetd", secure.message());
  }
  while (config.signetd.ends_with('/')) {
    config.signetd.pop_back();
  }
  SIGNET_ASSIGN_OR_RETURN(config.signetd_ca_file, Path(p, root, "signetd_ca_file"));
  SIGNET_ASSIGN_OR_RETURN(config.join_token_file, Path(p, root, "join_token_file"));
  SIGNET_ASSIGN_OR_RETURN(config.identity_token_file, Path(p, root, "identity_token_file"));
  if (config.join_token_file.empty() == config.identity_token_file.empty()) {
    return p.Error(root, "join_token_file",
                   "set exactly one of join_token_file (a token from `signet agent "
                   "join-token create`) and identity_token_file (an OIDC token signetd "
                   "maps to this agent)");
  }
  if (!root["listen"]) {
    return p.Error(root, "listen", "is required: a socket, a tcp address, or both");
  }
  SIGNET_RETURN_IF_ERROR(ParseListen(p, root["listen"], &config));
  SIGNET_ASSIGN_OR_RETURN(config.upstream_ca_file, Path(p, root, "upstream_ca_file"));
  SIGNET_ASSIGN_OR_RETURN(config.aws_token_file, Path(p, root, "aws_token_file"));
  if (root["threads"]) {
    int threads = 0;
    if (!root["threads"].IsScalar() || !YAML::convert<int>::decode(root["threads"], threads) ||
        threads < 1 || threads > 256) {
      return p.Error(root["threads"], "threads", "must be a whole number from 1 to 256");
    }
    config.threads = threads;
  }
  if (root["poll_suspensions_every"]) {
    SIGNET_ASSIGN_OR_RETURN(config.poll_suspensions_every,
                            p.Duration(root["poll_suspensions_every"], "poll_suspensions_every"));
  }
  return config;
}

}  // namespace

Result<AgentConfig> ParseAgentConfig(std::string_view yaml, std::string_view source) {
  return yaml::ParseDocument(yaml, source, Parse);
}

Result<AgentConfig> LoadAgentConfigFile(const std::string& path) {
  SIGNET_ASSIGN_OR_RETURN(std::string text, yaml::ReadConfigFile(path));
  return ParseAgentConfig(text, path);
}

}  // namespace signet::agent
