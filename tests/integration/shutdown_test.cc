// SIGTERM under load: signetd stops accepting, answers what it has read, flushes the
// audit trail and exits 0; every exchange that was answered 200 has its audit record,
// and the chain verifies.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "support/signet_processes.h"

namespace signet {
namespace {

size_t LineCount(const std::string& path) {
  std::ifstream in(path);
  size_t lines = 0;
  for (std::string line; std::getline(in, line);) {
    ++lines;
  }
  return lines;
}

std::set<std::string> AuditedRequestIds(const std::string& db_path) {
  std::set<std::string> ids;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT json_extract(record, '$.request_id') FROM audit", -1,
                               &stmt, nullptr),
            SQLITE_OK);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    if (const unsigned char* id = sqlite3_column_text(stmt, 0)) {
      ids.insert(reinterpret_cast<const char*>(id));
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return ids;
}

TEST(ShutdownTest, SigtermUnderLoadLosesNoAcknowledgedAuditRecord) {
  testing::TempDir dir;
  auto idp = testing::StartDevIdp(SIGNET_PATH, dir.path() + "/idp.log");
  ASSERT_FALSE(idp->base_url.empty());
  std::string config = dir.path() + "/signetd.yaml";
  std::ofstream(config) << "server:\n  issuer: http://127.0.0.1:1\n  data_dir: " << dir.path()
                        << "/data\nissuers:\n  - name: dev\n    issuer: " << idp->base_url
                        << "\n    audiences: [signet]\nworkloads:\n  - name: billing-api\n"
                           "    identities:\n      - issuer: dev\n        claims: {sub: "
                           "'system:serviceaccount:billing:api'}\ndestinations:\n  - {name: "
                           "orders-api, kind: signet-jwt, audience: 'https://orders.test'}\n"
                           "policies:\n  - {name: p, workloads: [billing-api], "
                           "destinations: [orders-api], max_ttl: 5m}\n";
  auto signetd = testing::StartSignetd(SIGNETD_PATH, config, dir.path() + "/signetd.log");
  ASSERT_FALSE(signetd->base_url.empty());
  std::string token =
      testing::MintToken(idp->base_url, "sub=system:serviceaccount:billing:api&ttl=3600");
  ASSERT_FALSE(token.empty());

  // Four clients in a loop, each line "<status> <request id>", until signetd is gone.
  std::string answers = dir.path() + "/answers";
  std::string load =
      "seq 1 4 | xargs -P 4 -I{} sh -c 'for i in $(seq 1 3000); do curl -s -o /dev/null "
      "-w \"%{http_code} %header{x-request-id}\\n\" " +
      signetd->base_url +
      "/oauth2/token -d grant_type=urn:ietf:params:oauth:grant-type:token-exchange "
      "-d subject_token_type=urn:ietf:params:oauth:token-type:jwt -d audience=orders-api "
      "-d subject_token=" +
      token + " || exit 0; done' >> " + answers + " 2>/dev/null";
  std::thread clients([&load] { testing::RunCommand(load); });
  // Bounded by answers, not time: the server is under load once 200 have come back.
  while (LineCount(answers) < 200) {
    std::this_thread::yield();
  }
  std::optional<int> exit_status = signetd->process->Stop(SIGTERM, std::chrono::seconds(30));
  clients.join();
  ASSERT_TRUE(exit_status.has_value()) << "signetd did not exit after SIGTERM";
  EXPECT_EQ(*exit_status, 0);

  std::set<std::string> audited = AuditedRequestIds(dir.path() + "/data/signet.db");
  std::ifstream in(answers);
  size_t acknowledged = 0;
  for (std::string status, id; in >> status;) {
    if (status != "200") {
      std::getline(in, id);  // refused connections print 000 and no id
      continue;
    }
    in >> id;
    ++acknowledged;
    EXPECT_TRUE(audited.contains(id)) << "answered 200 but not audited: " << id;
  }
  EXPECT_GE(acknowledged, 200u);
  int code = -1;
  std::string out = testing::RunCommand(
      std::string(SIGNET_PATH) + " audit verify --data-dir " + dir.path() + "/data 2>&1", &code);
  EXPECT_EQ(code, 0) << out;
  std::string log;
  std::getline(std::ifstream(dir.path() + "/signetd.log"), log, '\0');
  EXPECT_NE(log.find("signetd stopped"), std::string::npos) << log;
}

}  // namespace
}  // namespace signet
