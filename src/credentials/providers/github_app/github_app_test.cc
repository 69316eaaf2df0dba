#include "credentials/providers/github_app/github_app.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/serialize.hpp>

#include "common/json.h"
#include "jose/jwt.h"
#include "support/calling_out_test.h"
#include "support/status_matchers.h"

namespace signet::credentials {
namespace {

using testing::FailsWith;
using testing::FailsWithCode;
using testing::IsOk;

using testing::HeaderOf;

constexpr char kAccessTokensUrl[] =
    "https://ghe.example.com/api/v3/app/installations/4242/access_tokens";

http::ClientResponse JsonResponse(int status, std::string body,
                                  std::vector<std::pair<std::string, std::string>> headers = {}) {
  return http::ClientResponse{status, "application/json", std::move(headers), std::move(body)};
}

// `key` as GitHub hands an App's key out: PKCS#1 ("BEGIN RSA PRIVATE KEY").
std::string Pkcs1Pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PrivateKey_traditional(bio, key, nullptr, nullptr, 0, nullptr, nullptr),
            1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  return pem;
}

class GitHubAppTest : public testing::CallingOutTest {
 protected:
  static void SetUpTestSuite() {
    app_key_ = new jose::SigningKey(
        jose::SigningKey::GenerateForTesting(jose::Algorithm::kRS256, "github-app-key", 2048)
            .value());
    short_key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
  }
  static void TearDownTestSuite() {
    delete app_key_;
    EVP_PKEY_free(short_key_);
  }

  GitHubAppTest() {
    vault_["github-app-key"] = Pkcs1Pem(app_key_->pkey());
    destination_.settings = {{"client_id", "Iv23liABCDEF0123"},
                             {"installation_id", "4242"},
                             {"private_key_secret", "github-app-key"},
                             {"api_url", "https://ghe.example.com/api/v3/"}};
  }

  std::unique_ptr<CredentialProvider> Provider() { return ProviderFor(destination_); }

  IssueRequest Request(std::vector<std::string> scopes = {},
                       std::chrono::seconds lifetime = std::chrono::seconds(3600)) {
    return CallingOutTest::Request(lifetime, std::move(scopes));
  }

  // What GitHub answers the provider's next requests for an installation token.
  void Answer(Result<http::ClientResponse> answer, const std::string& url = kAccessTokensUrl) {
    client_->Set(url, std::move(answer));
  }

  // GitHub's 201, its token expiring `in` from now.
  http::ClientResponse Created(std::string token,
                               std::chrono::seconds in = std::chrono::seconds(3600)) {
    return JsonResponse(201, R"({"token":")" + token + R"(","expires_at":")" +
                                 FormatUtcSeconds(clock_.Now() + in) +
                                 R"(","permissions":{"contents":"read"},"repository_selection":)"
                                 R"("selected","repositories":[{"id":1,"name":"signet"}]})");
  }

  boost::json::object SentBody(size_t i = 0) {
    auto body = ParseJsonObject(client_->requests.at(i).body);
    EXPECT_THAT(body, IsOk()) << client_->requests.at(i).body;
    return body.ok() ? *body : boost::json::object{};
  }

  static jose::SigningKey* app_key_;
  static EVP_PKEY* short_key_;  // too short for GitHub and for Signet
  Destination destination_{"github", "github-app", "", {}};
};

jose::SigningKey* GitHubAppTest::app_key_ = nullptr;
EVP_PKEY* GitHubAppTest::short_key_ = nullptr;

