#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <thread>

#include "store/store.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet::store {
namespace {

using ::signet::testing::FailsWith;
using ::signet::testing::FailsWithCode;
using ::signet::testing::IsOk;

// Rows that chain by their fields only: the store checks links, not hashes.
std::vector<AuditRow> Chain(int64_t first_seq, int n, std::string prev) {
  std::vector<AuditRow> rows;
  for (int i = 0; i < n; ++i) {
    int64_t seq = first_seq + i;
    std::string hash(64, static_cast<char>('a' + seq % 6));
    hash.replace(0, std::to_string(seq).size(), std::to_string(seq));
    rows.push_back(AuditRow{seq, "{\"n\":" + std::to_string(seq) + "}", prev, hash});
    prev = hash;
  }
  return rows;
}

void ExecSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open(SqliteOptions options = {}) {
    auto store = OpenSqliteStore(path_, options);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? std::move(*store) : nullptr;
  }
  int64_t AuditCount(Store& store) {
    auto rows = store.ListAudit(0, 1000);
    EXPECT_THAT(rows, IsOk());
    return rows.ok() ? static_cast<int64_t>(rows->size()) : -1;
  }

  testing::TempDir dir_;
  std::string path_ = dir_.File("signet.db");
};

TEST_F(SqliteStoreTest, ReopenPersistsKeysAndAudit) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->InsertSigningKey({"kid-1", "ES256", std::string("\0sealed\xff", 8), 1000}),
                IsOk());
    ASSERT_THAT(store->AppendAudit(Chain(1, 3, std::string(kGenesisHash))), IsOk());
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto keys = store->ListSigningKeys();
  ASSERT_THAT(keys, IsOk());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].kid, "kid-1");
  EXPECT_EQ((*keys)[0].algorithm, "ES256");
  EXPECT_EQ((*keys)[0].sealed_private_key, std::string("\0sealed\xff", 8));
  EXPECT_EQ((*keys)[0].created_at, 1000);
  auto last = store->LastAudit();
  ASSERT_THAT(last, IsOk());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->seq, 3);
  EXPECT_EQ((*last)->record, "{\"n\":3}");
  EXPECT_EQ((*last)->hash, Chain(1, 3, std::string(kGenesisHash))[2].hash);
}

TEST_F(SqliteStoreTest, ProcessDurabilityOpensAndPersists) {
  {
    auto store = Open({.durability = Durability::kProcess});
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->AppendAudit(Chain(1, 1, std::string(kGenesisHash))), IsOk());
  }
  auto store = Open({.durability = Durability::kProcess});
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(AuditCount(*store), 1);
}

TEST_F(SqliteStoreTest, SigningKeysListOldestFirst) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->InsertSigningKey({"newer", "ES256", "x", 2000}), IsOk());
  ASSERT_THAT(store->InsertSigningKey({"older", "EdDSA", "y", 1000}), IsOk());
  ASSERT_THAT(store->InsertSigningKey({"same-second", "ES256", "z", 2000}), IsOk());
  auto keys = store->ListSigningKeys();
  ASSERT_THAT(keys, IsOk());
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[0].kid, "older");
  EXPECT_EQ((*keys)[1].kid, "newer");
  EXPECT_EQ((*keys)[2].kid, "same-second");  // ties: insertion order
}

TEST_F(SqliteStoreTest, DuplicateKidFails) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->InsertSigningKey({"kid-1", "ES256", "x", 1}), IsOk());
  auto s = store->InsertSigningKey({"kid-1", "ES256", "secret-bytes", 2});
  EXPECT_THAT(s, FailsWithCode(ErrorCode::kServerError, "store_failed"));
  EXPECT_EQ(s.message().find("secret-bytes"), std::string::npos);  // no row contents
}

TEST_F(SqliteStoreTest, EmptyTrailHasNoLastRow) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto last = store->LastAudit();
  ASSERT_THAT(last, IsOk());
  EXPECT_FALSE(last->has_value());
}

TEST_F(SqliteStoreTest, AppendAuditWithDuplicateSeqInsertsNothing) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->AppendAudit(Chain(1, 1, std::string(kGenesisHash))), IsOk());
  std::vector<AuditRow> batch = Chain(2, 2, Chain(1, 1, std::string(kGenesisHash))[0].hash);
  batch.push_back(batch.back());  // seq 3 twice
  EXPECT_THAT(store->AppendAudit(batch), FailsWith("audit_chain_conflict"));
  EXPECT_EQ(AuditCount(*store), 1);  // rows 2 and 3 were rolled back
  // The store is usable afterwards, and the same rows without the duplicate go in.
  batch.pop_back();
  EXPECT_THAT(store->AppendAudit(batch), IsOk());
  EXPECT_EQ(AuditCount(*store), 3);
}

