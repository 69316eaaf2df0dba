#include "audit/chain.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "audit/event.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet::audit {
namespace {

using ::signet::testing::IsOk;

std::string Record(int64_t seq) {
  Event e;
  e.time = FromUnixSeconds(1'700'000'000 + seq);
  e.request_id = "req-" + std::to_string(seq);
  e.decision = "allow";
  return SerializeEvent(e);
}

class ChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::OpenSqliteStore(path_);
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
  }

  // Appends records 1..n, chained, in one transaction.
  void AppendChain(int64_t n) {
    std::vector<store::AuditRow> rows;
    std::string prev(store::kGenesisHash);
    for (int64_t seq = 1; seq <= n; ++seq) {
      std::string record = Record(seq);
      std::string hash = ChainHash(prev, record);
      rows.push_back({seq, record, prev, hash});
      prev = hash;
    }
    ASSERT_THAT(store_->AppendAudit(rows), IsOk());
  }

  // Changes the database behind the store's back, as an attacker with file access would.
  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_close(db);
  }

  VerifyReport Verify() {
    auto report = VerifyChain(*store_);
    EXPECT_THAT(report, IsOk());
    return report.ok() ? *report : VerifyReport{};
  }

  signet::testing::TempDir dir_;
  std::string path_ = dir_.File("signet.db");
  std::unique_ptr<store::Store> store_;
};

TEST_F(ChainTest, HashIsSha256OfPrevNewlineRecord) {
  // python3 -c 'import hashlib;
  // print(hashlib.sha256(("0"*64+"\n"+"{\"a\":1}").encode()).hexdigest())'
  EXPECT_EQ(ChainHash(store::kGenesisHash, R"({"a":1})"),
            "f21735afd2cd6af4fc5804b0045cebfd545aef8396d29d030c39cb8880b45b7f");
}

TEST_F(ChainTest, EmptyTrailIsIntact) {
  VerifyReport report = Verify();
  EXPECT_TRUE(report.intact);
  EXPECT_EQ(report.records, 0);
  EXPECT_FALSE(report.first_bad_seq.has_value());
}

TEST_F(ChainTest, ChainAcrossSeveralPagesVerifies) {
  AppendChain(2345);
  VerifyReport report = Verify();
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_EQ(report.records, 2345);
}

TEST_F(ChainTest, EditedRecordIsCaughtAtItsSeq) {
  AppendChain(10);
  Tamper("UPDATE audit SET record = replace(record, '\"allow\"', '\"deny\"') WHERE seq = 5");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.first_bad_seq, 5);
  EXPECT_EQ(report.records, 4);
  EXPECT_NE(report.problem.find("record 5"), std::string::npos) << report.problem;
}

TEST_F(ChainTest, EditedRecordWithRecomputedHashIsCaughtAtTheNextLink) {
  AppendChain(10);
  std::string prev = ChainHash(
      ChainHash(ChainHash(ChainHash(store::kGenesisHash, Record(1)), Record(2)), Record(3)),
      Record(4));
  std::string forged = Record(99);
  Tamper("UPDATE audit SET record = '" + forged + "', hash = '" + ChainHash(prev, forged) +
         "' WHERE seq = 5");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.first_bad_seq, 6);
}

TEST_F(ChainTest, DeletedMiddleRecordIsCaughtAtItsSeq) {
  AppendChain(10);
  Tamper("DELETE FROM audit WHERE seq = 7");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.first_bad_seq, 7);
  EXPECT_NE(report.problem.find("missing"), std::string::npos) << report.problem;
}

TEST_F(ChainTest, DeletedFirstRecordIsCaught) {
  AppendChain(3);
  Tamper("DELETE FROM audit WHERE seq = 1");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.first_bad_seq, 1);
}

TEST_F(ChainTest, DeletionOnAPageBoundaryIsCaught) {
  AppendChain(2001);
  Tamper("DELETE FROM audit WHERE seq = 1001");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.first_bad_seq, 1001);
}

TEST_F(ChainTest, RecordThatIsNotAnEventIsCaughtEvenWithAValidHash) {
  std::string record = R"({"v":1})";
  ASSERT_THAT(store_->AppendAudit({{1, record, std::string(store::kGenesisHash),
                                    ChainHash(store::kGenesisHash, record)}}),
              IsOk());
  VerifyReport report = Verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.first_bad_seq, 1);
  EXPECT_NE(report.problem.find("audit record"), std::string::npos) << report.problem;
}

TEST_F(ChainTest, TruncatedChainStillVerifies) {
  // Documented limit: the chain alone cannot show that its newest records were removed.
  AppendChain(5);
  Tamper("DELETE FROM audit WHERE seq = 5");
  VerifyReport report = Verify();
  EXPECT_TRUE(report.intact);
  EXPECT_EQ(report.records, 4);
}

}  // namespace
}  // namespace signet::audit
