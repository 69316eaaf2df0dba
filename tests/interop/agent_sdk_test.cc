// Workloads that hold no credential reach their APIs through signet-agent, with the
// vendors' own SDKs, unmodified:
//   - @anthropic-ai/sdk, its base URL at the agent's proxy and a dummy key, sends a
//     message and a streamed message to an HTTPS stand-in of the Messages API that takes
//     only the credential the agent injects (an Anthropic WIF token that signetd got from
//     a stand-in of Anthropic's token endpoint);
//   - @aws-sdk/credential-providers' default chain gets STS credentials from the agent's
//     container-credentials endpoint.
// The agent attests each caller from its connection (uid, executable hash); signetd's
// rules pin node's and curl's hashes, so a tampered curl, or curl run as another user, is
// refused, and the refusal is in the audit trail. So are the proxied requests.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>

#include "common/json.h"
#include "common/sha256.h"
#include "support/anthropic_stand_in.h"
#include "support/destination_harness.h"
#include "support/https_stand_in.h"
#include "support/sts_stand_in.h"
#include "support/temp_dir.h"

namespace signet {
namespace {

constexpr char kRoleArn[] = "arn:aws:iam::123456789012:role/signet-agent-app";

class AgentSdkTest : public ::testing::Test {
 protected:
  static std::string RunCommandLine(const std::string& command) {
    std::string out = testing::RunCommand(command);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
      out.pop_back();
    }
    return out;
  }
  static std::string FileSha256(const std::string& path) {
    return Sha256Hex(testing::ReadFile(path));
  }

  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const std::string& dir = dir_->path();
    anthropic_ = new testing::AnthropicStandIn(dir);
    sts_ = new testing::StsStandIn(dir);
    messages_cert_ = new testing::TestCertificate(testing::MakeTestCertificate(dir, "messages"));
    messages_port_ = testing::FreeLoopbackPort();
    node_ = std::filesystem::canonical(RunCommandLine("command -v node")).string();
    curl_ = std::filesystem::canonical(RunCommandLine("command -v curl")).string();
    signet_ =
        testing::DestinationHarness::Start(
            SIGNET_PATH, SIGNETD_PATH, dir, {},
            "destinations:\n"
            "  - name: claude\n"
            "    kind: anthropic-wif\n"
            "    url: https://127.0.0.1:" +
                std::to_string(messages_port_) +
                "\n"
                "    organization_id: 00000000-0000-4000-8000-000000000001\n"
                "    federation_rule_id: fdrl_01\n"
                "    service_account_id: svac_01\n"
                "    base_url: " +
                anthropic_->base_url() + "\n    ca_file: " + anthropic_->cert() +
                "\n"
                "  - name: aws\n"
                "    kind: aws-sts\n"
                "    role_arn: " +
                kRoleArn + "\n    sts_url: " + sts_->url() + "\n    ca_file: " + sts_->cert() +
                "\n"
                "policies:\n"
                "  - {name: node-apps, workloads: [node-app], destinations: [claude, aws]}\n"
                "  - {name: curl-apps, workloads: [curl-app], destinations: [claude]}\n",
            "  - name: node-agents\n    kind: agent\n    agents: ['node-*']\n",
            "  - name: node-app\n"
            "    identities: [{issuer: node-agents, claims: {sha256: " +
                FileSha256(node_) +
                ", uid: '0'}}]\n"
                "  - name: curl-app\n"
                "    identities: [{issuer: node-agents, claims: {sha256: " +
                FileSha256(curl_) + ", uid: '0'}}]\n")
            .release();
    ASSERT_NE(signet_, nullptr);

    int code = -1;
    std::string created = signet_->Signet("agent join-token create --agent node-1", &code);
    ASSERT_EQ(code, 0) << created;
    size_t at = created.find("sjt_");
    ASSERT_NE(at, std::string::npos) << created;
    std::ofstream(dir + "/join-token") << created.substr(at, created.find_first_of(" \n", at) - at);
    std::ofstream(dir + "/agent.yaml")
        << "signetd: " << signet_->base_url() << "\njoin_token_file: " << dir
        << "/join-token\nlisten: {tcp: 127.0.0.1:0}\nupstream_ca_file: " << messages_cert_->cert
        << "\naws_token_file: " << dir << "/aws-token\n";
    agent_ = testing::StartListening({SIGNET_AGENT_PATH, "--config", dir + "/agent.yaml"},
                                     dir + "/agent.log")
                 .release();
    ASSERT_FALSE(agent_->base_url.empty()) << testing::ReadFile(dir + "/agent.log");
  }

  static void TearDownTestSuite() {
    delete agent_;
    delete signet_;
    delete messages_cert_;
    delete sts_;
    delete anthropic_;
    delete dir_;
  }

