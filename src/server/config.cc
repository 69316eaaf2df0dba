#include "server/config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/url.h"
#include "common/yaml_parser.h"
#include "credentials/provider.h"
#include "server/config_diff.h"

namespace signet::server {
namespace {

// SPIFFE-ID §2.1: lowercase letters, digits, '.', '-' and '_'.
bool IsValidTrustDomain(std::string_view td) {
  return IsValidName(td) && td.find("..") == std::string_view::npos;
}

using yaml::Parser;

Status ParseServer(const Parser& p, const YAML::Node& node, ServerConfig* config) {
  SIGNET_RETURN_IF_ERROR(p.CheckKeys(
      node, "server", {"issuer", "listen", "data_dir", "trust_domain", "threads", "tls"}));
  if (!node["issuer"]) {
    return p.Error(node, "server.issuer", "is required");
  }
  SIGNET_ASSIGN_OR_RETURN(config->issuer, p.String(node["issuer"], "server.issuer"));
  // OIDC Discovery §3 / RFC 8414 §2: an https URL with no query or fragment; the
  // discovery path is appended to it, so it has no trailing slash.
  Result<HttpUrl> issuer = ParseHttpUrl(config->issuer);
  if (!issuer.ok()) {
    return p.Error(node["issuer"], "server.issuer", issuer.status().message());
  }
  if (Status secure = CheckSecureUrl(config->issuer); !secure.ok()) {
    return p.Error(node["issuer"], "server.issuer", secure.message());
  }
  if (config->issuer.find('?') != std::string::npos || config->issuer.ends_with("/")) {
    return p.Error(node["issuer"], "server.issuer", "must have no query and no trailing slash");
  }
  if (node["listen"]) {
    SIGNET_ASSIGN_OR_RETURN(std::string listen, p.String(node["listen"], "server.listen"));
    if (Status s = ParseListenAddress(listen, &config->listen_address, &config->listen_port);
        !s.ok()) {
      return p.Error(node["listen"], "server.listen", s.message());
    }
  }
  if (node["data_dir"]) {
    SIGNET_ASSIGN_OR_RETURN(config->data_dir, p.String(node["data_dir"], "server.data_dir"));
  }
  config->trust_domain = issuer->host;
  if (node["trust_domain"]) {
    SIGNET_ASSIGN_OR_RETURN(config->trust_domain,
                            p.String(node["trust_domain"], "server.trust_domain"));
  }
  if (!IsValidTrustDomain(config->trust_domain)) {
    return p.Error(node["trust_domain"] ? node["trust_domain"] : node["issuer"],
                   "server.trust_domain",
                   "\"" + config->trust_domain +
                       "\" is not a SPIFFE trust domain (lowercase letters, digits, '.', '-', "
                       "'_'); set server.trust_domain");
  }
  if (node["threads"]) {
    int threads = 0;
    if (!node["threads"].IsScalar() || !YAML::convert<int>::decode(node["threads"], threads) ||
        threads < 1 || threads > 256) {
      return p.Error(node["threads"], "server.threads", "must be a number from 1 to 256");
    }
    config->threads = threads;
  }
  if (YAML::Node tls = node["tls"]) {
    SIGNET_RETURN_IF_ERROR(p.CheckKeys(tls, "server.tls", {"cert", "key"}));
    if (!tls["cert"] || !tls["key"]) {
      return p.Error(tls, "server.tls", "needs both cert and key (PEM file paths)");
    }
    TlsConfig files;
    SIGNET_ASSIGN_OR_RETURN(files.cert_file, p.String(tls["cert"], "server.tls.cert"));
    SIGNET_ASSIGN_OR_RETURN(files.key_file, p.String(tls["key"], "server.tls.key"));
    config->tls = std::move(files);
  }
  return Status::Ok();
}

Status ParseSigning(const Parser& p, const YAML::Node& node, ServerConfig* config) {
  SIGNET_RETURN_IF_ERROR(
      p.CheckKeys(node, "signing", {"algorithm", "prepublish", "rotate_every", "check_every"}));
  if (node["algorithm"]) {
    SIGNET_ASSIGN_OR_RETURN(std::string name, p.String(node["algorithm"], "signing.algorithm"));
    Result<jose::Algorithm> alg = jose::ParseAlgorithm(name);
    if (!alg.ok() || (*alg != jose::Algorithm::kES256 && *alg != jose::Algorithm::kEdDSA &&
                      *alg != jose::Algorithm::kRS256)) {
      return p.Error(node["algorithm"], "signing.algorithm",
                     "must be ES256, EdDSA or RS256, not \"" + name + "\"");
    }
    config->signing_algorithm = *alg;
  }
  store::RotationSettings& rotation = config->key_rotation;
  if (node["prepublish"]) {
    SIGNET_ASSIGN_OR_RETURN(rotation.prepublish,
                            p.Duration(node["prepublish"], "signing.prepublish"));
  }
  if (node["rotate_every"]) {
    SIGNET_ASSIGN_OR_RETURN(rotation.rotate_every,
                            p.DurationOrZero(node["rotate_every"], "signing.rotate_every"));
  }
  if (node["check_every"]) {
    SIGNET_ASSIGN_OR_RETURN(config->key_check_every,
                            p.Duration(node["check_every"], "signing.check_every"));
  }
  if (rotation.rotate_every.count() != 0 && rotation.rotate_every < rotation.prepublish) {
    return p.Error(node["rotate_every"] ? node["rotate_every"] : node, "signing.rotate_every",
                   "must be 0 (no automatic rotation) or at least signing.prepublish (" +
                       std::to_string(rotation.prepublish.count()) + "s)");
  }
  // Other replicas see a rotation within check_every; they must before the key signs.
  if (config->key_check_every > rotation.prepublish) {
    return p.Error(node["check_every"] ? node["check_every"] : node, "signing.check_every",
                   "must not be longer than signing.prepublish (" +
                       std::to_string(rotation.prepublish.count()) + "s)");
  }
  return Status::Ok();
}

Status ParseAudit(const Parser& p, const YAML::Node& node, ServerConfig* config) {
  SIGNET_RETURN_IF_ERROR(p.CheckKeys(node, "audit", {"fsync"}));
  if (node["fsync"]) {
    SIGNET_ASSIGN_OR_RETURN(config->audit_fsync, p.Bool(node["fsync"], "audit.fsync"));
  }
  return Status::Ok();
}

// The settings of an issuer of the default kind, which verifies tokens: an agent issuer
// takes none of them.
const std::set<std::string>& OidcIssuerKeys() {
  static const std::set<std::string> kKeys = {
      "issuer",           "audiences",    "algorithms", "jwks_uri",     "jwks",
      "refetch_interval", "keys_max_age", "leeway",     "max_lifetime", "max_token_age"};
  return kKeys;
}

// Whether the issuer at `node` is of kind agent (the default kind is oidc).
Result<bool> IsAgentIssuer(const Parser& p, const YAML::Node& node, const std::string& field) {
  if (!node.IsMap()) {
    return p.Error(node, field, "must be a mapping");
  }
  if (!node["kind"]) {
    return false;
  }
  SIGNET_ASSIGN_OR_RETURN(std::string kind, p.String(node["kind"], Parser::Join(field, "kind")));
  if (kind != "oidc" && kind != "agent") {
    return p.Error(node["kind"], Parser::Join(field, "kind"),
                   "must be oidc (the default: an issuer of tokens) or agent (signet-agent "
                   "vouches for local processes), not \"" +
                       kind + "\"");
  }
  return kind == "agent";
}

// The item's `name`: required, and a valid name.
Result<std::string> ItemName(const Parser& p, const YAML::Node& node, const std::string& field) {
  if (!node["name"]) {
    return p.Error(node, Parser::Join(field, "name"), "is required");
  }
  SIGNET_ASSIGN_OR_RETURN(std::string name, p.String(node["name"], Parser::Join(field, "name")));
  if (!IsValidName(name)) {
    return p.Error(node["name"], Parser::Join(field, "name"),
                   "use lowercase letters, digits, '-', '_' and '.'");
  }
  return name;
}

Status ParseAgentIssuer(const Parser& p, const YAML::Node& node, const std::string& field,
                        AgentIssuerConfig* issuer) {
  for (const auto& entry : node) {
    if (OidcIssuerKeys().contains(entry.first.Scalar())) {
      return p.Error(entry.first, Parser::Join(field, entry.first.Scalar()),
                     "an agent issuer takes no token settings (issuer, audiences, algorithms, "
                     "jwks_uri, jwks, ...): signet-agent attests its workloads, and `agents` "
                     "says which agents it trusts");
    }
  }
  SIGNET_RETURN_IF_ERROR(p.CheckKeys(node, field, {"name", "kind", "agents"}));
  SIGNET_ASSIGN_OR_RETURN(issuer->name, ItemName(p, node, field));
  std::string agents_field = Parser::Join(field, "agents");
  if (!node["agents"]) {
    return p.Error(node, agents_field,
                   "is required: the names (globs) of the agents that may vouch through this "
                   "issuer, e.g. [\"node-*\"]");
  }
  SIGNET_ASSIGN_OR_RETURN(std::vector<std::string> globs,
                          p.StringList(node["agents"], agents_field));
  for (std::string& pattern : globs) {
    Result<trust::ClaimMatcher> glob = trust::ClaimMatcher::Glob(std::move(pattern));
    if (!glob.ok()) {
      return p.Error(node["agents"], agents_field, glob.status().message());
    }
    issuer->agents.push_back(std::move(glob).value());
  }
  return Status::Ok();
}

Status ParseIssuer(const Parser& p, const YAML::Node& node, const std::string& field,
                   trust::IssuerConfig* issuer) {
  if (node["agents"]) {
    return p.Error(node["agents"], Parser::Join(field, "agents"),
                   "only an issuer of kind agent takes agents (add `kind: agent`, and no "
                   "token settings)");
  }
  std::set<std::string> known = OidcIssuerKeys();
  known.insert({"name", "kind"});
  SIGNET_RETURN_IF_ERROR(p.CheckKeys(node, field, known));
  SIGNET_ASSIGN_OR_RETURN(issuer->name, ItemName(p, node, field));
  for (const char* required : {"issuer", "audiences"}) {
    if (!node[required]) {
      return p.Error(node, Parser::Join(field, required), "is required");
    }
  }
  std::string url_field = Parser::Join(field, "issuer");
  SIGNET_ASSIGN_OR_RETURN(issuer->issuer_url, p.String(node["issuer"], url_field));
  // The issuer is compared byte for byte with `iss`; only discovery needs it to be a URL.
  SIGNET_ASSIGN_OR_RETURN(issuer->audiences,
                          p.StringList(node["audiences"], Parser::Join(field, "audiences")));
  if (node["algorithms"]) {
    std::string algs_field = Parser::Join(field, "algorithms");
    SIGNET_ASSIGN_OR_RETURN(std::vector<std::string> names,
                            p.StringList(node["algorithms"], algs_field));
    for (const auto& name : names) {
      Result<jose::Algorithm> alg = jose::ParseAlgorithm(name);
      if (!alg.ok()) {
        return p.Error(node["algorithms"], algs_field,
                       "\"" + name + "\" is not a supported algorithm (RS256, RS384, RS512, " +
                           "PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)");
      }
      issuer->algorithms.push_back(*alg);
    }
  }
  if (node["jwks_uri"] && node["jwks"]) {
    return p.Error(node, field, "set jwks_uri or jwks, not both (neither: OIDC discovery)");
  }
  if (node["jwks_uri"]) {
    std::string uri_field = Parser::Join(field, "jwks_uri");
    SIGNET_ASSIGN_OR_RETURN(issuer->jwks_uri, p.String(node["jwks_uri"], uri_field));
    if (Status s = CheckSecureUrl(issuer->jwks_uri); !s.ok()) {
      return p.Error(node["jwks_uri"], uri_field, s.message());
    }
    issuer->key_source = trust::KeySourceKind::kJwksUri;
  } else if (node["jwks"]) {
    SIGNET_ASSIGN_OR_RETURN(issuer->inline_jwks,
                            p.String(node["jwks"], Parser::Join(field, "jwks")));
    issuer->key_source = trust::KeySourceKind::kInline;
  } else {
    if (Status s = CheckSecureUrl(issuer->issuer_url); !s.ok()) {
      return p.Error(node["issuer"], url_field,
                     s.message() +
                         " (keys come from its discovery document; set jwks_uri "
                         "or jwks otherwise)");
    }
    issuer->key_source = trust::KeySourceKind::kDiscovery;
  }
  struct DurationSetting {
    const char* key;
    std::chrono::seconds* target;
  };
  for (auto [key, target] : {DurationSetting{"refetch_interval", &issuer->refetch_interval},
                             DurationSetting{"keys_max_age", &issuer->keys_max_age},
                             DurationSetting{"leeway", &issuer->leeway},
                             DurationSetting{"max_lifetime", &issuer->max_lifetime}}) {
    if (node[key]) {
      SIGNET_ASSIGN_OR_RETURN(*target, p.Duration(node[key], Parser::Join(field, key)));
    }
  }
  if (node["max_token_age"]) {
    SIGNET_ASSIGN_OR_RETURN(
        issuer->max_token_age,
        p.Duration(node["max_token_age"], Parser::Join(field, "max_token_age")));
  }
  return Status::Ok();
}

Result<trust::ClaimMatcher> ParseMatcher(const Parser& p, const YAML::Node& node,
                                         const std::string& field) {
  if (node.IsScalar()) {
    SIGNET_ASSIGN_OR_RETURN(std::string exact, p.String(node, field));
    return trust::ClaimMatcher::Exact(std::move(exact));
  }
  if (node.IsMap() && node.size() == 1 && node["glob"]) {
    SIGNET_ASSIGN_OR_RETURN(std::string pattern, p.String(node["glob"], field + ".glob"));
    Result<trust::ClaimMatcher> glob = trust::ClaimMatcher::Glob(std::move(pattern));
    if (!glob.ok()) {
      return p.Error(node["glob"], field + ".glob", glob.status().message());
    }
    return glob;
  }
  if (node.IsMap() && node.size() == 1 && node["one_of"]) {
    SIGNET_ASSIGN_OR_RETURN(std::vector<std::string> values,
                            p.StringList(node["one_of"], field + ".one_of"));
    Result<trust::ClaimMatcher> set = trust::ClaimMatcher::OneOf(std::move(values));
    if (!set.ok()) {
      return p.Error(node["one_of"], field + ".one_of", set.status().message());
    }
    return set;
  }
  return p.Error(node, field,
                 "must be a string (exact match), {glob: \"pattern\"} or {one_of: [...]}");
}

// The names defined in one access section so far, with where, so that a name defined
// twice (in one document or in two) is refused naming both places.
class Names {
 public:
  Status Define(const Parser& p, const YAML::Node& item, const std::string& field,
                const std::string& name) {
    const YAML::Node name_node = item["name"];
    auto [it, inserted] = where_.emplace(name, p.Where(name_node) + " (" + field + ")");
    if (!inserted) {
      return p.Error(name_node, Parser::Join(field, "name"),
                     "the name \"" + name + "\" is already used at " + it->second);
    }
    return Status::Ok();
  }
  bool Has(const std::string& name) const { return where_.contains(name); }

