// signetd's configuration file (YAML), parsed and checked once at start-up.
//
// Unknown keys are errors that name the key, so a typo never silently falls back to a
// default. See docs/configuration.md for the schema.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "jose/algorithm.h"

namespace signet::server {

struct ServerConfig {
  // The issuer URL that Signet's tokens and discovery document carry. https, except
  // http on a loopback host for local development.
  std::string issuer;
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 8080;
  std::string data_dir = "./data";
  jose::Algorithm signing_algorithm = jose::Algorithm::kES256;
};

// Parses YAML text; reasons: config_invalid (with the key path in the message).
Result<ServerConfig> ParseConfig(std::string_view yaml);
Result<ServerConfig> LoadConfigFile(const std::string& path);

// Splits "host:port" ("127.0.0.1:8080", "[::1]:0"); reason listen_address_invalid.
Status ParseListenAddress(std::string_view text, std::string* host, uint16_t* port);

}  // namespace signet::server
