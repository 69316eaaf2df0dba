// signetd's configuration (YAML): the start-up file, and the access configuration that
// `signet apply` manages.
//
// The start-up file holds the server settings, the trusted issuers, the workloads (with
// the identity rules that recognise them), the destinations and the policies. The last
// four, the access sections, can also come from documents given to `signet apply`
// (ParseAccessDocuments); both paths share one parser per section. Parsing checks
// everything that can be checked without the network: unknown keys, types, URLs, names
// that refer to nothing. An error names the file, the line and the field
// ("signet.yaml:14: issuers[0].audiences: must be a non-empty list"), so a typo never
// silently falls back to a default. See docs/config.md for the schema.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
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
  std::string audience;  // `aud` of the issued credential; "" for the kind's default
  std::string url;       // optional: matched against the request's `resource`
  // The kind's own settings (credentials::ProviderKind::settings).
  std::map<std::string, std::string, std::less<>> settings;
};

// What signet-agent attests of a local process (agent/edge.h ProcessSelectors), plus
// `agent`, the name of the agent that vouches for it: the claims an agent issuer's
// identity rules match.
inline constexpr std::array<std::string_view, 7> kAgentSelectors = {
    "uid", "gid", "exe", "sha256", "container_id", "pod_uid", "agent"};

// An issuer of kind `agent`. It has no tokens and no keys: signet-agent attests the local
// processes that call it, and signetd takes the attestation from an agent whose name
// `agents` matches. Workloads' identity rules on it match kAgentSelectors.
struct AgentIssuerConfig {
  std::string name;
  std::vector<trust::ClaimMatcher> agents;  // globs over agents' names; at least one

  // Whether the agent named `agent` may vouch for workloads through this issuer.
  bool Trusts(std::string_view agent) const;
};

// What `signet apply` manages: who is trusted, who is who, what exists, who may reach what.
struct AccessConfig {
  std::vector<trust::IssuerConfig> issuers;      // kind oidc (the default)
  std::vector<AgentIssuerConfig> agent_issuers;  // kind agent
  std::vector<std::string> workloads;
  std::vector<trust::IdentityRule> identities;
  std::vector<DestinationConfig> destinations;
  // In the order they were defined (documents in the order given, then list order): the
  // first matching allow policy grants, so the order is part of the configuration.
  std::vector<policy::PolicyRule> policies;
  // The sections as canonical YAML (CanonicalYaml in config_diff.h): what is stored,
  // exported and compared. Empty when every section is.
  std::string canonical;
};

// The longest token the allow policies let Signet sign: the largest max_ttl of an allow
// policy, 1h (the default max_ttl) when there is none.
std::chrono::seconds LongestAllowedTtl(const AccessConfig& access);

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
  // signing.prepublish and signing.rotate_every; max_token_lifetime is
  // LongestAllowedTtl(access).
  store::RotationSettings key_rotation;
  // signing.check_every: how often signetd re-reads and maintains its signing keys.
  std::chrono::seconds key_check_every{60};
  // Whether each audit commit waits for fsync (true) or only for the write to reach the
  // OS (false: survives a crash of signetd, not of the machine).
  bool audit_fsync = true;

  // issuers, workloads, destinations and policies, as the file has them.
  AccessConfig access;
};

// Parses YAML text; `source` names it in errors (a file path). Reason config_invalid,
// with "<source>:<line>: <field>: <problem>" as the message.
Result<ServerConfig> ParseConfig(std::string_view yaml, std::string_view source = "config");
Result<ServerConfig> LoadConfigFile(const std::string& path);

// One input of `signet apply`: a file, which may hold several YAML documents separated
// by `---`.
struct ConfigDocument {
  // Names the document in errors: a file path. Lines count from the start of the text,
  // across all its YAML documents ("team.yaml:14" is line 14 of the file, whichever YAML
  // document it is in), so they are the lines an editor shows.
  std::string source;
  std::string text;  // YAML
};

// Parses the access sections of documents for `signet apply`. Each YAML document may
// hold any of issuers, workloads, destinations and policies; a `server`, `signing` or
// `audit` key is refused (those settings live in signetd's start-up file). The lists of
// all documents are merged, in the order the documents are given (which orders the
// policies); a name defined twice in a section, in one document or in two, is an error
// naming both places; references (a workload's identities[].issuer, a policy's
// workloads and destinations) resolve across documents. Errors: reason config_invalid,
// "<source>:<line>: <field>: <problem>" exactly like ParseConfig's, where <field> is the
// path within its YAML document ("policies[0].max_ttl"). No documents, or documents with
// nothing in them, give an empty AccessConfig (applying it removes everything: the caller
// should warn).
Result<AccessConfig> ParseAccessDocuments(const std::vector<ConfigDocument>& documents);

// Whether `name` may name a workload, a destination or an agent: 1 to 128 lowercase
// letters, digits, '-', '_' and '.', not starting with '.' or '-' (names appear in SPIFFE
// ids, audit records and URLs).
bool IsValidName(std::string_view name);

}  // namespace signet::server