 private:
  std::map<std::string, std::string> where_;  // name -> "<source>:<line> (<field>)"
};

Status ParseWorkload(const Parser& p, const YAML::Node& node, const std::string& field,
                     const Names& issuers, const std::set<std::string>& agent_issuers,
                     AccessConfig* access) {
  SIGNET_RETURN_IF_ERROR(p.CheckKeys(node, field, {"name", "identities"}));
  if (!node["name"] || !node["identities"]) {
    return p.Error(node, field, "needs a name and identities");
  }
  SIGNET_ASSIGN_OR_RETURN(std::string name, ItemName(p, node, field));
  YAML::Node identities = node["identities"];
  std::string ids_field = Parser::Join(field, "identities");
  if (!identities.IsSequence() || identities.size() == 0) {
    return p.Error(identities, ids_field, "must be a non-empty list of {issuer, claims}");
  }
  for (size_t i = 0; i < identities.size(); ++i) {
    const YAML::Node& id = identities[i];
    std::string id_field = Parser::Index(ids_field, i);
    SIGNET_RETURN_IF_ERROR(p.CheckKeys(id, id_field, {"issuer", "claims"}));
    if (!id["issuer"] || !id["claims"]) {
      return p.Error(id, id_field, "needs an issuer (a name from issuers) and claims");
    }
    trust::IdentityRule rule;
    rule.workload = name;
    SIGNET_ASSIGN_OR_RETURN(rule.issuer, p.String(id["issuer"], id_field + ".issuer"));
    if (!issuers.Has(rule.issuer)) {
      return p.Error(id["issuer"], id_field + ".issuer",
                     "no issuer is named \"" + rule.issuer + "\"");
    }
    const YAML::Node& claims = id["claims"];
    if (!claims.IsMap() || claims.size() == 0) {
      return p.Error(claims, id_field + ".claims",
                     "must map claim names (sub, /json/pointer) to matchers");
    }
    SIGNET_RETURN_IF_ERROR(p.CheckNoDuplicateKeys(claims, id_field + ".claims"));
    bool attested = agent_issuers.contains(rule.issuer);
    for (const auto& claim : claims) {
      std::string claim_name = claim.first.Scalar();
      if (attested && std::find(kAgentSelectors.begin(), kAgentSelectors.end(), claim_name) ==
                          kAgentSelectors.end()) {
        return p.Error(claim.first, id_field + ".claims." + claim_name,
                       "issuer " + rule.issuer +
                           " is an agent issuer: its rules match what signet-agent attests, "
                           "uid, gid, exe, sha256, container_id, pod_uid and agent");
      }
      SIGNET_ASSIGN_OR_RETURN(trust::ClaimMatcher matcher,
                              ParseMatcher(p, claim.second, id_field + ".claims." + claim_name));
      rule.claims.push_back(trust::ClaimRule{claim_name, std::move(matcher)});
    }
    access->identities.push_back(std::move(rule));
  }
  access->workloads.push_back(std::move(name));
  return Status::Ok();
}

Status ParseDestination(const Parser& p, const YAML::Node& node, const std::string& field,
                        DestinationConfig* destination) {
  if (!node.IsMap()) {
    return p.Error(node, field, "must be a mapping");
  }
  // A kind's own settings are known once the kind is; an unknown kind is refused when the
  // configuration is compiled (provider_unknown, naming the kinds there are).
  std::set<std::string> known = {"name", "kind", "url"};
  const credentials::ProviderKind* kind = nullptr;
  if (node["kind"] && node["kind"].IsScalar()) {
    const auto& registry = credentials::ProviderRegistry();
    if (auto it = registry.find(node["kind"].Scalar()); it != registry.end()) {
      kind = &it->second;
      for (const credentials::SettingSpec& setting : kind->settings) {
        known.emplace(setting.name);
      }
    }
  }
  if (kind == nullptr || kind->has_audience) {
    known.emplace("audience");
  }
  SIGNET_RETURN_IF_ERROR(p.CheckKeys(node, field, known));
  std::vector<std::string> required = {"name", "kind"};
  if (kind == nullptr ||
      (kind->has_audience && kind->default_audience.empty() && !kind->derive_audience)) {
    required.emplace_back("audience");
  }
  for (size_t i = 0; kind != nullptr && i < kind->settings.size(); ++i) {
    if (kind->settings[i].required) {
      required.emplace_back(kind->settings[i].name);
    }
  }
  for (const std::string& key : required) {
    if (!node[key]) {
      return p.Error(node, Parser::Join(field, key), "is required");
    }
  }
  SIGNET_ASSIGN_OR_RETURN(destination->name, ItemName(p, node, field));
  SIGNET_ASSIGN_OR_RETURN(destination->kind, p.String(node["kind"], Parser::Join(field, "kind")));
  if (node["audience"]) {
    SIGNET_ASSIGN_OR_RETURN(destination->audience,
                            p.String(node["audience"], Parser::Join(field, "audience")));
  }
  if (node["url"]) {
    std::string url_field = Parser::Join(field, "url");
    SIGNET_ASSIGN_OR_RETURN(destination->url, p.String(node["url"], url_field));
    if (Result<HttpUrl> url = ParseHttpUrl(destination->url); !url.ok()) {
      return p.Error(node["url"], url_field, url.status().message());
    }
  }
  for (const auto& entry : node) {
    std::string key = entry.first.Scalar();
    if (key == "name" || key == "kind" || key == "audience" || key == "url") {
      continue;
    }
    std::string setting_field = Parser::Join(field, key);
    SIGNET_ASSIGN_OR_RETURN(std::string value, p.String(entry.second, setting_field));
    destination->settings.emplace(key, std::move(value));
  }
  return Status::Ok();
}

Status ParsePolicy(const Parser& p, const YAML::Node& node, const std::string& field,
                   policy::PolicyRule* rule) {
  SIGNET_RETURN_IF_ERROR(p.CheckKeys(
      node, field, {"name", "effect", "workloads", "destinations", "max_ttl", "scopes"}));
  for (const char* required : {"name", "workloads", "destinations"}) {
    if (!node[required]) {
      return p.Error(node, Parser::Join(field, required), "is required");
    }
  }
  SIGNET_ASSIGN_OR_RETURN(rule->name, p.String(node["name"], Parser::Join(field, "name")));
  rule->effect = policy::PolicyRule::Effect::kAllow;
  if (node["effect"]) {
    SIGNET_ASSIGN_OR_RETURN(std::string effect,
                            p.String(node["effect"], Parser::Join(field, "effect")));
    if (effect == "deny") {
      rule->effect = policy::PolicyRule::Effect::kDeny;
    } else if (effect != "allow") {
      return p.Error(node["effect"], Parser::Join(field, "effect"), "must be allow or deny");
    }
  }
  SIGNET_ASSIGN_OR_RETURN(rule->workloads,
                          p.StringList(node["workloads"], Parser::Join(field, "workloads")));
  SIGNET_ASSIGN_OR_RETURN(rule->destinations,
                          p.StringList(node["destinations"], Parser::Join(field, "destinations")));
  bool deny = rule->effect == policy::PolicyRule::Effect::kDeny;
  if (deny && (node["max_ttl"] || node["scopes"])) {
    return p.Error(node, field, "a deny policy takes no max_ttl or scopes");
  }
  if (node["max_ttl"]) {
    SIGNET_ASSIGN_OR_RETURN(rule->max_ttl,
                            p.Duration(node["max_ttl"], Parser::Join(field, "max_ttl")));
  }
  if (node["scopes"]) {
    SIGNET_ASSIGN_OR_RETURN(rule->scopes,
                            p.StringList(node["scopes"], Parser::Join(field, "scopes")));
  }
  return Status::Ok();
}

// Each name in a policy's `key` list (checked by ParsePolicy) is "*" or one of `names`.
Status CheckPolicyNames(const Parser& p, const YAML::Node& node, const std::string& field,
                        const char* key, std::string_view what, const Names& names) {
  const YAML::Node list = node[key];
  std::string list_field = Parser::Join(field, key);
  auto check = [&](const YAML::Node& entry, const std::string& entry_field) {
    const std::string& name = entry.Scalar();
    if (name != policy::kAny && !names.Has(name)) {
      return p.Error(entry, entry_field, "no " + std::string(what) + " is named \"" + name + "\"");
    }
    return Status::Ok();
  };
  if (list.IsScalar()) {
    return check(list, list_field);
  }
  for (size_t i = 0; i < list.size(); ++i) {
    SIGNET_RETURN_IF_ERROR(check(list[i], Parser::Index(list_field, i)));
  }
  return Status::Ok();
}

// Parses a top-level list, calling `parse(item, field)` for each entry.
template <typename ParseItem>
Status ParseList(const Parser& p, const YAML::Node& root, const std::string& key, ParseItem parse) {
  const YAML::Node list = root[key];
  if (!list) {
    return Status::Ok();
  }
  if (!list.IsSequence()) {
    return p.Error(list, key, "must be a list");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    try {
      SIGNET_RETURN_IF_ERROR(parse(list[i], Parser::Index(key, i)));
    } catch (const YAML::Exception& e) {
      return p.Exception(e);
    }
  }
  return Status::Ok();
}

// One YAML document of the configuration, with the parser that names its source.
struct Document {
  Parser parser;
  YAML::Node root;  // a mapping
};

// The access sections of `documents`, one section at a time across all documents (all
// issuers, then all workloads, ...), so that names defined in any document are known
// before the sections that refer to them; each item is parsed by its document's parser.
Status ParseAccess(const std::vector<Document>& documents, AccessConfig* access) {
  std::array<std::vector<YAML::Node>, 4> items;  // by section, for the canonical form
  // Calls parse(parser, item, field) for each item of `section` in every document.
  auto each_item = [&](std::string_view section, auto parse) {
    const std::string key(section);
    const size_t s = std::find(kAccessSections.begin(), kAccessSections.end(), section) -
                     kAccessSections.begin();
    for (const Document& document : documents) {
      SIGNET_RETURN_IF_ERROR(ParseList(document.parser, document.root, key,
                                       [&](const YAML::Node& node, const std::string& field) {
                                         SIGNET_RETURN_IF_ERROR(
                                             parse(document.parser, node, field));
                                         items[s].push_back(node);
                                         return Status::Ok();
                                       }));
    }
    return Status::Ok();
  };

  Names issuers;
  std::set<std::string> agent_issuers;
  SIGNET_RETURN_IF_ERROR(
      each_item("issuers", [&](const Parser& p, const YAML::Node& node, const std::string& field) {
        SIGNET_ASSIGN_OR_RETURN(bool agent, IsAgentIssuer(p, node, field));
        if (agent) {
          AgentIssuerConfig issuer;
          SIGNET_RETURN_IF_ERROR(ParseAgentIssuer(p, node, field, &issuer));
          SIGNET_RETURN_IF_ERROR(issuers.Define(p, node, field, issuer.name));
          agent_issuers.insert(issuer.name);
          access->agent_issuers.push_back(std::move(issuer));
          return Status::Ok();
        }
        trust::IssuerConfig issuer;
        SIGNET_RETURN_IF_ERROR(ParseIssuer(p, node, field, &issuer));
        SIGNET_RETURN_IF_ERROR(issuers.Define(p, node, field, issuer.name));
        access->issuers.push_back(std::move(issuer));
        return Status::Ok();
      }));

  Names workloads;
  SIGNET_RETURN_IF_ERROR(each_item(
      "workloads", [&](const Parser& p, const YAML::Node& node, const std::string& field) {
        SIGNET_RETURN_IF_ERROR(ParseWorkload(p, node, field, issuers, agent_issuers, access));
        return workloads.Define(p, node, field, access->workloads.back());
      }));

  Names destinations;
  SIGNET_RETURN_IF_ERROR(each_item(
      "destinations", [&](const Parser& p, const YAML::Node& node, const std::string& field) {
        DestinationConfig destination;
        SIGNET_RETURN_IF_ERROR(ParseDestination(p, node, field, &destination));
        SIGNET_RETURN_IF_ERROR(destinations.Define(p, node, field, destination.name));
        access->destinations.push_back(std::move(destination));
        return Status::Ok();
      }));

  Names policies;
  SIGNET_RETURN_IF_ERROR(each_item("policies", [&](const Parser& p, const YAML::Node& node,
                                                   const std::string& field) {
    policy::PolicyRule rule;
    SIGNET_RETURN_IF_ERROR(ParsePolicy(p, node, field, &rule));
    SIGNET_RETURN_IF_ERROR(policies.Define(p, node, field, rule.name));
    SIGNET_RETURN_IF_ERROR(CheckPolicyNames(p, node, field, "workloads", "workload", workloads));
    SIGNET_RETURN_IF_ERROR(
        CheckPolicyNames(p, node, field, "destinations", "destination", destinations));
    access->policies.push_back(std::move(rule));
    return Status::Ok();
  }));

  access->canonical = CanonicalYaml(items);
  return Status::Ok();
}

// The top level of a document given to `signet apply`: access sections only.
Status CheckAccessDocument(const Parser& p, const YAML::Node& root) {
  if (!root.IsMap()) {
    return p.Error(root, "(top level)",
                   "must be a mapping of issuers, workloads, destinations and policies");
  }
  std::set<std::string> seen;
  for (const auto& entry : root) {
    std::string key = entry.first.Scalar();
    if (key == "server" || key == "signing" || key == "audit") {
      return p.Error(entry.first, key,
                     "server, signing and audit settings live in signetd's start-up file "
                     "(signetd --config), not in the access configuration that `signet "
                     "apply` manages (issuers, workloads, destinations, policies)");
    }
    // YAML would keep only the first: a list pasted from another file would vanish.
    if (!seen.insert(key).second) {
      return p.Error(entry.first, key,
                     "appears twice in this YAML document; merge the two lists, or separate "
                     "the documents with ---");
    }
  }
  return p.CheckKeys(root, "", {"issuers", "workloads", "destinations", "policies"});
}

Result<ServerConfig> Parse(const Parser& p, const YAML::Node& root) {
  ServerConfig config;
  if (!root || root.IsNull()) {
    return p.Error(root, "(top level)", "the configuration is empty");
  }
  SIGNET_RETURN_IF_ERROR(p.CheckKeys(
      root, "",
      {"server", "signing", "audit", "issuers", "workloads", "destinations", "policies"}));
  if (!root["server"]) {
    return p.Error(root, "server", "is required");
  }
  SIGNET_RETURN_IF_ERROR(ParseServer(p, root["server"], &config));
  if (root["signing"]) {
    SIGNET_RETURN_IF_ERROR(ParseSigning(p, root["signing"], &config));
  }
  if (root["audit"]) {
    SIGNET_RETURN_IF_ERROR(ParseAudit(p, root["audit"], &config));
  }

  SIGNET_RETURN_IF_ERROR(ParseAccess({Document{p, root}}, &config.access));
  // A retired signing key stays published as long as a token it signed can live.
  config.key_rotation.max_token_lifetime = LongestAllowedTtl(config.access);
  return config;
}

}  // namespace

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 128) {
    return false;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) {
      return false;
    }
  }
  return name.front() != '.' && name.front() != '-';
}

