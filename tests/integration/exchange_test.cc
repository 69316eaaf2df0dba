// The broker's vertical slice, end to end, with real processes: `signet dev idp` mints
// upstream tokens, `signetd` exchanges them over HTTP (curl is the client), and
// `signet audit verify` checks the hash-chained trail on disk.
#include <sqlite3.h>

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <map>

#include "common/json.h"
#include "jose/jwk.h"
#include "jose/jwt.h"
#include "support/signet_processes.h"
#include "support/status_matchers.h"

namespace signet {
namespace {

using testing::IsOk;

// One dev IdP (trusted), a second one (not trusted) and one signetd, shared by the tests
// of this suite: starting them is the slow part.
class ExchangeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    idp_ = testing::StartDevIdp(SIGNET_PATH, dir_->path() + "/idp.log").release();
    untrusted_idp_ =
        testing::StartDevIdp(SIGNET_PATH, dir_->path() + "/untrusted-idp.log").release();
    ASSERT_FALSE(idp_->base_url.empty()) << "signet dev idp did not start";
    ASSERT_FALSE(untrusted_idp_->base_url.empty()) << "signet dev idp did not start";
    std::string config = dir_->path() + "/signetd.yaml";
    std::ofstream(config) << "server:\n"
                             "  issuer: http://127.0.0.1:1\n"  // never fetched: a name only
                             "  trust_domain: test.signet\n"
                             "  data_dir: "
                          << dir_->path()
                          << "/data\n"
                             "issuers:\n"
                             "  - name: dev\n"
                             "    issuer: "
                          << idp_->base_url
                          << "\n"
                             "    audiences: [signet]\n"
                             "    algorithms: [RS256]\n"
                             "workloads:\n"
                             "  - name: billing-api\n"
                             "    identities:\n"
                             "      - issuer: dev\n"
                             "        claims:\n"
                             "          sub: system:serviceaccount:billing:api\n"
                             "  - name: shared-sa\n"
                             "    identities:\n"
                             "      - issuer: dev\n"
                             "        claims:\n"
                             "          sub: system:serviceaccount:shared:app\n"
                             "  - name: shared-namespace\n"
                             "    identities:\n"
                             "      - issuer: dev\n"
                             "        claims:\n"
                             "          /kubernetes.io/namespace: shared\n"
                             "destinations:\n"
                             "  - name: orders-api\n"
                             "    kind: signet-jwt\n"
                             "    audience: https://orders.test\n"
                             "    url: https://orders.test/api\n"
                             "  - name: payments-api\n"
                             "    kind: signet-jwt\n"
                             "    audience: https://payments.test\n"
                             "policies:\n"
                             "  - name: billing-orders\n"
                             "    workloads: [billing-api]\n"
                             "    destinations: [orders-api]\n"
                             "    max_ttl: 5m\n"
                             "    scopes: [orders.read, orders.write]\n";
    signetd_ = testing::StartSignetd(SIGNETD_PATH, config, dir_->path() + "/signetd.log").release();
    ASSERT_FALSE(signetd_->base_url.empty())
        << "signetd did not become ready; see " << dir_->path() + "/signetd.log";
  }

  static void TearDownTestSuite() {
    delete signetd_;
    delete untrusted_idp_;
    delete idp_;
    delete dir_;
  }

  static std::string Mint(const testing::RunningProcess& idp, const std::string& fields) {
    std::string token = testing::MintToken(idp.base_url, fields);
    EXPECT_FALSE(token.empty()) << "the dev IdP minted nothing for " << fields;
    return token;
  }

  struct TokenAnswer {
    int status = 0;
    std::string request_id;
    std::string cache_control;
    boost::json::object body;
  };

  static TokenAnswer Exchange(const std::string& subject_token, const std::string& args) {
    testing::HttpAnswer http = testing::ExchangeToken(signetd_->base_url, subject_token, args);
    TokenAnswer answer{
        http.status, http.headers["x-request-id"], http.headers["cache-control"], {}};
    auto body = ParseJsonObject(http.body);
    EXPECT_THAT(body, IsOk()) << http.body;
    if (body.ok()) {
      answer.body = *body;
    }
    return answer;
  }

  // The audit record of `request_id`, read from the database as an auditor would.
  static std::optional<boost::json::object> AuditRecord(const std::string& request_id) {
    std::optional<boost::json::object> found;
    int matches = 0;
    ForEachAuditRow([&](int64_t, const std::string& record) {
      auto parsed = ParseJsonObject(record);
      if (parsed.ok() && parsed->at("request_id").as_string() == request_id) {
        found = *parsed;
        ++matches;
      }
    });
    EXPECT_LE(matches, 1) << "one record per request";
    return found;
  }

