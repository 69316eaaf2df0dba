// github-app end to end: signetd mints GitHub App installation tokens at a stand-in of
// GitHub's REST API (HTTPS, a certificate made for the test, GitHub's documented wire
// format), signing the App JWT with the App's private key that the operator stored with
// `signet secret put`; the workload gets the token through the RFC 8693 token endpoint.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "common/clock.h"
#include "common/json.h"
#include "jose/jwt.h"
#include "support/destination_harness.h"
#include "support/github_stand_in.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet {
namespace {

using testing::GitHubStandIn;
using testing::IsOk;

constexpr const char* kClientId = "Iv23liStandIn0001";

// Destinations that each meet one failure, by the stand-in's installation id, and what
// the workload then gets.
struct Failure {
  const char* destination;
  int http_status;
  const char* error;
  const char* reason;
  const char* description;  // a part of the error_description
};
constexpr Failure kFailures[] = {
    {"github-401", 400, "invalid_target", "destination_refused", "HTTP 401"},
    {"github-403", 400, "invalid_target", "destination_refused", "HTTP 403"},
    {"github-404", 400, "invalid_target", "destination_refused", "HTTP 404"},
    {"github-422", 400, "invalid_target", "destination_refused", "HTTP 422"},
    {"github-ratelimited", 503, "temporarily_unavailable", "destination_unavailable",
     "rate-limited"},
    {"github-500", 503, "temporarily_unavailable", "destination_unavailable", "HTTP 500"},
    // A server error names the audit record, where the cause is.
    {"github-malformed", 500, "server_error", "destination_answer_malformed", "audit record"},
    {"github-down", 503, "temporarily_unavailable", "destination_unavailable", "cannot be reached"},
    {"github-nokey", 500, "server_error", "private_key_unusable", "audit record"},
};

class GitHubDestinationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new testing::TempDir();
    int code = -1;
    std::string out =
        testing::RunCommand("openssl genrsa -traditional -out " + keys_->File("app.pem") +
                                " 2048 2>&1 && " + "openssl rsa -in " + keys_->File("app.pem") +
                                " -pubout -out " + keys_->File("app.pub.pem") + " 2>&1",
                            &code);
    ASSERT_EQ(code, 0) << out;
    standin_ = new GitHubStandIn(keys_->path());
    auto destination = [](const std::string& name, int installation, const std::string& api_url,
                          const std::string& secret) {
      return "  - name: " + name + "\n    kind: github-app\n    client_id: " + kClientId +
             "\n    installation_id: \"" + std::to_string(installation) +
             "\"\n    private_key_secret: " + secret + "\n    api_url: " + api_url +
             "\n    ca_file: " + standin_->cert() + "\n";
    };
    std::string api = standin_->api_url();
    std::string yaml =
        "destinations:\n" + destination("github", GitHubStandIn::kOk, api, "github-app-key") +
        "    permissions: metadata:read\n" +
        destination("github-short", GitHubStandIn::kShortLived, api, "github-app-key");
    for (int status : {401, 404, 422, 500}) {
      yaml += destination("github-" + std::to_string(status), status, api, "github-app-key");
    }
    yaml += destination("github-403", GitHubStandIn::kForbidden, api, "github-app-key") +
            destination("github-ratelimited", GitHubStandIn::kRateLimited, api, "github-app-key") +
            destination("github-malformed", GitHubStandIn::kMalformed, api, "github-app-key") +
            destination("github-down", GitHubStandIn::kOk,
                        "https://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort()),
                        "github-app-key") +
            destination("github-nokey", GitHubStandIn::kOk, api, "absent-key");
    yaml +=
        "policies:\n"
        "  - {name: ci-github, workloads: [ci-bot, burst-bot], destinations: [github],"
        " max_ttl: 5m, scopes: [contents:read, repo:signet]}\n"
        "  - {name: ci-others, workloads: [ci-bot], destinations: ['*'], max_ttl: 30m}\n";
    signetd_ = testing::DestinationHarness::Start(SIGNET_PATH, SIGNETD_PATH, keys_->path(),
                                                  {"ci-bot", "burst-bot"}, yaml)
                   .release();
    ASSERT_NE(signetd_, nullptr);
    out =
        signetd_->Signet("secret put github-app-key --from-file " + keys_->File("app.pem"), &code);
    ASSERT_EQ(code, 0) << out;
  }

  static void TearDownTestSuite() {
    delete signetd_;
    delete standin_;
    delete keys_;
  }

  static std::pair<int, boost::json::object> TokenFor(const std::string& workload,
                                                      const std::string& destination) {
    return signetd_->TokenFor(workload, destination);
  }

  static testing::TempDir* keys_;
  static GitHubStandIn* standin_;
  static testing::DestinationHarness* signetd_;
};

testing::TempDir* GitHubDestinationTest::keys_ = nullptr;
GitHubStandIn* GitHubDestinationTest::standin_ = nullptr;
testing::DestinationHarness* GitHubDestinationTest::signetd_ = nullptr;