TEST_F(GitHubAppTest, AsksForAnInstallationTokenAsGitHubDocuments) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  EXPECT_TRUE(provider->CallsOut());  // it reads the vault and calls GitHub
  // A token of a shape and length GitHub may adopt: nothing assumes 40 characters.
  std::string token = "ghs_12345_" + std::string(300, 'x');
  Answer(Created(token));
  auto credential =
      provider->Issue(Request({"contents:read", "repo:signet", "issues:write", "repo:docs"}));
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->form, CredentialForm::kToken);
  EXPECT_EQ(credential->access_token, token);
  EXPECT_EQ(credential->token_type, "Bearer");
  EXPECT_EQ(credential->issued_token_type, kAccessTokenType);
  EXPECT_EQ(credential->headers, (std::vector<HttpHeader>{{"Authorization", "Bearer " + token}}));
  EXPECT_EQ(credential->expires_at, clock_.Now() + std::chrono::seconds(3600));
  EXPECT_EQ(credential->scopes, (std::vector<std::string>{"contents:read", "repo:signet",
                                                          "issues:write", "repo:docs"}));

  ASSERT_EQ(client_->requests.size(), 1u);
  const http::ClientRequest& sent = client_->requests[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "https://ghe.example.com/api/v3/app/installations/4242/access_tokens");
  EXPECT_EQ(HeaderOf(sent, "Accept"), "application/vnd.github+json");
  EXPECT_EQ(HeaderOf(sent, "X-GitHub-Api-Version"), "2022-11-28");
  EXPECT_EQ(HeaderOf(sent, "User-Agent"), "signet");
  EXPECT_EQ(HeaderOf(sent, "Content-Type"), "application/json");
  EXPECT_EQ(sent.headers.size(), 5u);
  EXPECT_EQ(SentBody(),
            (boost::json::object{{"repositories", boost::json::array{"signet", "docs"}},
                                 {"permissions", {{"contents", "read"}, {"issues", "write"}}}}));

  // The App JWT: RS256 under the App's key, iat a minute back, exp 9 minutes ahead,
  // iss the client id, and nothing else.
  std::string authorization = std::string(HeaderOf(sent, "Authorization"));
  ASSERT_TRUE(authorization.starts_with("Bearer ")) << authorization;
  std::string app_jwt = authorization.substr(7);
  auto verifier = jose::JwsVerifier::Create({jose::Algorithm::kRS256});
  ASSERT_THAT(verifier, IsOk());
  auto verified = verifier->Verify(app_jwt, jose::Jwks({app_key_->public_jwk()}));
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->header().alg, jose::Algorithm::kRS256);
  int64_t now = ToUnixSecondsFloor(clock_.Now());
  EXPECT_EQ(
      ParseJsonObject(verified->payload()).value(),
      (boost::json::object{{"iat", now - 60}, {"exp", now + 540}, {"iss", "Iv23liABCDEF0123"}}));
}

TEST_F(GitHubAppTest, WithoutScopesTheConfiguredDefaultsAreSent) {
  destination_.settings["permissions"] = "contents:read, metadata:read";
  destination_.settings["repositories"] = "signet,docs";
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(Created("t"));
  ASSERT_THAT(provider->Issue(Request()), IsOk());
  EXPECT_EQ(SentBody(0),
            (boost::json::object{{"repositories", boost::json::array{"signet", "docs"}},
                                 {"permissions", {{"contents", "read"}, {"metadata", "read"}}}}));
  // Scopes replace the defaults of what they name, and only that.
  ASSERT_THAT(provider->Issue(Request({"repo:www"})), IsOk());
  EXPECT_EQ(SentBody(1),
            (boost::json::object{{"repositories", boost::json::array{"www"}},
                                 {"permissions", {{"contents", "read"}, {"metadata", "read"}}}}));
  ASSERT_THAT(provider->Issue(Request({"pull_requests:write"})), IsOk());
  EXPECT_EQ(SentBody(2),
            (boost::json::object{{"repositories", boost::json::array{"signet", "docs"}},
                                 {"permissions", {{"pull_requests", "write"}}}}));
}

TEST_F(GitHubAppTest, WithoutScopesOrDefaultsNoBodyIsSent) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(Created("t"));
  ASSERT_THAT(provider->Issue(Request()), IsOk());
  EXPECT_EQ(client_->requests[0].body, "");
  EXPECT_EQ(HeaderOf(client_->requests[0], "Content-Type"), "");
  // The default API is github.com's.
  destination_.settings.erase("api_url");
  provider = Provider();
  Answer(Created("t"), "https://api.github.com/app/installations/4242/access_tokens");
  ASSERT_THAT(provider->Issue(Request()), IsOk());
  EXPECT_EQ(client_->requests[0].url,
            "https://api.github.com/app/installations/4242/access_tokens");
}

