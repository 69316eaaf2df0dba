#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <latch>
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

// Takes signing_keys back to its schema-1 form (before the lifecycle columns of schema 4),
// keeping its rows. Rebuilt rather than altered: old SQLite cannot drop a column.
constexpr char kSigningKeysBeforeSchema4[] = R"sql(
CREATE TABLE old_keys AS SELECT kid, algorithm, sealed_private_key, created_at FROM signing_keys;
DROP TABLE signing_keys;
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY NOT NULL,
  algorithm TEXT NOT NULL,
  sealed_private_key BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
INSERT INTO signing_keys SELECT * FROM old_keys;
DROP TABLE old_keys;
)sql";

// Takes the database back to schema 5 (before join_tokens), keeping every other row.
constexpr char kBeforeSchema6[] = "DROP TABLE join_tokens;";

// Takes the database back to schema 4 (before config_versions), keeping every other row.
constexpr char kBeforeSchema5[] = "DROP TABLE join_tokens; DROP TABLE config_versions;";

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
  ExecSql(path_, std::string(kBeforeSchema5) + kSigningKeysBeforeSchema4 +
                     "DROP TABLE admin_tokens; DROP TABLE suspensions; DROP TABLE revocations; "
                     "DROP TABLE secrets; DROP TABLE store_meta; "
                     "UPDATE schema_version SET version = 1");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(AuditCount(*store), 3);
  EXPECT_THAT(store->PutSuspension({"billing", "r", "a", 1}), IsOk());
}

// A database made by the second schema gains the vault tables on open, and keeps its
// rows.
TEST_F(SqliteStoreTest, SchemaTwoIsMigratedInPlace) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->InsertSigningKey({"kid-1", "ES256", "sealed", 10}), IsOk());
    ASSERT_THAT(store->InsertAdminToken({"tok-a", std::string(64, 'a'), "admin", "d", 1, 2}),
                IsOk());
    ASSERT_THAT(store->AppendAudit(Chain(1, 2, std::string(kGenesisHash))), IsOk());
  }
  ExecSql(path_, std::string(kBeforeSchema5) + kSigningKeysBeforeSchema4 +
                     "DROP TABLE secrets; DROP TABLE store_meta; "
                     "UPDATE schema_version SET version = 2");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto keys = store->ListSigningKeys();
  ASSERT_THAT(keys, IsOk());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].sealed_private_key, "sealed");
  auto tokens = store->ListAdminTokens();
  ASSERT_THAT(tokens, IsOk());
  EXPECT_EQ(tokens->size(), 1u);
  EXPECT_EQ(AuditCount(*store), 2);
  EXPECT_THAT(store->PutSecret({"db-password", 1, "k", "v", 5, 5}), IsOk());
  EXPECT_THAT(store->PutMeta("m", "v"), IsOk());
  store.reset();
  // The migrated database is at the current version: a second open migrates nothing.
  store = Open();
  ASSERT_NE(store, nullptr);
  auto secret = store->GetSecret("db-password");
  ASSERT_THAT(secret, IsOk());
  EXPECT_TRUE(secret->has_value());
}