  template <typename Visit>
  static void ForEachAuditRow(Visit visit) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((dir_->path() + "/data/signet.db").c_str(), &db, SQLITE_OPEN_READONLY,
                              nullptr),
              SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(db, "SELECT seq, record FROM audit ORDER BY seq", -1, &stmt, nullptr),
        SQLITE_OK)
        << sqlite3_errmsg(db);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      visit(sqlite3_column_int64(stmt, 0),
            reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }

  // Expects a refusal with `error` and `reason`, and exactly one audit record saying so.
  static void ExpectDenied(const TokenAnswer& answer, std::string_view error,
                           std::string_view reason) {
    EXPECT_EQ(answer.status, 400);
    ASSERT_TRUE(answer.body.contains("error")) << boost::json::serialize(answer.body);
    EXPECT_EQ(answer.body.at("error").as_string(), error);
    EXPECT_FALSE(answer.body.at("error_description").as_string().empty());
    EXPECT_EQ(answer.cache_control, "no-store");
    auto record = AuditRecord(answer.request_id);
    ASSERT_TRUE(record.has_value()) << "no audit record for " << answer.request_id;
    EXPECT_EQ(record->at("decision").as_string(), "deny");
    EXPECT_EQ(record->at("error").as_string(), error);
    EXPECT_EQ(record->at("reason").as_string(), reason);
  }

  static testing::TempDir* dir_;
  static testing::RunningProcess* idp_;
  static testing::RunningProcess* untrusted_idp_;
  static testing::RunningProcess* signetd_;
};

testing::TempDir* ExchangeTest::dir_ = nullptr;
testing::RunningProcess* ExchangeTest::idp_ = nullptr;
testing::RunningProcess* ExchangeTest::untrusted_idp_ = nullptr;
testing::RunningProcess* ExchangeTest::signetd_ = nullptr;

TEST_F(ExchangeTest, KubernetesTokenBecomesASignetJwtForTheDestination) {
  std::string upstream = Mint(*idp_, "kind=kubernetes&namespace=billing&serviceaccount=api");
  TokenAnswer answer = Exchange(upstream, "-d audience=orders-api -d scope=orders.read");
  ASSERT_EQ(answer.status, 200) << boost::json::serialize(answer.body);
  EXPECT_EQ(answer.cache_control, "no-store");
  EXPECT_EQ(answer.body.at("token_type").as_string(), "Bearer");
  EXPECT_EQ(answer.body.at("issued_token_type").as_string(),
            "urn:ietf:params:oauth:token-type:access_token");
  EXPECT_EQ(answer.body.at("scope").as_string(), "orders.read");
  int64_t expires_in = answer.body.at("expires_in").as_int64();
  EXPECT_GT(expires_in, 240);  // the policy's 5 minutes, less the seconds the test took
  EXPECT_LE(expires_in, 300);

  // A resource server checks it with Signet's published keys, as RFC 9068 §4 says.
  auto jwks = jose::Jwks::Parse(testing::Curl(signetd_->base_url + "/.well-known/jwks.json").body);
  ASSERT_THAT(jwks, IsOk());
  auto validator = jose::JwtValidator::Builder()
                       .ExpectIssuer("http://127.0.0.1:1")
                       .ExpectAudience("https://orders.test")
                       .AllowAlgorithms({jose::Algorithm::kES256})
                       .ExpectType("at+jwt")
                       .RequireIssuedAt()
                       .Build();
  ASSERT_THAT(validator, IsOk());
  auto jwt = jose::JwtVerifier(*validator)
                 .Verify(answer.body.at("access_token").as_string(), *jwks,
                         std::chrono::system_clock::now());
  ASSERT_THAT(jwt, IsOk());
  EXPECT_EQ(jwt->subject(), "spiffe://test.signet/workload/billing-api");
  EXPECT_EQ(jwt->claims().at("upstream").at("sub").as_string(),
            "system:serviceaccount:billing:api");
  EXPECT_EQ(jwt->claims().at("upstream").at("iss").as_string(), idp_->base_url);

  auto record = AuditRecord(answer.request_id);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->at("decision").as_string(), "allow");
  EXPECT_EQ(record->at("workload").as_string(), "billing-api");
  EXPECT_EQ(record->at("destination").as_string(), "orders-api");
  EXPECT_EQ(record->at("policy").as_string(), "billing-orders");
  EXPECT_EQ(record->at("jti").as_string(), *jwt->jwt_id());
  // The audit trail names the credential, never holds it.
  ForEachAuditRow([&](int64_t, const std::string& row) {
    EXPECT_EQ(row.find(std::string(answer.body.at("access_token").as_string())), std::string::npos);
    EXPECT_EQ(row.find(upstream), std::string::npos);
  });
}

TEST_F(ExchangeTest, ResourceNamesTheDestinationByUrl) {
  std::string upstream = Mint(*idp_, "namespace=billing&serviceaccount=api");
  TokenAnswer answer = Exchange(upstream, "-d resource=https://orders.test/api");
  ASSERT_EQ(answer.status, 200) << boost::json::serialize(answer.body);
  EXPECT_EQ(answer.body.at("scope").as_string(), "orders.read orders.write");
}

