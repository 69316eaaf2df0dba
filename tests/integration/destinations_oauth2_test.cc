// The client credentials grant end to end: `signetd` gets workloads access tokens from a
// stand-in OAuth 2.0 authorization server (oauth2-client-credentials, with each of its
// client authentication methods, the client secret kept in signetd's vault) and from a
// stand-in of Microsoft Entra's token endpoint (azure-entra, a Signet-signed assertion as
// the client assertion). Both stand-ins speak HTTPS with a certificate made for the test
// and their documented wire formats, error shapes included; they check nothing and
// record what they receive, and the tests check it.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <sstream>

#include "common/json.h"
#include "support/destination_harness.h"
#include "support/form_fields.h"
#include "support/oauth2_stand_in.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet {
namespace {

using testing::IsOk;

constexpr const char* kSecretValue = "standin-client-secret-value";
constexpr const char* kTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr const char* kAppId = "6f3a1c2e-0b7d-4e55-9a51-3c1f0d2b8e94";

class DestinationsOAuth2Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    oauth2_ = new testing::OAuth2StandIn(dir_->path(), testing::OAuth2StandIn::Dialect::kGeneric);
    entra_ = new testing::OAuth2StandIn(dir_->path(), testing::OAuth2StandIn::Dialect::kEntra);
    std::ostringstream out;
    out << "destinations:\n";
    // One generic destination per behaviour of the stand-in (it answers by client id).
    auto generic = [&out](const std::string& name, const std::string& client_id,
                          const std::string& extra) {
      out << "  - name: " << name << "\n    kind: oauth2-client-credentials\n"
          << "    token_url: " << oauth2_->url() << "\n    ca_file: " << oauth2_->cert()
          << "\n    client_id: " << client_id << "\n"
          << extra;
    };
    std::string secret = "    client_secret: orders-client-secret\n";
    generic("orders", "orders-client",
            secret +
                "    scope: orders.read orders.write\n"
                "    resource: https://orders.example\n");
    generic("orders-post", "post-client", secret + "    auth_method: client_secret_post\n");
    generic("orders-jwt", "jwt-client", "    auth_method: private_key_jwt\n");
    generic("orders-short", "orders-short", secret);
    generic("orders-burst", "orders-burst", secret);
    generic("orders-refused", "orders-refused", secret);
    generic("orders-flaky", "orders-flaky", secret);
    generic("orders-malformed", "orders-malformed", secret);
    generic("orders-unvaulted", "orders-unvaulted", "    client_secret: never-stored\n");
    out << "  - name: orders-down\n    kind: oauth2-client-credentials\n"
        << "    token_url: https://127.0.0.1:" << testing::FreeLoopbackPort() << "/oauth2/token\n"
        << "    client_id: down-client\n"
        << secret;
    out << "  - name: keyvault\n    kind: azure-entra\n    authority: " << entra_->url()
        << "\n    ca_file: " << entra_->cert() << "\n    tenant_id: " << kTenant
        << "\n    client_id: " << kAppId << "\n    scope: https://vault.azure.net/.default\n";
    out << "policies:\n"
           "  - {name: apps, workloads: [billing-api, app-refused, app-flaky, app-malformed,"
           " app-short, app-burst], destinations: [orders, orders-post, orders-jwt, orders-short,"
           " orders-burst, orders-refused, orders-flaky, orders-malformed, orders-unvaulted,"
           " orders-down, keyvault], max_ttl: 5m}\n";
    signetd_ = testing::DestinationHarness::Start(SIGNET_PATH, SIGNETD_PATH, dir_->path(),
                                                  {"billing-api", "app-refused", "app-flaky",
                                                   "app-malformed", "app-short", "app-burst"},
                                                  out.str())
                   .release();
    ASSERT_NE(signetd_, nullptr);
    // The client secret goes into the vault as an operator puts it there.
    int code = -1;
    std::string put = signetd_->Signet("secret put orders-client-secret", &code, kSecretValue);
    ASSERT_EQ(code, 0) << put;
  }

  static void TearDownTestSuite() {
    delete signetd_;
    delete entra_;
    delete oauth2_;
    delete dir_;
  }

  static std::pair<int, boost::json::object> TokenFor(const std::string& workload,
                                                      const std::string& destination) {
    return signetd_->TokenFor(workload, destination);
  }

  static testing::TempDir* dir_;
  static testing::OAuth2StandIn* oauth2_;
  static testing::OAuth2StandIn* entra_;
  static testing::DestinationHarness* signetd_;
};

testing::TempDir* DestinationsOAuth2Test::dir_ = nullptr;
testing::OAuth2StandIn* DestinationsOAuth2Test::oauth2_ = nullptr;
testing::OAuth2StandIn* DestinationsOAuth2Test::entra_ = nullptr;
testing::DestinationHarness* DestinationsOAuth2Test::signetd_ = nullptr;