TEST_F(SqliteStoreTest, SecretsArePutReplacedReadListedAndDeleted) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->PutSecret({"b-secret", 1, "key-b1", std::string("\0val\xff", 5), 100, 100}),
              IsOk());
  ASSERT_THAT(store->PutSecret({"a-secret", 1, "key-a1", "value-a1", 50, 50}), IsOk());

  // A second version 1 (another writer's first Put) and a version that skips one are
  // refused, without the row's contents in the message.
  auto again = store->PutSecret({"b-secret", 1, "key-x", "sealed-bytes", 110, 110});
  EXPECT_THAT(again, FailsWithCode(ErrorCode::kServerError, "secret_version_conflict"));
  EXPECT_EQ(again.message().find("sealed-bytes"), std::string::npos);
  EXPECT_THAT(store->PutSecret({"b-secret", 3, "key-x", "value-x", 110, 110}),
              FailsWith("secret_version_conflict"));
  EXPECT_THAT(store->PutSecret({"absent", 2, "key-x", "value-x", 110, 110}),
              FailsWith("secret_version_conflict"));

  // Version 2 replaces version 1 and keeps its created_at.
  ASSERT_THAT(store->PutSecret({"b-secret", 2, "key-b2", "value-b2", 999, 200}), IsOk());
  auto b = store->GetSecret("b-secret");
  ASSERT_THAT(b, IsOk());
  ASSERT_TRUE(b->has_value());
  EXPECT_EQ((*b)->name, "b-secret");
  EXPECT_EQ((*b)->version, 2);
  EXPECT_EQ((*b)->sealed_data_key, "key-b2");
  EXPECT_EQ((*b)->sealed_value, "value-b2");
  EXPECT_EQ((*b)->created_at, 100);
  EXPECT_EQ((*b)->updated_at, 200);
  auto missing = store->GetSecret("absent");
  ASSERT_THAT(missing, IsOk());
  EXPECT_FALSE(missing->has_value());

  auto list = store->ListSecrets();
  ASSERT_THAT(list, IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "a-secret");  // by name
  EXPECT_EQ((*list)[0].version, 1);
  EXPECT_EQ((*list)[1].name, "b-secret");
  EXPECT_EQ((*list)[1].version, 2);
  EXPECT_EQ((*list)[1].created_at, 100);
  EXPECT_EQ((*list)[1].updated_at, 200);

  auto deleted = store->DeleteSecret("a-secret");
  ASSERT_THAT(deleted, IsOk());
  EXPECT_TRUE(*deleted);
  auto deleted_again = store->DeleteSecret("a-secret");
  ASSERT_THAT(deleted_again, IsOk());
  EXPECT_FALSE(*deleted_again);
  // A deleted name starts over at version 1.
  EXPECT_THAT(store->PutSecret({"a-secret", 1, "key-a", "value-a", 300, 300}), IsOk());
}

TEST_F(SqliteStoreTest, MetaIsPutReplacedAndInsertedOnlyWhenAbsent) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto absent = store->GetMeta("check");
  ASSERT_THAT(absent, IsOk());
  EXPECT_FALSE(absent->has_value());

  auto inserted = store->InsertMetaIfAbsent("check", std::string("\0first", 6));
  ASSERT_THAT(inserted, IsOk());
  EXPECT_TRUE(*inserted);
  auto second = store->InsertMetaIfAbsent("check", "second");
  ASSERT_THAT(second, IsOk());
  EXPECT_FALSE(*second);
  auto value = store->GetMeta("check");
  ASSERT_THAT(value, IsOk());
  ASSERT_TRUE(value->has_value());
  EXPECT_EQ(**value, std::string("\0first", 6));

  ASSERT_THAT(store->PutMeta("check", "replaced"), IsOk());
  value = store->GetMeta("check");
  ASSERT_THAT(value, IsOk());
  ASSERT_TRUE(value->has_value());
  EXPECT_EQ(**value, "replaced");
}

// A database made by the third schema gains the signing-key lifecycle: its keys are
// active from their creation, with no retirement.
TEST_F(SqliteStoreTest, SchemaThreeIsMigratedInPlace) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->InsertSigningKey({"kid-1", "ES256", "sealed-1", 10}), IsOk());
    ASSERT_THAT(store->InsertSigningKey({"kid-2", "EdDSA", "sealed-2", 20}), IsOk());
    ASSERT_THAT(store->PutMeta("m", "v"), IsOk());
  }
  ExecSql(path_, std::string(kBeforeSchema5) + kSigningKeysBeforeSchema4 +
                     "UPDATE schema_version SET version = 3");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto keys = store->ListSigningKeys();
  ASSERT_THAT(keys, IsOk());
  ASSERT_EQ(keys->size(), 2u);
  for (const SigningKeyRow& row : *keys) {
    EXPECT_EQ(row.activates_at, row.created_at) << row.kid;
    EXPECT_EQ(row.retires_at, 0) << row.kid;
    EXPECT_EQ(row.unpublish_at, 0) << row.kid;
  }
  EXPECT_EQ((*keys)[1].sealed_private_key, "sealed-2");
  EXPECT_EQ((*keys)[1].created_at, 20);
  auto meta = store->GetMeta("m");
  ASSERT_THAT(meta, IsOk());
  EXPECT_EQ(meta->value_or(""), "v");
  store.reset();
  store = Open();  // at the current version: nothing migrates twice
  ASSERT_NE(store, nullptr);
}

