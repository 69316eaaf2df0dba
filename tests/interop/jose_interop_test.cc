// A token issued by Signet verifies with a third-party library as a relying party in
// another language would use it: Node.js `jose` (panva/jose), keys found through
// Signet's discovery document by createRemoteJWKSet.
#include <gtest/gtest.h>

#include <fstream>

#include "common/json.h"
#include "support/signet_processes.h"
#include "support/status_matchers.h"

namespace signet {
namespace {

using testing::IsOk;

class JoseInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    idp_ = testing::StartDevIdp(SIGNET_PATH, dir_.path() + "/idp.log");
    ASSERT_FALSE(idp_->base_url.empty()) << "signet dev idp did not start";
    // jose fetches the JWKS from the URL the discovery document names, so the issuer
    // URL must be where signetd really listens.
    int port = testing::FreeLoopbackPort();
    issuer_ = "http://127.0.0.1:" + std::to_string(port);
    std::string config = dir_.path() + "/signetd.yaml";
    std::ofstream(config) << "server:\n  issuer: " << issuer_ << "\n  data_dir: " << dir_.path()
                          << "/data\n"
                             "issuers:\n"
                             "  - name: dev\n"
                             "    issuer: "
                          << idp_->base_url
                          << "\n"
                             "    audiences: [signet]\n"
                             "workloads:\n"
                             "  - name: app\n"
                             "    identities:\n"
                             "      - issuer: dev\n"
                             "        claims: {sub: 'system:serviceaccount:default:app'}\n"
                             "destinations:\n"
                             "  - {name: api, kind: signet-jwt, audience: 'https://api.test'}\n"
                             "policies:\n"
                             "  - {name: app-api, workloads: [app], destinations: [api]}\n";
    signetd_ = testing::StartSignetd(SIGNETD_PATH, config, dir_.path() + "/signetd.log",
                                     "127.0.0.1:" + std::to_string(port));
    ASSERT_FALSE(signetd_->base_url.empty()) << "signetd did not start";
  }

  std::string IssueToken() {
    std::string upstream =
        testing::MintToken(idp_->base_url, "namespace=default&serviceaccount=app");
    testing::HttpAnswer answer =
        testing::ExchangeToken(signetd_->base_url, upstream, "-d audience=api");
    auto body = ParseJsonObject(answer.body);
    EXPECT_EQ(answer.status, 200) << answer.body;
    return body.ok() && body->contains("access_token")
               ? std::string(body->at("access_token").as_string())
               : "";
  }

  // Runs verify_with_jose.mjs; its stdout (and stderr), and the exit code in `code`.
  std::string VerifyWithJose(const std::string& token, int* code) {
    return testing::RunCommand("node " + std::string(INTEROP_DIR) + "/verify_with_jose.mjs " +
                                   issuer_ + " https://api.test '" + token + "' 2>&1",
                               code);
  }

  testing::TempDir dir_;
  std::string issuer_;
  std::unique_ptr<testing::RunningProcess> idp_;
  std::unique_ptr<testing::RunningProcess> signetd_;
};

TEST_F(JoseInteropTest, NodeJoseVerifiesSignetTokenThroughDiscovery) {
  std::string token = IssueToken();
  ASSERT_FALSE(token.empty());
  int code = -1;
  std::string out = VerifyWithJose(token, &code);
  ASSERT_EQ(code, 0) << out;
  auto verified = ParseJsonObject(out);
  ASSERT_THAT(verified, IsOk()) << out;
  EXPECT_EQ(verified->at("header").at("typ").as_string(), "at+jwt");
  EXPECT_EQ(verified->at("header").at("alg").as_string(), "ES256");
  EXPECT_EQ(verified->at("payload").at("sub").as_string(), "spiffe://127.0.0.1/workload/app");
  EXPECT_EQ(verified->at("payload").at("client_id").as_string(), "app");
}

TEST_F(JoseInteropTest, NodeJoseRejectsATamperedSignetToken) {
  std::string token = IssueToken();
  ASSERT_FALSE(token.empty());
  // Flip one character of the payload: the signature no longer matches.
  size_t at = token.find('.') + 5;
  token[at] = token[at] == 'A' ? 'B' : 'A';
  int code = -1;
  std::string out = VerifyWithJose(token, &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"), std::string::npos) << out;
}

}  // namespace
}  // namespace signet
