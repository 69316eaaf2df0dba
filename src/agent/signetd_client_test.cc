// The agent's side of its conversation with signetd, against an HttpClient that answers
// as signetd's /v1/agents/* routes do (docs/agent.md). The real conversation is in
// tests/integration/agent_test.cc.
#include "agent/signetd_client.h"

#include <gtest/gtest.h>

#include <fstream>

#include "agent/broker_credentials.h"
#include "agent/usage_uploader.h"
#include "common/json.h"
#include "support/calling_out_test.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet::agent {
namespace {

using std::chrono::seconds;
using testing::FailsWith;
using testing::FailsWithCode;
using testing::FakeHttpClient;
using testing::HeaderOf;
using testing::IsOk;
using testing::JsonAnswer;

constexpr char kBase[] = "https://signet.test";

std::string Url(std::string_view path) { return std::string(kBase) + std::string(path); }

class SignetdClientTest : public ::testing::Test {
 protected:
  SignetdClientTest() {
    std::ofstream(join_file_) << "sjt_join\n";
    AnswerJoin("/v1/agents/join", "agent-token-1", seconds(3600));
  }

  // signetd's answer to a join or renew: an agent token living `life` from now.
  void AnswerJoin(std::string_view path, std::string token, seconds life) {
    http_.Set(Url(path),
              JsonAnswer(200, R"({"agent":"node-a","agent_token":")" + token +
                                  R"(","expires_at":")" + FormatUtcSeconds(clock_.Now() + life) +
                                  R"(","expires_in":)" + std::to_string(life.count()) + "}"));
  }
  // A /v1/agents/credentials answer for `workload`, valid for `life`.
  void AnswerCredential(std::string workload, std::string token, seconds life) {
    http_.Set(
        Url("/v1/agents/credentials"),
        JsonAnswer(200, R"({"destination":"claude","workload":")" + workload +
                            R"(","url":"https://api.anthropic.test","type":"token",)"
                            R"("token":")" +
                            token +
                            R"(","token_type":"Bearer","issued_token_type":)"
                            R"("urn:ietf:params:oauth:token-type:access_token",)"
                            R"("headers":{"Authorization":"Bearer )" +
                            token + R"("},"scope":"messages:write models:read","expires_at":")" +
                            FormatUtcSeconds(clock_.Now() + life) + R"("})"));
  }
  std::vector<http::ClientRequest> RequestsTo(std::string_view path) {
    std::lock_guard lock(http_.mu_);
    std::vector<http::ClientRequest> out;
    for (const auto& request : http_.requests) {
      if (request.url == Url(path)) {
        out.push_back(request);
      }
    }
    return out;
  }

  testing::TempDir dir_;
  std::string join_file_ = dir_.path() + "/join";
  SimulatedClock clock_;
  FakeHttpClient http_;
  SignetdClient client_{{kBase, join_file_, ""}, http_, clock_};
  ProcessSelectors node_{1234, "1000", "1000", "/usr/bin/node", "ab12", "", ""};
};

TEST_F(SignetdClientTest, JoinsWithTheJoinTokenAndAuthenticatesLaterCallsWithTheAgentToken) {
  ASSERT_THAT(client_.Join(), IsOk());
  EXPECT_EQ(client_.agent_name(), "node-a");
  auto joins = RequestsTo("/v1/agents/join");
  ASSERT_EQ(joins.size(), 1u);
  EXPECT_EQ(joins[0].method, "POST");
  EXPECT_EQ(ParseJsonObject(joins[0].body)->at("join_token").as_string(), "sjt_join");
  EXPECT_EQ(HeaderOf(joins[0], "Authorization"), "");

  AnswerCredential("claude-bot", "tok-1", seconds(600));
  auto credential = client_.RequestCredential(node_, "claude");
  ASSERT_THAT(credential, IsOk());
  auto asks = RequestsTo("/v1/agents/credentials");
  ASSERT_EQ(asks.size(), 1u);
  EXPECT_EQ(HeaderOf(asks[0], "Authorization"), "Bearer agent-token-1");
  auto body = ParseJsonObject(asks[0].body);
  ASSERT_THAT(body, IsOk());
  EXPECT_EQ(body->at("destination").as_string(), "claude");
  EXPECT_EQ(body->at("selectors").at("exe").as_string(), "/usr/bin/node");
  EXPECT_EQ(body->at("selectors").at("sha256").as_string(), "ab12");
  EXPECT_EQ(body->at("selectors").at("uid").as_string(), "1000");
  EXPECT_FALSE(body->at("selectors").as_object().contains("pid"));  // not a selector

  EXPECT_EQ(credential->workload, "claude-bot");
  EXPECT_EQ(credential->url, "https://api.anthropic.test");
  EXPECT_EQ(credential->credential.form, credentials::CredentialForm::kToken);
  EXPECT_EQ(credential->credential.access_token, "tok-1");
  ASSERT_EQ(credential->credential.headers.size(), 1u);
  EXPECT_EQ(credential->credential.headers[0].value, "Bearer tok-1");
  EXPECT_EQ(credential->credential.scopes,
            (std::vector<std::string>{"messages:write", "models:read"}));
  EXPECT_EQ(credential->credential.expires_at, clock_.Now() + seconds(600));
}

