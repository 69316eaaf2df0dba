// The typed credentials endpoint (POST /v1/credentials) and vaulted static secrets, end
// to end: signetd answers each destination with its credential and how to present it,
// serves only tokens at the RFC 8693 endpoint, hands out a secret rotated in the vault on
// the next request, and never writes a secret's value to its log or database.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <fstream>

#include "common/json.h"
#include "support/signet_processes.h"
#include "support/status_matchers.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace signet {
namespace {

using testing::IsOk;

constexpr const char* kOpenAiKey = "sk-proj-credentials-test-first";
constexpr const char* kSearchKey = "search-key-credentials-test";
constexpr const char* kJiraLogin = "robot:credentials-test-password";

class CredentialsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    idp_ = testing::StartDevIdp(SIGNET_PATH, dir_->path() + "/idp.log").release();
    ASSERT_FALSE(idp_->base_url.empty()) << "signet dev idp did not start";
    std::string config = dir_->path() + "/signetd.yaml";
    std::ofstream(config)
        << "server:\n  issuer: http://127.0.0.1:1\n  trust_domain: test.signet\n  data_dir: "
        << dir_->path() << "/data\nissuers:\n  - {name: dev, issuer: " << idp_->base_url
        << ", audiences: [signet]}\n"
           "workloads:\n"
           "  - {name: batch, identities: [{issuer: dev, claims: {sub: batch}}]}\n"
           "destinations:\n"
           "  - {name: orders-api, kind: signet-jwt, audience: 'https://orders.test'}\n"
           "  - {name: openai, kind: static-secret, secret: openai-key}\n"
           "  - {name: search, kind: static-secret, secret: search-key, scheme: header,"
           " header: x-api-key}\n"
           "  - {name: jira, kind: static-secret, secret: jira-login, scheme: basic}\n"
           "  - {name: unstocked, kind: static-secret, secret: never-stored}\n"
           "policies:\n"
           "  - {name: batch, workloads: [batch], destinations: [orders-api, openai, search,"
           " jira, unstocked], max_ttl: 5m}\n";
    signetd_ = testing::StartSignetd(SIGNETD_PATH, config, dir_->path() + "/signetd.log").release();
    ASSERT_FALSE(signetd_->base_url.empty()) << testing::ReadFile(dir_->path() + "/signetd.log");
    for (auto [name, value] :
         {std::pair{"openai-key", kOpenAiKey}, std::pair{"search-key", kSearchKey},
          std::pair{"jira-login", kJiraLogin}}) {
      PutSecret(name, value);
    }
  }

  static void TearDownTestSuite() {
    delete signetd_;
    delete idp_;
    delete dir_;
  }

  static void PutSecret(const std::string& name, const std::string& value) {
    std::ofstream(dir_->path() + "/value") << value;
    int code = -1;
    std::string out =
        testing::RunCommand(std::string(SIGNET_PATH) + " secret put " + name + " --from-file " +
                                dir_->path() + "/value --server " + signetd_->base_url +
                                " --token-file " + dir_->path() + "/data/admin.token 2>&1",
                            &code);
    ASSERT_EQ(code, 0) << out;
  }

  static std::string Identity() {
    std::string token = testing::MintToken(idp_->base_url, "sub=batch");
    EXPECT_FALSE(token.empty());
    return token;
  }

  // POST /v1/credentials for `destination` with the batch workload's identity.
  static std::pair<int, boost::json::object> CredentialFor(const std::string& destination) {
    boost::json::object request{{"destination", destination}, {"subject_token", Identity()}};
    testing::HttpAnswer http =
        testing::RequestCredential(signetd_->base_url, boost::json::serialize(request));
    auto body = ParseJsonObject(http.body);
    EXPECT_THAT(body, IsOk()) << http.body;
    EXPECT_EQ(http.headers["cache-control"], "no-store");
    return {http.status, body.ok() ? *body : boost::json::object{}};
  }

  static std::string Member(const boost::json::object& object, std::string_view name) {
    const boost::json::value* value = object.if_contains(name);
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : "";
  }

  static testing::TempDir* dir_;
  static testing::RunningProcess* idp_;
  static testing::RunningProcess* signetd_;
};