TEST_F(SqliteStoreTest, SigningKeyLifecycleColumnsRoundTrip) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->InsertSigningKey({"kid-1", "ES256", "x", 10, 11, 12, 13}), IsOk());
  auto keys = store->ListSigningKeys();
  ASSERT_THAT(keys, IsOk());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].activates_at, 11);
  EXPECT_EQ((*keys)[0].retires_at, 12);
  EXPECT_EQ((*keys)[0].unpublish_at, 13);
}

TEST_F(SqliteStoreTest, ChangeSigningKeysInsertsSchedulesAndDeletesTogether) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->InsertSigningKey({"old", "ES256", "o", 10, 10}), IsOk());
  ASSERT_THAT(store->InsertSigningKey({"cur", "ES256", "c", 20, 20}), IsOk());
  SigningKeyChange change;
  change.expected_kids = {"cur", "old"};  // any order
  change.inserts = {{"next", "ES256", "n", 30, 100}};
  change.schedules = {{"cur", 100, 200}};
  change.deletes = {"old"};
  ASSERT_THAT(store->ChangeSigningKeys(change), IsOk());
  auto keys = store->ListSigningKeys();
  ASSERT_THAT(keys, IsOk());
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].kid, "cur");
  EXPECT_EQ((*keys)[0].retires_at, 100);
  EXPECT_EQ((*keys)[0].unpublish_at, 200);
  EXPECT_EQ((*keys)[1].kid, "next");
  EXPECT_EQ((*keys)[1].activates_at, 100);
  EXPECT_EQ((*keys)[1].sealed_private_key, "n");
}

// A change planned from keys that are no longer the stored ones writes nothing: the
// compare-and-set that keeps two replicas from both rotating.
TEST_F(SqliteStoreTest, ChangeSigningKeysPlannedFromOtherKeysChangesNothing) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->InsertSigningKey({"cur", "ES256", "c", 20, 20}), IsOk());
  std::vector<SigningKeyChange> stale(5);
  stale[0].expected_kids = {};               // a key was added since
  stale[1].expected_kids = {"cur", "gone"};  // a key was deleted since
  stale[2].expected_kids = {"cur", "cur"};   // a duplicate
  stale[3].expected_kids = {"cur"};          // right kids, but a schedule names no key
  stale[3].schedules = {{"absent", 1, 2}};
  stale[4].expected_kids = {"cur"};  // right kids, but a delete names no key
  stale[4].deletes = {"absent"};
  for (size_t i = 0; i < stale.size(); ++i) {
    stale[i].inserts = {{"pending-" + std::to_string(i), "ES256", "secret-bytes", 30, 100}};
    if (i < 3) {
      stale[i].schedules = {{"cur", 100, 200}};
    }
    Status s = store->ChangeSigningKeys(stale[i]);
    EXPECT_THAT(s, FailsWithCode(ErrorCode::kServerError, "signing_key_conflict")) << i;
    EXPECT_EQ(s.message().find("secret-bytes"), std::string::npos) << i;
    auto keys = store->ListSigningKeys();
    ASSERT_THAT(keys, IsOk());
    ASSERT_EQ(keys->size(), 1u) << i;
    EXPECT_EQ((*keys)[0].retires_at, 0) << i;
  }
  // An inserted kid that exists already fails like InsertSigningKey, and rolls back.
  SigningKeyChange duplicate;
  duplicate.expected_kids = {"cur"};
  duplicate.schedules = {{"cur", 100, 200}};
  duplicate.inserts = {{"cur", "ES256", "x", 30, 100}};
  EXPECT_THAT(store->ChangeSigningKeys(duplicate), FailsWith("store_failed"));
  auto keys = store->ListSigningKeys();
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ((*keys)[0].retires_at, 0);
}