TEST_F(ExchangeTest, UnknownDestinationIsInvalidTarget) {
  std::string upstream = Mint(*idp_, "namespace=billing&serviceaccount=api");
  ExpectDenied(Exchange(upstream, "-d audience=nowhere"), "invalid_target", "destination_unknown");
}

TEST_F(ExchangeTest, DestinationNoPolicyAllowsIsInvalidTarget) {
  std::string upstream = Mint(*idp_, "namespace=billing&serviceaccount=api");
  ExpectDenied(Exchange(upstream, "-d audience=payments-api"), "invalid_target", "no_policy");
}

TEST_F(ExchangeTest, ScopeBeyondThePolicyIsInvalidScope) {
  std::string upstream = Mint(*idp_, "namespace=billing&serviceaccount=api");
  ExpectDenied(Exchange(upstream, "-d audience=orders-api -d scope=orders.delete"), "invalid_scope",
               "scope_not_allowed");
}

TEST_F(ExchangeTest, ExpiredTokenIsInvalidRequest) {
  std::string upstream = Mint(*idp_, "namespace=billing&serviceaccount=api&exp_offset=-120");
  TokenAnswer answer = Exchange(upstream, "-d audience=orders-api");
  ExpectDenied(answer, "invalid_request", "expired");
  EXPECT_NE(std::string(answer.body.at("error_description").as_string()).find("expired"),
            std::string::npos);
}

TEST_F(ExchangeTest, WrongAudienceIsInvalidRequest) {
  std::string upstream = Mint(*idp_, "namespace=billing&serviceaccount=api&aud=someone-else");
  ExpectDenied(Exchange(upstream, "-d audience=orders-api"), "invalid_request", "aud_mismatch");
}

TEST_F(ExchangeTest, UntrustedIssuerIsInvalidRequest) {
  std::string upstream = Mint(*untrusted_idp_, "namespace=billing&serviceaccount=api");
  ExpectDenied(Exchange(upstream, "-d audience=orders-api"), "invalid_request", "issuer_untrusted");
}

TEST_F(ExchangeTest, AmbiguousIdentityIsDenied) {
  std::string upstream = Mint(*idp_, "namespace=shared&serviceaccount=app");
  ExpectDenied(Exchange(upstream, "-d audience=orders-api"), "invalid_request",
               "ambiguous_identity");
}

TEST_F(ExchangeTest, UnknownIdentityIsDenied) {
  std::string upstream = Mint(*idp_, "namespace=other&serviceaccount=app");
  TokenAnswer answer = Exchange(upstream, "-d audience=orders-api");
  ExpectDenied(answer, "invalid_request", "no_workload_match");
  EXPECT_EQ(answer.body.at("error_description").as_string(), "no workload matches this identity");
}

TEST_F(ExchangeTest, MalformedRequestsAreRefusedAndAudited) {
  std::string upstream = Mint(*idp_, "namespace=billing&serviceaccount=api");
  ExpectDenied(Exchange(upstream, "-d audience=orders-api -d scope=a -d scope=b"),
               "invalid_request", "parameter_repeated");
  ExpectDenied(Exchange("not-a-jwt", "-d audience=orders-api"), "invalid_request",
               "token_segment_count");
  testing::HttpAnswer other_grant =
      testing::Curl("-d grant_type=client_credentials " + signetd_->base_url + "/oauth2/token");
  EXPECT_EQ(other_grant.status, 400);
  EXPECT_NE(other_grant.body.find("unsupported_grant_type"), std::string::npos);
}

// Runs last in this file (gtest keeps declaration order): it edits the trail.
TEST_F(ExchangeTest, AuditVerifyPassesThenCatchesAnEditedRecord) {
  std::string upstream = Mint(*idp_, "namespace=billing&serviceaccount=api");
  ASSERT_EQ(Exchange(upstream, "-d audience=orders-api").status, 200);
  std::string verify =
      std::string(SIGNET_PATH) + " audit verify --data-dir " + dir_->path() + "/data 2>&1";
  int code = -1;
  std::string out = testing::RunCommand(verify, &code);
  EXPECT_EQ(code, 0) << out;

  // Turn a denial into an allow, as someone covering their tracks would.
  int64_t victim = 0;
  ForEachAuditRow([&](int64_t seq, const std::string& record) {
    if (victim == 0 && record.find("\"deny\"") != std::string::npos) {
      victim = seq;
    }
  });
  ASSERT_GT(victim, 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_->path() + "/data/signet.db").c_str(), &db), SQLITE_OK);
  std::string edit =
      "UPDATE audit SET record = replace(record, '\"deny\"', '\"allow\"') "
      "WHERE seq = " +
      std::to_string(victim);
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, edit.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);

  out = testing::RunCommand(verify, &code);
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find(std::to_string(victim)), std::string::npos) << out;
}

}  // namespace
}  // namespace signet
