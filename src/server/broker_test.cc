#include "server/broker.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace signet::server {
namespace {

using std::chrono::seconds;
using testing::FailsWith;
using testing::FailsWithCode;
using testing::IsOk;

// Fetches nothing: the issuer's keys are inline, and a fetch would be a bug.
class NoFetcher final : public trust::Fetcher {
 public:
  Result<std::string> Get(const std::string& url) override {
    ADD_FAILURE() << "unexpected fetch of " << url;
    return Status(ErrorCode::kTemporarilyUnavailable, "fetch_failed", "no network here");
  }
};

class BrokerTest : public ::testing::Test {
 protected:
  BrokerTest()
      : idp_key_(jose::SigningKey::GenerateForTesting(jose::Algorithm::kES256, "idp").value()) {
    std::string yaml = R"(server:
  issuer: https://signet.test
  trust_domain: test.signet
issuers:
  - name: idp
    issuer: https://idp.test
    audiences: [signet]
    algorithms: [ES256]
    jwks: ')" + jose::Jwks({idp_key_.public_jwk()}).ToJson() +
                       R"('
  - {name: node-agents, kind: agent, agents: ["node-*"]}
  - {name: edge-agents, kind: agent, agents: [node-b]}
workloads:
  - name: billing
    identities:
      - issuer: idp
        claims: {sub: billing-sa}
  - name: bot
    identities:
      - issuer: node-agents
        claims: {uid: "1000", sha256: abc}
  - name: edge-bot
    identities:
      - issuer: edge-agents
        claims: {uid: "1000"}
destinations:
  - {name: orders, kind: signet-jwt, audience: https://orders.test, url: https://orders.test/api}
  - {name: payments, kind: signet-jwt, audience: https://payments.test}
  - {name: vault, kind: signet-jwt, audience: https://vault.test}
policies:
  - {name: billing-orders, workloads: [billing], destinations: [orders], max_ttl: 15m,
     scopes: [orders.read, orders.write]}
  - {name: everyone-vault, workloads: "*", destinations: [vault]}
  - {name: bots-orders, workloads: [bot, edge-bot], destinations: [orders], max_ttl: 15m}
  - {name: no-vault-for-billing, effect: deny, workloads: [billing], destinations: [vault]}
)";
    auto config = ParseConfig(yaml);
    EXPECT_THAT(config, IsOk());
    auto signet_key = jose::SigningKey::Generate(jose::Algorithm::kES256, "signet").value();
    credentials::ProviderContext context{
        "https://signet.test",
        "test.signet",
        credentials::FixedSigningKey(std::make_shared<const jose::SigningKey>(signet_key)),
        &clock_,
        &random_,
        nullptr,
        nullptr};
    auto broker = Broker::Create(config->access, fetcher_, context, kill_switch_, nullptr);
    EXPECT_THAT(broker, IsOk());
    broker_ = std::move(broker).value();
  }

  // A subject token for `sub` that expires `life` from now.
  std::string Token(const std::string& sub, seconds life = seconds(3600)) {
    int64_t now = ToUnixSecondsFloor(clock_.Now());
    boost::json::object claims{{"iss", "https://idp.test"},
                               {"sub", sub},
                               {"aud", "signet"},
                               {"iat", now},
                               {"exp", now + life.count()}};
    return jose::SignJwt(idp_key_, claims).value();
  }

  ExchangeRequest Request(const std::string& token, std::vector<std::string> audiences) {
    ExchangeRequest request;
    request.subject_token = token;
    request.subject_token_type = std::string(kJwtTokenTypeUri);
    request.audiences = std::move(audiences);
    return request;
  }

  // What agent `agent` attests of a process, for `destination`; its agent token expires in
  // `agent_life`.
  AttestedRequest Attested(std::string agent, std::string sha256, std::string destination,
                           seconds agent_life = seconds(3600)) {
    return AttestedRequest{std::move(agent),
                           clock_.Now() + agent_life,
                           {{"uid", "1000"},
                            {"gid", "1000"},
                            {"exe", "/usr/bin/node"},
                            {"sha256", std::move(sha256)},
                            {"container_id", ""},
                            {"pod_uid", ""}},
                           std::move(destination),
                           std::nullopt,
                           std::nullopt};
  }

  SimulatedClock clock_;
  SeededRandom random_{3};
  policy::KillSwitch kill_switch_;
  NoFetcher fetcher_;
  jose::SigningKey idp_key_;
  std::unique_ptr<Broker> broker_;
};

TEST_F(BrokerTest, IssuesForAnAllowedDestinationAndRecordsWhy) {
  audit::Event event;
  auto credential = broker_->Exchange(Request(Token("billing-sa"), {"orders"}), &event);
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->scopes, (std::vector<std::string>{"orders.read", "orders.write"}));
  EXPECT_EQ(credential->expires_at, clock_.Now() + seconds(900));  // the policy's cap
  EXPECT_EQ(event.decision, "allow");
  EXPECT_EQ(event.upstream_issuer, "https://idp.test");
  EXPECT_EQ(event.upstream_subject, "billing-sa");
  EXPECT_EQ(event.workload, "billing");
  EXPECT_EQ(event.destination, "orders");
  EXPECT_EQ(event.policy, "billing-orders");
  EXPECT_EQ(event.jti, credential->jti);
  EXPECT_EQ(event.expires_at, credential->expires_at);
}

// A suspended workload is refused whatever the policies say, with access_denied; the
// next exchange after a resume is allowed again.
// Authorize decides without calling the provider; Issue then issues for what it decided.
TEST_F(BrokerTest, AuthorizeDecidesAndIssueIssues) {
  audit::Event event;
  auto authorized = broker_->Authorize(Request(Token("billing-sa"), {"orders"}), &event);
  ASSERT_THAT(authorized, IsOk());
  EXPECT_EQ(event.policy, "billing-orders");
  EXPECT_EQ(event.decision, "");  // not decided until issued
  EXPECT_EQ(authorized->issue.decided_at, clock_.Now());
  EXPECT_EQ(authorized->issue.lifetime, seconds(900));
  EXPECT_FALSE(authorized->provider->CallsOut());
  auto credential = Broker::Issue(*authorized, &event);
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(event.decision, "allow");
  EXPECT_EQ(event.jti, credential->jti);

  audit::Event refused;
  EXPECT_THAT(broker_->Authorize(Request(Token("billing-sa"), {"vault"}), &refused),
              FailsWith("policy_denied"));
}

// A signet-jwt token is accepted wherever its audience is: no other destination may share it.
TEST(BrokerConfigTest, SignetJwtAudienceIsItsOwn) {
  const std::string head = "server:\n  issuer: https://signet.test\ndestinations:\n";
  SimulatedClock clock;
  SeededRandom random{1};
  policy::KillSwitch kill_switch;
  NoFetcher fetcher;
  credentials::ProviderContext context{
      "https://signet.test",
      "test.signet",
      credentials::FixedSigningKey(std::make_shared<const jose::SigningKey>(
          jose::SigningKey::GenerateForTesting(jose::Algorithm::kES256, "k").value())),
      &clock,
      &random,
      [](const http::ClientOptions&) { return std::unique_ptr<http::HttpClient>(); },
      nullptr};
  auto build = [&](const std::string& destinations) {
    auto config = ParseConfig(head + destinations);
    EXPECT_THAT(config, IsOk());
    return Broker::Create(config->access, fetcher, context, kill_switch, nullptr);
  };
  EXPECT_THAT(build("  - {name: a, kind: signet-jwt, audience: https://x.test}\n"
                    "  - {name: b, kind: signet-jwt, audience: https://x.test}\n"),
              FailsWith("config_invalid"));
  auto claude = build(
      "  - {name: a, kind: signet-jwt, audience: https://api.anthropic.com}\n"
      "  - {name: claude, kind: anthropic-wif, organization_id: o, federation_rule_id: f,\n"
      "     service_account_id: s}\n");
  ASSERT_THAT(claude, FailsWith("config_invalid"));
  EXPECT_NE(claude.status().message().find("same audience https://api.anthropic.com"),
            std::string::npos)
      << claude.status().message();
  // A gcp-sts destination's audience derives from its pool provider.
  EXPECT_THAT(build("  - {name: a, kind: signet-jwt, audience: \"https://iam.googleapis.com/"
                    "projects/1/locations/global/workloadIdentityPools/pool/providers/prov\"}\n"
                    "  - {name: gcp, kind: gcp-sts, project_number: \"1\", pool_id: pool,\n"
                    "     provider_id: prov}\n"),
              FailsWith("config_invalid"));
  // Two Anthropic destinations (two organizations, say) may share theirs: Signet hands
  // neither assertion to a workload.
  EXPECT_THAT(build("  - {name: c1, kind: anthropic-wif, organization_id: o, "
                    "federation_rule_id: f, service_account_id: s}\n"
                    "  - {name: c2, kind: anthropic-wif, organization_id: o2, "
                    "federation_rule_id: f, service_account_id: s}\n"),
              IsOk());
}

TEST_F(BrokerTest, SuspendedWorkloadIsRefusedUntilResumed) {
  kill_switch_.Suspend("billing", {"incident 42", "tok-1", clock_.Now()});
  audit::Event event;
  auto refused = broker_->Exchange(Request(Token("billing-sa"), {"orders"}), &event);
  EXPECT_THAT(refused, FailsWithCode(ErrorCode::kAccessDenied, "workload_suspended"));
  EXPECT_EQ(event.decision, "deny");
  EXPECT_EQ(event.workload, "billing");
  EXPECT_EQ(refused.status().message().find("incident"), std::string::npos)
      << "the reason is for the audit trail, not the workload";
  kill_switch_.Resume("billing");
  audit::Event after;
  EXPECT_THAT(broker_->Exchange(Request(Token("billing-sa"), {"orders"}), &after), IsOk());
}

TEST_F(BrokerTest, LifetimeIsTheShortestOfRequestPolicyAndUpstreamToken) {
  audit::Event event;
  auto upstream_bound =
      broker_->Exchange(Request(Token("billing-sa", seconds(120)), {"orders"}), &event);
  ASSERT_THAT(upstream_bound, IsOk());
  EXPECT_EQ(upstream_bound->expires_at, clock_.Now() + seconds(120));

  ExchangeRequest asked = Request(Token("billing-sa"), {"orders"});
  asked.requested_lifetime = seconds(60);
  auto requested = broker_->Exchange(asked, &event);
  ASSERT_THAT(requested, IsOk());
  EXPECT_EQ(requested->expires_at, clock_.Now() + seconds(60));

  asked.requested_lifetime = seconds(7200);  // more than the policy allows: capped
  auto capped = broker_->Exchange(asked, &event);
  ASSERT_THAT(capped, IsOk());
  EXPECT_EQ(capped->expires_at, clock_.Now() + seconds(900));
}

TEST_F(BrokerTest, ScopesAndTargets) {
  audit::Event event;
  ExchangeRequest request = Request(Token("billing-sa"), {});
  request.resources = {"https://orders.test/api"};
  request.scope = "orders.read";
  auto by_url = broker_->Exchange(request, &event);
  ASSERT_THAT(by_url, IsOk());
  EXPECT_EQ(by_url->scopes, std::vector<std::string>{"orders.read"});

  request.scope = "orders.read  orders.write";  // two spaces: malformed
  EXPECT_THAT(broker_->Exchange(request, &event), FailsWith("scope_malformed"));
  request.scope = "orders.delete";
  EXPECT_THAT(broker_->Exchange(request, &event), FailsWith("scope_not_allowed"));

  request.scope.reset();
  request.audiences = {"payments"};
  EXPECT_THAT(broker_->Exchange(request, &event), FailsWith("target_conflict"));
  request.resources.clear();
  request.audiences = {"orders", "payments"};
  EXPECT_THAT(broker_->Exchange(request, &event), FailsWith("target_multiple"));
  request.audiences.clear();
  EXPECT_THAT(broker_->Exchange(request, &event), FailsWith("target_missing"));
}

TEST_F(BrokerTest, DenialsNameTheirReasonInTheEvent) {
  audit::Event denied;
  auto result = broker_->Exchange(Request(Token("billing-sa"), {"vault"}), &denied);
  ASSERT_THAT(result, FailsWith("policy_denied"));
  EXPECT_EQ(result.status().code(), ErrorCode::kInvalidTarget);
  EXPECT_EQ(denied.decision, "deny");
  EXPECT_EQ(denied.error, "invalid_target");
  EXPECT_EQ(denied.reason, "policy_denied");
  EXPECT_NE(denied.detail.find("no-vault-for-billing"), std::string::npos);
  EXPECT_EQ(denied.workload, "billing");
  EXPECT_TRUE(denied.jti.empty());

  audit::Event unknown;
  EXPECT_THAT(broker_->Exchange(Request(Token("stranger"), {"orders"}), &unknown),
              FailsWith("no_workload_match"));
  EXPECT_EQ(unknown.upstream_subject, "stranger");  // verified, just not a workload
  EXPECT_TRUE(unknown.workload.empty());

  audit::Event nowhere;
  EXPECT_THAT(broker_->Exchange(Request(Token("billing-sa"), {"nowhere"}), &nowhere),
              FailsWith("destination_unknown"));
  EXPECT_THAT(broker_->Exchange(Request(Token("billing-sa"), {"payments"}), &nowhere),
              FailsWith("no_policy"));
}

TEST_F(BrokerTest, IdentityIsCheckedBeforeTheDestination) {
  // An unauthenticated caller learns nothing about which destinations exist.
  audit::Event event;
  auto forged = broker_->Exchange(Request("not.a.token", {"nowhere"}), &event);
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.status().code(), ErrorCode::kInvalidRequest);
  EXPECT_NE(forged.status().reason(), "destination_unknown");