  // `node agent_sdks.mjs MODE` with `env` (shell assignments), its JSON line parsed.
  static Result<boost::json::object> RunSdk(const std::string& mode, const std::string& env,
                                            std::string* output) {
    int code = -1;
    // A proxy that buffered the stream would hang the stand-in: bounded here.
    *output = testing::RunCommand("cd " + std::string(INTEROP_DIR) + " && env " + env +
                                      " timeout 60 node agent_sdks.mjs " + mode + " 2>&1",
                                  &code);
    if (code != 0) {
      return Status(ErrorCode::kServerError, "sdk_failed", *output);
    }
    // The script's answer is its last line (node may warn before it).
    std::string_view last(*output);
    while (last.ends_with('\n')) {
      last.remove_suffix(1);
    }
    return ParseJsonObject(last.substr(last.rfind('\n') + 1));
  }

  // The records of the audit trail with every member of `expected`.
  static std::vector<boost::json::object> Records(const boost::json::object& expected) {
    std::vector<boost::json::object> matching;
    for (const boost::json::object& record : signet_->AuditTrail()) {
      if (std::all_of(expected.begin(), expected.end(), [&record](const auto& member) {
            const boost::json::value* found = record.if_contains(member.key());
            return found != nullptr && *found == member.value();
          })) {
        matching.push_back(record);
      }
    }
    return matching;
  }

  static std::string CredentialApi(const std::string& as) {
    return as + " -sS --max-time 20 -w '\\n%{http_code}' " + agent_->base_url +
           "/v1/credentials/claude";
  }

  static inline testing::TempDir* dir_ = nullptr;
  static inline testing::AnthropicStandIn* anthropic_ = nullptr;
  static inline testing::StsStandIn* sts_ = nullptr;
  static inline testing::TestCertificate* messages_cert_ = nullptr;
  static inline int messages_port_ = 0;
  static inline std::string node_;
  static inline std::string curl_;
  static inline testing::DestinationHarness* signet_ = nullptr;
  static inline testing::RunningProcess* agent_ = nullptr;
};

TEST_F(AgentSdkTest, AnthropicSdkSendsAndStreamsThroughTheProxyWithTheInjectedCredential) {
  std::string output;
  auto result =
      RunSdk("anthropic",
             "AGENT_URL=" + agent_->base_url + " MESSAGES_PORT=" + std::to_string(messages_port_) +
                 " TLS_CERT=" + messages_cert_->cert + " TLS_KEY=" + messages_cert_->key +
                 " EXPECTED_TOKEN=sk-ant-oat01-standin-1",
             &output);
  ASSERT_TRUE(result.ok()) << output;
  EXPECT_EQ(result->at("text").as_string(), "hello through signet");
  // Every event, in order: each one was sent only after the SDK had the one before.
  const boost::json::array& events = result->at("events").as_array();
  std::vector<std::string> types;
  for (const auto& event : events) {
    types.emplace_back(event.as_string());
  }
  EXPECT_EQ(types,
            (std::vector<std::string>{"message_start", "content_block_start", "content_block_delta",
                                      "content_block_delta", "content_block_stop", "message_delta",
                                      "message_stop"}));
  // The Messages API saw the injected token, never the SDK's dummy key.
  const boost::json::array& seen = result->at("seen").as_array();
  ASSERT_EQ(seen.size(), 2u);
  for (const auto& request : seen) {
    EXPECT_EQ(request.at("url").as_string(), "/v1/messages");
    EXPECT_EQ(request.at("authorization").as_string(), "Bearer sk-ant-oat01-standin-1");
    EXPECT_TRUE(request.at("apiKey").is_null());
    EXPECT_FALSE(request.at("version").is_null());  // the SDK's own headers pass through
  }
  // One exchange at Anthropic for both calls: the agent cached the credential.
  EXPECT_EQ(anthropic_->RequestsFor("node-app").size(), 1u);

  // Both requests reach the audit trail, in the agent's next batch (within a second or
  // so: each look below reads the whole trail, so the loop is bounded by its count).
  std::vector<boost::json::object> proxied;
  for (int look = 0; look < 200 && proxied.size() < 2; ++look) {
    proxied =
        Records({{"action", "proxy_request"}, {"workload", "node-app"}, {"destination", "claude"}});
  }
  ASSERT_EQ(proxied.size(), 2u);
  for (const auto& record : proxied) {
    EXPECT_EQ(record.at("target").as_string(),
              "POST 127.0.0.1:" + std::to_string(messages_port_) + "/v1/messages");
    EXPECT_TRUE(record.at("detail").as_string().starts_with("status=200 ")) << record;
    EXPECT_EQ(record.at("actor").as_string(), "agent:node-1");
  }
  int code = -1;
  std::string verified = testing::RunCommand(
      std::string(SIGNET_PATH) + " audit verify --data-dir " + dir_->path() + "/data 2>&1", &code);
  EXPECT_EQ(code, 0) << verified;
}

