// signet-agent's side of signetd, end to end over HTTP: agents join with a one-time join
// token or with their platform's OIDC token, renew, ask for credentials for local
// processes they attested, report what their proxy forwarded, and follow suspensions.
// Real processes: `signet dev idp`, `signetd`, curl, and the `signet` CLI to create
// join tokens, suspend, and read and verify the audit trail.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "common/json.h"
#include "jose/jwk.h"
#include "jose/jwt.h"
#include "support/destination_harness.h"
#include "support/status_matchers.h"

namespace signet {
namespace {

using testing::IsOk;

// SHA-256 of the bot's executable as an agent would report it.
constexpr std::string_view kBotHash =
    "3f2a8e4b9c1d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";
constexpr char kIssuer[] = "http://127.0.0.1:1";

class AgentsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    // node-k8s is an agent that joins with its platform's token: a workload of the dev
    // IdP; claude-bot is a process the agents of node-agents vouch for.
    signet_ =
        testing::DestinationHarness::Start(SIGNET_PATH, SIGNETD_PATH, dir_->path(), {"node-k8s"},
                                           "destinations:\n"
                                           "  - name: orders-api\n"
                                           "    kind: signet-jwt\n"
                                           "    audience: https://orders.test\n"
                                           "    url: https://orders.test/api\n"
                                           "  - name: payments-api\n"
                                           "    kind: signet-jwt\n"
                                           "    audience: https://payments.test\n"
                                           "policies:\n"
                                           "  - name: bot-orders\n"
                                           "    workloads: [claude-bot]\n"
                                           "    destinations: [orders-api]\n"
                                           "    max_ttl: 10m\n",
                                           "  - name: node-agents\n"
                                           "    kind: agent\n"
                                           "    agents: [\"node-*\"]\n",
                                           "  - name: claude-bot\n"
                                           "    identities:\n"
                                           "      - issuer: node-agents\n"
                                           "        claims:\n"
                                           "          uid: '1000'\n"
                                           "          exe: /usr/bin/node\n"
                                           "          sha256: " +
                                               std::string(kBotHash) + "\n")
            .release();
    ASSERT_NE(signet_, nullptr);
  }

  static void TearDownTestSuite() {
    delete signet_;
    delete dir_;
  }

  struct Answer {
    int status = 0;
    std::map<std::string, std::string> headers;
    boost::json::object body;
  };

  // curl against signetd: `body` (when not empty) is sent as JSON, byte for byte.
  static Answer Call(const std::string& method, const std::string& path, const std::string& body,
                     const std::string& bearer = "") {
    std::string args = "-X " + method;
    if (!bearer.empty()) {
      args += " -H 'Authorization: Bearer " + bearer + "'";
    }
    if (!body.empty()) {
      std::string file = dir_->path() + "/body-" + std::to_string(++bodies_) + ".json";
      std::ofstream(file) << body;
      args += " -H 'Content-Type: application/json' --data-binary @" + file;
    }
    testing::HttpAnswer http = testing::Curl(args + " '" + signet_->base_url() + path + "'");
    Answer answer{http.status, http.headers, {}};
    auto parsed = ParseJsonObject(http.body);
    EXPECT_THAT(parsed, IsOk()) << method << " " << path << ": " << http.body;
    if (parsed.ok()) {
      answer.body = *parsed;
    }
    EXPECT_EQ(answer.headers["cache-control"], "no-store") << path;
    EXPECT_FALSE(answer.headers["x-request-id"].empty()) << path;
    return answer;
  }

  static std::string Text(const boost::json::object& object, std::string_view key) {
    const boost::json::value* value = object.if_contains(key);
    return value != nullptr && value->is_string() ? std::string(value->get_string()) : "";
  }

  // `jwt` verified against signetd's published keys as a token of type `typ` for
  // `audience`.
  static Result<jose::VerifiedJwt> Verified(const std::string& jwt, const std::string& typ,
                                            const std::string& audience) {
    auto jwks =
        jose::Jwks::Parse(testing::Curl(signet_->base_url() + "/.well-known/jwks.json").body);
    EXPECT_THAT(jwks, IsOk());
    auto validator = jose::JwtValidator::Builder()
                         .ExpectIssuer(kIssuer)
                         .ExpectAudience(audience)
                         .AllowAlgorithms({jose::Algorithm::kES256})
                         .ExpectType(typ)
                         .Build();
    EXPECT_THAT(validator, IsOk());
    if (!jwks.ok() || !validator.ok()) {
      return Status(ErrorCode::kServerError, "test_setup", "no JWKS or validator");
    }
    return jose::JwtVerifier(*validator).Verify(jwt, *jwks, Clock::Real().Now());
  }