class RewrapTest : public SqliteStoreTest {
 protected:
  void SetUp() override {
    store_ = Open();
    ASSERT_NE(store_, nullptr);
    ASSERT_THAT(store_->InsertSigningKey({"kid-1", "ES256", "old-k1", 10}), IsOk());
    ASSERT_THAT(store_->InsertSigningKey({"kid-2", "EdDSA", "old-k2", 20, 25, 30, 40}), IsOk());
    ASSERT_THAT(store_->PutSecret({"s1", 1, "old-d1", "value-1", 30, 30}), IsOk());
    ASSERT_THAT(store_->PutSecret({"s2", 1, "old-d2", "value-2", 40, 40}), IsOk());
    ASSERT_THAT(store_->PutSecret({"s2", 2, "old-d2b", "value-2b", 0, 50}), IsOk());
    ASSERT_THAT(store_->PutMeta("check", "old-check"), IsOk());
  }

  // Names every row, at its stored version.
  MasterKeyRewrap Complete() {
    MasterKeyRewrap rewrap;
    rewrap.signing_keys = {{"kid-1", "new-k1"}, {"kid-2", "new-k2"}};
    rewrap.secrets = {{"s1", 1, "new-d1"}, {"s2", 2, "new-d2"}};
    rewrap.meta = {{"check", "new-check"}};
    return rewrap;
  }

  // The sealed columns, in order: signing keys, secret data keys, the check.
  std::vector<std::string> Sealed() {
    std::vector<std::string> out;
    auto keys = store_->ListSigningKeys();
    EXPECT_THAT(keys, IsOk());
    for (const SigningKeyRow& row : *keys) {
      out.push_back(row.sealed_private_key);
    }
    for (std::string name : {"s1", "s2"}) {
      auto secret = store_->GetSecret(name);
      EXPECT_THAT(secret, IsOk());
      out.push_back(secret->has_value() ? (*secret)->sealed_data_key : "<absent>");
    }
    auto check = store_->GetMeta("check");
    EXPECT_THAT(check, IsOk());
    out.push_back(check->value_or("<absent>"));
    return out;
  }

  const std::vector<std::string> old_ = {"old-k1", "old-k2", "old-d1", "old-d2b", "old-check"};
  std::unique_ptr<Store> store_;
};

TEST_F(RewrapTest, ReplacesEverySealedColumnAndNothingElse) {
  ASSERT_THAT(store_->RewrapAll(Complete()), IsOk());
  EXPECT_EQ(Sealed(),
            (std::vector<std::string>{"new-k1", "new-k2", "new-d1", "new-d2", "new-check"}));
  auto keys = store_->ListSigningKeys();
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ((*keys)[1].algorithm, "EdDSA");
  EXPECT_EQ((*keys)[1].created_at, 20);
  EXPECT_EQ((*keys)[1].activates_at, 25);  // the lifecycle is kept
  EXPECT_EQ((*keys)[1].retires_at, 30);
  EXPECT_EQ((*keys)[1].unpublish_at, 40);
  auto s2 = store_->GetSecret("s2");
  ASSERT_THAT(s2, IsOk());
  EXPECT_EQ((*s2)->version, 2);
  EXPECT_EQ((*s2)->sealed_value, "value-2b");  // values stay sealed under their data keys
  EXPECT_EQ((*s2)->created_at, 40);
  EXPECT_EQ((*s2)->updated_at, 50);
}

TEST_F(RewrapTest, ARewrapThatDoesNotNameExactlyTheStoredRowsChangesNothing) {
  std::vector<MasterKeyRewrap> wrong(6, Complete());
  wrong[0].signing_keys.pop_back();                           // a key added since
  wrong[1].signing_keys.push_back({"kid-3", "new-k3"});       // a key deleted since
  wrong[2].secrets.pop_back();                                // a secret added since
  wrong[3].secrets.push_back({"s3", 1, "new-d3"});            // a secret deleted since
  wrong[4].secrets[1].version = 1;                            // a secret replaced since
  wrong[5].signing_keys.push_back(wrong[5].signing_keys[0]);  // a duplicate
  for (size_t i = 0; i < wrong.size(); ++i) {
    Status s = store_->RewrapAll(wrong[i]);
    EXPECT_THAT(s, FailsWithCode(ErrorCode::kServerError, "rewrap_conflict")) << i;
    EXPECT_EQ(s.message().find("new-"), std::string::npos) << i;  // no sealed bytes
    EXPECT_EQ(Sealed(), old_) << i;
  }
  // The store is usable afterwards.
  EXPECT_THAT(store_->RewrapAll(Complete()), IsOk());
}