TEST_F(SqliteStoreTest, AppendAuditRefusesRowsThatDoNotContinueTheChain) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->AppendAudit(Chain(2, 1, std::string(kGenesisHash))),
              FailsWithCode(ErrorCode::kServerError, "audit_chain_conflict"));  // gap
  EXPECT_THAT(store->AppendAudit(Chain(1, 1, std::string(64, 'f'))),
              FailsWith("audit_chain_conflict"));  // wrong genesis
  ASSERT_THAT(store->AppendAudit(Chain(1, 2, std::string(kGenesisHash))), IsOk());
  EXPECT_THAT(store->AppendAudit(Chain(3, 1, std::string(64, 'f'))),
              FailsWith("audit_chain_conflict"));  // wrong prev_hash
  EXPECT_THAT(store->AppendAudit(Chain(2, 1, std::string(kGenesisHash))),
              FailsWith("audit_chain_conflict"));  // a second writer's stale head
  EXPECT_EQ(AuditCount(*store), 2);
}

TEST_F(SqliteStoreTest, ListAuditPagesInSeqOrder) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->AppendAudit(Chain(1, 5, std::string(kGenesisHash))), IsOk());
  auto page = store->ListAudit(1, 2);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, 2);
  EXPECT_EQ((*page)[1].seq, 3);
  EXPECT_EQ((*page)[1].prev_hash, (*page)[0].hash);
  auto rest = store->ListAudit(3, 100);
  ASSERT_THAT(rest, IsOk());
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[1].seq, 5);
  auto none = store->ListAudit(5, 100);
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
}

// Commits never checkpoint (that would stall every request waiting on the commit); the
// store's checkpointer thread copies the WAL into the database file instead. Without it
// the database file would keep its initial size and the WAL would grow forever.
TEST_F(SqliteStoreTest, CheckpointsRunBesideCommitsAndKeepTheWalBounded) {
  auto store = Open(SqliteOptions{Durability::kProcess});
  ASSERT_NE(store, nullptr);
  const std::string wal = path_ + "-wal";
  const uintmax_t initial_db_size = std::filesystem::file_size(path_);
  // ~8 KiB per row: one batch of 100 rows is ~200 pages, so five batches pass the
  // 1000-page threshold.
  std::string prev(kGenesisHash);
  int64_t seq = 1;
  auto append_batch = [&] {
    std::vector<AuditRow> rows = Chain(seq, 100, prev);
    for (AuditRow& row : rows) {
      row.record = "{\"pad\":\"" + std::string(8000, 'x') + "\"}";
    }
    ASSERT_THAT(store->AppendAudit(rows), IsOk());
    prev = rows.back().hash;
    seq += 100;
  };
  bool checkpointed = false;
  // The checkpointer runs on its own thread: give it turns, bounded by commits, not time.
  for (int batch = 0; batch < 2000 && !checkpointed; ++batch) {
    append_batch();
    std::this_thread::yield();
    checkpointed = std::filesystem::file_size(path_) > initial_db_size + 4 * 1024 * 1024;
  }
  EXPECT_TRUE(checkpointed) << "the database file never grew: no checkpoint ran";
  // Writes this fast outpace PASSIVE checkpoints; the RESTART checkpoint past 10000
  // pages (~40 MiB) still bounds the WAL: 200 more batches (~160 MiB of rows)
  // leave it far below that.
  for (int batch = 0; batch < 200; ++batch) {
    append_batch();
    std::this_thread::yield();
  }
  EXPECT_LT(std::filesystem::file_size(wal), uintmax_t{64} * 1024 * 1024);
  EXPECT_EQ(AuditCount(*store), 1000);  // ListAudit's page: the rows are all readable
}