  // `signet agent join-token create --agent NAME`: the token it prints (last, on stdout).
  static std::string JoinToken(const std::string& agent) {
    int code = -1;
    std::string out =
        signet_->Signet("agent join-token create --agent " + agent + " --ttl 10m", &code);
    EXPECT_EQ(code, 0) << out;
    while (!out.empty() && out.back() == '\n') {
      out.pop_back();
    }
    std::string token = out.substr(out.rfind('\n') + 1);
    EXPECT_TRUE(token.starts_with("sjt_")) << out;
    return token;
  }

  static Answer Join(const std::string& member, const std::string& token) {
    return Call("POST", "/v1/agents/join",
                boost::json::serialize(boost::json::object{{member, token}}));
  }

  // Joins with a fresh join token for `agent`: the agent token.
  static std::string JoinAs(const std::string& agent) {
    Answer joined = Join("join_token", JoinToken(agent));
    EXPECT_EQ(joined.status, 200) << boost::json::serialize(joined.body);
    return Text(joined.body, "agent_token");
  }

  static Answer CredentialFor(const std::string& agent_token, const std::string& destination,
                              std::string_view uid = "1000", std::string_view sha256 = kBotHash) {
    boost::json::object selectors{
        {"uid", uid},       {"gid", "1000"},      {"exe", "/usr/bin/node"},
        {"sha256", sha256}, {"container_id", ""}, {"pod_uid", ""}};
    return Call("POST", "/v1/agents/credentials",
                boost::json::serialize(
                    boost::json::object{{"destination", destination}, {"selectors", selectors}}),
                agent_token);
  }

  // The audit records of the request answered with `answer`.
  static std::vector<boost::json::object> AuditRecordsOf(const Answer& answer) {
    std::string request_id = answer.headers.at("x-request-id");
    std::vector<boost::json::object> found;
    for (boost::json::object& record : signet_->AuditTrail()) {
      if (Text(record, "request_id") == request_id) {
        found.push_back(std::move(record));
      }
    }
    return found;
  }

  // The one audit record of the request answered with `answer`.
  static boost::json::object AuditRecordOf(const Answer& answer) {
    std::vector<boost::json::object> found = AuditRecordsOf(answer);
    EXPECT_EQ(found.size(), 1u) << "records of request " << answer.headers.at("x-request-id");
    return found.empty() ? boost::json::object() : found.front();
  }

  static void Suspend(const std::string& name, bool suspend) {
    int code = -1;
    std::string out = signet_->Signet(
        std::string(suspend ? "suspend" : "resume") + " workload " + name + " --reason agents-test",
        &code);
    ASSERT_EQ(code, 0) << out;
  }

  static testing::TempDir* dir_;
  static testing::DestinationHarness* signet_;
  static int bodies_;
};

testing::TempDir* AgentsTest::dir_ = nullptr;
testing::DestinationHarness* AgentsTest::signet_ = nullptr;
int AgentsTest::bodies_ = 0;

TEST_F(AgentsTest, AJoinTokenJoinsOnceAndTheAgentTokenRenews) {
  std::string token = JoinToken("node-a");
  Answer joined = Join("join_token", token);
  ASSERT_EQ(joined.status, 200) << boost::json::serialize(joined.body);
  EXPECT_EQ(Text(joined.body, "agent"), "node-a");
  EXPECT_GT(joined.body.at("expires_in").as_int64(), 3500);
  EXPECT_LE(joined.body.at("expires_in").as_int64(), 3600);
  std::string agent_token = Text(joined.body, "agent_token");
  boost::json::object join_record = AuditRecordOf(joined);
  EXPECT_EQ(Text(join_record, "action"), "agent_join");
  EXPECT_EQ(Text(join_record, "decision"), "allow");
  EXPECT_EQ(Text(join_record, "target"), "node-a");
  EXPECT_EQ(boost::json::serialize(join_record).find(token), std::string::npos)
      << "the join token itself is never in the audit trail";

  // Signet's published keys verify it.
  auto verified = Verified(agent_token, "signet-agent+jwt", std::string(kIssuer) + "/v1/agents");
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->subject(), "node-a");

  Answer again = Join("join_token", token);
  EXPECT_EQ(again.status, 401);
  EXPECT_EQ(Text(again.body, "error"), "invalid_client");
  EXPECT_EQ(Text(AuditRecordOf(again), "reason"), "join_token_used");

  Answer renewed = Call("POST", "/v1/agents/renew", "", agent_token);
  ASSERT_EQ(renewed.status, 200) << boost::json::serialize(renewed.body);
  EXPECT_EQ(Text(renewed.body, "agent"), "node-a");
  EXPECT_NE(Text(renewed.body, "agent_token"), agent_token);
  EXPECT_EQ(Text(AuditRecordOf(renewed), "action"), "agent_renew");

  Answer forged = Call("POST", "/v1/agents/renew", "", agent_token + "x");
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(Text(forged.body, "error"), "invalid_token");
  EXPECT_NE(forged.headers["www-authenticate"].find("Bearer"), std::string::npos);
}