TEST_F(RewrapTest, EmptyStoreRewrapsOnlyTheMeta) {
  auto empty = OpenSqliteStore(dir_.File("empty.db"));
  ASSERT_THAT(empty, IsOk());
  MasterKeyRewrap rewrap;
  rewrap.meta = {{"check", "c"}};
  ASSERT_THAT((*empty)->RewrapAll(rewrap), IsOk());
  auto check = (*empty)->GetMeta("check");
  ASSERT_THAT(check, IsOk());
  EXPECT_EQ(check->value_or(""), "c");
}

ConfigVersionRow ConfigRow(std::string origin, std::string document, int64_t created_at,
                           int64_t rollback_of = 0) {
  ConfigVersionRow row;
  row.version = 999;  // ignored: the store numbers versions
  row.created_at = created_at;
  row.actor = "tok-" + std::to_string(created_at);
  row.origin = std::move(origin);
  row.rollback_of = rollback_of;
  row.comment = "note " + std::to_string(created_at);
  row.digest = std::string(64, static_cast<char>('a' + created_at % 6));
  row.document = std::move(document);
  return row;
}

std::vector<int64_t> VersionNumbers(Store& store) {
  auto rows = store.ListConfigVersions();
  EXPECT_THAT(rows, IsOk());
  std::vector<int64_t> versions;
  for (const ConfigVersionRow& row : rows.ok() ? *rows : std::vector<ConfigVersionRow>()) {
    versions.push_back(row.version);
  }
  return versions;
}

TEST_F(SqliteStoreTest, ConfigVersionsAppendFromZeroAndNumberWithoutGaps) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto latest = store->LatestConfigVersion();
  ASSERT_THAT(latest, IsOk());
  EXPECT_EQ(*latest, 0);
  EXPECT_TRUE(VersionNumbers(*store).empty());

  auto first = store->AppendConfigVersion(0, ConfigRow("seed", "issuers: []\n", 10));
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(*first, 1);
  auto second = store->AppendConfigVersion(1, ConfigRow("apply", "issuers: [a]\n", 20));
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(*second, 2);
  latest = store->LatestConfigVersion();
  ASSERT_THAT(latest, IsOk());
  EXPECT_EQ(*latest, 2);
  store.reset();
  store = Open();  // durable
  ASSERT_NE(store, nullptr);
  latest = store->LatestConfigVersion();
  ASSERT_THAT(latest, IsOk());
  EXPECT_EQ(*latest, 2);
  EXPECT_EQ(VersionNumbers(*store), (std::vector<int64_t>{2, 1}));
}

// The compare and set: an append planned from a version that is no longer the newest
// writes nothing.
TEST_F(SqliteStoreTest, ConfigVersionAppendFromAStaleVersionWritesNothing) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  // Nothing stored yet: only 0 is the newest.
  EXPECT_THAT(store->AppendConfigVersion(1, ConfigRow("apply", "secret-doc", 5)),
              FailsWithCode(ErrorCode::kServerError, "config_version_conflict"));
  EXPECT_TRUE(VersionNumbers(*store).empty());

  ASSERT_THAT(store->AppendConfigVersion(0, ConfigRow("seed", "doc-1", 10)), IsOk());
  ASSERT_THAT(store->AppendConfigVersion(1, ConfigRow("apply", "doc-2", 20)), IsOk());
  for (int64_t stale : {int64_t{0}, int64_t{1}, int64_t{3}, int64_t{-1}}) {
    auto appended = store->AppendConfigVersion(stale, ConfigRow("apply", "secret-doc", 30));
    EXPECT_THAT(appended, FailsWithCode(ErrorCode::kServerError, "config_version_conflict"))
        << stale;
    // The numbers, never the row's contents.
    EXPECT_EQ(appended.status().message().find("secret-doc"), std::string::npos) << stale;
    EXPECT_EQ(appended.status().message().find("tok-30"), std::string::npos) << stale;
    EXPECT_NE(appended.status().message().find("2"), std::string::npos) << stale;
    EXPECT_EQ(VersionNumbers(*store), (std::vector<int64_t>{2, 1})) << stale;
  }
  auto latest = store->LatestConfigVersion();
  ASSERT_THAT(latest, IsOk());
  EXPECT_EQ(*latest, 2);
  auto newest = store->GetConfigVersion(2);
  ASSERT_THAT(newest, IsOk());
  EXPECT_EQ(newest->document, "doc-2");
  // The store is usable afterwards: from the right version the append lands.
  auto third = store->AppendConfigVersion(2, ConfigRow("apply", "doc-3", 40));
  ASSERT_THAT(third, IsOk());
  EXPECT_EQ(*third, 3);
}