TEST_F(GitHubAppTest, ScopesFollowTheVocabulary) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(Created("t"));
  // Granted both, the token gets the higher level, which includes the other.
  ASSERT_THAT(provider->Issue(Request({"contents:write", "contents:read", "checks:admin"})),
              IsOk());
  EXPECT_EQ(SentBody(),
            (boost::json::object{{"permissions", {{"checks", "admin"}, {"contents", "write"}}}}));
  for (const char* scope :
       {"contents", "contents:own", "Contents:read", "repo:", "repo:a/b", ":read", "repo:a b"}) {
    auto refused = provider->Issue(Request({scope}));
    EXPECT_THAT(refused, FailsWithCode(ErrorCode::kInvalidScope, "scope_unsupported")) << scope;
  }
  std::vector<std::string> many;
  for (int i = 0; i < 501; ++i) {
    many.push_back("repo:r" + std::to_string(i));
  }
  EXPECT_THAT(provider->Issue(Request(many)), FailsWith("scope_unsupported"));
  EXPECT_EQ(client_->requests.size(), 1u);
}

TEST_F(GitHubAppTest, LoadsPkcs8KeysToo) {
  vault_["github-app-key"] = std::string(app_key_->ToPkcs8Pem().Reveal(SecretAccess::Grant()));
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(Created("t"));
  ASSERT_THAT(provider->Issue(Request()), IsOk());
}

TEST_F(GitHubAppTest, UnusableKeysNameTheSecretNotItsContent) {
  auto ec = jose::SigningKey::GenerateForTesting(jose::Algorithm::kES256, "ec").value();
  std::string short_pem = Pkcs1Pem(short_key_);
  for (const auto& [pem, reason] : std::vector<std::pair<std::string, std::string>>{
           {std::string(ec.ToPkcs8Pem().Reveal(SecretAccess::Grant())), "private_key_not_rsa"},
           {short_pem, "private_key_too_short"},
           {"-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n",
            "private_key_invalid"}}) {
    vault_["github-app-key"] = pem;
    auto provider = Provider();
    ASSERT_NE(provider, nullptr);
    auto refused = provider->Issue(Request());
    EXPECT_THAT(refused, FailsWithCode(ErrorCode::kServerError, "private_key_unusable"));
    const std::string& message = refused.status().message();
    EXPECT_NE(message.find("secret github-app-key"), std::string::npos) << message;
    EXPECT_NE(message.find(reason), std::string::npos) << message;
    EXPECT_EQ(message.find(pem.substr(32, 16)), std::string::npos) << message;
    EXPECT_TRUE(client_->requests.empty());
  }
  vault_.clear();
  auto provider = Provider();
  auto missing = provider->Issue(Request());
  EXPECT_THAT(missing, FailsWithCode(ErrorCode::kServerError, "private_key_unusable"));
  EXPECT_NE(missing.status().message().find("secret_not_found"), std::string::npos);
}

TEST_F(GitHubAppTest, CachedPerScopesAndRefreshedAhead) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(Created("t1"));
  ASSERT_THAT(provider->Issue(Request({"contents:read"})), IsOk());
  clock_.Advance(std::chrono::minutes(50));
  auto cached = provider->Issue(Request({"contents:read"}));
  ASSERT_THAT(cached, IsOk());
  EXPECT_EQ(cached->access_token, "t1");
  EXPECT_EQ(client_->requests.size(), 1u);
  EXPECT_EQ(vault_opened_, 1);  // the key is read for a fetch, not per request
  // Other scopes are another token.
  Answer(Created("t2"));
  ASSERT_THAT(provider->Issue(Request({"contents:write"})), IsOk());
  EXPECT_EQ(client_->requests.size(), 2u);
  // Inside the refresh window (two minutes before t1's expiry) the next request fetches.
  clock_.Advance(std::chrono::minutes(9));
  Answer(Created("t3"));
  auto refreshed = provider->Issue(Request({"contents:read"}));
  ASSERT_THAT(refreshed, IsOk());
  EXPECT_EQ(refreshed->access_token, "t3");
  EXPECT_EQ(client_->requests.size(), 3u);
}

TEST_F(GitHubAppTest, ReportedExpiryIsCappedByTheGrantedLifetime) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(Created("t1"));
  auto credential = provider->Issue(Request({}, std::chrono::seconds(300)));
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->expires_at, clock_.Now() + std::chrono::seconds(300));
  // GitHub's own expiry is honoured when it comes first.
  Answer(Created("t2", std::chrono::seconds(200)));
  credential = provider->Issue(Request({"contents:read"}, std::chrono::seconds(300)));
  ASSERT_THAT(credential, IsOk());
  EXPECT_EQ(credential->expires_at, clock_.Now() + std::chrono::seconds(200));
}