TEST_F(SqliteStoreTest, AdminTokensAreFoundByHashListedAndDeleted) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  AdminTokenRow admin{"tok-a", std::string(64, 'a'), "admin", "bootstrap", 100, 1000};
  AdminTokenRow auditor{"tok-b", std::string(64, 'b'), "auditor", "siem", 200, 2000};
  ASSERT_THAT(store->InsertAdminToken(admin), IsOk());
  ASSERT_THAT(store->InsertAdminToken(auditor), IsOk());
  AdminTokenRow same_hash = auditor;
  same_hash.id = "tok-c";
  EXPECT_THAT(store->InsertAdminToken(same_hash), FailsWith("store_failed"));

  auto found = store->FindAdminToken(std::string(64, 'b'));
  ASSERT_THAT(found, IsOk());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, "tok-b");
  EXPECT_EQ((*found)->role, "auditor");
  EXPECT_EQ((*found)->expires_at, 2000);
  auto missing = store->FindAdminToken(std::string(64, 'z'));
  ASSERT_THAT(missing, IsOk());
  EXPECT_FALSE(missing->has_value());

  auto deleted = store->DeleteAdminToken("tok-a");
  ASSERT_THAT(deleted, IsOk());
  EXPECT_TRUE(*deleted);
  auto again = store->DeleteAdminToken("tok-a");
  ASSERT_THAT(again, IsOk());
  EXPECT_FALSE(*again);
  auto all = store->ListAdminTokens();
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].id, "tok-b");
}

TEST_F(SqliteStoreTest, SuspensionsReplaceAndResume) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->PutSuspension({"billing", "leaked token", "tok-a", 10}), IsOk());
  ASSERT_THAT(store->PutSuspension({"billing", "incident 42", "tok-b", 20}), IsOk());
  ASSERT_THAT(store->PutSuspension({"agent", "runaway", "tok-a", 30}), IsOk());
  auto list = store->ListSuspensions();
  ASSERT_THAT(list, IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].workload, "agent");
  EXPECT_EQ((*list)[1].reason, "incident 42");
  EXPECT_EQ((*list)[1].actor, "tok-b");
  auto resumed = store->DeleteSuspension("billing");
  ASSERT_THAT(resumed, IsOk());
  EXPECT_TRUE(*resumed);
  auto not_suspended = store->DeleteSuspension("billing");
  ASSERT_THAT(not_suspended, IsOk());
  EXPECT_FALSE(*not_suspended);
}

TEST_F(SqliteStoreTest, RevocationsKeepTheFirstRowAndListOnlyUnexpiredOnes) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->PutRevocation({"jti-1", "first", "tok-a", 10, 100}), IsOk());
  ASSERT_THAT(store->PutRevocation({"jti-1", "second", "tok-b", 20, 100}), IsOk());
  ASSERT_THAT(store->PutRevocation({"jti-2", "old", "tok-a", 10, 50}), IsOk());
  auto live = store->ListRevocations(60);
  ASSERT_THAT(live, IsOk());
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].jti, "jti-1");
  EXPECT_EQ((*live)[0].reason, "first");
  auto earlier = store->ListRevocations(40);
  ASSERT_THAT(earlier, IsOk());
  EXPECT_EQ(earlier->size(), 2u);
}

// A database made by the first schema gains the control-plane tables on open, and keeps
// its rows.
TEST_F(SqliteStoreTest, SchemaOneIsMigratedInPlace) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->AppendAudit(Chain(1, 3, std::string(kGenesisHash))), IsOk());
  }
  ExecSql(path_,
          "DROP TABLE admin_tokens; DROP TABLE suspensions; DROP TABLE revocations; "
          "UPDATE schema_version SET version = 1");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(AuditCount(*store), 3);
  EXPECT_THAT(store->PutSuspension({"billing", "r", "a", 1}), IsOk());
}

TEST_F(SqliteStoreTest, MissingDirectoryIsUnavailable) {
  auto store = OpenSqliteStore(dir_.File("no/such/dir/signet.db"));
  EXPECT_THAT(store, FailsWithCode(ErrorCode::kServerError, "store_unavailable"));
  EXPECT_NE(store.status().message().find("no/such/dir"), std::string::npos);
}

TEST_F(SqliteStoreTest, FileThatIsNotADatabaseIsUnavailable) {
  {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not an SQLite database, just some text that is long enough", f);
    std::fclose(f);
  }
  EXPECT_THAT(OpenSqliteStore(path_), FailsWith("store_unavailable"));
}

TEST_F(SqliteStoreTest, NewerSchemaIsRefused) {
  ASSERT_NE(Open(), nullptr);
  ExecSql(path_, "UPDATE schema_version SET version = 999");
  auto store = OpenSqliteStore(path_);
  EXPECT_THAT(store, FailsWith("store_schema_too_new"));
  EXPECT_NE(store.status().message().find("999"), std::string::npos);
}

}  // namespace
}  // namespace signet::store
