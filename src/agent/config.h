// signet-agent's configuration (YAML): where the broker is, how the agent proves itself
// to it, and where workloads reach the agent. See docs/agent.md for the schema. Errors
// name the file, the line and the field, as signetd's do.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace signet::agent {

struct AgentConfig {
  // The broker's base URL: https, or http on a loopback host.
  std::string signetd;
  std::string signetd_ca_file;  // "" for the system's CAs
  // Exactly one: a one-time join token (spent by the first join), or a platform's OIDC
  // token that signetd maps to the agent's name (re-read at every join).
  std::string join_token_file;
  std::string identity_token_file;
  // Where workloads reach the agent: at least one.
  std::string socket_path;
  std::optional<std::string> tcp_host;  // a loopback address
  uint16_t tcp_port = 0;
  std::string upstream_ca_file;  // "" for the system's CAs
  std::string aws_token_file;    // written at start: the AWS SDKs' Authorization value
  int threads = 1;
  std::chrono::seconds poll_suspensions_every{1};
};

// Parses YAML text; `source` names it in errors. Reason config_invalid.
Result<AgentConfig> ParseAgentConfig(std::string_view yaml, std::string_view source = "config");
Result<AgentConfig> LoadAgentConfigFile(const std::string& path);

}  // namespace signet::agent
