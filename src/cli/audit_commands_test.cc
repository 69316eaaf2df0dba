#include "cli/audit_commands.h"

#include <sqlite3.h>

#include <gtest/gtest.h>
#include <sstream>

#include "audit/audit_log.h"
#include "store/store.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet::cli {
namespace {

using testing::IsOk;

class AuditCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::OpenSqliteStore(dir_.path() + "/signet.db");
    ASSERT_THAT(store, IsOk());
    auto log = audit::AuditLog::Open(**store);
    ASSERT_THAT(log, IsOk());
    for (int i = 0; i < 3; ++i) {
      audit::Event event;
      event.time = FromUnixSeconds(1'800'000'000 + i);
      event.request_id = "req-" + std::to_string(i);
      event.workload = "billing";
      event.destination = "orders";
      event.decision = i == 1 ? "deny" : "allow";
      if (i == 1) {
        event.error = "invalid_target";
        event.reason = "no_policy";
      } else {
        event.policy = "billing-orders";
        event.jti = "jti-" + std::to_string(i);
      }
      ASSERT_THAT((*log)->AppendAndWait(event), IsOk());
    }
  }

  void Execute(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() + "/signet.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  signet::testing::TempDir dir_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(AuditCommandsTest, ListsRecordsAsTextAndJson) {
  ASSERT_EQ(AuditList({dir_.path(), 0, 100, false}, out_, err_), 0) << err_.str();
  EXPECT_NE(out_.str().find("1  2027-01-15T08:00:00Z  req-0  billing -> orders  allow  "
                            "policy=billing-orders jti=jti-0"),
            std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("req-1  billing -> orders  deny  invalid_target (no_policy)"),
            std::string::npos)
      << out_.str();

  std::ostringstream json;
  ASSERT_EQ(AuditList({dir_.path(), 1, 1, true}, json, err_), 0);
  EXPECT_EQ(json.str().find("{\"seq\":2,\"hash\":\""), 0u) << json.str();
  EXPECT_NE(json.str().find("\"record\":{\"v\":2,"), std::string::npos) << json.str();
  std::string lines = json.str();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 1);
}

TEST_F(AuditCommandsTest, VerifyPassesThenNamesTheEditedRecord) {
  ASSERT_EQ(AuditVerify(dir_.path(), out_, err_), 0) << out_.str() << err_.str();
  EXPECT_EQ(out_.str(), "audit trail intact: 3 records\n");

  Execute("UPDATE audit SET record = replace(record, '\"deny\"', '\"allow\"') WHERE seq = 2");
  std::ostringstream broken;
  EXPECT_EQ(AuditVerify(dir_.path(), broken, err_), 1);
  EXPECT_EQ(broken.str().rfind("audit trail BROKEN at record 2: ", 0), 0u) << broken.str();
}

TEST_F(AuditCommandsTest, VerifyCatchesADeletedRecord) {
  Execute("DELETE FROM audit WHERE seq = 2");
  EXPECT_EQ(AuditVerify(dir_.path(), out_, err_), 1);
  EXPECT_NE(out_.str().find("record 2"), std::string::npos) << out_.str();
}

TEST_F(AuditCommandsTest, AMissingDatabaseIsAnErrorNotAnEmptyTrail) {
  EXPECT_EQ(AuditVerify(dir_.path() + "/typo", out_, err_), 2);
  EXPECT_NE(err_.str().find("no Signet database at"), std::string::npos);
  EXPECT_EQ(AuditList({dir_.path() + "/typo", 0, 10, false}, out_, err_), 1);
}

}  // namespace
}  // namespace signet::cli
