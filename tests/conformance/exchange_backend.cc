#include "exchange_backend.h"

#include <sqlite3.h>

#include <gtest/gtest.h>
#include <fstream>

#include "common/json.h"

namespace signet::testing {

ExchangeBackend::ExchangeBackend(const Issuer& issuer) {
  std::string config = dir_.path() + "/signetd.yaml";
  std::ofstream(config) << "server:\n"
                           "  issuer: https://signet.test\n"
                           "  data_dir: "
                        << dir_.path() << "/data\n"
                        << "issuers:\n"
                           "  - name: suite\n"
                           "    issuer: "
                        << issuer.url << "\n    audiences: [" << issuer.audience
                        << "]\n    algorithms: " << issuer.algorithms
                        << "\n    leeway: " << issuer.leeway_seconds
                        << "s\n    max_lifetime: " << issuer.max_lifetime_seconds
                        << "s\n    jwks: '" << issuer.jwks_json
                        << "'\n"
                           "workloads:\n"
                           "  - name: suite-workload\n"
                           "    identities:\n"
                           "      - issuer: suite\n"
                           "        claims: {sub: '"
                        << issuer.subject
                        << "'}\n"
                           "destinations:\n"
                           "  - {name: api, kind: signet-jwt, audience: 'https://api.test'}\n"
                           "policies:\n"
                           "  - {name: suite, workloads: [suite-workload], destinations: [api]}\n";
  signetd_ = StartSignetd(SIGNETD_PATH, config, dir_.path() + "/signetd.log");
  EXPECT_FALSE(signetd_->base_url.empty())
      << "signetd did not start; see " << dir_.path() << "/signetd.log";
}

Status ExchangeBackend::Present(std::string_view token) {
  HttpAnswer answer = ExchangeToken(signetd_->base_url, std::string(token), "-d audience=api");
  if (answer.status == 200) {
    return Status::Ok();
  }
  if (answer.status == 413) {
    // Larger than the token endpoint's 64 KiB request limit: refused by the HTTP layer
    // before any of it is read, so no audit record names it. The suite's size checks
    // (16 KiB tokens) run in the broker and are audited.
    return Status(ErrorCode::kInvalidRequest, "token_too_large", "request body too large");
  }
  EXPECT_EQ(answer.status, 400) << answer.body;
  auto body = ParseJsonObject(answer.body);
  EXPECT_TRUE(body.ok() && body->contains("error")) << answer.body;
  if (body.ok() && body->contains("error")) {
    EXPECT_EQ(body->at("error").as_string(), "invalid_request") << answer.body;
    std::string_view description = body->at("error_description").as_string();
    EXPECT_FALSE(description.empty());
    EXPECT_TRUE(token.size() < 16 || description.find(token) == std::string_view::npos);
  }

  std::string request_id = answer.headers["x-request-id"];
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2((dir_.path() + "/data/signet.db").c_str(), &db, SQLITE_OPEN_READONLY,
                            nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db,
                               "SELECT record FROM audit WHERE "
                               "json_extract(record, '$.request_id') = ?",
                               -1, &stmt, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_bind_text(stmt, 1, request_id.c_str(), -1, SQLITE_TRANSIENT);
  int records = 0;
  Status decision(ErrorCode::kServerError, "no_audit_record", "no audit record for the request");
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    ++records;
    auto record = ParseJsonObject(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    if (record.ok()) {
      EXPECT_EQ(record->at("decision").as_string(), "deny");
      EXPECT_EQ(record->at("error").as_string(), "invalid_request");
      decision = Status(ErrorCode::kInvalidRequest, record->at("reason").as_string(),
                        std::string(record->at("detail").as_string()));
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_EQ(records, 1) << "request " << request_id;
  return decision;
}

}  // namespace signet::testing