TEST_F(SignetdClientTest, ASpentJoinTokenSaysHowToGetAnother) {
  http_.Set(Url("/v1/agents/join"),
            JsonAnswer(401, R"({"error":"invalid_client","error_description":"the join token )"
                            R"(was already used"})"));
  Status joined = client_.Join();
  ASSERT_THAT(joined, FailsWithCode(ErrorCode::kInvalidClient, "invalid_client"));
  EXPECT_NE(joined.message().find("signet agent join-token create"), std::string::npos);
  EXPECT_NE(joined.message().find("the join token was already used"), std::string::npos);
}

TEST_F(SignetdClientTest, AMissingCredentialFileIsAStartUpErrorNamingIt) {
  SignetdClient client({kBase, dir_.path() + "/absent", ""}, http_, clock_);
  Status joined = client.Join();
  ASSERT_THAT(joined, FailsWith("agent_credential_missing"));
  EXPECT_NE(joined.message().find(dir_.path() + "/absent"), std::string::npos);
}

TEST_F(SignetdClientTest, SignetdsRefusalReachesTheCallerAsSignetdSaidIt) {
  ASSERT_THAT(client_.Join(), IsOk());
  http_.Set(Url("/v1/agents/credentials"),
            JsonAnswer(400, R"({"error":"invalid_request","error_description":"no workload )"
                            R"(matches the caller"})"));
  auto refused = client_.RequestCredential(node_, "claude");
  ASSERT_THAT(refused, FailsWithCode(ErrorCode::kInvalidRequest, "invalid_request"));
  EXPECT_EQ(refused.status().message(), "no workload matches the caller");

  http_.Set(Url("/v1/agents/credentials"), JsonAnswer(502, "<html>bad gateway</html>"));
  auto garbled = client_.RequestCredential(node_, "claude");
  ASSERT_THAT(garbled, FailsWithCode(ErrorCode::kServerError, "signetd_error"));
  EXPECT_EQ(garbled.status().message().find("html"), std::string::npos);

  http_.Set(Url("/v1/agents/credentials"),
            Status(ErrorCode::kTemporarilyUnavailable, "fetch_failed", "connection refused"));
  EXPECT_THAT(client_.RequestCredential(node_, "claude"),
              FailsWithCode(ErrorCode::kTemporarilyUnavailable, "signetd_unreachable"));
}

TEST_F(SignetdClientTest, ParsesEveryCredentialTypeAndRefusesMalformedAnswers) {
  auto aws = ParseCredentialAnswer(*ParseJsonObject(
      R"({"destination":"s3","workload":"w","type":"aws","expires_at":"2030-01-01T00:00:00Z",)"
      R"("aws":{"access_key_id":"ASIA1","secret_access_key":"s","session_token":"t"}})"));
  ASSERT_THAT(aws, IsOk());
  EXPECT_EQ(aws->credential.form, credentials::CredentialForm::kAws);
  EXPECT_EQ(aws->credential.aws.access_key_id, "ASIA1");
  EXPECT_EQ(aws->credential.aws.session_token, "t");

  auto key = ParseCredentialAnswer(*ParseJsonObject(
      R"({"destination":"openai","type":"headers","expires_at":"2030-01-01T00:00:00Z",)"
      R"("headers":{"x-api-key":"k"}})"));
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->credential.form, credentials::CredentialForm::kHeaders);
  EXPECT_EQ(key->credential.headers, (std::vector<credentials::HttpHeader>{{"x-api-key", "k"}}));

  for (const char* malformed : {
           R"({"type":"token","expires_at":"2030-01-01T00:00:00Z","headers":{"a":"b"}})",
           R"({"destination":"d","type":"token","headers":{"a":"b"}})",
           R"({"destination":"d","type":"token","expires_at":"2030-01-01T00:00:00Z"})",
           R"({"destination":"d","type":"aws","expires_at":"2030-01-01T00:00:00Z"})",
           R"({"destination":"d","type":"magic","expires_at":"2030-01-01T00:00:00Z"})",
           R"({"destination":"d","type":"headers","expires_at":"2030-01-01T00:00:00Z",)"
           R"("headers":{"a":1}})",
       }) {
    EXPECT_THAT(ParseCredentialAnswer(*ParseJsonObject(malformed)),
                FailsWith("credential_answer_malformed"))
        << malformed;
  }
}

