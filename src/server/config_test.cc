#include "server/config.h"

#include <gtest/gtest.h>

#include "common/url.h"
#include "support/status_matchers.h"

namespace signet::server {
namespace {

using signet::testing::FailsWith;
using signet::testing::IsOk;

TEST(ConfigTest, ParsesAFullConfig) {
  auto config = ParseConfig(R"(
server:
  issuer: https://signet.example.com
  listen: 0.0.0.0:9443
  data_dir: /var/lib/signet
signing:
  algorithm: EdDSA
)");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->issuer, "https://signet.example.com");
  EXPECT_EQ(config->listen_address, "0.0.0.0");
  EXPECT_EQ(config->listen_port, 9443);
  EXPECT_EQ(config->data_dir, "/var/lib/signet");
  EXPECT_EQ(config->signing_algorithm, jose::Algorithm::kEdDSA);
}

TEST(ConfigTest, DefaultsApply) {
  auto config = ParseConfig("server:\n  issuer: http://127.0.0.1:8080\n");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->listen_port, 8080);
  EXPECT_EQ(config->signing_algorithm, jose::Algorithm::kES256);
}

TEST(ConfigTest, UnknownKeyIsNamed) {
  auto config = ParseConfig("server:\n  issuer: https://a.example\n  isuer: x\n");
  ASSERT_THAT(config, FailsWith("config_invalid"));
  EXPECT_NE(config.status().message().find("server.isuer"), std::string::npos);
}

// A destination's kind says which settings it takes; the parser holds each destination to
// them, naming the field of what is wrong.
TEST(ConfigTest, DestinationSettingsFollowTheKind) {
  const std::string head = "server:\n  issuer: https://a.example\ndestinations:\n";
  auto config = ParseConfig(head +
                            "  - name: claude\n"
                            "    kind: anthropic-wif\n"
                            "    organization_id: org-1\n"
                            "    federation_rule_id: fdrl_1\n"
                            "    service_account_id: svac_1\n"
                            "    workspace_id: wrkspc_1\n");
  ASSERT_THAT(config, IsOk());
  const DestinationConfig& claude = config->access.destinations.at(0);
  EXPECT_EQ(claude.audience, "");  // the kind's default applies
  EXPECT_EQ(claude.settings.size(), 4u);
  EXPECT_EQ(claude.settings.at("federation_rule_id"), "fdrl_1");

  auto missing = ParseConfig(head +
                             "  - {name: claude, kind: anthropic-wif, organization_id: o,\n"
                             "     service_account_id: s}\n");
  ASSERT_THAT(missing, FailsWith("config_invalid"));
  EXPECT_NE(missing.status().message().find("destinations[0].federation_rule_id"),
            std::string::npos)
      << missing.status().message();
  auto unknown = ParseConfig(head +
                             "  - {name: claude, kind: anthropic-wif, organization_id: o,\n"
                             "     federation_rule_id: f, service_account_id: s, region: eu}\n");
  ASSERT_THAT(unknown, FailsWith("config_invalid"));
  EXPECT_NE(unknown.status().message().find("region"), std::string::npos);
  // signet-jwt takes none of them, and has no default audience.
  EXPECT_THAT(ParseConfig(head + "  - {name: d, kind: signet-jwt, audience: https://d.example,"
                                 " organization_id: o}\n"),
              FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig(head + "  - {name: d, kind: signet-jwt}\n"), FailsWith("config_invalid"));
  // gcp-sts derives its audience from its pool provider; rfc8693 has none to derive.
  EXPECT_THAT(ParseConfig(head + "  - {name: g, kind: gcp-sts, project_number: '1', pool_id: p1,\n"
                                 "     provider_id: p2}\n"),
              IsOk());
  auto no_audience =
      ParseConfig(head + "  - {name: s, kind: rfc8693, token_url: https://sts.example}\n");
  ASSERT_THAT(no_audience, FailsWith("config_invalid"));
  EXPECT_NE(no_audience.status().message().find("destinations[0].audience"), std::string::npos)
      << no_audience.status().message();
}

TEST(ConfigTest, IssuerMustBeHttpsOrLoopbackHttp) {
  EXPECT_THAT(ParseConfig("server:\n  issuer: http://signet.example.com\n"),
              FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig("server:\n  issuer: https://a.example/\n"), FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig("server:\n  issuer: https://a.example?x=1\n"),
              FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig("server:\n  issuer: http://localhost:8080\n"), IsOk());
  EXPECT_THAT(ParseConfig("server: {}\n"), FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig(""), FailsWith("config_invalid"));
}

TEST(ConfigTest, IssuerHostIsParsedWithIpv6LiteralsAndPorts) {
  // An IP literal is no SPIFFE trust domain, so these name one.
  auto issuer = [](const std::string& url) {
    return ParseConfig("server:\n  trust_domain: t.example\n  issuer: " + url);
  };
  // An IPv6 literal's colons are not the port separator.
  EXPECT_THAT(issuer("http://[::1]:8080"), IsOk());
  EXPECT_THAT(issuer("http://[::1]"), IsOk());
  EXPECT_THAT(issuer("https://[2001:db8::1]:8443/tenant"), IsOk());
  EXPECT_THAT(issuer("http://[2001:db8::1]:8080"), FailsWith("config_invalid"));  // not loopback
  EXPECT_THAT(issuer("https://a.example:8443"), IsOk());
  // No host, or a malformed authority.
  EXPECT_THAT(issuer("https://:443"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("http://:8080"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("https:///path"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("https://[]:443"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("https://[::1"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("https://[::1]x"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("https://a.example:44x3"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("https://a.example:70000"), FailsWith("config_invalid"));
  // User info would let a non-loopback http issuer pass for a loopback one.
  EXPECT_THAT(issuer("http://localhost:80@evil.example"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("http://127.0.0.1@evil.example"), FailsWith("config_invalid"));
}

TEST(ConfigTest, SigningAlgorithmMustBeOneSignetSignsWith) {
  EXPECT_THAT(ParseConfig("server:\n  issuer: https://a.example\nsigning:\n  algorithm: PS256\n"),
              FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig("server:\n  issuer: https://a.example\nsigning:\n  algorithm: HS256\n"),
              FailsWith("config_invalid"));
}

TEST(ConfigTest, SigningKeyRotationSettings) {
  auto defaults = ParseConfig("server:\n  issuer: https://a.example\n");
  ASSERT_THAT(defaults, IsOk());
  EXPECT_EQ(defaults->key_rotation.prepublish, std::chrono::hours(24));
  EXPECT_EQ(defaults->key_rotation.rotate_every, std::chrono::hours(30 * 24));
  EXPECT_EQ(defaults->key_rotation.max_token_lifetime, std::chrono::hours(1));
  EXPECT_EQ(defaults->key_check_every, std::chrono::seconds(60));

  auto config = ParseConfig(R"(server:
  issuer: https://a.example
signing:
  algorithm: EdDSA
  prepublish: 2h
  rotate_every: 7d
  check_every: 30s
issuers:
  - {name: idp, issuer: https://idp.example, audiences: [signet], jwks: '{"keys":[]}'}
workloads:
  - name: a
    identities:
      - issuer: idp
        claims: {sub: a}
destinations:
  - {name: d, kind: signet-jwt, audience: https://d.example}
policies:
  - {name: short, workloads: [a], destinations: [d], max_ttl: 5m}
  - {name: long, workloads: [a], destinations: [d], max_ttl: 2h}
  - {name: no, effect: deny, workloads: [a], destinations: [d]}
)");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->key_rotation.prepublish, std::chrono::hours(2));
  EXPECT_EQ(config->key_rotation.rotate_every, std::chrono::hours(7 * 24));
  EXPECT_EQ(config->key_check_every, std::chrono::seconds(30));
  // The longest token any allow policy lets Signet sign.
  EXPECT_EQ(config->key_rotation.max_token_lifetime, std::chrono::hours(2));

  auto off = ParseConfig("server:\n  issuer: https://a.example\nsigning:\n  rotate_every: 0\n");
  ASSERT_THAT(off, IsOk());
  EXPECT_EQ(off->key_rotation.rotate_every, std::chrono::seconds(0));

  auto message = [](std::string_view signing) {
    auto parsed =
        ParseConfig("server:\n  issuer: https://a.example\nsigning:\n" + std::string(signing));
    EXPECT_THAT(parsed, FailsWith("config_invalid"));
    return parsed.ok() ? std::string() : parsed.status().message();
  };
  EXPECT_NE(message("  rotate_every: 1h\n").find("signing.rotate_every"), std::string::npos);
  EXPECT_NE(message("  prepublish: 0\n").find("signing.prepublish"), std::string::npos);
  EXPECT_NE(message("  prepublish: 30s\n").find("signing.check_every"), std::string::npos);
  EXPECT_NE(message("  check_every: 0s\n").find("signing.check_every"), std::string::npos);
  EXPECT_NE(message("  rotate_every: soon\n").find("signing.rotate_every"), std::string::npos);
  EXPECT_NE(message("  margin: 1h\n").find("signing.margin"), std::string::npos);
}

constexpr std::string_view kBroker = R"(server:
  issuer: https://signet.example.com
  trust_domain: prod.example.com
  threads: 2
  tls:
    cert: /etc/signet/tls.crt
    key: /etc/signet/tls.key
audit:
  fsync: false
issuers:
  - name: k8s
    issuer: https://kubernetes.default.svc
    audiences: signet
    algorithms: [RS256]
    jwks_uri: https://10.0.0.1/openid/v1/jwks
    refetch_interval: 1m
    keys_max_age: 10m
  - name: github
    issuer: https://token.actions.githubusercontent.com
    audiences: [https://signet.example.com]
    max_token_age: 10m
workloads:
  - name: billing
    identities:
      - issuer: k8s
        claims:
          sub: system:serviceaccount:billing:api
          /kubernetes.io/pod/name: {glob: "api-*"}
      - issuer: github
        claims:
          repository: {one_of: [acme/billing, acme/billing-tools]}
destinations:
  - name: orders
    kind: signet-jwt
    audience: https://orders.internal
    url: https://orders.internal/api
policies:
  - name: billing-orders
    workloads: [billing]
    destinations: orders
    max_ttl: 15m
    scopes: [orders.read]
  - name: nobody-else
    effect: deny
    workloads: "*"
    destinations: [orders]
)";

TEST(ConfigTest, ParsesIssuersWorkloadsDestinationsAndPolicies) {
  auto config = ParseConfig(kBroker);
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->trust_domain, "prod.example.com");
  EXPECT_EQ(config->threads, 2);
  ASSERT_TRUE(config->tls.has_value());
  EXPECT_EQ(config->tls->key_file, "/etc/signet/tls.key");
  EXPECT_FALSE(config->audit_fsync);

  ASSERT_EQ(config->access.issuers.size(), 2u);
  const trust::IssuerConfig& k8s = config->access.issuers[0];
  EXPECT_EQ(k8s.issuer_url, "https://kubernetes.default.svc");
  EXPECT_EQ(k8s.audiences, std::vector<std::string>{"signet"});
  EXPECT_EQ(k8s.algorithms, std::vector<jose::Algorithm>{jose::Algorithm::kRS256});
  EXPECT_EQ(k8s.key_source, trust::KeySourceKind::kJwksUri);
  EXPECT_EQ(k8s.refetch_interval, std::chrono::seconds(60));
  EXPECT_EQ(k8s.keys_max_age, std::chrono::seconds(600));
  EXPECT_EQ(config->access.issuers[1].keys_max_age, std::chrono::seconds(300));
  EXPECT_EQ(config->access.issuers[1].key_source, trust::KeySourceKind::kDiscovery);
  EXPECT_EQ(config->access.issuers[1].max_token_age, std::chrono::seconds(600));

  EXPECT_EQ(config->access.workloads, std::vector<std::string>{"billing"});
  ASSERT_EQ(config->access.identities.size(), 2u);
  const trust::IdentityRule& pod = config->access.identities[0];
  EXPECT_EQ(pod.issuer, "k8s");
  ASSERT_EQ(pod.claims.size(), 2u);
  EXPECT_EQ(pod.claims[1].claim, "/kubernetes.io/pod/name");
  EXPECT_TRUE(pod.claims[1].matcher.Matches("api-7d9f"));
  EXPECT_FALSE(pod.claims[1].matcher.Matches("worker-1"));
  EXPECT_TRUE(config->access.identities[1].claims[0].matcher.Matches("acme/billing-tools"));

  ASSERT_EQ(config->access.destinations.size(), 1u);
  EXPECT_EQ(config->access.destinations[0].url, "https://orders.internal/api");
  ASSERT_EQ(config->access.policies.size(), 2u);
  EXPECT_EQ(config->access.policies[0].max_ttl, std::chrono::seconds(900));
  EXPECT_EQ(config->access.policies[0].destinations, std::vector<std::string>{"orders"});
  EXPECT_EQ(config->access.policies[1].effect, policy::PolicyRule::Effect::kDeny);
}

TEST(ConfigTest, TrustDomainDefaultsToTheIssuerHost) {
  auto config = ParseConfig("server:\n  issuer: https://signet.example.com:8443/t\n");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->trust_domain, "signet.example.com");
  EXPECT_THAT(ParseConfig("server:\n  issuer: https://a.example\n  trust_domain: Bad/TD\n"),
              FailsWith("config_invalid"));
}

// Replaces the first occurrence of `from` in `text`; the test fails if it is absent.
std::string Replaced(std::string_view text, std::string_view from, std::string_view to) {
  std::string yaml(text);
  size_t at = yaml.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? yaml : yaml.replace(at, from.size(), to);
}

std::string BrokerWith(std::string_view from, std::string_view to) {
  return Replaced(kBroker, from, to);
}

TEST(ConfigTest, ErrorsNameTheFileLineAndField) {
  auto config = ParseConfig(BrokerWith("audiences: signet", "audiences: []"), "signet.yaml");
  ASSERT_THAT(config, FailsWith("config_invalid"));
  EXPECT_EQ(config.status().message().substr(0, 42), "signet.yaml:13: issuers[0].audiences: must");

  config = ParseConfig(BrokerWith("      - issuer: github", "      - issuer: gitlab"), "f.yaml");
  ASSERT_THAT(config, FailsWith("config_invalid"));
  EXPECT_NE(config.status().message().find("f.yaml:29: workloads[0].identities[1].issuer: no "
                                           "issuer is named \"gitlab\""),
            std::string::npos)
      << config.status().message();

  config = ParseConfig(BrokerWith("max_ttl: 15m", "max_ttl: soon"), "f.yaml");
  ASSERT_THAT(config, FailsWith("config_invalid"));
  EXPECT_NE(config.status().message().find("policies[0].max_ttl"), std::string::npos);

  config = ParseConfig(BrokerWith("kind: signet-jwt", "kind: signet-jwt\n    color: blue"));
  ASSERT_THAT(config, FailsWith("config_invalid"));
  EXPECT_NE(config.status().message().find("destinations[0].color: unknown setting"),
            std::string::npos)
      << config.status().message();

  config = ParseConfig("server:\n  issuer: [unclosed\n", "f.yaml");
  ASSERT_THAT(config, FailsWith("config_invalid"));
  EXPECT_EQ(config.status().message().substr(0, 7), "f.yaml:");
}

TEST(ConfigTest, RefusesWhatWouldMisbehaveAtRunTime) {
  // Discovery over plain http to a remote host would let a network attacker pick the keys.
  EXPECT_THAT(
      ParseConfig(BrokerWith("issuer: https://token.actions", "issuer: http://token.actions")),
      FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig(BrokerWith("jwks_uri: https://10.0.0.1", "jwks_uri: http://10.0.0.1")),
              FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig(BrokerWith("    jwks_uri:", "    jwks: '{}'\n    jwks_uri:")),
              FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig(BrokerWith("name: github", "name: k8s")), FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig(BrokerWith("name: orders", "name: Orders!")),
              FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig(BrokerWith("glob: \"api-*\"", "regex: \"api-.*\"")),
              FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig(BrokerWith("    effect: deny\n", "    effect: deny\n    max_ttl: 1h\n")),
              FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig(BrokerWith("algorithms: [RS256]", "algorithms: [HS256]")),
              FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig(BrokerWith("threads: 2", "threads: 0")), FailsWith("config_invalid"));
}

// An agent issuer has no token settings, only the agents it trusts; the workloads'
// rules on it match what signet-agent attests.
constexpr std::string_view kAgents = R"(server:
  issuer: https://signet.example.com
issuers:
  - name: dev
    issuer: https://idp.example.com
    audiences: signet
  - name: node-agents
    kind: agent
    agents: ["node-*", laptop-7]
workloads:
  - name: claude-bot
    identities:
      - issuer: node-agents
        claims:
          uid: "1000"
          sha256: 3f2a
          exe: /usr/bin/node
          agent: {glob: "node-*"}
  - name: node-a
    identities:
      - issuer: dev
        claims: {sub: node-a}
)";

std::string AgentsWith(std::string_view from, std::string_view to) {
  return Replaced(kAgents, from, to);
}

TEST(ConfigTest, AgentIssuerTrustsTheAgentsItNames) {
  auto config = ParseConfig(kAgents);
  ASSERT_THAT(config, IsOk());
  ASSERT_EQ(config->access.issuers.size(), 1u);  // the token issuers only
  EXPECT_EQ(config->access.issuers[0].name, "dev");
  ASSERT_EQ(config->access.agent_issuers.size(), 1u);
  const AgentIssuerConfig& agents = config->access.agent_issuers[0];
  EXPECT_EQ(agents.name, "node-agents");
  EXPECT_TRUE(agents.Trusts("node-a"));
  EXPECT_TRUE(agents.Trusts("laptop-7"));
  EXPECT_FALSE(agents.Trusts("laptop-8"));
  EXPECT_FALSE(agents.Trusts("xnode-a"));
  ASSERT_EQ(config->access.identities.size(), 2u);
  EXPECT_EQ(config->access.identities[0].issuer, "node-agents");
  EXPECT_EQ(config->access.identities[0].claims.size(), 4u);
  // kind oidc is the default, and may be written.
  EXPECT_THAT(
      ParseConfig(AgentsWith("    audiences: signet\n", "    audiences: signet\n    kind: oidc\n")),
      IsOk());
}

TEST(ConfigTest, AgentIssuerRefusesTokenSettingsAndNeedsAgents) {
  auto config = ParseConfig(
      AgentsWith("    kind: agent\n", "    kind: agent\n    audiences: [signet]\n"), "a.yaml");
  ASSERT_THAT(config, FailsWith("config_invalid"));
  EXPECT_EQ(config.status().message().find("a.yaml:9: issuers[1].audiences: an agent issuer takes "
                                           "no token settings"),
            0u)
      << config.status().message();
  for (std::string_view setting : {"issuer: https://x.example", "jwks_uri: https://x.example/jwks",
                                   "leeway: 1m", "algorithms: [ES256]", "max_token_age: 1h"}) {
    config = ParseConfig(
        AgentsWith("    kind: agent\n", "    kind: agent\n    " + std::string(setting) + "\n"));
    ASSERT_THAT(config, FailsWith("config_invalid")) << setting;
    EXPECT_NE(config.status().message().find("takes no token settings"), std::string::npos)
        << config.status().message();
  }
  config = ParseConfig(AgentsWith("    agents: [\"node-*\", laptop-7]\n", ""), "a.yaml");
  ASSERT_THAT(config, FailsWith("config_invalid"));
  EXPECT_NE(config.status().message().find("a.yaml:7: issuers[1].agents: is required"),
            std::string::npos)
      << config.status().message();
  EXPECT_THAT(ParseConfig(AgentsWith("agents: [\"node-*\", laptop-7]", "agents: []")),
              FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig(AgentsWith("agents: [\"node-*\", laptop-7]", "agents: [\"\"]")),
              FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig(AgentsWith("    agents: [\"node-*\", laptop-7]\n",
                                     "    agents: [node-a]\n    color: blue\n")),
              FailsWith("config_invalid"));
  config = ParseConfig(AgentsWith("kind: agent", "kind: spiffe"), "a.yaml");
  ASSERT_THAT(config, FailsWith("config_invalid"));
  EXPECT_NE(config.status().message().find("a.yaml:8: issuers[1].kind: must be oidc"),
            std::string::npos)
      << config.status().message();
}

TEST(ConfigTest, OnlyAnAgentIssuerTakesAgents) {
  auto config = ParseConfig(
      AgentsWith("    audiences: signet\n", "    audiences: signet\n    agents: [node-*]\n"),
      "a.yaml");
  ASSERT_THAT(config, FailsWith("config_invalid"));
  EXPECT_EQ(config.status().message().find(
                "a.yaml:7: issuers[0].agents: only an issuer of kind agent takes agents"),
            0u)
      << config.status().message();
}

TEST(ConfigTest, RulesOnAnAgentIssuerMatchSelectorsOnly) {
  auto config = ParseConfig(AgentsWith("          exe: /usr/bin/node\n",
                                       "          exe: /usr/bin/node\n          sub: bot\n"),
                            "a.yaml");
  ASSERT_THAT(config, FailsWith("config_invalid"));
  EXPECT_NE(config.status().message().find(
                "a.yaml:18: workloads[0].identities[0].claims.sub: issuer node-agents is an "
                "agent issuer"),
            std::string::npos)
      << config.status().message();
  EXPECT_THAT(ParseConfig(AgentsWith("sha256: 3f2a", "/sha256: 3f2a")),
              FailsWith("config_invalid"));
  // Every selector may be matched; a token issuer's rules are not limited to them.
  EXPECT_THAT(ParseConfig(AgentsWith("          exe: /usr/bin/node\n",
                                     "          exe: /usr/bin/node\n          gid: '1000'\n"
                                     "          container_id: c0ffee\n          pod_uid: 7b1d\n")),
              IsOk());
}

TEST(ConfigTest, PoliciesNameDefinedWorkloadsAndDestinationsOnce) {
  auto config =
      ParseConfig(BrokerWith("workloads: [billing]", "workloads: [billing, biling]"), "f.yaml");
  ASSERT_THAT(config, FailsWith("config_invalid"));
  EXPECT_EQ(config.status().message(),
            "f.yaml:39: policies[0].workloads[1]: no workload is named \"biling\"");
  config = ParseConfig(BrokerWith("name: nobody-else", "name: billing-orders"), "f.yaml");
  ASSERT_THAT(config, FailsWith("config_invalid"));
  EXPECT_EQ(config.status().message(),
            "f.yaml:43: policies[1].name: the name \"billing-orders\" is already used at "
            "f.yaml:38 (policies[0])");
}

// ---- Access documents (`signet apply`) ----

// The message of a refused set of documents ("" when they parse).
std::string AccessError(const std::vector<ConfigDocument>& documents) {
  auto access = ParseAccessDocuments(documents);
  EXPECT_THAT(access, FailsWith("config_invalid"));
  return access.ok() ? std::string() : access.status().message();
}

constexpr std::string_view kIssuersFile = R"(issuers:
  - name: k8s
    issuer: https://kubernetes.default.svc
    audiences: signet
    jwks: '{"keys":[]}'
)";

constexpr std::string_view kWorkloadsFile = R"(workloads:
  - name: billing
    identities:
      - issuer: k8s
        claims: {sub: "system:serviceaccount:billing:api"}
destinations:
  - {name: orders, kind: signet-jwt, audience: https://orders.internal}
)";

constexpr std::string_view kPoliciesFile = R"(policies:
  - {name: billing-orders, workloads: [billing], destinations: orders, max_ttl: 15m}
  - {name: freeze, effect: deny, workloads: "*", destinations: [orders]}
)";

TEST(AccessDocumentsTest, MergesTheListsOfSeveralFiles) {
  auto access = ParseAccessDocuments({{"issuers.yaml", std::string(kIssuersFile)},
                                      {"workloads.yaml", std::string(kWorkloadsFile)},
                                      {"policies.yaml", std::string(kPoliciesFile)}});
  ASSERT_THAT(access, IsOk());
  ASSERT_EQ(access->issuers.size(), 1u);
  EXPECT_EQ(access->issuers[0].inline_jwks, R"({"keys":[]})");
  EXPECT_EQ(access->workloads, std::vector<std::string>{"billing"});
  ASSERT_EQ(access->identities.size(), 1u);
  // The workload in one file refers to the issuer of another.
  EXPECT_EQ(access->identities[0].issuer, "k8s");
  EXPECT_EQ(access->identities[0].workload, "billing");
  ASSERT_EQ(access->destinations.size(), 1u);
  ASSERT_EQ(access->policies.size(), 2u);
  EXPECT_EQ(access->policies[0].name, "billing-orders");
  EXPECT_EQ(access->policies[1].effect, policy::PolicyRule::Effect::kDeny);
  EXPECT_EQ(LongestAllowedTtl(*access), std::chrono::minutes(15));
  EXPECT_FALSE(access->canonical.empty());

  // Several YAML documents in one file are the same as several files.
  auto one_file = ParseAccessDocuments(
      {{"all.yaml", std::string(kIssuersFile) + "---\n" + std::string(kWorkloadsFile) + "---\n" +
                        std::string(kPoliciesFile)}});
  ASSERT_THAT(one_file, IsOk());
  EXPECT_EQ(one_file->canonical, access->canonical);
}

TEST(AccessDocumentsTest, NothingGivesAnEmptyConfiguration) {
  for (const std::vector<ConfigDocument>& documents :
       {std::vector<ConfigDocument>{}, std::vector<ConfigDocument>{{"empty.yaml", ""}},
        std::vector<ConfigDocument>{{"comments.yaml", "# nothing yet\n"},
                                    {"dashes.yaml", "---\n---\n"}},
        std::vector<ConfigDocument>{{"lists.yaml", "issuers: []\npolicies: []\n"}}}) {
    auto access = ParseAccessDocuments(documents);
    ASSERT_THAT(access, IsOk());
    EXPECT_TRUE(access->issuers.empty());
    EXPECT_TRUE(access->workloads.empty());
    EXPECT_TRUE(access->destinations.empty());
    EXPECT_TRUE(access->policies.empty());
    EXPECT_EQ(access->canonical, "");
    EXPECT_EQ(LongestAllowedTtl(*access), std::chrono::hours(1));
  }
}

TEST(AccessDocumentsTest, ANameDefinedTwiceNamesBothPlaces) {
  std::string message = AccessError({{"a.yaml", std::string(kIssuersFile)},
                                     {"b.yaml", "# another team\n" + std::string(kIssuersFile)}});
  EXPECT_EQ(message,
            "b.yaml:3: issuers[0].name: the name \"k8s\" is already used at a.yaml:2 "
            "(issuers[0])");

  // In one file too, and in every section.
  message = AccessError({{"d.yaml",
                          "destinations:\n"
                          "  - {name: d, kind: signet-jwt, audience: https://d.example}\n"
                          "  - {name: d, kind: signet-jwt, audience: https://e.example}\n"}});
  EXPECT_EQ(message,
            "d.yaml:3: destinations[1].name: the name \"d\" is already used at d.yaml:2 "
            "(destinations[0])");

  message = AccessError({{"i.yaml", std::string(kIssuersFile)},
                         {"w.yaml", std::string(kWorkloadsFile)},
                         {"p.yaml", std::string(kPoliciesFile)},
                         {"q.yaml", "---\n" + std::string(kPoliciesFile)}});
  EXPECT_EQ(message.substr(0, 72),
            "q.yaml:3: policies[0].name: the name \"billing-orders\" is already used at");
  EXPECT_NE(message.find("p.yaml:2 (policies[0])"), std::string::npos) << message;

  message = AccessError({{"i.yaml", std::string(kIssuersFile)},
                         {"w.yaml", std::string(kWorkloadsFile)},
                         {"x.yaml",
                          "workloads:\n"
                          "  - name: billing\n"
                          "    identities: [{issuer: k8s, claims: {sub: other}}]\n"}});
  EXPECT_NE(message.find("x.yaml:2: workloads[0].name: the name \"billing\" is already used at "
                         "w.yaml:2 (workloads[0])"),
            std::string::npos)
      << message;
}

TEST(AccessDocumentsTest, ReferencesResolveAcrossFilesOrNameSourceLineAndField) {
  // Without the issuers file, the workload's issuer is unknown.
  EXPECT_EQ(AccessError({{"workloads.yaml", std::string(kWorkloadsFile)}}),
            "workloads.yaml:4: workloads[0].identities[0].issuer: no issuer is named \"k8s\"");
  // Order of the files does not matter for references.
  EXPECT_THAT(ParseAccessDocuments({{"policies.yaml", std::string(kPoliciesFile)},
                                    {"workloads.yaml", std::string(kWorkloadsFile)},
                                    {"issuers.yaml", std::string(kIssuersFile)}}),
              IsOk());
  // A policy's workloads and destinations are names of either, or "*".
  EXPECT_EQ(AccessError({{"i.yaml", std::string(kIssuersFile)},
                         {"w.yaml", std::string(kWorkloadsFile)},
                         {"p.yaml",
                          "policies:\n"
                          "  - name: p\n"
                          "    workloads: [billing, reports]\n"
                          "    destinations: orders\n"}}),
            "p.yaml:3: policies[0].workloads[1]: no workload is named \"reports\"");
  EXPECT_EQ(AccessError({{"i.yaml", std::string(kIssuersFile)},
                         {"w.yaml", std::string(kWorkloadsFile)},
                         {"p.yaml",
                          "policies:\n"
                          "  - name: p\n"
                          "    workloads: '*'\n"
                          "    destinations: payments\n"}}),
            "p.yaml:4: policies[0].destinations: no destination is named \"payments\"");
}

TEST(AccessDocumentsTest, StartUpSettingsAreRefused) {
  for (const char* key : {"server", "signing", "audit"}) {
    std::string message = AccessError(
        {{"ok.yaml", std::string(kIssuersFile)},
         {"server.yaml", "# start-up settings\n" + std::string(key) + ":\n  fsync: true\n"}});
    EXPECT_TRUE(message.starts_with("server.yaml:2: " + std::string(key) + ": ")) << message;
    EXPECT_NE(message.find("start-up file"), std::string::npos) << message;
  }
  EXPECT_EQ(AccessError({{"x.yaml", "polices: []\n"}}),
            "x.yaml:1: polices: unknown setting (known: destinations, issuers, policies, "
            "workloads)");
  EXPECT_EQ(AccessError({{"x.yaml", "- issuers\n"}}).substr(0, 23), "x.yaml:1: (top level): ");
  // A second list of one section in one YAML document would be dropped by YAML.
  EXPECT_TRUE(AccessError({{"twice.yaml", std::string(kIssuersFile) + "issuers: []\n"}})
                  .starts_with("twice.yaml:6: issuers: appears twice"));
}

// yaml-cpp keeps a repeated key and lookups read the first: refused, so what is reviewed
// is what is in force.
TEST(AccessDocumentsTest, AKeySetTwiceInOneMappingIsRefused) {
  std::string policy = AccessError(
      {{"ok.yaml", std::string(kIssuersFile)},
       {"p.yaml",
        "policies:\n  - name: p\n    workloads: '*'\n    destinations: [d]\n    max_ttl: 1h\n"
        "    max_ttl: 10h\n"}});
  EXPECT_TRUE(policy.starts_with("p.yaml:6: policies[0].max_ttl: is set twice")) << policy;
  std::string claims =
      AccessError({{"w.yaml", std::string(kIssuersFile) +
                                  "workloads:\n  - name: w\n    identities:\n      - issuer: k8s\n"
                                  "        claims: {sub: a, sub: b}\n"}});
  EXPECT_NE(claims.find("identities[0].claims.sub: is set twice"), std::string::npos) << claims;
}

TEST(AccessDocumentsTest, LinesCountFromTheStartOfTheFile) {
  std::string text = std::string(kIssuersFile) + "---\n" +
                     "destinations:\n"
                     "  - name: orders\n"
                     "    kind: signet-jwt\n"
                     "    audience: []\n";
  // Line 10 of the file, in its second YAML document.
  std::string message = AccessError({{"two.yaml", text}});
  EXPECT_TRUE(message.starts_with("two.yaml:10: destinations[0].audience: must be ")) << message;
  message = AccessError(
      {{"ok.yaml", std::string(kIssuersFile)}, {"bad.yaml", "issuers:\n  - name: [unclosed\n"}});
  EXPECT_TRUE(message.starts_with("bad.yaml:")) << message;
}

TEST(AccessDocumentsTest, StartUpFileAndAppliedDocumentsGiveTheSameCanonicalForm) {
  auto file = ParseConfig(kBroker, "signet.yaml");
  ASSERT_THAT(file, IsOk());
  std::string yaml(kBroker);
  std::string access_sections = yaml.substr(yaml.find("issuers:"));
  auto applied = ParseAccessDocuments({{"access.yaml", access_sections}});
  ASSERT_THAT(applied, IsOk());
  EXPECT_FALSE(file->access.canonical.empty());
  EXPECT_EQ(file->access.canonical, applied->canonical);
  // ... and the same structures.
  EXPECT_EQ(file->access.workloads, applied->workloads);
  EXPECT_EQ(file->access.issuers.size(), applied->issuers.size());
  EXPECT_EQ(file->access.policies.size(), applied->policies.size());
  // The stored canonical text is a valid document in its own right.
  auto again = ParseAccessDocuments({{"config version 1", applied->canonical}});
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->canonical, applied->canonical);

  auto none = ParseConfig("server:\n  issuer: https://a.example\n");
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->access.canonical, "");
}

TEST(ConfigTest, Durations) {
  EXPECT_EQ(ParseDuration("90"), std::chrono::seconds(90));
  EXPECT_EQ(ParseDuration("90s"), std::chrono::seconds(90));
  EXPECT_EQ(ParseDuration("15m"), std::chrono::seconds(900));
  EXPECT_EQ(ParseDuration("2h"), std::chrono::seconds(7200));
  EXPECT_EQ(ParseDuration("1d"), std::chrono::seconds(86400));
  EXPECT_EQ(ParseDuration(""), std::nullopt);
  EXPECT_EQ(ParseDuration("m"), std::nullopt);
  EXPECT_EQ(ParseDuration("-5s"), std::nullopt);
  EXPECT_EQ(ParseDuration("1.5h"), std::nullopt);
  EXPECT_EQ(ParseDuration("99999999999d"), std::nullopt);
}

TEST(ConfigTest, ListenAddressParsing) {
  std::string host;
  uint16_t port = 0;
  EXPECT_THAT(ParseListenAddress("[::1]:0", &host, &port), IsOk());
  EXPECT_EQ(host, "::1");
  EXPECT_THAT(ParseListenAddress("127.0.0.1", &host, &port), FailsWith("listen_address_invalid"));
  EXPECT_THAT(ParseListenAddress("127.0.0.1:70000", &host, &port),
              FailsWith("listen_address_invalid"));
  EXPECT_THAT(ParseListenAddress("127.0.0.1:8x", &host, &port),
              FailsWith("listen_address_invalid"));
}

}  // namespace
}  // namespace signet::server
