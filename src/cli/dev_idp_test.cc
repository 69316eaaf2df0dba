#include "cli/dev_idp.h"

#include <gtest/gtest.h>

#include "common/json.h"
#include "jose/jwt.h"
#include "support/status_matchers.h"

namespace signet::cli {
namespace {

using testing::IsOk;

class DevIdpTest : public ::testing::Test {
 protected:
  DevIdpTest() {
    key_ = MakeDevIdpKey().value();
    AddDevIdpRoutes(router_, std::make_shared<const std::string>("http://127.0.0.1:9000"), key_,
                    clock_, random_);
  }

  http::Response Call(const std::string& method, const std::string& path,
                      const std::string& body = "") {
    http::Request request;
    request.method = method;
    request.path = path;
    request.body = body;
    http::Response answer;
    router_.Dispatch(request, [&answer](http::Response r) { answer = std::move(r); });
    return answer;
  }

  // Mints with `form` and verifies the token against the JWKS the IdP serves.
  jose::VerifiedJwt MintAndVerify(const std::string& form, const std::string& audience = "signet") {
    http::Response minted = Call("POST", "/mint", form);
    EXPECT_EQ(minted.status, 200) << minted.body;
    auto body = ParseJsonObject(minted.body);
    auto jwks = jose::Jwks::Parse(Call("GET", "/.well-known/jwks.json").body);
    auto validator = jose::JwtValidator::Builder()
                         .ExpectIssuer("http://127.0.0.1:9000")
                         .ExpectAudience(audience)
                         .AllowAlgorithms({jose::Algorithm::kRS256})
                         .Build();
    auto jwt =
        jose::JwtVerifier(*validator).Verify(body->at("token").as_string(), *jwks, clock_.Now());
    EXPECT_THAT(jwt, IsOk());
    return std::move(jwt).value();
  }

  SimulatedClock clock_;
  SeededRandom random_{1};
  std::shared_ptr<const jose::SigningKey> key_;
  http::Router router_;
};

TEST_F(DevIdpTest, DiscoveryAndJwksPublishTheKey) {
  auto discovery = ParseJsonObject(Call("GET", "/.well-known/openid-configuration").body);
  ASSERT_THAT(discovery, IsOk());
  EXPECT_EQ(discovery->at("issuer").as_string(), "http://127.0.0.1:9000");
  EXPECT_EQ(discovery->at("jwks_uri").as_string(), "http://127.0.0.1:9000/.well-known/jwks.json");
  auto jwks = jose::Jwks::Parse(Call("GET", "/.well-known/jwks.json").body);
  ASSERT_THAT(jwks, IsOk());
  ASSERT_EQ(jwks->keys().size(), 1u);
  EXPECT_EQ(jwks->keys()[0].kid(), key_->public_jwk().Thumbprint());
  EXPECT_EQ(jwks->keys()[0].rsa_bits(), 2048);
}

TEST_F(DevIdpTest, KubernetesShapedTokens) {
  jose::VerifiedJwt jwt = MintAndVerify("namespace=billing&serviceaccount=api&pod=api-7d9f");
  EXPECT_EQ(jwt.subject(), "system:serviceaccount:billing:api");
  const auto& k8s = jwt.claims().at("kubernetes.io").as_object();
  EXPECT_EQ(k8s.at("namespace").as_string(), "billing");
  EXPECT_EQ(k8s.at("serviceaccount").at("name").as_string(), "api");
  EXPECT_EQ(k8s.at("pod").at("name").as_string(), "api-7d9f");
  EXPECT_EQ(k8s.at("pod").at("uid").as_string().size(), 36u);
  EXPECT_TRUE(jwt.claims().at("aud").is_array());
  EXPECT_EQ(jwt.expires_at() - *jwt.issued_at(), std::chrono::seconds(600));
}

TEST_F(DevIdpTest, GithubShapedTokens) {
  jose::VerifiedJwt jwt =
      MintAndVerify("kind=github&repository=acme/deployer&aud=https://signet", "https://signet");
  EXPECT_EQ(jwt.subject(), "repo:acme/deployer:ref:refs/heads/main");
  jose::VerifiedJwt env =
      MintAndVerify("kind=github&repository=acme/deployer&environment=prod&aud=x", "x");
  EXPECT_EQ(env.subject(), "repo:acme/deployer:environment:prod");
  EXPECT_EQ(env.claims().at("repository_owner").as_string(), "acme");
  EXPECT_EQ(env.claims().at("ref").as_string(), "refs/heads/main");
  EXPECT_EQ(env.claims().at("sha").as_string().size(), 40u);
  EXPECT_EQ(env.claims().at("job_workflow_ref").as_string(),
            "acme/deployer/.github/workflows/ci.yml@refs/heads/main");
  jose::VerifiedJwt branch = MintAndVerify("kind=github&repository=acme/api&ref=refs/heads/dev");
  EXPECT_EQ(branch.subject(), "repo:acme/api:ref:refs/heads/dev");
}

TEST_F(DevIdpTest, SpiffeShapedTokens) {
  jose::VerifiedJwt jwt = MintAndVerify("kind=spiffe&trust_domain=prod.example&path=/ns/a/sa/b");
  EXPECT_EQ(jwt.subject(), "spiffe://prod.example/ns/a/sa/b");
  EXPECT_TRUE(jwt.claims().at("aud").is_string());
  EXPECT_FALSE(jwt.claims().contains("jti"));
}

TEST_F(DevIdpTest, ExpiredTokensForNegativeTests) {
  http::Response minted = Call("POST", "/mint", "exp_offset=-120");
  ASSERT_EQ(minted.status, 200);
  auto body = ParseJsonObject(minted.body);
  EXPECT_EQ(body->at("expires_at").as_int64(), ToUnixSecondsFloor(clock_.Now()) - 120);
}

TEST_F(DevIdpTest, BadFieldsAreNamed) {
  for (const char* form :
       {"kind=saml", "colour=blue", "ttl=0", "ttl=999999", "ttl=1x", "kind=github",
        "kind=github&repository=noslash", "kind=spiffe&path=nopath",
        "kind=kubernetes&repository=a/b", "aud=a&aud=b"}) {
    http::Response answer = Call("POST", "/mint", form);
    EXPECT_EQ(answer.status, 400) << form;
    EXPECT_NE(answer.body.find("invalid_request"), std::string::npos) << form;
  }
  EXPECT_NE(Call("POST", "/mint", "colour=blue").body.find("colour"), std::string::npos);
}

}  // namespace
}  // namespace signet::cli