testing::TempDir* CredentialsTest::dir_ = nullptr;
testing::RunningProcess* CredentialsTest::idp_ = nullptr;
testing::RunningProcess* CredentialsTest::signetd_ = nullptr;

TEST_F(CredentialsTest, EachDestinationAnswersWithItsCredentialAndHowToPresentIt) {
  auto [status, openai] = CredentialFor("openai");
  ASSERT_EQ(status, 200) << boost::json::serialize(openai);
  EXPECT_EQ(Member(openai, "destination"), "openai");
  EXPECT_EQ(Member(openai, "type"), "token");
  EXPECT_EQ(Member(openai, "token"), kOpenAiKey);
  EXPECT_EQ(Member(openai, "token_type"), "Bearer");
  EXPECT_EQ(Member(openai.at("headers").as_object(), "Authorization"),
            std::string("Bearer ") + kOpenAiKey);
  // A vaulted key has no expiry of its own: the policy's 5m says when to ask again.
  int64_t expires_in = openai.at("expires_in").to_number<int64_t>();
  EXPECT_LE(expires_in, 300);
  EXPECT_GE(expires_in, 290);
  std::string expires_at = Member(openai, "expires_at");
  EXPECT_EQ(expires_at.size(), 20u) << expires_at;
  EXPECT_EQ(expires_at.back(), 'Z') << expires_at;

  auto [search_status, search] = CredentialFor("search");
  ASSERT_EQ(search_status, 200) << boost::json::serialize(search);
  EXPECT_EQ(Member(search, "type"), "headers");
  EXPECT_FALSE(search.contains("token"));
  EXPECT_EQ(search.at("headers").as_object().size(), 1u);
  EXPECT_EQ(Member(search.at("headers").as_object(), "x-api-key"), kSearchKey);

  auto [jira_status, jira] = CredentialFor("jira");
  ASSERT_EQ(jira_status, 200) << boost::json::serialize(jira);
  EXPECT_EQ(Member(jira.at("headers").as_object(), "Authorization"),
            "Basic cm9ib3Q6Y3JlZGVudGlhbHMtdGVzdC1wYXNzd29yZA==");

  auto [jwt_status, jwt] = CredentialFor("orders-api");
  ASSERT_EQ(jwt_status, 200) << boost::json::serialize(jwt);
  EXPECT_EQ(Member(jwt, "type"), "token");
  EXPECT_EQ(Member(jwt, "issued_token_type"), "urn:ietf:params:oauth:token-type:access_token");
  std::string token = Member(jwt, "token");
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2) << token;
}

TEST_F(CredentialsTest, TheTokenEndpointServesTokensOnly) {
  testing::HttpAnswer token =
      testing::ExchangeToken(signetd_->base_url, Identity(), "-d audience=openai");
  ASSERT_EQ(token.status, 200) << token.body;
  EXPECT_EQ(Member(*ParseJsonObject(token.body), "access_token"), kOpenAiKey);

  testing::HttpAnswer headers =
      testing::ExchangeToken(signetd_->base_url, Identity(), "-d audience=search");
  EXPECT_EQ(headers.status, 400);
  auto error = ParseJsonObject(headers.body);
  ASSERT_THAT(error, IsOk());
  EXPECT_EQ(Member(*error, "error"), "invalid_request");
  EXPECT_NE(Member(*error, "error_description").find("/v1/credentials"), std::string::npos)
      << headers.body;
  EXPECT_EQ(headers.body.find(kSearchKey), std::string::npos);
}

TEST_F(CredentialsTest, ARotatedSecretReachesTheNextRequest) {
  PutSecret("openai-key", "sk-proj-credentials-test-second");
  auto [status, openai] = CredentialFor("openai");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(Member(openai, "token"), "sk-proj-credentials-test-second");
  PutSecret("openai-key", kOpenAiKey);
}

TEST_F(CredentialsTest, ASecretMissingFromTheVaultIsAServerErrorNamingIt) {
  auto [status, body] = CredentialFor("unstocked");
  EXPECT_EQ(status, 500);
  EXPECT_EQ(Member(body, "error"), "server_error");
  EXPECT_NE(Member(body, "error_description").find("never-stored"), std::string::npos);
}