TEST_F(SqliteStoreTest, GetConfigVersionReturnsEveryFieldAndTheDocument) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const std::string document = "issuers:\n  - name: \"k8s\"\n    note: \xc3\xa9t\xc3\xa9\n";
  ASSERT_THAT(store->AppendConfigVersion(0, ConfigRow("seed", "seeded", 10)), IsOk());
  ConfigVersionRow rollback = ConfigRow("rollback", document, 1700000000, 1);
  rollback.comment = "";  // may be empty
  ASSERT_THAT(store->AppendConfigVersion(1, rollback), IsOk());

  auto row = store->GetConfigVersion(2);
  ASSERT_THAT(row, IsOk());
  EXPECT_EQ(row->version, 2);  // the store's number, not the 999 passed in
  EXPECT_EQ(row->created_at, 1700000000);
  EXPECT_EQ(row->actor, "tok-1700000000");
  EXPECT_EQ(row->origin, "rollback");
  EXPECT_EQ(row->rollback_of, 1);
  EXPECT_EQ(row->comment, "");
  EXPECT_EQ(row->digest, rollback.digest);
  EXPECT_EQ(row->document, document);

  auto seed = store->GetConfigVersion(1);
  ASSERT_THAT(seed, IsOk());
  EXPECT_EQ(seed->version, 1);
  EXPECT_EQ(seed->created_at, 10);
  EXPECT_EQ(seed->actor, "tok-10");
  EXPECT_EQ(seed->origin, "seed");
  EXPECT_EQ(seed->rollback_of, 0);
  EXPECT_EQ(seed->comment, "note 10");
  EXPECT_EQ(seed->document, "seeded");
}

TEST_F(SqliteStoreTest, GetConfigVersionThatWasNeverStoredIsUnknown) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto none = store->GetConfigVersion(1);
  EXPECT_THAT(none, FailsWithCode(ErrorCode::kInvalidRequest, "config_version_unknown"));
  EXPECT_NE(none.status().message().find("no configuration is stored"), std::string::npos)
      << none.status().message();

  ASSERT_THAT(store->AppendConfigVersion(0, ConfigRow("seed", "doc-1", 10)), IsOk());
  ASSERT_THAT(store->AppendConfigVersion(1, ConfigRow("apply", "doc-2", 20)), IsOk());
  for (int64_t unknown : {int64_t{3}, int64_t{0}, int64_t{-1}, int64_t{1} << 40}) {
    auto row = store->GetConfigVersion(unknown);
    EXPECT_THAT(row, FailsWithCode(ErrorCode::kInvalidRequest, "config_version_unknown"))
        << unknown;
    // Names the version asked for and the stored range, so the operator can correct it.
    EXPECT_NE(row.status().message().find(std::to_string(unknown)), std::string::npos)
        << row.status().message();
    EXPECT_NE(row.status().message().find("1 to 2"), std::string::npos) << row.status().message();
    EXPECT_EQ(row.status().message().find("doc-"), std::string::npos);
  }
}

TEST_F(SqliteStoreTest, ListConfigVersionsIsNewestFirstWithoutDocuments) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->AppendConfigVersion(0, ConfigRow("seed", "doc-1", 10)), IsOk());
  ASSERT_THAT(store->AppendConfigVersion(1, ConfigRow("apply", "doc-2", 20)), IsOk());
  ASSERT_THAT(store->AppendConfigVersion(2, ConfigRow("rollback", "doc-1", 30, 1)), IsOk());
  auto rows = store->ListConfigVersions();
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 3u);
  const std::vector<std::string> origins = {"rollback", "apply", "seed"};
  for (size_t i = 0; i < rows->size(); ++i) {
    const ConfigVersionRow& row = (*rows)[i];
    int64_t created_at = 30 - 10 * static_cast<int64_t>(i);
    EXPECT_EQ(row.version, 3 - static_cast<int64_t>(i)) << i;
    EXPECT_EQ(row.created_at, created_at) << i;
    EXPECT_EQ(row.actor, "tok-" + std::to_string(created_at)) << i;
    EXPECT_EQ(row.origin, origins[i]) << i;
    EXPECT_EQ(row.rollback_of, i == 0 ? 1 : 0) << i;
    EXPECT_EQ(row.comment, "note " + std::to_string(created_at)) << i;
    EXPECT_EQ(row.digest, ConfigRow("", "", created_at).digest) << i;
    EXPECT_EQ(row.document, "") << i;
  }
}