TEST_F(GitHubAppTest, UpstreamFailuresBecomeClearErrors) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Answer(Status(ErrorCode::kTemporarilyUnavailable, "fetch_timeout", "timed out"));
  EXPECT_THAT(provider->Issue(Request()),
              FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"));

  const std::string echo = R"({"message":"echo-of-input ghs_secret","documentation_url":)"
                           R"("https://docs.github.com/rest","status":")";
  for (int status : {401, 403, 404, 422}) {
    Answer(JsonResponse(status, echo + std::to_string(status) + "\"}"));
    auto refused = provider->Issue(Request());
    EXPECT_THAT(refused, FailsWithCode(ErrorCode::kInvalidTarget, "destination_refused")) << status;
    const std::string& message = refused.status().message();
    EXPECT_NE(message.find("HTTP " + std::to_string(status)), std::string::npos) << message;
    EXPECT_EQ(message.find("echo-of-input"), std::string::npos) << message;
  }
  // Rate limits: a 403 with no requests left, or a 429, is worth retrying.
  Answer(JsonResponse(403, echo + "403\"}", {{"X-RateLimit-Remaining", "0"}}));
  EXPECT_THAT(provider->Issue(Request()),
              FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"));
  Answer(JsonResponse(403, echo + "403\"}", {{"Retry-After", "60"}}));
  EXPECT_THAT(provider->Issue(Request()),
              FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"));
  Answer(JsonResponse(403, echo + "403\"}", {{"x-ratelimit-remaining", "12"}}));
  EXPECT_THAT(provider->Issue(Request()), FailsWith("destination_refused"));
  for (int status : {429, 500, 502, 503}) {
    Answer(JsonResponse(status, "{}"));
    EXPECT_THAT(provider->Issue(Request()),
                FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"))
        << status;
  }
  // 200 is not the documented 201.
  http::ClientResponse ok = Created("t");
  ok.status = 200;
  Answer(ok);
  EXPECT_THAT(provider->Issue(Request()),
              FailsWithCode(ErrorCode::kServerError, "destination_answer_malformed"));
  std::string later = FormatUtcSeconds(clock_.Now() + std::chrono::hours(1));
  std::string earlier = FormatUtcSeconds(clock_.Now() - std::chrono::seconds(1));
  for (const std::string& body :
       {std::string("not json"), std::string(R"({"expires_at":")") + later + "\"}",
        R"({"token":"","expires_at":")" + later + "\"}",
        R"({"token":7,"expires_at":")" + later + "\"}", std::string(R"({"token":"t"})"),
        std::string(R"({"token":"t","expires_at":"in an hour"})"),
        std::string(R"({"token":"t","expires_at":1800003600})"),
        R"({"token":"t","expires_at":")" + earlier + "\"}"}) {
    Answer(JsonResponse(201, body));
    EXPECT_THAT(provider->Issue(Request()),
                FailsWithCode(ErrorCode::kServerError, "destination_answer_malformed"))
        << body;
  }
  // Nothing failed was cached.
  Answer(Created("good"));
  auto good = provider->Issue(Request());
  ASSERT_THAT(good, IsOk());
  EXPECT_EQ(good->access_token, "good");
}

TEST_F(GitHubAppTest, RefusesWhatItCannotIssue) {
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  IssueRequest jwt = Request();
  jwt.requested_token_type = std::string(kJwtTokenType);
  EXPECT_THAT(provider->Issue(jwt), FailsWith("requested_token_type_unsupported"));
  EXPECT_THAT(provider->Issue(Request({}, std::chrono::seconds(0))),
              FailsWith("lifetime_exhausted"));
  EXPECT_TRUE(client_->requests.empty());
}

TEST_F(GitHubAppTest, SettingsAreChecked) {
  ExpectSettingsChecked(destination_, {"client_id", "installation_id", "private_key_secret"},
                        {{"installation_id", "my-org"},
                         {"installation_id", ""},
                         {"client_id", "has space"},
                         {"private_key_secret", ""},
                         {"api_url", "http://ghe.example.com"},
                         {"permissions", "contents:read, repo:signet"},
                         {"permissions", "contents=read"},
                         {"repositories", "org/signet"},
                         {"ca_file", "/nonexistent/ca.pem"}});
  // The App JWT has no aud: a destination naming an audience is refused.
  Destination named = destination_;
  named.audience = "https://api.github.com";
  EXPECT_THAT(CreateProvider(named, context_), FailsWith("destination_setting_unknown"));
}

}  // namespace
}  // namespace signet::credentials
