// Runs the real signetd binary on a loopback port and talks to it with curl, a real
// third-party HTTP client, as a relying party would.
#include <signal.h>

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/base64url.h"
#include "common/clock.h"
#include "common/json.h"
#include "jose/jwk.h"
#include "jose/jwt.h"
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
  EXPECT_EQ(discovery->at("introspection_endpoint").as_string(),
            "https://signet.test/oauth2/introspect");
  EXPECT_EQ(discovery->at("revocation_endpoint").as_string(), "https://signet.test/oauth2/revoke");
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

// --log-format json: every line signetd writes, from start to stop, is one JSON object.
TEST_F(SignetdTest, JsonLogsAreOneObjectPerLine) {
  ASSERT_EQ(process_->Stop(SIGTERM, milliseconds(10000)), 0);
  std::string log_path = dir_.path() + "/json.log";
  auto json = testing::StartListening(
      {SIGNETD_PATH, "--config", config_path_, "--listen", "127.0.0.1:0", "--log-format", "json"},
      log_path);
  ASSERT_FALSE(json->base_url.empty()) << "signetd did not start with --log-format json";
  ASSERT_EQ(json->process->Stop(SIGTERM, milliseconds(10000)), 0);
  std::ifstream log(log_path);
  int lines = 0;
  for (std::string line; std::getline(log, line); ++lines) {
    auto parsed = ParseJsonObject(line);
    ASSERT_THAT(parsed, IsOk()) << "not a JSON object: " << line;
    EXPECT_TRUE(parsed->contains("time") && parsed->contains("level") && parsed->contains("msg"))
        << line;
  }
  EXPECT_GE(lines, 2) << "expected at least the listening and stopped lines";
}

// A signetd that issues tokens: one issuer whose key the test holds (its JWKS inline in
// the configuration), one workload, one destination.
class RotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto idp_key = jose::SigningKey::Generate(jose::Algorithm::kES256, "idp-1");
    ASSERT_THAT(idp_key, IsOk());
    idp_key_ = std::make_unique<jose::SigningKey>(std::move(idp_key).value());
    config_path_ = dir_.path() + "/signetd.yaml";
    std::ofstream(config_path_) << "server:\n"
                                   "  issuer: https://signet.test\n"
                                   "  data_dir: "
                                << dir_.path() << "/data\n"
                                << "issuers:\n"
                                   "  - name: idp\n"
                                   "    issuer: https://idp.test\n"
                                   "    audiences: [signet]\n"
                                   "    algorithms: [ES256]\n"
                                   "    jwks: '"
                                << jose::Jwks({idp_key_->public_jwk()}).ToJson()
                                << "'\n"
                                   "workloads:\n"
                                   "  - name: billing\n"
                                   "    identities:\n"
                                   "      - issuer: idp\n"
                                   "        claims: {sub: billing}\n"
                                   "destinations:\n"
                                   "  - {name: orders, kind: signet-jwt, audience: "
                                   "https://orders.test}\n"
                                   "policies:\n"
                                   "  - {name: billing-orders, workloads: [billing], "
                                   "destinations: [orders], max_ttl: 5m}\n";
  }

  void Start() {
    signetd_ = testing::StartSignetd(SIGNETD_PATH, config_path_, dir_.path() + "/signetd.log");
    ASSERT_FALSE(signetd_->base_url.empty())
        << "signetd did not become ready; see " << dir_.path() << "/signetd.log";
    std::ifstream in(dir_.path() + "/data/admin.token");
    std::getline(in, admin_token_);
    ASSERT_FALSE(admin_token_.empty()) << "no bootstrap admin token";
  }

  // An access token for `orders`, from an exchange of a fresh upstream token.
  std::string Issue() {
    int64_t now = ToUnixSecondsFloor(Clock::Real().Now());
    boost::json::object claims{{"iss", "https://idp.test"},
                               {"sub", "billing"},
                               {"aud", "signet"},
                               {"iat", now},
                               {"exp", now + 600}};
    auto upstream = jose::SignJwt(*idp_key_, claims);
    EXPECT_THAT(upstream, IsOk());
    testing::HttpAnswer answer = testing::ExchangeToken(
        signetd_->base_url, upstream.ok() ? *upstream : "", "-d audience=orders");
    EXPECT_EQ(answer.status, 200) << answer.body;
    auto body = ParseJsonObject(answer.body);
    if (!body.ok() || !body->contains("access_token")) {
      return "";
    }
    return std::string(body->at("access_token").as_string());
  }

  jose::Jwks Published() {
    auto jwks =
        jose::Jwks::Parse(testing::Curl(signetd_->base_url + "/.well-known/jwks.json").body);
    EXPECT_THAT(jwks, IsOk());
    return jwks.ok() ? *jwks : jose::Jwks();
  }

  // Verifies `token` as a relying party would, with the JWKS published now.
  Result<jose::VerifiedJwt> Verify(const std::string& token) {
    auto validator = jose::JwtValidator::Builder()
                         .ExpectIssuer("https://signet.test")
                         .ExpectAudience("https://orders.test")
                         .AllowAlgorithms({jose::Algorithm::kES256})
                         .ExpectType("at+jwt")
                         .Build();
    EXPECT_THAT(validator, IsOk());
    return jose::JwtVerifier(*validator).Verify(token, Published(), Clock::Real().Now());
  }

  testing::HttpAnswer Admin(const std::string& method, const std::string& path,
                            const std::string& token) {
    return testing::Curl("-X " + method + " -H 'Authorization: Bearer " + token + "' " +
                         signetd_->base_url + path);
  }

  testing::TempDir dir_;
  std::unique_ptr<jose::SigningKey> idp_key_;
  std::string config_path_;
  std::unique_ptr<testing::RunningProcess> signetd_;
  std::string admin_token_;
};