// Replicas (each its own connection) applying from the same version at once: the
// transaction's write lock makes exactly one of them land, and the others learn it.
TEST_F(SqliteStoreTest, RacingConfigVersionAppendsFromOneVersionLandOnce) {
  constexpr int kRacers = 4;
  constexpr int kRounds = 20;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kRacers; ++i) {
    stores.push_back(Open());
    ASSERT_NE(stores.back(), nullptr);
  }
  for (int64_t round = 0; round < kRounds; ++round) {
    std::latch start(kRacers);
    std::atomic<int> won{0};
    std::atomic<int> conflicted{0};
    std::atomic<int64_t> winner{-1};
    std::vector<std::thread> threads;
    for (int i = 0; i < kRacers; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto appended = stores[i]->AppendConfigVersion(
            round, ConfigRow("apply", "racer " + std::to_string(i), 100 + i));
        if (appended.ok()) {
          EXPECT_EQ(*appended, round + 1);
          winner = i;
          ++won;
        } else if (appended.status().reason() == "config_version_conflict") {
          ++conflicted;
        } else {
          ADD_FAILURE() << appended.status().ToString();
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    ASSERT_EQ(won.load(), 1) << "round " << round;
    ASSERT_EQ(conflicted.load(), kRacers - 1) << "round " << round;
    auto row = stores[0]->GetConfigVersion(round + 1);
    ASSERT_THAT(row, IsOk());
    EXPECT_EQ(row->document, "racer " + std::to_string(winner.load()));
  }
  auto latest = stores[kRacers - 1]->LatestConfigVersion();
  ASSERT_THAT(latest, IsOk());
  EXPECT_EQ(*latest, kRounds);
  EXPECT_EQ(VersionNumbers(*stores[0]).size(), static_cast<size_t>(kRounds));
}

// A database made by the fourth schema gains config_versions, empty, and keeps its rows.
TEST_F(SqliteStoreTest, SchemaFourIsMigratedInPlace) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->InsertSigningKey({"kid-1", "ES256", "sealed-1", 10, 11, 12, 13}), IsOk());
    ASSERT_THAT(store->PutSecret({"db-password", 1, "k", "v", 5, 5}), IsOk());
    ASSERT_THAT(store->AppendAudit(Chain(1, 2, std::string(kGenesisHash))), IsOk());
  }
  ExecSql(path_, std::string(kBeforeSchema5) + "UPDATE schema_version SET version = 4");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto keys = store->ListSigningKeys();
  ASSERT_THAT(keys, IsOk());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].activates_at, 11);  // schema 4's columns are left as they were
  EXPECT_EQ((*keys)[0].unpublish_at, 13);
  auto secret = store->GetSecret("db-password");
  ASSERT_THAT(secret, IsOk());
  EXPECT_TRUE(secret->has_value());
  EXPECT_EQ(AuditCount(*store), 2);
  auto latest = store->LatestConfigVersion();
  ASSERT_THAT(latest, IsOk());
  EXPECT_EQ(*latest, 0);
  auto seeded = store->AppendConfigVersion(0, ConfigRow("seed", "doc-1", 10));
  ASSERT_THAT(seeded, IsOk());
  EXPECT_EQ(*seeded, 1);
  store.reset();
  store = Open();  // at the current version: nothing migrates twice
  ASSERT_NE(store, nullptr);
  auto row = store->GetConfigVersion(1);
  ASSERT_THAT(row, IsOk());
  EXPECT_EQ(row->document, "doc-1");
}

