// Runs the real signetd binary on a loopback port and talks to it with curl, a real
// third-party HTTP client, as a relying party would.
#include <signal.h>

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>
#include <fstream>

#include "common/json.h"
#include "jose/jwk.h"
#include "support/signet_processes.h"
#include "support/status_matchers.h"

namespace signet {
namespace {

using std::chrono::milliseconds;
using testing::IsOk;

class SignetdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_path_ = dir_.path() + "/signetd.yaml";
    std::ofstream(config_path_) << "server:\n"
                                   "  issuer: https://signet.test\n"
                                   "  data_dir: "
                                << dir_.path()
                                << "/data\n"
                                   "signing:\n"
                                   "  algorithm: EdDSA\n";
    process_ = std::make_unique<testing::Subprocess>(
        std::vector<std::string>{SIGNETD_PATH, "--config", config_path_, "--listen", "127.0.0.1:0",
                                 "--ready-file", ready_.path()},
        dir_.path() + "/signetd.log");
    auto port = ready_.ReadLine(milliseconds(20000));
    ASSERT_TRUE(port.has_value()) << "signetd did not become ready";
    base_ = "http://127.0.0.1:" + *port;
  }

  std::string Curl(const std::string& args, int* code = nullptr) {
    return testing::RunCommand("curl -sS --max-time 10 " + args, code);
  }

  testing::TempDir dir_;
  testing::ReadyPipe ready_;
  std::string config_path_;
  std::unique_ptr<testing::Subprocess> process_;
  std::string base_;
};

TEST_F(SignetdTest, PublishesDiscoveryAndAPublicOnlyJwks) {
  auto discovery = ParseJsonObject(Curl(base_ + "/.well-known/openid-configuration"));
  ASSERT_THAT(discovery, IsOk());
  EXPECT_EQ(discovery->at("issuer").as_string(), "https://signet.test");
  EXPECT_EQ(discovery->at("jwks_uri").as_string(), "https://signet.test/.well-known/jwks.json");
  // The members OIDC Discovery 1.0 §3 marks REQUIRED, which federating verifiers check.
  EXPECT_EQ(boost::json::serialize(discovery->at("response_types_supported")), R"(["id_token"])");
  EXPECT_EQ(boost::json::serialize(discovery->at("subject_types_supported")), R"(["public"])");
  EXPECT_EQ(boost::json::serialize(discovery->at("id_token_signing_alg_values_supported")),
            R"(["EdDSA"])");
  EXPECT_EQ(discovery->at("token_endpoint").as_string(), "https://signet.test/oauth2/token");
  EXPECT_EQ(boost::json::serialize(discovery->at("grant_types_supported")),
            R"(["urn:ietf:params:oauth:grant-type:token-exchange"])");
  // RFC 8414 clients find the same metadata at their own well-known path.
  auto metadata = ParseJsonObject(Curl(base_ + "/.well-known/oauth-authorization-server"));
  ASSERT_THAT(metadata, IsOk());
  EXPECT_EQ(*metadata, *discovery);

  std::string body = Curl(base_ + "/.well-known/jwks.json");
  auto jwks = jose::Jwks::Parse(body);
  ASSERT_THAT(jwks, IsOk());
  ASSERT_EQ(jwks->keys().size(), 1u);
  EXPECT_TRUE(jwks->refused().empty());
  const jose::Jwk& key = jwks->keys()[0];
  EXPECT_EQ(key.algorithm(), jose::Algorithm::kEdDSA);
  EXPECT_EQ(key.kid(), key.Thumbprint());  // kid is the RFC 7638 thumbprint
  auto raw = ParseJsonObject(body);
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}) {
    EXPECT_FALSE(raw->at("keys").as_array()[0].as_object().contains(member)) << member;
  }
}

TEST_F(SignetdTest, AnswersWrongMethodAndUnknownPathWithOAuthErrors) {
  std::string headers = Curl("-i -X POST " + base_ + "/.well-known/jwks.json");
  EXPECT_NE(headers.find("HTTP/1.1 405"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Allow: GET"), std::string::npos) << headers;
  auto missing = ParseJsonObject(Curl(base_ + "/v1/nothing-here"));
  ASSERT_THAT(missing, IsOk());
  EXPECT_EQ(missing->at("error").as_string(), "invalid_request");
}

TEST_F(SignetdTest, RefusesOversizedBodies) {
  std::string big(100 * 1024, 'a');
  std::string path = dir_.path() + "/big.json";
  std::ofstream(path) << big;
  std::string response = Curl("-i -X POST --data-binary @" + path + " " + base_ + "/healthz");
  EXPECT_NE(response.find("HTTP/1.1 413"), std::string::npos) << response.substr(0, 200);
}

TEST_F(SignetdTest, StopsCleanlyOnSigterm) {
  EXPECT_EQ(process_->Stop(SIGTERM, milliseconds(10000)), 0);
}

TEST_F(SignetdTest, TheSigningKeySurvivesARestart) {
  auto before = jose::Jwks::Parse(Curl(base_ + "/.well-known/jwks.json"));
  ASSERT_THAT(before, IsOk());
  ASSERT_EQ(process_->Stop(SIGTERM, milliseconds(10000)), 0);
  // Same configuration, same data directory: the sealed key is loaded, not made anew.
  auto again = testing::StartSignetd(SIGNETD_PATH, config_path_, dir_.path() + "/again.log");
  ASSERT_FALSE(again->base_url.empty()) << "signetd did not restart";
  auto after = jose::Jwks::Parse(Curl(again->base_url + "/.well-known/jwks.json"));
  ASSERT_THAT(after, IsOk());
  ASSERT_EQ(after->keys().size(), 1u);
  EXPECT_EQ(after->keys()[0].kid(), before->keys()[0].kid());
}

}  // namespace
}  // namespace signet
