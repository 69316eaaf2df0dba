// A workload calls Claude with Anthropic's own SDK and no API key: `signet token claude`
// exchanges its Kubernetes-shaped identity at signetd, which trades a Signet-signed
// assertion for a federated token at a stand-in of Anthropic's token endpoint; the token
// goes to @anthropic-ai/sdk through ANTHROPIC_AUTH_TOKEN, and the SDK's call reaches a
// stand-in of the Messages API (call_claude.mjs).
#include <gtest/gtest.h>

#include <fstream>

#include "common/json.h"
#include "support/anthropic_stand_in.h"
#include "support/signet_processes.h"
#include "support/temp_dir.h"

namespace signet {
namespace {

TEST(AnthropicSdkTest, SdkCallsClaudeWithATokenFromSignetToken) {
  testing::TempDir dir;
  testing::AnthropicStandIn standin(dir.path());
  auto idp = testing::StartDevIdp(SIGNET_PATH, dir.path() + "/idp.log");
  ASSERT_FALSE(idp->base_url.empty()) << "signet dev idp did not start";
  std::string config = dir.path() + "/signetd.yaml";
  std::ofstream(config) << "server:\n  issuer: http://127.0.0.1:1\n  trust_domain: test.signet\n"
                        << "  data_dir: " << dir.path() << "/data\n"
                        << "issuers:\n  - name: dev\n    issuer: " << idp->base_url
                        << "\n    audiences: [signet]\n"
                           "workloads:\n"
                           "  - name: agent\n"
                           "    identities: [{issuer: dev, claims: {sub: "
                           "'system:serviceaccount:apps:agent'}}]\n"
                           "destinations:\n"
                           "  - name: claude\n"
                           "    kind: anthropic-wif\n"
                           "    organization_id: 00000000-0000-4000-8000-000000000001\n"
                           "    federation_rule_id: fdrl_01\n"
                           "    service_account_id: svac_01\n"
                           "    base_url: "
                        << standin.base_url() << "\n    ca_file: " << standin.cert() << "\n"
                        << "policies:\n"
                           "  - {name: agent-claude, workloads: [agent], destinations: [claude]}\n";
  auto signetd = testing::StartSignetd(SIGNETD_PATH, config, dir.path() + "/signetd.log");
  ASSERT_FALSE(signetd->base_url.empty()) << testing::ReadFile(dir.path() + "/signetd.log");

  // The job's identity, as a platform writes it to a file.
  std::string identity = dir.path() + "/identity.jwt";
  std::ofstream(identity) << testing::MintToken(idp->base_url,
                                                "namespace=apps&serviceaccount=agent")
                          << "\n";
  int code = -1;
  std::string env = testing::RunCommand(
      std::string(SIGNET_PATH) + " token claude --server " + signetd->base_url +
          " --subject-token-file " + identity + " --format env --env-name ANTHROPIC_AUTH_TOKEN",
      &code);
  ASSERT_EQ(code, 0) << env;
  ASSERT_TRUE(env.starts_with("export ANTHROPIC_AUTH_TOKEN='sk-ant-oat01-standin-")) << env;

  std::vector<http::Request> exchanges = standin.RequestsFor("agent");
  ASSERT_EQ(exchanges.size(), 1u);
  std::string issued = env.substr(env.find('\'') + 1);
  issued = issued.substr(0, issued.find('\''));

  // --format json prints the typed answer (the token is Signet's cached one), with the
  // header a request to Claude carries.
  std::string json =
      testing::RunCommand(std::string(SIGNET_PATH) + " token claude --server " + signetd->base_url +
                              " --subject-token-file " + identity + " --format json",
                          &code);
  ASSERT_EQ(code, 0) << json;
  auto answer = ParseJsonObject(json);
  ASSERT_TRUE(answer.ok()) << json;
  EXPECT_EQ(answer->at("type").as_string(), "token");
  EXPECT_EQ(answer->at("token").as_string(), issued);
  EXPECT_EQ(answer->at("token_type").as_string(), "Bearer");
  EXPECT_EQ(answer->at("headers").at("Authorization").as_string(), "Bearer " + issued);
  // A refusal: signetd's error and description on stderr, nothing on stdout to eval.
  std::string refused = testing::RunCommand(std::string(SIGNET_PATH) + " token nowhere --server " +
                                                signetd->base_url + " --subject-token-file " +
                                                identity + " --format env 2>&1 >/dev/null",
                                            &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(refused.find("invalid_target"), std::string::npos) << refused;
  EXPECT_NE(refused.find("no destination is named 'nowhere'"), std::string::npos) << refused;

  // The workload's shell: source what signet token printed, then run the SDK. No
  // ANTHROPIC_API_KEY anywhere.
  std::ofstream(dir.path() + "/token.env") << env;
  std::string out = testing::RunCommand("env -u ANTHROPIC_API_KEY -u ANTHROPIC_BASE_URL sh -c '. " +
                                            dir.path() + "/token.env && EXPECTED_TOKEN=" + issued +
                                            " exec node " + INTEROP_DIR + "/call_claude.mjs' 2>&1",
                                        &code);
  EXPECT_EQ(code, 0) << out;
  // The last line (the SDK may warn first, e.g. about a model's deprecation).
  EXPECT_TRUE(out.ends_with("\nhello from the Messages stand-in\n") ||
              out == "hello from the Messages stand-in\n")
      << out;

  // Without the token, the same SDK call is refused by the stand-in: the test can fail.
  out = testing::RunCommand("env -u ANTHROPIC_API_KEY EXPECTED_TOKEN=" + issued +
                                " ANTHROPIC_AUTH_TOKEN=sk-ant-oat01-forged node " + INTEROP_DIR +
                                "/call_claude.mjs 2>&1",
                            &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("401"), std::string::npos) << out;
}

// Without an identity token, or without signetd, it says so on stderr and prints nothing.
TEST(AnthropicSdkTest, SignetTokenExplainsWhatIsMissing) {
  int code = -1;
  std::string out = testing::RunCommand(
      "env -u SIGNET_SUBJECT_TOKEN -u SIGNET_SUBJECT_TOKEN_FILE " + std::string(SIGNET_PATH) +
          " token claude --server http://127.0.0.1:1 2>&1 >/dev/null",
      &code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("no subject token"), std::string::npos) << out;
  out = testing::RunCommand("SIGNET_SUBJECT_TOKEN=x " + std::string(SIGNET_PATH) +
                                " token claude --server http://127.0.0.1:1 2>/dev/null",
                            &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace signet
