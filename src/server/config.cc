#include "server/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <fstream>
#include <optional>
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

// The host of an http(s) URL's authority, an IPv6 literal keeping its brackets ("[::1]")
// as IsLoopbackHost expects; nullopt when the authority is malformed. The host is
// checked for presence, not syntax: the issuer is compared as a string, never resolved.
std::optional<std::string_view> AuthorityHost(std::string_view authority) {
  // userinfo would make "http://localhost:80@evil.example" look like a loopback URL.
  if (authority.find('@') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view host;
  std::string_view after_host;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = authority.substr(0, close + 1);
    after_host = authority.substr(close + 1);
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    after_host = colon == std::string_view::npos ? "" : authority.substr(colon);
  }
  if (host.empty() || host == "[]") {
    return std::nullopt;
  }
  if (after_host.empty()) {
    return host;
  }
  std::string_view port = after_host.substr(1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (!after_host.starts_with(':') || ec != std::errc() || end != port.data() + port.size() ||
      value > 65535) {
    return std::nullopt;
  }
  return host;
}

Status CheckIssuer(const std::string& issuer) {
  // OIDC Discovery §3 / RFC 8414 §2: an https URL with no query or fragment.
  bool https = issuer.starts_with("https://");
  if (!https && !issuer.starts_with("http://")) {
    return ConfigError("server.issuer must be an https URL");
  }
  std::string_view rest = std::string_view(issuer).substr(https ? 8 : 7);
  std::optional<std::string_view> host = AuthorityHost(rest.substr(0, rest.find('/')));
  if (!host || issuer.find_first_of("?#") != std::string::npos || issuer.ends_with("/")) {
    return ConfigError(
        "server.issuer must have a host (and optional port) and no user info, query, fragment "
        "or trailing slash");
  }
  if (!https && !IsLoopbackHost(*host)) {
    return ConfigError("server.issuer must be https (http is allowed only on loopback)");
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
