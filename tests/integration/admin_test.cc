// The control plane over real HTTP and SQLite: admin tokens and roles on every admin
// route, suspend/resume as a kill switch seen by the token endpoint and introspection,
// revocation, the secrets vault (values never come back out), and a restart that keeps
// every kill switch.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "common/json.h"
#include "support/signet_processes.h"
#include "support/status_matchers.h"

namespace signet {
namespace {

using testing::ReadFile;

using testing::IsOk;

class AdminTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    idp_ = testing::StartDevIdp(SIGNET_PATH, dir_->path() + "/idp.log").release();
    ASSERT_FALSE(idp_->base_url.empty()) << "signet dev idp did not start";
    config_ = dir_->path() + "/signetd.yaml";
    std::ofstream(config_) << "server:\n"
                              "  issuer: http://127.0.0.1:1\n"
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
                              "workloads:\n"
                              "  - name: billing-api\n"
                              "    identities:\n"
                              "      - issuer: dev\n"
                              "        claims: {sub: 'system:serviceaccount:billing:api'}\n"
                              "  - name: walk-target\n"
                              "    identities:\n"
                              "      - issuer: dev\n"
                              "        claims: {sub: 'system:serviceaccount:walk:target'}\n"
                              "destinations:\n"
                              "  - {name: orders-api, kind: signet-jwt, audience: "
                              "'https://orders.test'}\n"
                              "policies:\n"
                              "  - {name: billing-orders, workloads: [billing-api], "
                              "destinations: [orders-api], max_ttl: 5m}\n";
    StartServer();
    admin_token_ = ReadFile(dir_->path() + "/data/admin.token");
    while (!admin_token_.empty() && admin_token_.back() == '\n') {
      admin_token_.pop_back();
    }
    ASSERT_EQ(admin_token_.rfind("signet_admin.", 0), 0u) << "no bootstrap token was written";
  }

  static void StartServer() {
    delete signetd_;
    signetd_ =
        testing::StartSignetd(SIGNETD_PATH, config_, dir_->path() + "/signetd.log").release();
    ASSERT_FALSE(signetd_->base_url.empty())
        << "signetd did not become ready; see " << dir_->path() + "/signetd.log";
  }

  static void TearDownTestSuite() {
    delete signetd_;
    delete idp_;
    delete dir_;
  }

  // curl against signetd with an optional admin token; every answer is kept, so a test
  // can search all of them for a secret.
  static testing::HttpAnswer Call(const std::string& method, const std::string& path,
                                  const std::string& token, const std::string& args = "") {
    std::string auth = token.empty() ? "" : " -H 'Authorization: Bearer " + token + "'";
    testing::HttpAnswer answer =
        testing::Curl("-X " + method + auth + " " + args + " '" + signetd_->base_url + path + "'");
    answers_ += answer.body + "\n";
    return answer;
  }

  static boost::json::object Json(const testing::HttpAnswer& answer) {
    auto body = ParseJsonObject(answer.body);
    EXPECT_THAT(body, IsOk()) << answer.body;
    return body.ok() ? *body : boost::json::object();
  }

  // A new token of `role` made with the admin token.
  static std::string NewToken(const std::string& role) {
    auto answer = Call("POST", "/v1/admin-tokens", admin_token_,
                       "-H 'Content-Type: application/json' --data-raw '{\"role\":\"" + role +
                           "\",\"ttl\":\"1h\",\"description\":\"test\"}'");
    EXPECT_EQ(answer.status, 201) << answer.body;
    boost::json::object body = Json(answer);
    return body.contains("token") ? std::string(body.at("token").as_string()) : "";
  }

  static std::string Exchange(const std::string& sub, int* status) {
    std::string upstream = testing::MintToken(idp_->base_url, "sub=" + sub);
    testing::HttpAnswer answer =
        testing::ExchangeToken(signetd_->base_url, upstream, "-d audience=orders-api");
    *status = answer.status;
    auto body = ParseJsonObject(answer.body);
    if (!body.ok() || !body->contains("access_token")) {
      return "";
    }
    return std::string(body->at("access_token").as_string());
  }