TEST_F(SignetdClientTest, RenewsAtHalfLifeAndRetriesAFailedRenewal) {
  ASSERT_THAT(client_.Join(), IsOk());
  EXPECT_EQ(client_.MaintainToken(), std::chrono::milliseconds(1800'000));
  EXPECT_TRUE(RequestsTo("/v1/agents/renew").empty());

  clock_.Advance(seconds(1800));
  AnswerJoin("/v1/agents/renew", "agent-token-2", seconds(3600));
  EXPECT_EQ(client_.MaintainToken(), std::chrono::milliseconds(1800'000));
  auto renewals = RequestsTo("/v1/agents/renew");
  ASSERT_EQ(renewals.size(), 1u);
  EXPECT_EQ(HeaderOf(renewals[0], "Authorization"), "Bearer agent-token-1");

  clock_.Advance(seconds(1800));
  http_.Set(Url("/v1/agents/renew"),
            Status(ErrorCode::kTemporarilyUnavailable, "fetch_failed", "connection refused"));
  EXPECT_EQ(client_.MaintainToken(), std::chrono::milliseconds(5000));
  clock_.Advance(seconds(5));
  AnswerJoin("/v1/agents/renew", "agent-token-3", seconds(3600));
  EXPECT_EQ(client_.MaintainToken(), std::chrono::milliseconds(1800'000));
  EXPECT_EQ(RequestsTo("/v1/agents/renew").size(), 3u);
  EXPECT_EQ(HeaderOf(RequestsTo("/v1/agents/renew")[2], "Authorization"), "Bearer agent-token-2");
}

TEST_F(SignetdClientTest, AnAgentOnAPlatformIdentityJoinsAgainOnceItsTokenLapsed) {
  std::string identity = dir_.path() + "/identity";
  std::ofstream(identity) << "eyJ.platform.token";
  SignetdClient client({kBase, "", identity}, http_, clock_);
  ASSERT_THAT(client.Join(), IsOk());
  EXPECT_EQ(ParseJsonObject(RequestsTo("/v1/agents/join")[0].body)->at("subject_token").as_string(),
            "eyJ.platform.token");

  clock_.Advance(seconds(3600));  // signetd was away for the whole life of the agent token
  std::ofstream(identity) << "eyJ.rotated.token";  // the platform rotated it meanwhile
  AnswerJoin("/v1/agents/join", "agent-token-2", seconds(3600));
  EXPECT_EQ(client.MaintainToken(), std::chrono::milliseconds(1800'000));
  auto joins = RequestsTo("/v1/agents/join");
  ASSERT_EQ(joins.size(), 2u);
  EXPECT_EQ(ParseJsonObject(joins[1].body)->at("subject_token").as_string(), "eyJ.rotated.token");
  EXPECT_TRUE(RequestsTo("/v1/agents/renew").empty());
}

TEST_F(SignetdClientTest, CredentialsAreCachedPerCallerAndDestinationAndPurgedOnSuspension) {
  ASSERT_THAT(client_.Join(), IsOk());
  BrokerCredentials credentials(client_, clock_);
  EXPECT_EQ(credentials.Cached(node_, "claude"), nullptr);

  AnswerCredential("claude-bot", "tok-1", seconds(600));
  auto first = credentials.Fetch(node_, "claude");
  ASSERT_THAT(first, IsOk());
  auto cached = credentials.Cached(node_, "claude");
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(cached->credential.access_token, "tok-1");
  EXPECT_EQ(cached.get(), first->get());  // shared, not copied
  ASSERT_THAT(credentials.Fetch(node_, "claude"), IsOk());
  EXPECT_EQ(RequestsTo("/v1/agents/credentials").size(), 1u);

  // Another binary on the same uid is another caller to signetd.
  ProcessSelectors python = node_;
  python.exe = "/usr/bin/python3";
  python.sha256 = "cd34";
  EXPECT_EQ(credentials.Cached(python, "claude"), nullptr);
  AnswerCredential("batch-job", "tok-2", seconds(600));
  ASSERT_THAT(credentials.Fetch(python, "claude"), IsOk());
  EXPECT_EQ(RequestsTo("/v1/agents/credentials").size(), 2u);
  EXPECT_EQ(credentials.size(), 2u);

  http_.Set(Url("/v1/agents/suspended"), JsonAnswer(200, R"({"workloads":["claude-bot"]})"));
  EXPECT_EQ(credentials.PollSuspensions(std::chrono::milliseconds(1000)),
            std::chrono::milliseconds(1000));
  EXPECT_EQ(credentials.Cached(node_, "claude"), nullptr);
  EXPECT_NE(credentials.Cached(python, "claude"), nullptr);
}

TEST_F(SignetdClientTest, AFreshCredentialIsNotCachedOnceItNeedsRefreshing) {
  ASSERT_THAT(client_.Join(), IsOk());
  BrokerCredentials credentials(client_, clock_);
  AnswerCredential("claude-bot", "tok-1", seconds(600));
  ASSERT_THAT(credentials.Fetch(node_, "claude"), IsOk());
  clock_.Advance(seconds(500));  // within the refresh window: Fetch, not Cached
  EXPECT_EQ(credentials.Cached(node_, "claude"), nullptr);
  AnswerCredential("claude-bot", "tok-2", seconds(600));
  auto refreshed = credentials.Fetch(node_, "claude");
  ASSERT_THAT(refreshed, IsOk());
  EXPECT_EQ((*refreshed)->credential.access_token, "tok-2");
}

UsageRecord Usage(int status) {
  UsageRecord record;
  record.time = FromUnixSeconds(1'800'000'000);
  record.workload = "claude-bot";
  record.destination = "claude";
  record.method = "POST";
  record.host = "api.anthropic.test";
  record.path = "/v1/messages";
  record.status = status;
  record.bytes_sent = 12;
  record.bytes_received = 3400;
  record.latency = std::chrono::microseconds(870);
  return record;
}

TEST_F(SignetdClientTest, UsageGoesUpInBatchesAndWaitsOutAnOutage) {
  ASSERT_THAT(client_.Join(), IsOk());
  UsageUploader usage(client_);
  for (int i = 0; i < 1500; ++i) {
    usage.Record(Usage(200 + i % 2));
  }
  http_.Set(Url("/v1/agents/usage"),
            Status(ErrorCode::kTemporarilyUnavailable, "fetch_failed", "connection refused"));
  EXPECT_EQ(usage.Flush(), 0u);
  EXPECT_EQ(usage.queued(), 1500u);

  http_.Set(Url("/v1/agents/usage"), JsonAnswer(200, R"({"accepted":1000})"));
  EXPECT_EQ(usage.Flush(), 1500u);
  EXPECT_EQ(usage.queued(), 0u);
  auto uploads = RequestsTo("/v1/agents/usage");
  ASSERT_EQ(uploads.size(), 3u);  // the failed one, then 1000 and 500
  auto batch = ParseJsonObject(uploads[1].body);
  ASSERT_THAT(batch, IsOk());
  ASSERT_EQ(batch->at("records").as_array().size(), 1000u);
  EXPECT_EQ(ParseJsonObject(uploads[2].body)->at("records").as_array().size(), 500u);
  const auto& first = batch->at("records").as_array()[0].as_object();
  EXPECT_EQ(first.at("time").as_string(), FormatUtcSeconds(FromUnixSeconds(1'800'000'000)));
  EXPECT_EQ(first.at("workload").as_string(), "claude-bot");
  EXPECT_EQ(first.at("method").as_string(), "POST");
  EXPECT_EQ(first.at("host").as_string(), "api.anthropic.test");
  EXPECT_EQ(first.at("path").as_string(), "/v1/messages");
  EXPECT_EQ(first.at("status").as_int64(), 200);
  EXPECT_EQ(first.at("bytes_sent").as_int64(), 12);
  EXPECT_EQ(first.at("bytes_received").as_int64(), 3400);
  EXPECT_EQ(first.at("latency_us").as_int64(), 870);
}

TEST_F(SignetdClientTest, AFullUsageQueueDropsTheOldestAndCountsThem) {
  UsageUploader usage(client_, 3);
  for (int status : {201, 202, 203, 204, 205}) {
    usage.Record(Usage(status));
  }
  EXPECT_EQ(usage.queued(), 3u);
  EXPECT_EQ(usage.dropped(), 2u);
  ASSERT_THAT(client_.Join(), IsOk());
  http_.Set(Url("/v1/agents/usage"), JsonAnswer(200, R"({"accepted":3})"));
  EXPECT_EQ(usage.Flush(), 3u);
  auto kept = ParseJsonObject(RequestsTo("/v1/agents/usage")[0].body)->at("records").as_array();
  EXPECT_EQ(kept[0].at("status").as_int64(), 203);
  EXPECT_EQ(kept[2].at("status").as_int64(), 205);
}

}  // namespace
}  // namespace signet::agent