  clock_.Advance(seconds(3600 + 31));  // past exp and the 30 s leeway
  std::string expired = Token("billing-sa", seconds(-40));
  EXPECT_THAT(broker_->Exchange(Request(expired, {"nowhere"}), &event), FailsWith("expired"));
}

TEST_F(BrokerTest, RequestShapeIsCheckedFirst) {
  audit::Event event;
  ExchangeRequest request = Request(Token("billing-sa"), {"orders"});
  request.subject_token_type = "urn:ietf:params:oauth:token-type:saml2";
  EXPECT_THAT(broker_->Exchange(request, &event), FailsWith("subject_token_type_unsupported"));
  request.subject_token_type = std::string(kIdTokenTypeUri);
  EXPECT_THAT(broker_->Exchange(request, &event), IsOk());
  request.subject_token.clear();
  EXPECT_THAT(broker_->Exchange(request, &event), FailsWith("subject_token_missing"));
}

// The agent vouches; the rules of the agent issuers trusting it decide which workload the
// process is; then policy and issuance go as for a token, with the agent token's expiry
// as the identity's.
TEST_F(BrokerTest, AttestedProcessGetsItsWorkloadsCredential) {
  audit::Event event;
  auto authorized =
      broker_->AuthorizeAttested(Attested("node-a", "abc", "orders", seconds(600)), &event);
  ASSERT_THAT(authorized, IsOk());
  EXPECT_EQ(event.workload, "bot");
  EXPECT_EQ(event.destination, "orders");
  EXPECT_EQ(event.policy, "bots-orders");
  EXPECT_EQ(event.upstream_issuer, "node-agents");
  EXPECT_EQ(event.upstream_subject, "agent:node-a uid=1000 gid=1000 exe=/usr/bin/node sha256=abc");
  EXPECT_EQ(authorized->destination_url, "https://orders.test/api");
  EXPECT_EQ(authorized->issue.lifetime, seconds(600));  // the agent token's, under 15m
  EXPECT_EQ(authorized->issue.upstream_issuer, "node-agents");
  auto credential = Broker::Issue(*authorized, &event);
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(event.decision, "allow");
}

TEST_F(BrokerTest, AttestedProcessThatNoRuleMatchesIsRefusedWithItsSelectors) {
  audit::Event event;
  AttestedRequest request = Attested("node-a", "def", "orders");
  request.selectors["container_id"] = "c0ffee";
  auto refused = broker_->AuthorizeAttested(request, &event);
  ASSERT_THAT(refused, FailsWithCode(ErrorCode::kInvalidRequest, "no_workload_match"));
  EXPECT_EQ(event.upstream_issuer, "node-agents");
  EXPECT_EQ(event.upstream_subject,
            "agent:node-a uid=1000 gid=1000 exe=/usr/bin/node sha256=def container_id=c0ffee");
  EXPECT_TRUE(event.workload.empty());
  EXPECT_TRUE(event.destination.empty());  // nothing learnt about destinations
}

TEST_F(BrokerTest, AgentNoIssuerTrustsOrThatIsSuspendedVouchesForNobody) {
  audit::Event untrusted;
  EXPECT_THAT(broker_->AuthorizeAttested(Attested("laptop-1", "abc", "orders"), &untrusted),
              FailsWithCode(ErrorCode::kAccessDenied, "agent_not_trusted"));
  EXPECT_EQ(untrusted.upstream_subject,
            "agent:laptop-1 uid=1000 gid=1000 exe=/usr/bin/node sha256=abc");
  EXPECT_TRUE(untrusted.workload.empty());

  kill_switch_.Suspend("node-a", {"stolen laptop", "tok-1", clock_.Now()});
  audit::Event suspended;
  EXPECT_THAT(broker_->AuthorizeAttested(Attested("node-a", "abc", "orders"), &suspended),
              FailsWithCode(ErrorCode::kAccessDenied, "agent_suspended"));
  kill_switch_.Resume("node-a");
  // The workload's own suspension holds as for a token.
  kill_switch_.Suspend("bot", {"r", "tok-1", clock_.Now()});
  audit::Event bot;
  EXPECT_THAT(broker_->AuthorizeAttested(Attested("node-a", "abc", "orders"), &bot),
              FailsWith("workload_suspended"));
  EXPECT_EQ(bot.workload, "bot");
}

// node-b is trusted by two agent issuers: one workload through either is that workload,
// two different ones are refused rather than chosen between.
TEST_F(BrokerTest, TwoAgentIssuersGivingTwoWorkloadsAreAmbiguous) {
  audit::Event both;
  EXPECT_THAT(broker_->AuthorizeAttested(Attested("node-b", "abc", "orders"), &both),
              FailsWith("ambiguous_identity"));
  audit::Event edge;
  ASSERT_THAT(broker_->AuthorizeAttested(Attested("node-b", "def", "orders"), &edge), IsOk());
  EXPECT_EQ(edge.workload, "edge-bot");
  EXPECT_EQ(edge.upstream_issuer, "edge-agents");
  audit::Event nothing;
  AttestedRequest root = Attested("node-b", "def", "orders");
  root.selectors["uid"] = "0";
  EXPECT_THAT(broker_->AuthorizeAttested(root, &nothing), FailsWith("no_workload_match"));
  EXPECT_EQ(nothing.upstream_issuer, "node-agents,edge-agents");
}

TEST_F(BrokerTest, AttestedRequestsMeetPolicyAndTargetsAsTokensDo) {
  audit::Event event;
  EXPECT_THAT(broker_->AuthorizeAttested(Attested("node-a", "abc", "payments"), &event),
              FailsWith("no_policy"));
  EXPECT_THAT(broker_->AuthorizeAttested(Attested("node-a", "abc", "nowhere"), &event),
              FailsWith("destination_unknown"));
  AttestedRequest asked = Attested("node-a", "abc", "orders");
  asked.requested_lifetime = seconds(60);
  auto short_lived = broker_->AuthorizeAttested(asked, &event);
  ASSERT_THAT(short_lived, IsOk());
  EXPECT_EQ(short_lived->issue.lifetime, seconds(60));
}

// An agent joining with its platform's token takes the name of the workload it resolves to.
TEST_F(BrokerTest, IdentifySubjectResolvesATokenToItsWorkload) {
  audit::Event event;
  auto workload = broker_->IdentifySubject(Token("billing-sa"), kJwtTokenTypeUri, &event);
  ASSERT_THAT(workload, IsOk());
  EXPECT_EQ(*workload, "billing");
  EXPECT_EQ(event.upstream_issuer, "https://idp.test");
  EXPECT_EQ(event.upstream_subject, "billing-sa");
  audit::Event stranger;
  EXPECT_THAT(broker_->IdentifySubject(Token("stranger"), kJwtTokenTypeUri, &stranger),
              FailsWith("no_workload_match"));
  EXPECT_THAT(broker_->IdentifySubject("", kJwtTokenTypeUri, &stranger),
              FailsWith("subject_token_missing"));
  EXPECT_THAT(broker_->IdentifySubject(Token("billing-sa"), "urn:x", &stranger),
              FailsWith("subject_token_type_unsupported"));
}

TEST(ParseScopeTest, Rfc6749Syntax) {
  EXPECT_EQ(*ParseScope("a b:c d/e"), (std::vector<std::string>{"a", "b:c", "d/e"}));
  EXPECT_EQ(*ParseScope("a a"), std::vector<std::string>{"a"});
  EXPECT_THAT(ParseScope(""), FailsWith("scope_malformed"));
  EXPECT_THAT(ParseScope(" a"), FailsWith("scope_malformed"));
  EXPECT_THAT(ParseScope("a\"b"), FailsWith("scope_malformed"));
  EXPECT_THAT(ParseScope("a\\b"), FailsWith("scope_malformed"));
}

}  // namespace
}  // namespace signet::server