  static bool Active(const std::string& access_token, const std::string& caller) {
    auto answer = Call("POST", "/oauth2/introspect", caller, "-d token=" + access_token);
    EXPECT_EQ(answer.status, 200) << answer.body;
    boost::json::object body = Json(answer);
    return body.contains("active") && body.at("active").as_bool();
  }

  static testing::TempDir* dir_;
  static testing::RunningProcess* idp_;
  static testing::RunningProcess* signetd_;
  static std::string config_;
  static std::string admin_token_;
  static std::string answers_;
};

testing::TempDir* AdminTest::dir_ = nullptr;
testing::RunningProcess* AdminTest::idp_ = nullptr;
testing::RunningProcess* AdminTest::signetd_ = nullptr;
std::string AdminTest::config_;
std::string AdminTest::admin_token_;
std::string AdminTest::answers_;

// Every admin route, called with no token, a bad token, and a token of each role: the
// answer is 401, 401, then 2xx for a role the route allows and 403 for one it does not.
// The allowed roles here are the issue's table, written out independently of the code.
TEST_F(AdminTest, EveryRouteChecksTheTokenAndTheRole) {
  std::map<std::string, std::string> tokens{{"admin", admin_token_},
                                            {"operator", NewToken("operator")},
                                            {"auditor", NewToken("auditor")}};
  struct Route {
    std::string method;
    std::string path;
    std::string args;
    std::set<std::string> allowed;
  };
  const std::string json = "-H 'Content-Type: application/json' ";
  const std::string all = "admin operator auditor";
  auto roles = [](const std::string& names) {
    std::set<std::string> set;
    std::istringstream in(names);
    for (std::string name; in >> name;) {
      set.insert(name);
    }
    return set;
  };
  // The configuration in force, sent back: diff, apply and rollback to version 1 change
  // nothing, so the walk leaves the other tests' state alone.
  auto live = Json(Call("GET", "/v1/config", admin_token_));
  ASSERT_TRUE(live.contains("document"));
  std::string same_config = dir_->path() + "/same-config.json";
  std::ofstream(same_config) << boost::json::serialize(boost::json::object{
      {"documents", boost::json::array{boost::json::object{{"source", "walk.yaml"},
                                                           {"text", live.at("document")}}}}});
  const std::string same = json + "--data-binary @" + same_config;
  std::vector<Route> routes = {
      {"GET", "/v1/config", "", roles(all)},
      {"GET", "/v1/config/versions", "", roles(all)},
      {"POST", "/v1/config/diff", same, roles(all)},
      {"POST", "/v1/config", same, roles("admin")},
      {"POST", "/v1/config/rollback", json + "--data-raw '{\"to\":1}'", roles("admin")},
      {"GET", "/v1/keys", "", roles(all)},
      {"GET", "/v1/whoami", "", roles(all)},
      {"GET", "/v1/workloads", "", roles(all)},
      {"GET", "/v1/audit?limit=5", "", roles(all)},
      {"POST", "/v1/workloads/walk-target/suspend", json + "--data-raw '{\"reason\":\"walk\"}'",
       roles("admin operator")},
      {"POST", "/v1/workloads/walk-target/resume", "", roles("admin operator")},
      {"POST", "/v1/revocations", json + "--data-raw '{\"jti\":\"walk-jti\",\"reason\":\"walk\"}'",
       roles("admin operator")},
      {"POST", "/oauth2/introspect", "-d token=not-a-token", roles(all)},
      {"POST", "/oauth2/revoke", "-d token=not-a-token", roles("admin operator")},
      {"GET", "/v1/admin-tokens", "", roles("admin")},
      {"GET", "/v1/secrets", "", roles("admin")},
      {"PUT", "/v1/secrets/walk-secret", "--data-raw walk-value", roles("admin")},
      {"POST", "/v1/agents/join-tokens", json + "--data-raw '{\"agent\":\"node-walk\"}'",
       roles("admin")},
  };
  for (const Route& route : routes) {
    SCOPED_TRACE(route.method + " " + route.path);
    auto anonymous = Call(route.method, route.path, "", route.args);
    EXPECT_EQ(anonymous.status, 401) << anonymous.body;
    EXPECT_EQ(anonymous.headers["www-authenticate"], "Bearer realm=\"signet-admin\"");
    EXPECT_EQ(Json(anonymous).at("error").as_string(), "invalid_token");
    EXPECT_EQ(Call(route.method, route.path, "signet_admin.nope.nope", route.args).status, 401);
    for (const auto& [role, token] : tokens) {
      auto answer = Call(route.method, route.path, token, route.args);
      if (route.allowed.contains(role)) {
        EXPECT_GE(answer.status, 200) << role << ": " << answer.body;
        EXPECT_LT(answer.status, 300) << role << ": " << answer.body;
      } else {
        EXPECT_EQ(answer.status, 403) << role << ": " << answer.body;
        EXPECT_EQ(Json(answer).at("error").as_string(), "access_denied");
      }
    }
  }
  // Token management and deletion, which need a fresh target per call.
  for (const auto& [role, token] : tokens) {
    std::string victim = NewToken("auditor");
    auto id = Json(Call("GET", "/v1/whoami", victim)).at("id").as_string();
    auto create = Call("POST", "/v1/admin-tokens", token,
                       json + "--data-raw '{\"role\":\"auditor\",\"ttl\":\"1h\"}'");
    auto remove = Call("DELETE", "/v1/admin-tokens/" + std::string(id), token);
    auto secret_delete = Call("DELETE", "/v1/secrets/walk-secret", token);
    if (role == "admin") {
      EXPECT_EQ(create.status, 201) << create.body;
      EXPECT_EQ(remove.status, 200) << remove.body;
      EXPECT_EQ(Call("GET", "/v1/whoami", victim).status, 401) << "a deleted token still works";
      EXPECT_EQ(secret_delete.status, 200) << secret_delete.body;
    } else {
      EXPECT_EQ(create.status, 403) << role;
      EXPECT_EQ(remove.status, 403) << role;
      EXPECT_EQ(secret_delete.status, 403) << role;
    }
  }
}

