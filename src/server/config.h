// signetd's configuration file (YAML), parsed and checked once at start-up.
//
// One file holds the server settings, the trusted issuers, the workloads (with the
// identity rules that recognise them), the destinations and the policies. Parsing checks
// everything that can be checked without the network: unknown keys, types, URLs, names
// that refer to nothing. An error names the file, the line and the field
// ("signet.yaml:14: issuers[0].audiences: must be a non-empty list"), so a typo never
// silently falls back to a default. See docs/config.md for the schema.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "jose/algorithm.h"
#include "policy/policy.h"
#include "store/key_ring.h"
#include "trust/identity.h"
#include "trust/issuer.h"

namespace signet::server {

struct TlsConfig {
  std::string cert_file;  // PEM certificate chain
  std::string key_file;   // PEM private key
};

struct DestinationConfig {
  std::string name;      // what workloads ask for (`audience` in the token request)
  std::string kind;      // the credential provider, e.g. "signet-jwt"
  std::string audience;  // `aud` of the issued credential
  std::string url;       // optional: matched against the request's `resource`
};

struct ServerConfig {
  // The issuer URL that Signet's tokens and discovery document carry. https, except
  // http on a loopback host for local development.
  std::string issuer;
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 8080;
  std::string data_dir = "./data";
  // The SPIFFE trust domain of issued workload ids; defaults to the issuer's host.
  std::string trust_domain;
  int threads = 1;
  std::optional<TlsConfig> tls;
  jose::Algorithm signing_algorithm = jose::Algorithm::kES256;
  // signing.prepublish and signing.rotate_every; max_token_lifetime is the largest
  // max_ttl of the allow policies (1h, the default max_ttl, when there is none).
  store::RotationSettings key_rotation;
  // signing.check_every: how often signetd re-reads and maintains its signing keys.
  std::chrono::seconds key_check_every{60};
  // Whether each audit commit waits for fsync (true) or only for the write to reach the
  // OS (false: survives a crash of signetd, not of the machine).
  bool audit_fsync = true;

  std::vector<trust::IssuerConfig> issuers;
  std::vector<std::string> workloads;
  std::vector<trust::IdentityRule> identities;
  std::vector<DestinationConfig> destinations;
  std::vector<policy::PolicyRule> policies;
};

// Parses YAML text; `source` names it in errors (a file path). Reason config_invalid,
// with "<source>:<line>: <field>: <problem>" as the message.
Result<ServerConfig> ParseConfig(std::string_view yaml, std::string_view source = "config");
Result<ServerConfig> LoadConfigFile(const std::string& path);

// Splits "host:port" ("127.0.0.1:8080", "[::1]:0"); reason listen_address_invalid.
Status ParseListenAddress(std::string_view text, std::string* host, uint16_t* port);

// Parses "90", "90s", "15m", "2h" or "1d" into seconds; nullopt when malformed.
std::optional<std::chrono::seconds> ParseDuration(std::string_view text);

}  // namespace signet::server