TEST_F(DestinationsOAuth2Test, ClientSecretBasicWithTheVaultedSecret) {
  auto [status, body] = TokenFor("billing-api", "orders");
  ASSERT_EQ(status, 200) << boost::json::serialize(body);
  std::string token(body.at("access_token").as_string());
  EXPECT_TRUE(token.starts_with("standin-oauth2-at-")) << token;
  EXPECT_EQ(body.at("token_type"), "Bearer");
  EXPECT_EQ(body.at("issued_token_type"), "urn:ietf:params:oauth:token-type:access_token");
  // The token lives an hour upstream; the policy's 5m bounds what the workload is told.
  EXPECT_LE(body.at("expires_in").to_number<int64_t>(), 300);
  EXPECT_GE(body.at("expires_in").to_number<int64_t>(), 290);

  std::vector<http::Request> seen = oauth2_->RequestsFor("orders-client");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/oauth2/token");
  EXPECT_EQ(seen[0].Header("Content-Type").value_or(""), "application/x-www-form-urlencoded");
  // base64("orders-client:standin-client-secret-value")
  EXPECT_EQ(seen[0].Header("Authorization").value_or(""),
            "Basic b3JkZXJzLWNsaWVudDpzdGFuZGluLWNsaWVudC1zZWNyZXQtdmFsdWU=");
  EXPECT_EQ(testing::FormFields(seen[0].body),
            (std::map<std::string, std::string>{{"grant_type", "client_credentials"},
                                                {"scope", "orders.read orders.write"},
                                                {"resource", "https://orders.example"}}));

  // A second request is served from signetd's cache.
  auto [again_status, again] = TokenFor("billing-api", "orders");
  ASSERT_EQ(again_status, 200);
  EXPECT_EQ(again.at("access_token").as_string(), token);
  EXPECT_EQ(oauth2_->RequestsFor("orders-client").size(), 1u);
}

TEST_F(DestinationsOAuth2Test, ClientSecretPost) {
  ASSERT_EQ(TokenFor("billing-api", "orders-post").first, 200);
  std::vector<http::Request> seen = oauth2_->RequestsFor("post-client");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].Header("Authorization").has_value());
  EXPECT_EQ(testing::FormFields(seen[0].body),
            (std::map<std::string, std::string>{{"grant_type", "client_credentials"},
                                                {"client_id", "post-client"},
                                                {"client_secret", kSecretValue}}));
}

// private_key_jwt: the client assertion verifies against signetd's JWKS, which the
// client registers at the authorization server.
TEST_F(DestinationsOAuth2Test, PrivateKeyJwtVerifiesAgainstSignetsJwks) {
  ASSERT_EQ(TokenFor("billing-api", "orders-jwt").first, 200);
  std::vector<http::Request> seen = oauth2_->RequestsFor("jwt-client");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].Header("Authorization").has_value());
  std::map<std::string, std::string> form = testing::FormFields(seen[0].body);
  EXPECT_EQ(form.size(), 4u);
  EXPECT_EQ(form["grant_type"], "client_credentials");
  EXPECT_EQ(form["client_id"], "jwt-client");
  EXPECT_EQ(form["client_assertion_type"],
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  boost::json::object claims =
      signetd_->VerifiedClaims(form["client_assertion"], "jwt-client", oauth2_->url());
  EXPECT_EQ(claims["sub"], "jwt-client");
  EXPECT_LE(claims["exp"].to_number<int64_t>() - claims["iat"].to_number<int64_t>(), 300);
}

TEST_F(DestinationsOAuth2Test, EntraTokenForAFederatedAssertion) {
  auto [status, body] = TokenFor("billing-api", "keyvault");
  ASSERT_EQ(status, 200) << boost::json::serialize(body);
  std::string token(body.at("access_token").as_string());
  EXPECT_TRUE(token.starts_with("standin-entra-at-")) << token;
  EXPECT_EQ(body.at("token_type"), "Bearer");

  std::string sub = "spiffe://test.signet/workload/billing-api";
  std::vector<http::Request> seen = entra_->RequestsFor(sub);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, std::string("/") + kTenant + "/oauth2/v2.0/token");
  EXPECT_EQ(seen[0].Header("Content-Type").value_or(""), "application/x-www-form-urlencoded");
  std::map<std::string, std::string> form = testing::FormFields(seen[0].body);
  EXPECT_EQ(form.size(), 5u);
  EXPECT_EQ(form["grant_type"], "client_credentials");
  EXPECT_EQ(form["scope"], "https://vault.azure.net/.default");
  EXPECT_EQ(form["client_id"], kAppId);
  EXPECT_EQ(form["client_assertion_type"],
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  // The federated identity credential's issuer, subject and audience.
  boost::json::object claims = signetd_->VerifiedClaims(
      form["client_assertion"], testing::DestinationHarness::kIssuer, "api://AzureADTokenExchange");
  EXPECT_EQ(claims["sub"], sub.c_str());

  auto [again_status, again] = TokenFor("billing-api", "keyvault");
  ASSERT_EQ(again_status, 200);
  EXPECT_EQ(again.at("access_token").as_string(), token);
  EXPECT_EQ(entra_->RequestsFor(sub).size(), 1u);
}