TEST_F(CredentialsTest, MalformedRequestsSayWhatToFix) {
  struct Case {
    std::string curl_args;
    int status;
    std::string error;
    std::string says;
  };
  std::string url = signetd_->base_url + "/v1/credentials";
  std::string json = " -H 'Content-Type: application/json' ";
  std::vector<Case> cases = {
      {"-d destination=openai " + url, 400, "invalid_request", "application/json"},
      {json + "-d '[1]' " + url, 400, "invalid_request", ""},
      {json + "-d '{\"destination\":\"openai\",\"subject_tokn\":\"x\"}' " + url, 400,
       "invalid_request", "subject_tokn"},
      {json + "-d '{\"destination\":\"openai\",\"subject_token\":7}' " + url, 400,
       "invalid_request", "subject_token must be a string"},
      {json + "-d '{\"subject_token\":\"x\"}' " + url, 400, "invalid_request", "destination"},
      {json +
           "-d "
           "'{\"destination\":\"openai\",\"subject_token\":\"x\",\"requested_expires_in\":-5}' " +
           url,
       400, "invalid_request", "requested_expires_in"},
      {json + "-d '{\"destination\":\"openai\",\"subject_token\":\"not-a-jwt\"}' " + url, 400,
       "invalid_request", ""},
  };
  for (const Case& c : cases) {
    testing::HttpAnswer answer = testing::Curl(c.curl_args);
    EXPECT_EQ(answer.status, c.status) << c.curl_args << "\n" << answer.body;
    auto body = ParseJsonObject(answer.body);
    ASSERT_THAT(body, IsOk()) << answer.body;
    EXPECT_EQ(Member(*body, "error"), c.error) << c.curl_args;
    EXPECT_NE(Member(*body, "error_description").find(c.says), std::string::npos)
        << c.curl_args << "\n"
        << answer.body;
  }
  // A destination the policy does not know, with a genuine identity.
  boost::json::object unknown{{"destination", "nowhere"}, {"subject_token", Identity()}};
  testing::HttpAnswer answer =
      testing::RequestCredential(signetd_->base_url, boost::json::serialize(unknown));
  EXPECT_EQ(answer.status, 400);
  EXPECT_NE(answer.body.find("invalid_target"), std::string::npos) << answer.body;
}

// `signet token` prints the typed answer, or lines for a shell: a token or a one-header
// credential in the variable asked for.
TEST_F(CredentialsTest, SignetTokenPrintsEveryForm) {
  std::string identity = dir_->path() + "/identity";
  std::ofstream(identity) << Identity() << "\n";
  auto signet_token = [&](const std::string& args, int* code) {
    return testing::RunCommand(std::string(SIGNET_PATH) + " token " + args + " --server " +
                                   signetd_->base_url + " --subject-token-file " + identity +
                                   " 2>&1",
                               code);
  };
  int code = -1;
  std::string out = signet_token("search --format env --env-name SEARCH_API_KEY", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, std::string("export SEARCH_API_KEY='") + kSearchKey + "'\n");
  out = signet_token("openai --format env --env-name OPENAI_API_KEY", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, std::string("export OPENAI_API_KEY='") + kOpenAiKey + "'\n");
  out = signet_token("jira --format json", &code);
  EXPECT_EQ(code, 0) << out;
  auto json = ParseJsonObject(out);
  ASSERT_THAT(json, IsOk()) << out;
  EXPECT_EQ(Member(*json, "type"), "headers");
  out = signet_token("unstocked --format env", &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("never-stored"), std::string::npos) << out;
}

TEST_F(CredentialsTest, NoSecretValueInLogsOrDatabase) {
  ASSERT_EQ(CredentialFor("openai").first, 200);
  ASSERT_EQ(CredentialFor("search").first, 200);
  ASSERT_EQ(CredentialFor("jira").first, 200);
  std::string log = testing::ReadFile(dir_->path() + "/signetd.log");
  std::string stored = testing::ReadFile(dir_->path() + "/data/signet.db") +
                       testing::ReadFile(dir_->path() + "/data/signet.db-wal");
  ASSERT_FALSE(stored.empty());
  for (const char* secret : {kOpenAiKey, kSearchKey, kJiraLogin, "credentials-test"}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
    EXPECT_EQ(stored.find(secret), std::string::npos) << secret;
  }
}

}  // namespace
}  // namespace signet