TEST_F(AdminTest, BadInputGetsAClearErrorAndChangesNothing) {
  const std::string json = "-H 'Content-Type: application/json' ";
  auto no_reason =
      Call("POST", "/v1/workloads/billing-api/suspend", admin_token_, json + "-d '{}'");
  EXPECT_EQ(no_reason.status, 400);
  EXPECT_NE(Json(no_reason).at("error_description").as_string().find("reason"),
            boost::json::string::npos);
  auto unknown = Call("POST", "/v1/workloads/nobody/suspend", admin_token_,
                      json + "--data-raw '{\"reason\":\"x\"}'");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(Json(unknown).at("error_description").as_string(), "no workload is named 'nobody'");
  EXPECT_EQ(
      Call("POST", "/v1/admin-tokens", admin_token_, json + "--data-raw '{\"role\":\"root\"}'")
          .status,
      400);
  EXPECT_EQ(Call("POST", "/v1/admin-tokens", admin_token_,
                 json + "--data-raw '{\"role\":\"auditor\",\"ttl\":\"forever\"}'")
                .status,
            400);
  EXPECT_EQ(Call("POST", "/v1/revocations", admin_token_, json + "--data-raw '[1]'").status, 400);
  auto workloads = Json(Call("GET", "/v1/workloads", admin_token_));
  for (const auto& w : workloads.at("workloads").as_array()) {
    EXPECT_FALSE(w.at("suspended").as_bool()) << boost::json::serialize(w);
  }
  int status = 0;
  EXPECT_FALSE(Exchange("system:serviceaccount:billing:api", &status).empty());
}