TEST_F(GitHubDestinationTest, InstallationTokenAsGitHubDocuments) {
  size_t before = standin_->RequestsFor(GitHubStandIn::kOk).size();
  auto [status, body] = TokenFor("ci-bot", "github");
  ASSERT_EQ(status, 200) << boost::json::serialize(body);
  std::string token(body.at("access_token").as_string());
  EXPECT_TRUE(token.starts_with("ghs_standin_")) << token;
  EXPECT_EQ(body.at("token_type"), "Bearer");
  EXPECT_EQ(body.at("issued_token_type"), "urn:ietf:params:oauth:token-type:access_token");
  EXPECT_EQ(body.at("scope"), "contents:read repo:signet");
  // GitHub's hour is capped by the policy's 5 minutes.
  EXPECT_LE(body.at("expires_in").to_number<int64_t>(), 300);
  EXPECT_GE(body.at("expires_in").to_number<int64_t>(), 290);

  // The request Signet made, as GitHub documents it.
  std::vector<http::Request> seen = standin_->RequestsFor(GitHubStandIn::kOk);
  ASSERT_EQ(seen.size(), before + 1);
  const http::Request& sent = seen.back();
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.path, "/app/installations/100/access_tokens");
  EXPECT_EQ(sent.Header("Accept").value_or(""), "application/vnd.github+json");
  EXPECT_EQ(sent.Header("X-GitHub-Api-Version").value_or(""), "2022-11-28");
  EXPECT_EQ(sent.Header("User-Agent").value_or(""), "signet");
  EXPECT_EQ(sent.Header("Content-Type").value_or(""), "application/json");
  // The policy's scopes narrow the token; they name permissions, so the destination's
  // default permissions give way.
  EXPECT_EQ(ParseJsonObject(sent.body).value(),
            (boost::json::object{{"repositories", boost::json::array{"signet"}},
                                 {"permissions", {{"contents", "read"}}}}));

  // The App JWT: signed with the App's key, iss the client id, iat a minute back, exp
  // nine minutes ahead.
  std::string authorization(sent.Header("Authorization").value_or(""));
  ASSERT_TRUE(authorization.starts_with("Bearer ")) << authorization;
  std::string app_jwt = authorization.substr(7);
  EXPECT_TRUE(signetd_->OpensslVerifiesRs256(app_jwt, keys_->File("app.pub.pem")));
  auto parsed = jose::ParseJwt(app_jwt);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->jws.header.alg, jose::Algorithm::kRS256);
  EXPECT_EQ(parsed->claims.at("iss"), kClientId);
  int64_t iat = parsed->claims.at("iat").to_number<int64_t>();
  int64_t now = ToUnixSecondsFloor(Clock::Real().Now());
  EXPECT_EQ(parsed->claims.at("exp").to_number<int64_t>() - iat, 600);
  EXPECT_LE(iat, now - 59);
  EXPECT_GE(iat, now - 90);
  EXPECT_EQ(parsed->claims.size(), 3u);

  // A second request is served from Signet's cache: no second call to GitHub.
  auto [again_status, again] = TokenFor("ci-bot", "github");
  ASSERT_EQ(again_status, 200);
  EXPECT_EQ(again.at("access_token").as_string(), token);
  EXPECT_EQ(standin_->RequestsFor(GitHubStandIn::kOk).size(), before + 1);
}

// GitHub's expires_at is honoured: a token expiring inside the refresh window (90 s
// ahead) is fetched again by the next request.
TEST_F(GitHubDestinationTest, ATokenNearItsExpiryIsRefreshed) {
  auto [status, first] = TokenFor("ci-bot", "github-short");
  ASSERT_EQ(status, 200) << boost::json::serialize(first);
  EXPECT_LE(first.at("expires_in").to_number<int64_t>(), 90);
  EXPECT_EQ(standin_->RequestsFor(GitHubStandIn::kShortLived).size(), 1u);
  // No scopes and no default narrowing: no body.
  EXPECT_EQ(standin_->RequestsFor(GitHubStandIn::kShortLived)[0].body, "");
  auto [again_status, again] = TokenFor("ci-bot", "github-short");
  ASSERT_EQ(again_status, 200);
  EXPECT_NE(again.at("access_token"), first.at("access_token"));
  EXPECT_EQ(standin_->RequestsFor(GitHubStandIn::kShortLived).size(), 2u);
}

TEST_F(GitHubDestinationTest, ConcurrentRequestsShareOneUpstreamCall) {
  size_t before = standin_->RequestsFor(GitHubStandIn::kOk).size();
  EXPECT_EQ(signetd_->ConcurrentTokens("burst-bot", "github", 50).size(), 1u);
  EXPECT_EQ(standin_->RequestsFor(GitHubStandIn::kOk).size(), before + 1);
}

TEST_F(GitHubDestinationTest, FailuresAreClearErrorsAndAudited) {
  for (const Failure& failure : kFailures) {
    auto [status, body] = TokenFor("ci-bot", failure.destination);
    EXPECT_EQ(status, failure.http_status) << failure.destination;
    EXPECT_EQ(body["error"], failure.error) << failure.destination;
    std::string description(body["error_description"].as_string());
    EXPECT_NE(description.find(failure.description), std::string::npos) << description;
    EXPECT_EQ(description.find(GitHubStandIn::kEchoedText), std::string::npos) << description;
  }
  for (const Failure& failure : kFailures) {
    EXPECT_GE(signetd_->AuditRecords(failure.destination, failure.reason, "ci-bot"), 1u)
        << failure.destination;
  }
}

// Neither the App's key, nor a token GitHub handed out, nor GitHub's error text reaches
// signetd's log or its database (audit trail included; the vault holds the key sealed).
TEST_F(GitHubDestinationTest, NoKeyOrTokenInLogsOrDatabase) {
  ASSERT_EQ(TokenFor("ci-bot", "github").first, 200);
  TokenFor("ci-bot", "github-404");
  std::string pem = testing::ReadFile(keys_->File("app.pem"));
  std::vector<std::string> secrets = {"ghs_standin_", GitHubStandIn::kEchoedText,
                                      "BEGIN RSA PRIVATE KEY"};
  for (size_t at = 200; at + 40 < pem.size(); at += 400) {
    secrets.push_back(pem.substr(at, 40));  // pieces of the key's body
  }
  signetd_->ExpectNowhereStored(secrets);
}

}  // namespace
}  // namespace signet