TEST_F(AgentSdkTest, AwsSdkGetsStsCredentialsFromTheContainerCredentialsEndpoint) {
  std::string output;
  auto result =
      RunSdk("aws",
             "-u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE "
             "AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent "
             "AWS_EC2_METADATA_DISABLED=true AWS_CONTAINER_CREDENTIALS_FULL_URI=" +
                 agent_->base_url + "/aws/credentials/aws AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" +
                 dir_->path() + "/aws-token",
             &output);
  ASSERT_TRUE(result.ok()) << output;
  auto requests = sts_->RequestsFor("node-app");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(result->at("accessKeyId").as_string().starts_with("ASIA")) << output;
  EXPECT_FALSE(result->at("secretAccessKey").as_string().empty());
  EXPECT_FALSE(result->at("sessionToken").as_string().empty());
  EXPECT_FALSE(result->at("expiration").as_string().empty());

  // Without the authorization token the endpoint gives nothing.
  int code = -1;
  std::string refused = testing::RunCommand(
      "curl -sS --max-time 20 -w '\\n%{http_code}' " + agent_->base_url + "/aws/credentials/aws",
      &code);
  EXPECT_TRUE(refused.ends_with("\n401") || refused.ends_with("\n403")) << refused;
  EXPECT_EQ(refused.find("SecretAccessKey"), std::string::npos);
}

TEST_F(AgentSdkTest, TheCredentialApiAnswersTheAttestedCaller) {
  int code = -1;
  std::string out = testing::RunCommand(CredentialApi(curl_), &code);
  ASSERT_TRUE(out.ends_with("\n200")) << out;
  auto answer = ParseJsonObject(out.substr(0, out.rfind('\n')));
  ASSERT_TRUE(answer.ok()) << out;
  EXPECT_EQ(answer->at("workload").as_string(), "curl-app");
  EXPECT_EQ(answer->at("type").as_string(), "token");
  EXPECT_TRUE(answer->at("token").as_string().starts_with("sk-ant-oat01-standin-"));
}

TEST_F(AgentSdkTest, ATamperedExecutableIsRefusedAndTheRefusalAudited) {
  std::string tampered = dir_->path() + "/curl-tampered";
  std::filesystem::copy_file(curl_, tampered);
  std::ofstream(tampered, std::ios::app) << "tampered";  // runs the same; hashes differently
  std::filesystem::permissions(tampered, std::filesystem::perms::owner_all);
  int code = -1;
  std::string out = testing::RunCommand(CredentialApi(tampered), &code);
  EXPECT_FALSE(out.ends_with("\n200")) << out;
  EXPECT_EQ(out.find("sk-ant-"), std::string::npos) << out;

  auto refusals = Records({{"decision", "deny"}, {"reason", "no_workload_match"}});
  std::string hash = FileSha256(tampered);
  EXPECT_EQ(std::count_if(refusals.begin(), refusals.end(),
                          [&](const auto& record) {
                            std::string_view subject = record.at("upstream_subject").as_string();
                            return subject.find("sha256=" + hash) != std::string_view::npos &&
                                   subject.find("exe=" + tampered) != std::string_view::npos;
                          }),
            1)
      << "no audited refusal for " << tampered;
}

TEST_F(AgentSdkTest, TheRightExecutableAsAnotherUserIsRefusedAndTheRefusalAudited) {
  int code = -1;
  std::string out = testing::RunCommand(
      CredentialApi("setpriv --reuid=65534 --regid=65534 --clear-groups " + curl_), &code);
  EXPECT_FALSE(out.ends_with("\n200")) << out;
  EXPECT_EQ(out.find("sk-ant-"), std::string::npos) << out;
  auto refusals = Records({{"decision", "deny"}, {"reason", "no_workload_match"}});
  EXPECT_EQ(std::count_if(refusals.begin(), refusals.end(),
                          [&](const auto& record) {
                            std::string_view subject = record.at("upstream_subject").as_string();
                            return subject.find("uid=65534") != std::string_view::npos &&
                                   subject.find("sha256=" + FileSha256(curl_)) !=
                                       std::string_view::npos;
                          }),
            1);
}

TEST_F(AgentSdkTest, ASuspendedWorkloadLosesItsCachedCredentialAtTheAgent) {
  int code = -1;
  ASSERT_TRUE(testing::RunCommand(CredentialApi(curl_), &code).ends_with("\n200"));
  std::string suspended = signet_->Signet("suspend workload curl-app --reason 'test'", &code);
  ASSERT_EQ(code, 0) << suspended;
  // The agent asks signetd every second: its cached credential goes, and the next request
  // goes to signetd, which refuses it. Each look is one request; bounded by their count.
  std::string out;
  for (int look = 0; look < 500; ++look) {
    out = testing::RunCommand(CredentialApi(curl_), &code);
    if (!out.ends_with("\n200")) {
      break;
    }
  }
  EXPECT_TRUE(out.ends_with("\n403")) << out;
  EXPECT_NE(out.find("suspended"), std::string::npos) << out;
  std::string resumed = signet_->Signet("resume workload curl-app", &code);
  ASSERT_EQ(code, 0) << resumed;
  EXPECT_TRUE(testing::RunCommand(CredentialApi(curl_), &code).ends_with("\n200"));
}

}  // namespace
}  // namespace signet