TEST_F(AgentsTest, AnAgentJoinsWithItsPlatformsTokenUnderItsWorkloadsName) {
  Answer joined = Join("subject_token", signet_->SubjectToken("node-k8s"));
  ASSERT_EQ(joined.status, 200) << boost::json::serialize(joined.body);
  EXPECT_EQ(Text(joined.body, "agent"), "node-k8s");
  boost::json::object record = AuditRecordOf(joined);
  EXPECT_EQ(Text(record, "upstream_subject"), "system:serviceaccount:apps:node-k8s");
  EXPECT_TRUE(Text(record, "upstream_issuer").starts_with("http://127.0.0.1:"));
  EXPECT_EQ(Text(record, "target"), "node-k8s");

  Answer refused = Join("subject_token", signet_->SubjectToken("stranger"));
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(Text(AuditRecordOf(refused), "reason"), "no_workload_match");
}

// The process's selectors match claude-bot's rule: the credential is claude-bot's, as
// /v1/credentials answers it, with the workload and the destination's url.
TEST_F(AgentsTest, AnAttestedProcessGetsItsWorkloadsCredential) {
  std::string agent_token = JoinAs("node-a");
  Answer answer = CredentialFor(agent_token, "orders-api");
  ASSERT_EQ(answer.status, 200) << boost::json::serialize(answer.body);
  EXPECT_EQ(Text(answer.body, "workload"), "claude-bot");
  EXPECT_EQ(Text(answer.body, "destination"), "orders-api");
  EXPECT_EQ(Text(answer.body, "url"), "https://orders.test/api");
  EXPECT_EQ(Text(answer.body, "type"), "token");
  EXPECT_GT(answer.body.at("expires_in").as_int64(), 540);  // the policy's 10 minutes
  EXPECT_LE(answer.body.at("expires_in").as_int64(), 600);
  std::string token = Text(answer.body, "token");
  EXPECT_EQ(Text(answer.body.at("headers").as_object(), "Authorization"), "Bearer " + token);

  auto jwt = Verified(token, "at+jwt", "https://orders.test");
  ASSERT_THAT(jwt, IsOk());
  EXPECT_EQ(jwt->subject(), "spiffe://test.signet/workload/claude-bot");
  EXPECT_EQ(jwt->audiences(), std::vector<std::string>{"https://orders.test"});

  boost::json::object record = AuditRecordOf(answer);
  EXPECT_EQ(Text(record, "action"), "token_exchange");
  EXPECT_EQ(Text(record, "decision"), "allow");
  EXPECT_EQ(Text(record, "workload"), "claude-bot");
  EXPECT_EQ(Text(record, "upstream_issuer"), "node-agents");
  EXPECT_EQ(Text(record, "upstream_subject"),
            "agent:node-a uid=1000 gid=1000 exe=/usr/bin/node sha256=" + std::string(kBotHash));
  EXPECT_EQ(Text(record, "jti"), jwt->jwt_id().value_or(""));

  // A policy still decides: claude-bot may not reach payments-api.
  Answer denied = CredentialFor(agent_token, "payments-api");
  EXPECT_EQ(denied.status, 400);
  EXPECT_EQ(Text(AuditRecordOf(denied), "reason"), "no_policy");
}