// A token living 100 s is inside signetd's 120 s refresh window (and above its 30 s
// minimum): it is handed out, and the next request fetches a fresh one.
TEST_F(DestinationsOAuth2Test, RefreshAheadOfExpiry) {
  auto [first_status, first] = TokenFor("billing-api", "orders-short");
  ASSERT_EQ(first_status, 200) << boost::json::serialize(first);
  auto [second_status, second] = TokenFor("billing-api", "orders-short");
  ASSERT_EQ(second_status, 200);
  EXPECT_NE(first.at("access_token"), second.at("access_token"));
  EXPECT_EQ(oauth2_->RequestsFor("orders-short").size(), 2u);

  std::string sub = "spiffe://test.signet/workload/app-short";
  ASSERT_EQ(TokenFor("app-short", "keyvault").first, 200);
  ASSERT_EQ(TokenFor("app-short", "keyvault").first, 200);
  EXPECT_EQ(entra_->RequestsFor(sub).size(), 2u);
}

// Many requests at once for a token signetd does not hold yet make one upstream call.
TEST_F(DestinationsOAuth2Test, ConcurrentRequestsShareOneUpstreamCall) {
  EXPECT_EQ(signetd_->ConcurrentTokens("app-burst", "orders-burst", 50).size(), 1u);
  EXPECT_EQ(oauth2_->RequestsFor("orders-burst").size(), 1u);
  EXPECT_EQ(signetd_->ConcurrentTokens("app-burst", "keyvault", 50).size(), 1u);
  EXPECT_EQ(entra_->RequestsFor("spiffe://test.signet/workload/app-burst").size(), 1u);
}

// Each failure as the workload sees it and as the audit trail records it.
TEST_F(DestinationsOAuth2Test, UpstreamFailuresAreClearErrorsAndAudited) {
  struct Case {
    std::string workload;
    std::string destination;
    int status;
    std::string error;
    std::string reason;
    std::string says;  // part of error_description
  };
  std::vector<Case> cases = {
      {"billing-api", "orders-refused", 400, "invalid_target", "destination_refused",
       "HTTP 401 invalid_client"},
      {"billing-api", "orders-flaky", 503, "temporarily_unavailable", "destination_unavailable",
       "HTTP 503 temporarily_unavailable"},
      {"billing-api", "orders-malformed", 500, "server_error", "destination_answer_malformed",
       "no access_token"},
      {"billing-api", "orders-down", 503, "temporarily_unavailable", "destination_unavailable",
       "cannot be reached"},
      {"billing-api", "orders-unvaulted", 500, "server_error", "destination_secret_unavailable",
       "never-stored"},
      {"app-refused", "keyvault", 400, "invalid_target", "destination_refused",
       "HTTP 400 invalid_client AADSTS700213"},
      {"app-flaky", "keyvault", 503, "temporarily_unavailable", "destination_unavailable",
       "HTTP 503 temporarily_unavailable AADSTS50196"},
      {"app-malformed", "keyvault", 500, "server_error", "destination_answer_malformed",
       "no access_token"},
  };
  for (const Case& c : cases) {
    auto [status, body] = TokenFor(c.workload, c.destination);
    EXPECT_EQ(status, c.status) << c.destination << " " << boost::json::serialize(body);
    EXPECT_EQ(body["error"], c.error.c_str()) << c.destination;
    std::string description(
        body["error_description"].is_string() ? body["error_description"].as_string() : "");
    EXPECT_NE(description.find(c.says), std::string::npos) << c.destination << ": " << description;
    EXPECT_EQ(description.find("standin-private-detail"), std::string::npos) << description;
  }
  // A failure is not cached: the next request asks again.
  TokenFor("billing-api", "orders-flaky");
  EXPECT_EQ(oauth2_->RequestsFor("orders-flaky").size(), 2u);

  for (const Case& c : cases) {
    EXPECT_GE(signetd_->AuditRecords(c.destination, c.reason, c.workload), 1u)
        << c.destination << " " << c.workload << " " << c.reason;
  }
}

// Nothing a destination handed out or said in confidence, nor the client secret, reaches
// signetd's log or its database (the audit trail included) in clear.
TEST_F(DestinationsOAuth2Test, NoSecretInLogsOrDatabase) {
  ASSERT_EQ(TokenFor("billing-api", "orders").first, 200);
  ASSERT_EQ(TokenFor("billing-api", "keyvault").first, 200);
  TokenFor("billing-api", "orders-refused");
  TokenFor("app-refused", "keyvault");
  signetd_->ExpectNowhereStored({"standin-oauth2-at", "standin-entra-at", "standin-private-detail",
                                 "standin-trace", "standin-correlation", kSecretValue});
}

}  // namespace
}  // namespace signet