// The kill switch: one call, and the next exchange is refused, tokens already issued
// introspect as inactive, and the audit trail says who did it and why. Resume undoes it.
TEST_F(AdminTest, SuspendCutsAWorkloadOffAndResumeRestoresIt) {
  std::string auditor = NewToken("auditor");
  int status = 0;
  std::string issued = Exchange("system:serviceaccount:billing:api", &status);
  ASSERT_EQ(status, 200);
  EXPECT_TRUE(Active(issued, auditor));

  auto suspend = Call("POST", "/v1/workloads/billing-api/suspend", admin_token_,
                      "-H 'Content-Type: application/json' "
                      "--data-raw '{\"reason\":\"incident 42: leaked CI logs\"}'");
  ASSERT_EQ(suspend.status, 200) << suspend.body;
  std::string refused = Exchange("system:serviceaccount:billing:api", &status);
  EXPECT_EQ(status, 403);
  EXPECT_TRUE(refused.empty());
  EXPECT_FALSE(Active(issued, auditor));

  auto records = Json(Call("GET", "/v1/audit?limit=1000", auditor)).at("records").as_array();
  bool recorded = false;
  for (const auto& r : records) {
    const auto& record = r.at("record").as_object();
    if (record.at("action").as_string() == "suspend_workload" &&
        record.at("target").as_string() == "billing-api") {
      recorded = true;
      EXPECT_EQ(record.at("detail").as_string(), "incident 42: leaked CI logs");
      EXPECT_EQ(record.at("actor").as_string(),
                Json(Call("GET", "/v1/whoami", admin_token_)).at("id").as_string());
      // Made under the configuration in force, which it did not change.
      std::string in_force =
          std::to_string(Json(Call("GET", "/v1/config", auditor)).at("version").as_int64());
      EXPECT_EQ(record.at("config_before").as_string(), in_force);
      EXPECT_EQ(record.at("config_after").as_string(), in_force);
    }
  }
  EXPECT_TRUE(recorded) << "the suspension is not in the audit trail";

  ASSERT_EQ(Call("POST", "/v1/workloads/billing-api/resume", admin_token_).status, 200);
  EXPECT_FALSE(Exchange("system:serviceaccount:billing:api", &status).empty());
  EXPECT_EQ(status, 200);
  EXPECT_TRUE(Active(issued, auditor));
}

TEST_F(AdminTest, RevokedTokensIntrospectAsInactive) {
  std::string auditor = NewToken("auditor");
  int status = 0;
  std::string by_token = Exchange("system:serviceaccount:billing:api", &status);
  std::string other = Exchange("system:serviceaccount:billing:api", &status);
  ASSERT_TRUE(Active(by_token, auditor));
  // RFC 7009 with the token itself.
  EXPECT_EQ(Call("POST", "/oauth2/revoke", admin_token_, "-d token=" + by_token).status, 200);
  EXPECT_FALSE(Active(by_token, auditor));
  EXPECT_TRUE(Active(other, auditor)) << "revoking one token revoked another";
  // By jti through the admin API.
  auto introspected = Json(Call("POST", "/oauth2/introspect", auditor, "-d token=" + other));
  std::string jti(introspected.at("jti").as_string());
  EXPECT_EQ(Call("POST", "/v1/revocations", admin_token_,
                 "-H 'Content-Type: application/json' --data-raw '{\"jti\":\"" + jti +
                     "\",\"reason\":\"lost laptop\"}'")
                .status,
            200);
  EXPECT_FALSE(Active(other, auditor));
  EXPECT_FALSE(Active("garbage", auditor));
}