// Another binary, or the right binary run by another user, is no workload: refused, and
// the audit trail says which process it was.
TEST_F(AgentsTest, AProcessWhoseHashOrUidDoesNotMatchIsRefusedAndAudited) {
  std::string agent_token = JoinAs("node-b");
  const std::string other_hash(64, 'a');
  for (auto [uid, sha256] : {std::pair<std::string_view, std::string_view>{"1000", other_hash},
                             std::pair<std::string_view, std::string_view>{"0", kBotHash}}) {
    Answer refused = CredentialFor(agent_token, "orders-api", uid, sha256);
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(Text(refused.body, "error"), "invalid_request");
    boost::json::object record = AuditRecordOf(refused);
    EXPECT_EQ(Text(record, "decision"), "deny");
    EXPECT_EQ(Text(record, "reason"), "no_workload_match");
    EXPECT_EQ(Text(record, "upstream_issuer"), "node-agents");
    EXPECT_EQ(Text(record, "upstream_subject"),
              "agent:node-b uid=" + std::string(uid) +
                  " gid=1000 exe=/usr/bin/node sha256=" + std::string(sha256));
    EXPECT_EQ(Text(record, "workload"), "");
  }
}

// The agent says what it saw of the process, not who vouches: `agent` is its token's.
TEST_F(AgentsTest, MalformedCredentialRequestsAreRefusedWithWhatToFix) {
  std::string agent_token = JoinAs("node-m");
  for (
      const char* body :
      {R"({"destination":"orders-api"})",
       R"({"destination":"orders-api","selectors":{"uid":"1000","gid":"1000","exe":"/x","sha256":""}})",
       R"({"destination":"orders-api","selectors":{"uid":"1000","gid":"1000","exe":"/x","sha256":"a","agent":"node-a"}})",
       R"({"destination":"orders-api","selectors":{"uid":"1000","gid":"1000","exe":"/x","sha256":"a","pid":"7"}})",
       R"({"selectors":{"uid":"1000","gid":"1000","exe":"/x","sha256":"a"}})"}) {
    Answer refused = Call("POST", "/v1/agents/credentials", body, agent_token);
    EXPECT_EQ(refused.status, 400) << body;
    EXPECT_EQ(Text(refused.body, "error"), "invalid_request") << body;
    EXPECT_FALSE(Text(refused.body, "error_description").empty()) << body;
    EXPECT_EQ(Text(AuditRecordOf(refused), "decision"), "deny") << body;
  }
}

TEST_F(AgentsTest, AnAgentNoAgentIssuerTrustsVouchesForNobody) {
  std::string agent_token = JoinAs("laptop-1");  // joining is fine: trust is per issuer
  Answer refused = CredentialFor(agent_token, "orders-api");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(Text(refused.body, "error"), "access_denied");
  EXPECT_EQ(Text(AuditRecordOf(refused), "reason"), "agent_not_trusted");
}

// Suspending an agent's name stops it everywhere; the other agents see the suspensions.
TEST_F(AgentsTest, ASuspendedAgentIsRefusedAndTheSuspendedListFollows) {
  std::string watcher = JoinAs("node-w");
  std::string agent_token = JoinAs("node-s");
  Answer before = Call("GET", "/v1/agents/suspended", "", watcher);
  ASSERT_EQ(before.status, 200) << boost::json::serialize(before.body);
  EXPECT_TRUE(before.body.at("workloads").as_array().empty());

  Suspend("node-s", true);
  Suspend("claude-bot", true);
  Answer listed = Call("GET", "/v1/agents/suspended", "", watcher);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(boost::json::serialize(listed.body.at("workloads")), R"(["claude-bot","node-s"])");
  Answer credential = CredentialFor(agent_token, "orders-api");
  EXPECT_EQ(credential.status, 403);
  EXPECT_EQ(Text(AuditRecordOf(credential), "reason"), "agent_suspended");
  Answer renew = Call("POST", "/v1/agents/renew", "", agent_token);
  EXPECT_EQ(renew.status, 403);
  EXPECT_EQ(Text(AuditRecordOf(renew), "reason"), "agent_suspended");
  EXPECT_EQ(Call("GET", "/v1/agents/suspended", "", agent_token).status, 403);
  // The workload's own suspension, through a running agent.
  EXPECT_EQ(Text(AuditRecordOf(CredentialFor(watcher, "orders-api")), "reason"),
            "workload_suspended");

  Suspend("node-s", false);
  Suspend("claude-bot", false);
  EXPECT_TRUE(
      Call("GET", "/v1/agents/suspended", "", watcher).body.at("workloads").as_array().empty());
  EXPECT_EQ(CredentialFor(agent_token, "orders-api").status, 200);
}

TEST_F(AgentsTest, AnAgentJoiningWithItsPlatformsTokenIsRefusedWhileSuspended) {
  Suspend("node-k8s", true);
  Answer refused = Join("subject_token", signet_->SubjectToken("node-k8s"));
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(Text(AuditRecordOf(refused), "reason"), "agent_suspended");
  Suspend("node-k8s", false);
}