TEST_F(RotationTest, ARotationPrepublishesTheNewKeyAndTokensStillVerify) {
  Start();
  std::string before = Issue();
  ASSERT_FALSE(before.empty());
  jose::Jwks initial = Published();
  ASSERT_EQ(initial.keys().size(), 1u);
  std::string old_kid = initial.keys()[0].kid();

  testing::HttpAnswer rotated = Admin("POST", "/v1/keys/rotate", admin_token_);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  auto key = ParseJsonObject(rotated.body);
  ASSERT_THAT(key, IsOk());
  std::string new_kid(key->at("kid").as_string());
  EXPECT_NE(new_kid, old_kid);
  EXPECT_EQ(key->at("state").as_string(), "pending");
  EXPECT_EQ(key->at("algorithm").as_string(), "ES256");

  // Published at once, before it signs (24 h of pre-publication by default).
  jose::Jwks after = Published();
  std::set<std::string> kids;
  for (const auto& jwk : after.keys()) {
    kids.insert(jwk.kid());
  }
  EXPECT_EQ(kids, (std::set<std::string>{old_kid, new_kid}));
  // Tokens from before still verify, and new ones are still signed by the old key.
  EXPECT_THAT(Verify(before), IsOk());
  std::string later = Issue();
  auto verified = Verify(later);
  ASSERT_THAT(verified, IsOk());
  auto header_json = Base64UrlDecode(later.substr(0, later.find('.')));
  ASSERT_THAT(header_json, IsOk());
  auto header = ParseJsonObject(*header_json);
  ASSERT_THAT(header, IsOk());
  EXPECT_EQ(header->at("kid").as_string(), old_kid);

  // /v1/keys tells which signs and which waits.
  testing::HttpAnswer listed = Admin("GET", "/v1/keys", admin_token_);
  ASSERT_EQ(listed.status, 200) << listed.body;
  auto list = ParseJsonObject(listed.body);
  ASSERT_THAT(list, IsOk());
  std::map<std::string, std::string> states;
  for (const auto& entry : list->at("keys").as_array()) {
    states[std::string(entry.at("kid").as_string())] = entry.at("state").as_string();
    if (entry.at("kid").as_string() == old_kid) {
      EXPECT_TRUE(entry.at("signing").as_bool());
      EXPECT_EQ(entry.at("retires_at"), key->at("activates_at"));
      EXPECT_TRUE(entry.at("unpublish_at").is_string());
    }
  }
  EXPECT_EQ(states,
            (std::map<std::string, std::string>{{old_kid, "active"}, {new_kid, "pending"}}));

  // One rotation at a time; only an admin rotates; the rotation is in the audit trail.
  EXPECT_EQ(Admin("POST", "/v1/keys/rotate", admin_token_).status, 409);
  EXPECT_EQ(Admin("POST", "/v1/keys/rotate", "signet_admin.nope.nope").status, 401);
  testing::HttpAnswer audit = Admin("GET", "/v1/audit", admin_token_);
  ASSERT_EQ(audit.status, 200) << audit.body;
  auto records = ParseJsonObject(audit.body);
  ASSERT_THAT(records, IsOk());
  int rotations = 0;
  for (const auto& entry : records->at("records").as_array()) {
    const auto& record = entry.at("record").as_object();
    if (record.at("action").as_string() == "rotate_signing_key") {
      ++rotations;
      EXPECT_EQ(record.at("target").as_string(), new_kid);
    }
  }
  EXPECT_EQ(rotations, 1);

  // A restart serves the same two keys, and the schedule.
  ASSERT_EQ(signetd_->process->Stop(SIGTERM, milliseconds(10000)), 0);
  Start();
  EXPECT_EQ(Published().keys().size(), 2u);
  EXPECT_THAT(Verify(before), IsOk());
}

TEST_F(RotationTest, PrintRoutesListsTheServedRoutesWithoutTouchingTheDataDir) {
  int code = -1;
  std::string out = testing::RunCommand(
      std::string(SIGNETD_PATH) + " --config " + config_path_ + " --print-routes 2>/dev/null",
      &code);
  EXPECT_EQ(code, 0);
  std::set<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    EXPECT_TRUE(lines.insert(line).second) << "listed twice: " << line;
  }
  for (const char* route :
       {"GET /.well-known/openid-configuration", "GET /.well-known/jwks.json", "POST /oauth2/token",
        "GET /v1/keys", "POST /v1/keys/rotate", "GET /healthz", "GET /readyz"}) {
    EXPECT_TRUE(lines.contains(route)) << route << " missing from:\n" << out;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/data"));
}

}  // namespace
}  // namespace signet