JoinTokenRow JoinToken(const std::string& id, int64_t expires_at) {
  return JoinTokenRow{id, "hash-" + id, "node-" + id, "admin-1", 100, expires_at, 0};
}

TEST_F(SqliteStoreTest, JoinTokenIsRedeemedOnceThenRefusedAsUsed) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->InsertJoinToken(JoinToken("a", 1000)), IsOk());
  auto redeemed = store->RedeemJoinToken("hash-a", 500);
  ASSERT_THAT(redeemed, IsOk());
  EXPECT_EQ(redeemed->id, "a");
  EXPECT_EQ(redeemed->agent, "node-a");
  EXPECT_EQ(redeemed->actor, "admin-1");
  EXPECT_EQ(redeemed->created_at, 100);
  EXPECT_EQ(redeemed->expires_at, 1000);
  EXPECT_EQ(redeemed->used_at, 500);
  EXPECT_THAT(store->RedeemJoinToken("hash-a", 501),
              FailsWithCode(ErrorCode::kInvalidClient, "join_token_used"));
  store.reset();
  store = Open();  // the use is durable
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->RedeemJoinToken("hash-a", 502), FailsWith("join_token_used"));
  EXPECT_THAT(store->RedeemJoinToken("hash-b", 502),
              FailsWithCode(ErrorCode::kInvalidClient, "join_token_unknown"));
  EXPECT_THAT(store->InsertJoinToken(JoinToken("a", 2000)), FailsWith("store_failed"));
}

TEST_F(SqliteStoreTest, JoinTokenExpiresAtItsExpiryAndStaysUnusedWhenRefused) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->InsertJoinToken(JoinToken("a", 1000)), IsOk());
  EXPECT_THAT(store->RedeemJoinToken("hash-a", 1000),
              FailsWithCode(ErrorCode::kInvalidClient, "join_token_expired"));
  // A refusal changed nothing: a clock that was ahead does not burn the token.
  auto redeemed = store->RedeemJoinToken("hash-a", 999);
  ASSERT_THAT(redeemed, IsOk());
  EXPECT_EQ(redeemed->used_at, 999);
}

// Agents racing with one token, through threads of one store and through several
// connections (replicas) at once: exactly one joins, every other is told it was used.
TEST_F(SqliteStoreTest, RacingRedemptionsOfOneJoinTokenSucceedOnce) {
  constexpr int kConnections = 3;
  constexpr int kThreadsPerConnection = 3;
  constexpr int kRounds = 10;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kConnections; ++i) {
    stores.push_back(Open());
    ASSERT_NE(stores.back(), nullptr);
  }
  for (int round = 0; round < kRounds; ++round) {
    std::string id = "round-" + std::to_string(round);
    ASSERT_THAT(stores[0]->InsertJoinToken(JoinToken(id, 1000)), IsOk());
    std::latch start(kConnections * kThreadsPerConnection);
    std::atomic<int> won{0};
    std::atomic<int> used{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kConnections * kThreadsPerConnection; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto redeemed = stores[i % kConnections]->RedeemJoinToken("hash-" + id, 500);
        if (redeemed.ok()) {
          ++won;
        } else if (redeemed.status().reason() == "join_token_used") {
          ++used;
        } else {
          ADD_FAILURE() << redeemed.status().ToString();
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    EXPECT_EQ(won.load(), 1) << "round " << round;
    EXPECT_EQ(used.load(), kConnections * kThreadsPerConnection - 1) << "round " << round;
  }
}

// A database made by the fifth schema gains join_tokens, empty, and keeps its rows.
TEST_F(SqliteStoreTest, SchemaFiveIsMigratedInPlace) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->AppendConfigVersion(0, ConfigRow("seed", "doc-1", 10)), IsOk());
  }
  ExecSql(path_, std::string(kBeforeSchema6) + "UPDATE schema_version SET version = 5");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto row = store->GetConfigVersion(1);
  ASSERT_THAT(row, IsOk());
  EXPECT_EQ(row->document, "doc-1");
  EXPECT_THAT(store->RedeemJoinToken("hash-a", 1), FailsWith("join_token_unknown"));
  ASSERT_THAT(store->InsertJoinToken(JoinToken("a", 1000)), IsOk());
  EXPECT_THAT(store->RedeemJoinToken("hash-a", 1), IsOk());
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