// What the proxy forwarded lands in the audit trail, one record a request, and the chain
// still verifies.
TEST_F(AgentsTest, UsageRecordsLandInTheAuditTrailAndItVerifies) {
  std::string agent_token = JoinAs("node-u");
  boost::json::array records;
  for (int i = 0; i < 3; ++i) {
    records.push_back(boost::json::object{{"time", "2026-01-02T03:04:0" + std::to_string(i) + "Z"},
                                          {"workload", "claude-bot"},
                                          {"destination", "orders-api"},
                                          {"method", "POST"},
                                          {"host", "orders.test"},
                                          {"path", "/api/orders/" + std::to_string(i)},
                                          {"status", 200},
                                          {"bytes_sent", 12},
                                          {"bytes_received", 3400 + i},
                                          {"latency_us", 870}});
  }
  Answer accepted =
      Call("POST", "/v1/agents/usage",
           boost::json::serialize(boost::json::object{{"records", records}}), agent_token);
  ASSERT_EQ(accepted.status, 200) << boost::json::serialize(accepted.body);
  EXPECT_EQ(accepted.body.at("accepted").as_int64(), 3);

  std::vector<boost::json::object> usage = AuditRecordsOf(accepted);
  ASSERT_EQ(usage.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const boost::json::object& record = usage[i];
    EXPECT_EQ(Text(record, "action"), "proxy_request");
    EXPECT_EQ(Text(record, "decision"), "allow");
    EXPECT_EQ(Text(record, "actor"), "agent:node-u");
    EXPECT_EQ(Text(record, "workload"), "claude-bot");
    EXPECT_EQ(Text(record, "destination"), "orders-api");
    EXPECT_EQ(Text(record, "target"), "POST orders.test/api/orders/" + std::to_string(i));
    EXPECT_EQ(Text(record, "detail"),
              "status=200 sent=12 received=" + std::to_string(3400 + i) + " latency_us=870");
    EXPECT_EQ(Text(record, "time"), "2026-01-02T03:04:0" + std::to_string(i) + "Z");
  }

  // A path longer than the trail keeps is cut, not refused.
  boost::json::object long_path = records[0].as_object();
  long_path["path"] = "/" + std::string(3000, 'a');
  Answer cut =
      Call("POST", "/v1/agents/usage",
           boost::json::serialize(boost::json::object{{"records", boost::json::array{long_path}}}),
           agent_token);
  ASSERT_EQ(cut.status, 200) << boost::json::serialize(cut.body);
  EXPECT_EQ(Text(AuditRecordOf(cut), "target"), "POST orders.test/" + std::string(2047, 'a'));

  Answer malformed =
      Call("POST", "/v1/agents/usage", R"({"records":[{"time":"yesterday"}]})", agent_token);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(Call("POST", "/v1/agents/usage", R"({"records":[]})").status, 401);

  int code = -1;
  std::string verify = testing::RunCommand(
      std::string(SIGNET_PATH) + " audit verify --data-dir " + dir_->path() + "/data", &code);
  EXPECT_EQ(code, 0) << verify;
}

// An agent token is good at /v1/agents/* only, and Signet's other tokens are not good there.
TEST_F(AgentsTest, AgentTokensAndAccessTokensDoNotPassForEachOther) {
  std::string agent_token = JoinAs("node-t");
  testing::HttpAnswer exchanged =
      testing::ExchangeToken(signet_->base_url(), agent_token, "-d audience=orders-api");
  EXPECT_EQ(exchanged.status, 400) << exchanged.body;

  Answer credential = CredentialFor(agent_token, "orders-api");
  ASSERT_EQ(credential.status, 200);
  std::string access_token = Text(credential.body, "token");
  Answer as_agent = Call("POST", "/v1/agents/renew", "", access_token);
  EXPECT_EQ(as_agent.status, 401);
  EXPECT_EQ(Text(as_agent.body, "error"), "invalid_token");
  testing::HttpAnswer introspected =
      testing::Curl("-H 'Authorization: Bearer " + signet_->AdminToken() +
                    "' -d token=" + agent_token + " " + signet_->base_url() + "/oauth2/introspect");
  EXPECT_EQ(introspected.status, 200);
  EXPECT_EQ(introspected.body, R"({"active":false})");
}

}  // namespace
}  // namespace signet