bool AgentIssuerConfig::Trusts(std::string_view agent) const {
  return std::any_of(agents.begin(), agents.end(),
                     [agent](const trust::ClaimMatcher& glob) { return glob.Matches(agent); });
}

std::chrono::seconds LongestAllowedTtl(const AccessConfig& access) {
  std::optional<std::chrono::seconds> longest;
  for (const policy::PolicyRule& rule : access.policies) {
    if (rule.effect == policy::PolicyRule::Effect::kAllow) {
      longest = std::max(longest.value_or(rule.max_ttl), rule.max_ttl);
    }
  }
  return longest.value_or(std::chrono::hours(1));
}

Result<ServerConfig> ParseConfig(std::string_view yaml, std::string_view source) {
  return yaml::ParseDocument(yaml, source, Parse);
}

Result<AccessConfig> ParseAccessDocuments(const std::vector<ConfigDocument>& documents) {
  std::vector<Document> parsed;
  for (const ConfigDocument& document : documents) {
    Parser parser(document.source);
    try {
      // Lines of every YAML document count from the start of the text (the file).
      for (const YAML::Node& root : YAML::LoadAll(document.text)) {
        if (!root || root.IsNull()) {
          continue;  // an empty document, or only comments
        }
        SIGNET_RETURN_IF_ERROR(CheckAccessDocument(parser, root));
        parsed.push_back(Document{parser, root});
      }
    } catch (const YAML::Exception& e) {
      return parser.Exception(e);
    }
  }
  AccessConfig access;
  SIGNET_RETURN_IF_ERROR(ParseAccess(parsed, &access));
  return access;
}

Result<ServerConfig> LoadConfigFile(const std::string& path) {
  SIGNET_ASSIGN_OR_RETURN(std::string text, yaml::ReadConfigFile(path));
  return ParseConfig(text, path);
}

}  // namespace signet::server
