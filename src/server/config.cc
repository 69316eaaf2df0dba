#include "server/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

namespace signet::server {
namespace {

Status ConfigError(std::string message) {
  return Status(ErrorCode::kInvalidConfig, "config_invalid", std::move(message));
}

Status CheckKeys(const YAML::Node& node, std::string_view where,
                 const std::set<std::string>& known) {
  if (!node.IsMap()) {
    return ConfigError(std::string(where) + " must be a mapping");
  }
  for (const auto& entry : node) {
    std::string key = entry.first.as<std::string>();
    if (!known.contains(key)) {
      std::string list;
      for (const auto& k : known) {
        list += (list.empty() ? "" : ", ") + k;
      }
      return ConfigError("unknown setting \"" + std::string(where) + "." + key +
                         "\" (known: " + list + ")");
    }
  }
  return Status::Ok();
}

bool IsLoopbackHost(std::string_view host) {
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

Status CheckIssuer(const std::string& issuer) {
  // OIDC Discovery §3 / RFC 8414 §2: an https URL with no query or fragment.
  std::string_view rest;
  if (issuer.starts_with("https://")) {
    rest = std::string_view(issuer).substr(8);
  } else if (issuer.starts_with("http://")) {
    rest = std::string_view(issuer).substr(7);
    std::string_view host = rest.substr(0, rest.find_first_of(":/"));
    if (!IsLoopbackHost(host)) {
      return ConfigError("server.issuer must be https (http is allowed only on loopback)");
    }
  } else {
    return ConfigError("server.issuer must be an https URL");
  }
  if (rest.empty() || issuer.find_first_of("?#") != std::string::npos || issuer.ends_with("/")) {
    return ConfigError("server.issuer must have a host and no query, fragment or trailing slash");
  }
  return Status::Ok();
}

}  // namespace

Status ParseListenAddress(std::string_view text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status(ErrorCode::kInvalidConfig, "listen_address_invalid",
                  "listen address must be host:port, e.g. 127.0.0.1:8080");
  }
  std::string_view h = text.substr(0, colon);
  if (h.starts_with("[") && h.ends_with("]")) {
    h = h.substr(1, h.size() - 2);
  }
  std::string_view p = text.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || end != p.data() + p.size() || value > 65535 || h.empty()) {
    return Status(ErrorCode::kInvalidConfig, "listen_address_invalid",
                  "listen address must be host:port with a port of 0..65535");
  }
  *host = std::string(h);
  *port = static_cast<uint16_t>(value);
  return Status::Ok();
}

Result<ServerConfig> ParseConfig(std::string_view yaml) {
  ServerConfig config;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (!root || root.IsNull()) {
      return ConfigError("the configuration is empty");
    }
    SIGNET_RETURN_IF_ERROR(CheckKeys(root, "(top level)", {"server", "signing"}));
    YAML::Node server = root["server"];
    if (!server) {
      return ConfigError("\"server\" section is required");
    }
    SIGNET_RETURN_IF_ERROR(CheckKeys(server, "server", {"issuer", "listen", "data_dir"}));
    if (!server["issuer"]) {
      return ConfigError("server.issuer is required");
    }
    config.issuer = server["issuer"].as<std::string>();
    SIGNET_RETURN_IF_ERROR(CheckIssuer(config.issuer));
    if (server["listen"]) {
      SIGNET_RETURN_IF_ERROR(ParseListenAddress(server["listen"].as<std::string>(),
                                                &config.listen_address, &config.listen_port));
    }
    if (server["data_dir"]) {
      config.data_dir = server["data_dir"].as<std::string>();
    }
    if (YAML::Node signing = root["signing"]) {
      SIGNET_RETURN_IF_ERROR(CheckKeys(signing, "signing", {"algorithm"}));
      if (signing["algorithm"]) {
        std::string name = signing["algorithm"].as<std::string>();
        Result<jose::Algorithm> alg = jose::ParseAlgorithm(name);
        if (!alg.ok() || (*alg != jose::Algorithm::kES256 && *alg != jose::Algorithm::kEdDSA &&
                          *alg != jose::Algorithm::kRS256)) {
          return ConfigError("signing.algorithm must be ES256, EdDSA or RS256, not \"" + name +
                             "\"");
        }
        config.signing_algorithm = *alg;
      }
    }
  } catch (const YAML::Exception& e) {
    return ConfigError(std::string("YAML: ") + e.what());
  }
  return config;
}

Result<ServerConfig> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return ConfigError("cannot read config file " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  Result<ServerConfig> config = ParseConfig(text.str());
  if (!config.ok()) {
    return config.status().WithContext(path);
  }
  return config;
}

}  // namespace signet::server
