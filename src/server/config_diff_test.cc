#include "server/config_diff.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "server/config.h"
#include "support/status_matchers.h"

namespace signet::server {
namespace {

using signet::testing::IsOk;

// The canonical text of documents that must parse.
std::string Canonical(const std::vector<ConfigDocument>& documents) {
  auto access = ParseAccessDocuments(documents);
  EXPECT_THAT(access, IsOk());
  return access.ok() ? access->canonical : std::string();
}

std::string Canonical(std::string_view yaml) { return Canonical({{"a.yaml", std::string(yaml)}}); }

constexpr std::string_view kConfig = R"(issuers:
  - name: k8s
    issuer: https://kubernetes.default.svc
    audiences: signet
    algorithms: [RS256]
    jwks_uri: https://10.0.0.1/openid/v1/jwks
    refetch_interval: 1m
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
  - name: audit
    identities:
      - {issuer: github, claims: {repository: acme/audit}}
destinations:
  - name: payments
    kind: signet-jwt
    audience: https://payments.internal
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
  - name: freeze
    effect: deny
    workloads: "*"
    destinations: [payments]
)";

// kConfig written differently: lists in another order, keys in another order, flow and
// block styles swapped, quoting changed, split over three files (one with two YAML
// documents). Policies keep their relative order.
const std::vector<ConfigDocument> kSameConfigElsewhere = {
    {"destinations.yaml", R"(destinations:
  - {url: "https://orders.internal/api", audience: https://orders.internal, kind: signet-jwt, name: orders}
  - audience: 'https://payments.internal'
    name: payments
    kind: signet-jwt
---
policies:
  - name: billing-orders
    scopes:
      - orders.read
    max_ttl: "15m"
    destinations: orders
    workloads: [billing]
)"},
    {"workloads.yaml", R"(workloads:
  - identities:
      - claims: {repository: acme/audit}
        issuer: github
    name: audit
  - name: billing
    identities:
      - claims:
          /kubernetes.io/pod/name:
            glob: api-*
          sub: "system:serviceaccount:billing:api"
        issuer: k8s
      - issuer: github
        claims:
          repository:
            one_of: [acme/billing, acme/billing-tools]
issuers:
  - max_token_age: 10m
    audiences: [https://signet.example.com]
    name: github
    issuer: https://token.actions.githubusercontent.com
  - refetch_interval: 1m
    jwks_uri: https://10.0.0.1/openid/v1/jwks
    algorithms:
      - RS256
    audiences: signet
    issuer: https://kubernetes.default.svc
    name: k8s
)"},
    {"policies.yaml", R"(policies:
  - {destinations: [payments], workloads: "*", effect: deny, name: freeze}
)"},
};

TEST(CanonicalYamlTest, HasAFixedLayout) {
  EXPECT_EQ(Canonical(kConfig), R"(issuers:
  - name: github
    issuer: https://token.actions.githubusercontent.com
    audiences:
      - https://signet.example.com
    max_token_age: 10m
  - name: k8s
    issuer: https://kubernetes.default.svc
    audiences: signet
    algorithms:
      - RS256
    jwks_uri: https://10.0.0.1/openid/v1/jwks
    refetch_interval: 1m
workloads:
  - name: audit
    identities:
      - issuer: github
        claims:
          repository: acme/audit
  - name: billing
    identities:
      - issuer: k8s
        claims:
          /kubernetes.io/pod/name:
            glob: api-*
          sub: system:serviceaccount:billing:api
      - issuer: github
        claims:
          repository:
            one_of:
              - acme/billing
              - acme/billing-tools
destinations:
  - name: orders
    kind: signet-jwt
    audience: https://orders.internal
    url: https://orders.internal/api
  - name: payments
    kind: signet-jwt
    audience: https://payments.internal
policies:
  - name: billing-orders
    workloads:
      - billing
    destinations: orders
    max_ttl: 15m
    scopes:
      - orders.read
  - name: freeze
    effect: deny
    workloads: "*"
    destinations:
      - payments
)");
}

TEST(CanonicalYamlTest, IsIndependentOfOrderStyleAndFiles) {
  std::string canonical = Canonical(kConfig);
  EXPECT_EQ(Canonical(kSameConfigElsewhere), canonical);
  // The files in another order: the same, since only the policies' order counts.
  std::vector<ConfigDocument> reversed(kSameConfigElsewhere.rbegin(), kSameConfigElsewhere.rend());
  std::string policies_swapped = Canonical(reversed);
  EXPECT_NE(policies_swapped, canonical);
  EXPECT_LT(policies_swapped.find("name: freeze"), policies_swapped.find("name: billing-orders"));
  // ... and the rest of the text is the same.
  EXPECT_EQ(policies_swapped.substr(0, policies_swapped.find("policies:")),
            canonical.substr(0, canonical.find("policies:")));
}

TEST(CanonicalYamlTest, RoundTripsByteForByte) {
  std::string canonical = Canonical(kConfig);
  EXPECT_EQ(Canonical(canonical), canonical);
  EXPECT_EQ(Canonical(Canonical(kSameConfigElsewhere)), canonical);
}

// An agent issuer keeps kind and agents right after its name, however written, so that
// `signet export` then `signet apply` changes nothing.
TEST(CanonicalYamlTest, AgentIssuerRoundTrips) {
  std::string canonical = Canonical(R"(issuers:
  - {agents: ["node-*", laptop-7], name: node-agents, kind: agent}
  - {agents: solo, kind: agent, name: solo-agents}
workloads:
  - name: bot
    identities:
      - {claims: {uid: "1000", agent: node-a, sha256: 3f2a}, issuer: node-agents}
)");
  EXPECT_EQ(canonical, R"(issuers:
  - name: node-agents
    kind: agent
    agents:
      - node-*
      - laptop-7
  - name: solo-agents
    kind: agent
    agents: solo
workloads:
  - name: bot
    identities:
      - issuer: node-agents
        claims:
          agent: node-a
          sha256: 3f2a
          uid: 1000
)");
  EXPECT_EQ(Canonical(canonical), canonical);
  EXPECT_TRUE(DiffAccessConfig(canonical, Canonical(canonical)).empty());
}

// Scalars that YAML could read as something else, or that need quoting to survive.
TEST(CanonicalYamlTest, TrickyScalarsRoundTrip) {
  const std::vector<std::string> values = {"true",
                                           "True",
                                           "false",
                                           "yes",
                                           "No",
                                           "on",
                                           "OFF",
                                           "y",
                                           "n",
                                           "null",
                                           "Null",
                                           "~",
                                           "1",
                                           "0x1F",
                                           "1e3",
                                           "-1",
                                           ".inf",
                                           ".nan",
                                           "*",
                                           "*x",
                                           "&x",
                                           "!x",
                                           "!!str",
                                           "%x",
                                           "@x",
                                           "`x",
                                           "/path",
                                           "/a/b: c",
                                           "a: b",
                                           "a:b",
                                           "a:",
                                           ":a",
                                           "a #b",
                                           "#a",
                                           "a#b",
                                           "- a",
                                           "-a",
                                           "? a",
                                           "?a",
                                           "[a",
                                           "]",
                                           "{a",
                                           "}",
                                           "a, b",
                                           "'a",
                                           "\"a\"",
                                           "a\"b",
                                           "it's \"x\"",
                                           "|",
                                           ">",
                                           "---",
                                           "...",
                                           "--- a",
                                           " lead",
                                           "trail ",
                                           "a  b",
                                           "tab\there",
                                           "\ttab",
                                           "é ü 中",
                                           "line1\nline2",
                                           "trailing newline\n",
                                           "\n",
                                           "cr\r\nlf",
                                           "back\\slash",
                                           "<<",
                                           "=",
                                           "a\x01"
                                           "b"};
  std::string yaml =
      "issuers:\n  - {name: idp, issuer: https://idp.example, audiences: a, jwks: x}\n"
      "workloads:\n";
  for (size_t i = 0; i < values.size(); ++i) {
    YAML::Emitter out;  // a faithful way to write each value into the test's input
    out << YAML::DoubleQuoted << values[i];
    yaml += "  - name: w" + std::to_string(i) + "\n    identities:\n      - issuer: idp\n" +
            "        claims: {sub: " + out.c_str() + ", " + out.c_str() + ": x}\n";
  }
  auto access = ParseAccessDocuments({{"tricky.yaml", yaml}});
  ASSERT_THAT(access, IsOk());
  auto again = ParseAccessDocuments({{"canonical", access->canonical}});
  ASSERT_THAT(again, IsOk()) << access->canonical;
  EXPECT_EQ(again->canonical, access->canonical);
  // Every value reads back as written (workloads are sorted by name in the canonical
  // text; identities follow the workloads).
  ASSERT_EQ(again->identities.size(), values.size());
  for (const trust::IdentityRule& rule : again->identities) {
    size_t i = std::stoul(rule.workload.substr(1));
    ASSERT_EQ(rule.claims.size(), 2u);
    // ... as a value (of sub) and as a claim name (whose value is x).
    for (const trust::ClaimRule& claim : rule.claims) {
      if (claim.claim == "sub") {
        EXPECT_TRUE(claim.matcher.Matches(values[i]))
            << "\"" << values[i] << "\" became " << access->canonical;
        EXPECT_FALSE(claim.matcher.Matches(values[i] + "x"));
      } else {
        EXPECT_EQ(claim.claim, values[i]) << access->canonical;
        EXPECT_TRUE(claim.matcher.Matches("x"));
      }
    }
  }
  // Words YAML readers take for booleans or null are quoted, never written plain.
  for (std::string_view word : {"true", "True", "yes", "No", "on", "y", "null", "~"}) {
    EXPECT_EQ(access->canonical.find("sub: " + std::string(word) + "\n"), std::string::npos)
        << word;
  }
}

TEST(CanonicalYamlTest, InlineJwksSurvives) {
  const std::string one_line = R"({"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b"}]})";
  const std::string multi_line = "{\n  \"keys\": [\n    {\"kty\": \"OKP\", \"x\": \"a\"}\n  ]\n}\n";
  for (const std::string& jwks : {one_line, multi_line}) {
    std::string indented;
    for (char c : jwks) {
      indented += c;
      if (c == '\n') {
        indented += "      ";
      }
    }
    std::string yaml =
        "issuers:\n  - name: idp\n    issuer: https://idp.example\n"
        "    audiences: a\n    jwks: |\n      " +
        indented + "\n";
    auto access = ParseAccessDocuments({{"jwks.yaml", yaml}});
    ASSERT_THAT(access, IsOk());
    ASSERT_EQ(access->issuers.size(), 1u);
    EXPECT_EQ(access->issuers[0].inline_jwks, jwks + (jwks.ends_with("\n") ? "" : "\n"));
    auto again = ParseAccessDocuments({{"canonical", access->canonical}});
    ASSERT_THAT(again, IsOk()) << access->canonical;
    EXPECT_EQ(again->issuers[0].inline_jwks, access->issuers[0].inline_jwks);
    EXPECT_EQ(again->canonical, access->canonical);
  }
  // One line of JSON is single-quoted, as people write it.
  std::string canonical =
      Canonical("issuers:\n  - {name: idp, issuer: https://idp.example, audiences: a, jwks: '" +
                one_line + "'}\n");
  EXPECT_NE(canonical.find("    jwks: '" + one_line + "'\n"), std::string::npos) << canonical;
}

// ---- Diff ----

std::string With(std::string_view yaml, std::string_view from, std::string_view to) {
  std::string text(yaml);
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

TEST(ConfigDiffTest, IdenticalTextsHaveNoChanges) {
  std::string canonical = Canonical(kConfig);
  EXPECT_TRUE(DiffAccessConfig(canonical, canonical).empty());
  EXPECT_TRUE(DiffAccessConfig("", "").empty());
  // Only layout differs: the objects are the same.
  EXPECT_TRUE(DiffAccessConfig(canonical, kConfig).empty());
  EXPECT_EQ(FormatConfigDiff({}), "no changes\n");
  EXPECT_EQ(SummarizeConfigDiff({}), "no changes");
}

TEST(ConfigDiffTest, AddedRemovedAndChangedObjects) {
  std::string before = Canonical(kConfig);
  std::string after = Canonical(With(
      With(With(kConfig, "max_ttl: 15m", "max_ttl: 10m"),  // change a policy
           "  - name: payments\n    kind: signet-jwt\n    audience: https://payments.internal\n",
           ""),  // remove a destination, and the policy that names it
      "  - name: freeze\n    effect: deny\n    workloads: \"*\"\n    destinations: [payments]\n",
      "  - {name: reports, workloads: [audit], destinations: [orders]}\n"));  // add one
  std::vector<ConfigChange> changes = DiffAccessConfig(before, after);
  std::vector<ConfigChange> expected = {
      {ConfigChange::Kind::kRemoved,
       "destinations/payments",
       {"-name: payments", "-kind: signet-jwt", "-audience: https://payments.internal"}},
      {ConfigChange::Kind::kChanged,
       "policies/billing-orders",
       {" name: billing-orders", " workloads:", "   - billing", " destinations: orders",
        "-max_ttl: 15m", "+max_ttl: 10m", " scopes:", "   - orders.read"}},
      {ConfigChange::Kind::kRemoved,
       "policies/freeze",
       {"-name: freeze", "-effect: deny", "-workloads: \"*\"", "-destinations:", "-  - payments"}},
      {ConfigChange::Kind::kAdded,
       "policies/reports",
       {"+name: reports", "+workloads:", "+  - audit", "+destinations:", "+  - orders"}},
  };
  EXPECT_EQ(changes, expected);

  EXPECT_EQ(FormatConfigDiff(changes),
            "- destinations/payments\n"
            "  -name: payments\n"
            "  -kind: signet-jwt\n"
            "  -audience: https://payments.internal\n"
            "~ policies/billing-orders\n"
            "   name: billing-orders\n"
            "   workloads:\n"
            "     - billing\n"
            "   destinations: orders\n"
            "  -max_ttl: 15m\n"
            "  +max_ttl: 10m\n"
            "   scopes:\n"
            "     - orders.read\n"
            "- policies/freeze\n"
            "  -name: freeze\n"
            "  -effect: deny\n"
            "  -workloads: \"*\"\n"
            "  -destinations:\n"
            "  -  - payments\n"
            "+ policies/reports\n"
            "  +name: reports\n"
            "  +workloads:\n"
            "  +  - audit\n"
            "  +destinations:\n"
            "  +  - orders\n");
  EXPECT_EQ(SummarizeConfigDiff(changes),
            "-destinations/payments ~policies/billing-orders -policies/freeze +policies/reports");

  // The other way round, everything is reversed.
  std::vector<ConfigChange> back = DiffAccessConfig(after, before);
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(back[0].kind, ConfigChange::Kind::kAdded);
  EXPECT_EQ(back[1].kind, ConfigChange::Kind::kChanged);
  EXPECT_EQ(back[2].kind, ConfigChange::Kind::kAdded);
  EXPECT_EQ(back[3].kind, ConfigChange::Kind::kRemoved);
}

TEST(ConfigDiffTest, FromAndToNothing) {
  std::string canonical = Canonical(kConfig);
  std::vector<ConfigChange> added = DiffAccessConfig("", canonical);
  std::vector<std::string> objects;
  for (const ConfigChange& change : added) {
    EXPECT_EQ(change.kind, ConfigChange::Kind::kAdded);
    objects.push_back(change.object);
  }
  // Section order, then name order (policies too).
  EXPECT_EQ(objects, (std::vector<std::string>{"issuers/github", "issuers/k8s", "workloads/audit",
                                               "workloads/billing", "destinations/orders",
                                               "destinations/payments", "policies/billing-orders",
                                               "policies/freeze"}));
  std::vector<ConfigChange> removed = DiffAccessConfig(canonical, "");
  ASSERT_EQ(removed.size(), objects.size());
  for (const ConfigChange& change : removed) {
    EXPECT_EQ(change.kind, ConfigChange::Kind::kRemoved);
    for (const std::string& line : change.lines) {
      EXPECT_EQ(line[0], '-') << line;
    }
  }
}

TEST(ConfigDiffTest, AChangeInPolicyOrderIsAChange) {
  std::string before = Canonical(kConfig);
  std::string after =
      Canonical({{"b.yaml", R"(policies:
  - {name: freeze, effect: deny, workloads: "*", destinations: [payments]}
  - {name: billing-orders, workloads: [billing], destinations: orders, max_ttl: 15m, scopes: [orders.read]}
)"},
                 {"a.yaml", std::string(kConfig.substr(0, kConfig.find("policies:")))}});
  std::vector<ConfigChange> changes = DiffAccessConfig(before, after);
  std::vector<ConfigChange> expected = {{ConfigChange::Kind::kChanged,
                                         "policies",
                                         {"-billing-orders", " freeze", "+billing-orders"}}};
  EXPECT_EQ(changes, expected);
  EXPECT_EQ(SummarizeConfigDiff(changes), "~policies");
}

TEST(ConfigDiffTest, SummaryNamesObjectsNeverValues) {
  std::string before = Canonical(kConfig);
  std::string after = Canonical(With(
      With(kConfig, "audience: https://orders.internal\n", "audience: https://secret.example\n"),
      "repository: acme/audit", "repository: acme/hidden"));
  std::vector<ConfigChange> changes = DiffAccessConfig(before, after);
  std::string summary = SummarizeConfigDiff(changes);
  EXPECT_EQ(summary, "~workloads/audit ~destinations/orders");
  for (std::string_view value : {"secret", "orders.internal", "acme", "hidden", "audience"}) {
    EXPECT_EQ(summary.find(value), std::string::npos) << value;
  }
  // The full diff does show them, for the person applying.
  EXPECT_NE(FormatConfigDiff(changes).find("+audience: https://secret.example"), std::string::npos);
}

TEST(ConfigDiffTest, TextsThatAreNotAccessSectionsAreComparedWhole) {
  std::vector<ConfigChange> changes = DiffAccessConfig("a: [\n", "issuers: []\n");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].object, "config");
  EXPECT_EQ(changes[0].lines, (std::vector<std::string>{"-a: [", "+issuers: []"}));
  EXPECT_TRUE(DiffAccessConfig("a: [\n", "a: [\n").empty());
}

}  // namespace
}  // namespace signet::server