// Values go in and never come back out: not in any API answer, the audit trail or the
// server's log.
TEST_F(AdminTest, SecretValuesNeverAppearInAnswersAuditOrLogs) {
  const std::string value = "sk-live-5e6c4c2b-do-not-print";
  auto put = Call("PUT", "/v1/secrets/anthropic-key", admin_token_, "--data-raw " + value);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Json(put).at("version").as_int64(), 1);
  auto list = Json(Call("GET", "/v1/secrets", admin_token_));
  ASSERT_EQ(list.at("secrets").as_array().size(), 1u) << boost::json::serialize(list);
  EXPECT_EQ(list.at("secrets").as_array()[0].at("name").as_string(), "anthropic-key");
  Call("GET", "/v1/audit?limit=1000", admin_token_);  // the whole trail, into answers_
  EXPECT_EQ(answers_.find(value), std::string::npos);
  EXPECT_EQ(answers_.find(admin_token_.substr(admin_token_.rfind('.') + 1)), std::string::npos)
      << "an answer shows the bootstrap token's secret";
  std::string log = ReadFile(dir_->path() + "/signetd.log");
  EXPECT_EQ(log.find(value), std::string::npos);
  EXPECT_EQ(log.find(admin_token_), std::string::npos) << "the log shows the admin token";
  EXPECT_EQ(ReadFile(dir_->path() + "/data/signet.db").find(value), std::string::npos)
      << "the value is stored in clear";
}

// /metrics passes Prometheus' own linter and counts what happened: exchanges by outcome,
// audit commits, admin calls by route pattern, and exchange latency.
TEST_F(AdminTest, MetricsPassPromtoolAndCountOutcomes) {
  int status = 0;
  Exchange("system:serviceaccount:billing:api", &status);
  Exchange("system:serviceaccount:nobody:here", &status);
  Call("GET", "/v1/workloads", admin_token_);
  testing::HttpAnswer metrics = testing::Curl(signetd_->base_url + "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  std::ofstream(dir_->path() + "/metrics.txt") << metrics.body;
  int code = -1;
  std::string lint =
      testing::RunCommand("promtool check metrics < " + dir_->path() + "/metrics.txt 2>&1", &code);
  EXPECT_EQ(code, 0) << lint;
  for (const char* expected : {
           "signet_exchanges_total{decision=\"allow\",error=\"\",reason=\"\"}",
           "signet_exchanges_total{decision=\"deny\",error=\"invalid_request\","
           "reason=\"no_workload_match\"}",
           "signet_audit_commits_total{outcome=\"ok\"}",
           "signet_audit_records_total ",
           "signet_exchange_duration_seconds_bucket{le=\"0.001\"}",
           "signet_http_requests_total{method=\"GET\",route=\"/v1/workloads\",status=\"200\"}",
           "signet_issuer_fetches_total{outcome=\"ok\"}",
           "signet_issuer_key_cache_total{result=\"miss\"}",
       }) {
    EXPECT_NE(metrics.body.find(expected), std::string::npos) << expected << "\n" << metrics.body;
  }
  // The exchanges above verified with keys fetched at start-up: hits, counted.
  const std::string hits = "signet_issuer_key_cache_total{result=\"hit\"} ";
  size_t at = metrics.body.find(hits);
  ASSERT_NE(at, std::string::npos) << metrics.body;
  EXPECT_GE(std::stoll(metrics.body.substr(at + hits.size())), 1) << metrics.body;
}

// Kill switches live in the store: a restart keeps them. (Last: it restarts signetd.)
TEST_F(AdminTest, ZzRestartKeepsSuspensionsAndTokens) {
  ASSERT_EQ(Call("POST", "/v1/workloads/billing-api/suspend", admin_token_,
                 "-H 'Content-Type: application/json' --data-raw '{\"reason\":\"restart\"}'")
                .status,
            200);
  StartServer();
  int status = 0;
  Exchange("system:serviceaccount:billing:api", &status);
  EXPECT_EQ(status, 403);
  EXPECT_EQ(Call("GET", "/v1/whoami", admin_token_).status, 200);
  EXPECT_EQ(ReadFile(dir_->path() + "/signetd.log").find("created bootstrap admin token"),
            std::string::npos)
      << "a second bootstrap token was made although an admin token exists";
}

}  // namespace
}  // namespace signet
