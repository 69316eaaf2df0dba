// The operator's CLI against a running signetd: admin tokens, suspend/resume, revoke,
// the secrets vault, and `secret rotate-master` with signetd stopped (after which the
// old master key no longer starts signetd, and touches nothing when it tries).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/base64url.h"
#include "support/signet_processes.h"

namespace signet {
namespace {

using testing::ReadFile;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    idp_ = testing::StartDevIdp(SIGNET_PATH, dir_.path() + "/idp.log");
    ASSERT_FALSE(idp_->base_url.empty());
    config_ = dir_.path() + "/signetd.yaml";
    std::ofstream(config_) << "server:\n  issuer: http://127.0.0.1:1\n  data_dir: " << dir_.path()
                           << "/data\nissuers:\n  - name: dev\n    issuer: " << idp_->base_url
                           << "\n    audiences: [signet]\nworkloads:\n  - name: billing-api\n"
                              "    identities:\n      - issuer: dev\n        claims: {sub: "
                              "'system:serviceaccount:billing:api'}\ndestinations:\n  - {name: "
                              "orders-api, kind: signet-jwt, audience: 'https://orders.test'}\n"
                              "policies:\n  - {name: p, workloads: [billing-api], "
                              "destinations: [orders-api], max_ttl: 5m}\n";
    Start();
  }

  void Start() {
    signetd_.reset();
    signetd_ = testing::StartSignetd(SIGNETD_PATH, config_, dir_.path() + "/signetd.log");
    ASSERT_FALSE(signetd_->base_url.empty()) << ReadFile(dir_.path() + "/signetd.log");
  }

  // Runs `signet ARGS` against the server with the bootstrap token (unless `args` names
  // another); stdout and stderr together.
  std::string Signet(const std::string& args, int* code, const std::string& stdin_text = "") {
    std::string connection = " --server " + signetd_->base_url;
    if (args.find("--token-file") == std::string::npos) {
      connection += " --token-file " + dir_.path() + "/data/admin.token";
    }
    std::string input;
    if (!stdin_text.empty()) {
      std::ofstream(dir_.path() + "/stdin") << stdin_text;
      input = " < " + dir_.path() + "/stdin";
    }
    return testing::RunCommand(std::string(SIGNET_PATH) + " " + args + connection + input + " 2>&1",
                               code);
  }

  int Exchange() {
    std::string upstream =
        testing::MintToken(idp_->base_url, "sub=system:serviceaccount:billing:api");
    return testing::ExchangeToken(signetd_->base_url, upstream, "-d audience=orders-api").status;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::RunningProcess> idp_;
  std::unique_ptr<testing::RunningProcess> signetd_;
  std::string config_;
};

TEST_F(CliTest, SuspendResumeAndTokens) {
  int code = -1;
  std::string out = Signet("admin token create --role auditor --ttl 1h --description ci", &code);
  ASSERT_EQ(code, 0) << out;
  std::string token = out.substr(out.rfind("signet_admin."));
  token = token.substr(0, token.find('\n'));
  std::ofstream(dir_.path() + "/auditor.token") << token << "\n";

  out = Signet("suspend workload billing-api --reason 'incident 7'", &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("workload billing-api suspended"), std::string::npos) << out;
  EXPECT_EQ(Exchange(), 403);
  out = Signet("workloads --token-file " + dir_.path() + "/auditor.token", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("billing-api  SUSPENDED"), std::string::npos) << out;
  EXPECT_NE(out.find("incident 7"), std::string::npos) << out;

  // The auditor may read, not act: a clear refusal and a non-zero exit.
  out = Signet("resume workload billing-api --token-file " + dir_.path() + "/auditor.token", &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("HTTP 403 access_denied"), std::string::npos) << out;
  EXPECT_NE(out.find("auditor role may not"), std::string::npos) << out;
  EXPECT_EQ(Exchange(), 403);

  out = Signet("resume workload billing-api", &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(Exchange(), 200);

  out = Signet("suspend workload nobody --reason x", &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("no workload is named 'nobody'"), std::string::npos) << out;
  out = Signet("revoke --jti some-jti --reason 'lost laptop'", &code);
  EXPECT_EQ(code, 0) << out;

  out = Signet("admin token list", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("auditor  expires"), std::string::npos) << out;
  EXPECT_EQ(out.find(token.substr(token.rfind('.') + 1)), std::string::npos)
      << "a listing shows a token's secret";
}

TEST_F(CliTest, SecretsAndMasterKeyRotation) {
  int code = -1;
  const std::string value = "ghp_cli-test-value-never-shown";
  std::string out = Signet("secret put github-app-key", &code, value);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("secret github-app-key stored (version 1)"), std::string::npos) << out;
  std::ofstream(dir_.path() + "/value2") << value << "-2";
  out = Signet("secret put github-app-key --from-file " + dir_.path() + "/value2", &code);
  EXPECT_NE(out.find("(version 2)"), std::string::npos) << out;
  out = Signet("secret list", &code);
  EXPECT_NE(out.find("github-app-key  version 2"), std::string::npos) << out;
  EXPECT_EQ(out.find(value), std::string::npos);
  out = Signet("secret put 'Bad Name'", &code, value);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("a-z, 0-9"), std::string::npos) << out;

  // Rotation needs signetd stopped.
  std::string old_key = ReadFile(dir_.path() + "/data/master.key");
  ASSERT_EQ(old_key.size(), 32u);
  signetd_.reset();
  out = testing::RunCommand(
      std::string(SIGNET_PATH) + " secret rotate-master --data-dir " + dir_.path() + "/data 2>&1",
      &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("master key rotated"), std::string::npos) << out;
  EXPECT_NE(ReadFile(dir_.path() + "/data/master.key"), old_key);

  // The old key (given through the environment) is refused with a clear message, and
  // the database is untouched by the attempt.
  std::string db_before = ReadFile(dir_.path() + "/data/signet.db");
  std::string hex = HexEncode(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(old_key.data()), old_key.size()));
  out = testing::RunCommand("SIGNET_MASTER_KEY=" + hex + " timeout 30 " + SIGNETD_PATH +
                                " --config " + config_ + " --listen 127.0.0.1:0 2>&1",
                            &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("master_key_mismatch"), std::string::npos) << out;
  EXPECT_EQ(ReadFile(dir_.path() + "/data/signet.db"), db_before);

  // The new key starts it, and the vault still holds the secret.
  Start();
  out = Signet("secret list", &code);
  EXPECT_NE(out.find("github-app-key  version 2"), std::string::npos) << out;
  EXPECT_EQ(Exchange(), 200);
}

TEST_F(CliTest, MissingTokenAndUnreachableServerSayWhatToDo) {
  int code = -1;
  std::string out = testing::RunCommand(
      std::string("cd / && env -u SIGNET_ADMIN_TOKEN -u SIGNET_ADMIN_TOKEN_FILE ") + SIGNET_PATH +
          " workloads --server http://127.0.0.1:1 2>&1",
      &code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("no admin token"), std::string::npos) << out;
  out = testing::RunCommand(std::string(SIGNET_PATH) + " workloads --server http://127.0.0.1:1 " +
                                "--token-file " + dir_.path() + "/data/admin.token 2>&1",
                            &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("cannot reach http://127.0.0.1:1"), std::string::npos) << out;
}

}  // namespace
}  // namespace signet
