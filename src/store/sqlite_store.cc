// The SQLite Store: one database file in WAL mode.
//
// One connection guarded by one mutex serves every thread. That is enough for now: the
// audit writer batches its rows (group commit), and signing keys are read at start-up
// and then only by the periodic rotation check. A reader pool (WAL allows readers beside the
// writer) can come when the admin API reads the trail while requests write it.
//
// Checkpoints (copying the WAL back into the database file, with an fsync of each even
// under synchronous=NORMAL) run on a second connection in a thread of their own. SQLite's
// automatic checkpoint would run them inside the COMMIT that crosses the threshold, and
// every request waiting on that commit (the audit trail's group commit) would wait for
// the copy and its fsyncs too: a latency spike every few thousand exchanges.
#include <sqlite3.h>
#include <condition_variable>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "store/store.h"

namespace signet::store {
namespace {

// Schema migrations, applied in order; migration i takes the schema from version i to
// i + 1. Never edit one that has shipped: add the next.
constexpr std::string_view kMigrations[] = {
    // 1: signing keys and the audit trail.
    R"sql(
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY NOT NULL,
  algorithm TEXT NOT NULL,
  sealed_private_key BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY NOT NULL,
  record TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
)sql",
    // 2: the control plane's admin tokens, suspensions and revocations.
    R"sql(
CREATE TABLE admin_tokens (
  id TEXT PRIMARY KEY NOT NULL,
  secret_hash TEXT UNIQUE NOT NULL,
  role TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE suspensions (
  workload TEXT PRIMARY KEY NOT NULL,
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE revocations (
  jti TEXT PRIMARY KEY NOT NULL,
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
)sql",
    // 3: the secrets vault and store-wide values (the master-key check).
    R"sql(
CREATE TABLE secrets (
  name TEXT PRIMARY KEY NOT NULL,
  version INTEGER NOT NULL,
  sealed_data_key BLOB NOT NULL,
  sealed_value BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE store_meta (
  key TEXT PRIMARY KEY NOT NULL,
  value BLOB NOT NULL
);
)sql",
    // 4: the signing-key lifecycle (store/key_ring.h). Keys stored before it are active
    // from their creation and not retired: 0 is "not set".
    R"sql(
ALTER TABLE signing_keys ADD COLUMN activates_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE signing_keys ADD COLUMN retires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE signing_keys ADD COLUMN unpublish_at INTEGER NOT NULL DEFAULT 0;
UPDATE signing_keys SET activates_at = created_at;
)sql",
    // 5: versioned configuration ("config as code"): every applied configuration, kept
    // immutable under its version (1, 2, 3, ...) so that any can be shown or rolled back to.
    R"sql(
CREATE TABLE config_versions (
  version INTEGER PRIMARY KEY NOT NULL,
  created_at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  origin TEXT NOT NULL,
  rollback_of INTEGER NOT NULL DEFAULT 0,
  comment TEXT NOT NULL,
  digest TEXT NOT NULL,
  document TEXT NOT NULL
);
)sql",
    // 6: signet-agent join tokens, by hash; used_at is 0 until the one use.
    R"sql(
CREATE TABLE join_tokens (
  id TEXT PRIMARY KEY NOT NULL,
  token_hash TEXT UNIQUE NOT NULL,
  agent TEXT NOT NULL,
  actor TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER NOT NULL DEFAULT 0
);
)sql",
};
constexpr int64_t kSchemaVersion = std::size(kMigrations);

// How long a statement waits for another connection's lock before it fails.
constexpr int kBusyTimeoutMs = 5000;

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbPtr = std::unique_ptr<sqlite3, DbClose>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// A lock held by another connection past the busy timeout is an outage, not a bug.
Status Error(sqlite3* db, int rc, std::string_view what) {
  int primary = rc & 0xff;
  bool unavailable = primary == SQLITE_BUSY || primary == SQLITE_LOCKED ||
                     primary == SQLITE_CANTOPEN || primary == SQLITE_NOTADB ||
                     primary == SQLITE_IOERR || primary == SQLITE_FULL;
  return Status(ErrorCode::kServerError, unavailable ? "store_unavailable" : "store_failed",
                "SQLite: " + std::string(what) + ": " + sqlite3_errmsg(db));
}

// One use of a cached prepared statement: binds on the way in, resets on the way out so
// that the statement never keeps a read snapshot open between calls.
class Use {
 public:
  Use(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Use() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;

  // The bound bytes must outlive this Use (SQLITE_STATIC: no copy).
  Use& Bind(int index, std::string_view text) {
    Check(
        sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC));
    return *this;
  }
  Use& BindBlob(int index, std::string_view bytes) {
    Check(sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                            SQLITE_STATIC));
    return *this;
  }
  Use& Bind(int index, int64_t value) {
    Check(sqlite3_bind_int64(stmt_, index, value));
    return *this;
  }

  // SQLITE_ROW or SQLITE_DONE; any other code is the first error (of a bind, or the step).
  int Step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(stmt_); }
  // Runs a statement that returns no rows.
  Status Run(std::string_view what) {
    int rc = Step();
    return rc == SQLITE_DONE ? Status::Ok() : Error(db_, rc, what);
  }

  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string Bytes(int column) const {
    const void* data = sqlite3_column_blob(stmt_, column);
    int size = sqlite3_column_bytes(stmt_, column);
    return data ? std::string(static_cast<const char*>(data), size) : std::string();
  }

 private:
  void Check(int rc) {
    if (bind_rc_ == SQLITE_OK) {
      bind_rc_ = rc;
    }
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

AuditRow ReadAuditRow(const Use& use) {
  return AuditRow{use.Int(0), use.Bytes(1), use.Bytes(2), use.Bytes(3)};
}

Status Exec(sqlite3* db, std::string_view sql, std::string_view what) {
  int rc = sqlite3_exec(db, std::string(sql).c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : Error(db, rc, what);
}

Result<StmtPtr> Prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(db, rc, "prepare");
  }
  return StmtPtr(stmt);
}

// A single-value query ("PRAGMA journal_mode=WAL" answers with the mode it set).
Result<std::string> QueryText(sqlite3* db, std::string_view sql) {
  SIGNET_ASSIGN_OR_RETURN(StmtPtr stmt, Prepare(db, sql));
  Use use(db, stmt.get());
  int rc = use.Step();
  if (rc == SQLITE_DONE) {
    return std::string();
  }
  if (rc != SQLITE_ROW) {
    return Error(db, rc, sql);
  }
  return use.Bytes(0);
}

// Brings the schema to kSchemaVersion in one IMMEDIATE transaction, so two processes
// opening a new database at once cannot both migrate it.
Status Migrate(sqlite3* db) {
  SIGNET_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE", "begin migration"));
  auto migrate = [db]() -> Status {
    SIGNET_RETURN_IF_ERROR(Exec(db,
                                "CREATE TABLE IF NOT EXISTS schema_version "
                                "(version INTEGER NOT NULL)",
                                "create schema_version"));
    int64_t version = 0;
    {
      SIGNET_ASSIGN_OR_RETURN(StmtPtr query, Prepare(db, "SELECT version FROM schema_version"));
      Use use(db, query.get());
      int rc = use.Step();
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return Error(db, rc, "read schema version");
      }
      version = rc == SQLITE_ROW ? use.Int(0) : 0;
    }  // the query is reset and finalized before the schema changes
    if (version > kSchemaVersion) {
      return Status(ErrorCode::kServerError, "store_schema_too_new",
                    "the database has schema version " + std::to_string(version) +
                        " but this build knows only up to " + std::to_string(kSchemaVersion) +
                        ": run a newer signetd, or restore a backup made by this version");
    }
    for (int64_t v = version; v < kSchemaVersion; ++v) {
      SIGNET_RETURN_IF_ERROR(Exec(db, kMigrations[v], "schema migration " + std::to_string(v + 1)));
    }
    if (version == kSchemaVersion) {
      return Status::Ok();
    }
    std::string set =
        version == 0
            ? "INSERT INTO schema_version (version) VALUES (" + std::to_string(kSchemaVersion) + ")"
            : "UPDATE schema_version SET version = " + std::to_string(kSchemaVersion);
    return Exec(db, set, "record schema version");
  };
  if (Status s = migrate(); !s.ok()) {
    static_cast<void>(Exec(db, "ROLLBACK", "rollback migration"));  // report the first error
    return s;
  }
  return Exec(db, "COMMIT", "commit migration");
}

// The WAL size, in pages, past which the checkpointer is woken (SQLite's own default
// threshold for its automatic checkpoint).
constexpr int kCheckpointPages = 1000;
// A PASSIVE checkpoint copies only the frames that exist when it starts, and the WAL
// starts over only when a commit begins after a checkpoint copied all of them; under
// writes that outpace the checkpointer the WAL grows without end. Past this size the
// committing thread waits for a RESTART checkpoint (which copies everything and makes
// the next commit start the WAL over): back-pressure, a stall that only a write rate the
// checkpointer cannot follow ever causes.
constexpr int kRestartCheckpointPages = 10 * kCheckpointPages;

// Opens `path` in WAL mode with the synchronous setting `durability` asks for.
Result<DbPtr> OpenConnection(const std::string& path, Durability durability) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  auto unavailable = [&](std::string why) {
    return Status(ErrorCode::kServerError, "store_unavailable",
                  "cannot open the SQLite database " + path + ": " + why);
  };
  if (rc != SQLITE_OK) {
    return unavailable(db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);

  auto mode = QueryText(db.get(), "PRAGMA journal_mode=WAL");
  if (!mode.ok()) {
    return unavailable(mode.status().message());
  }
  if (*mode != "wal") {
    return unavailable("WAL mode is not available (journal_mode is " + *mode +
                       "); keep the data directory on a local file system");
  }
  // In WAL mode NORMAL never corrupts the database; it may lose the last commits on a
  // power loss. FULL syncs the WAL on every commit (group commit keeps that affordable).
  const char* sync =
      durability == Durability::kFsync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  if (Status s = Exec(db.get(), sync, "set synchronous"); !s.ok()) {
    return unavailable(s.message());
  }
  return db;
}

// Runs PASSIVE checkpoints on its own connection when asked. A PASSIVE checkpoint never
// blocks the writer: it copies what no reader still needs, and the writer starts the WAL
// over once everything is copied.
class Checkpointer {
 public:
  explicit Checkpointer(DbPtr db) : db_(std::move(db)), thread_([this] { Loop(); }) {}
  ~Checkpointer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Installed as the writer connection's WAL hook, which replaces SQLite's automatic
  // checkpoint. Runs inside the writer's COMMIT, so it only flags the work.
  static int OnCommit(void* self, sqlite3*, const char*, int wal_pages) {
    if (wal_pages >= kCheckpointPages) {
      static_cast<Checkpointer*>(self)->Request(wal_pages);
    }
    return SQLITE_OK;
  }

 private:
  void Request(int wal_pages) {
    std::unique_lock lock(mu_);
    if (requested_pages_ == 0) {
      wake_.notify_one();
    }
    requested_pages_ = std::max(requested_pages_, wal_pages);
    if (wal_pages >= kRestartCheckpointPages) {
      // Wait for a checkpoint that starts after this request (so it is a RESTART).
      uint64_t needed = started_ + 1;
      done_.wait_for(lock, std::chrono::milliseconds(kBusyTimeoutMs),
                     [&] { return stopping_ || completed_ >= needed; });
    }
  }

  void Loop() {
    for (;;) {
      int wal_pages = 0;
      {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [this] { return stopping_ || requested_pages_ > 0; });
        if (stopping_) {
          done_.notify_all();
          return;  // the last connection to close checkpoints what is left
        }
        wal_pages = std::exchange(requested_pages_, 0);
        ++started_;
      }
      int mode = wal_pages >= kRestartCheckpointPages ? SQLITE_CHECKPOINT_RESTART
                                                      : SQLITE_CHECKPOINT_PASSIVE;
      // A failure (a busy lock, a full disk) leaves the WAL longer; the next commit past
      // the threshold asks again.
      sqlite3_wal_checkpoint_v2(db_.get(), nullptr, mode, nullptr, nullptr);
      {
        std::lock_guard lock(mu_);
        ++completed_;
      }
      done_.notify_all();
    }
  }

  DbPtr db_;
  std::mutex mu_;
  std::condition_variable wake_;  // a request, or stopping
  std::condition_variable done_;  // a checkpoint completed
  int requested_pages_ = 0;       // guarded by mu_; the WAL size that asked, 0: none
  uint64_t started_ = 0;          // guarded by mu_; checkpoints begun
  uint64_t completed_ = 0;        // guarded by mu_; checkpoints finished
  bool stopping_ = false;         // guarded by mu_
  std::thread thread_;            // last: starts once every member above exists
};

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::string& path, SqliteOptions options);

  Result<std::vector<SigningKeyRow>> ListSigningKeys() override;
  Status InsertSigningKey(const SigningKeyRow& row) override;
  Status ChangeSigningKeys(const SigningKeyChange& change) override;
  Status AppendAudit(const std::vector<AuditRow>& rows) override;
  Result<std::optional<AuditRow>> LastAudit() override;
  Result<std::vector<AuditRow>> ListAudit(int64_t after_seq, size_t limit) override;
  Status InsertAdminToken(const AdminTokenRow& row) override;
  Result<std::optional<AdminTokenRow>> FindAdminToken(std::string_view secret_hash) override;
  Result<std::vector<AdminTokenRow>> ListAdminTokens() override;
  Result<bool> DeleteAdminToken(std::string_view id) override;
  Status PutSuspension(const SuspensionRow& row) override;
  Result<bool> DeleteSuspension(std::string_view workload) override;
  Result<std::vector<SuspensionRow>> ListSuspensions() override;
  Status PutRevocation(const RevocationRow& row) override;
  Result<std::vector<RevocationRow>> ListRevocations(int64_t now) override;
  Status PutSecret(const SecretRow& row) override;
  Result<std::optional<SecretRow>> GetSecret(std::string_view name) override;
  Result<std::vector<SecretMeta>> ListSecrets() override;
  Result<bool> DeleteSecret(std::string_view name) override;
  Result<std::optional<std::string>> GetMeta(std::string_view key) override;
  Status PutMeta(std::string_view key, std::string_view value) override;
  Result<bool> InsertMetaIfAbsent(std::string_view key, std::string_view value) override;
  Status RewrapAll(const MasterKeyRewrap& rewrap) override;
  Result<int64_t> LatestConfigVersion() override;
  Result<ConfigVersionRow> GetConfigVersion(int64_t version) override;
  Result<std::vector<ConfigVersionRow>> ListConfigVersions() override;
  Result<int64_t> AppendConfigVersion(int64_t expected_latest,
                                      const ConfigVersionRow& row) override;
  Status InsertJoinToken(const JoinTokenRow& row) override;
  Result<JoinTokenRow> RedeemJoinToken(std::string_view token_hash, int64_t now) override;

 private:
  SqliteStore(DbPtr db, DbPtr checkpoint_db)
      : db_(std::move(db)), checkpointer_(std::move(checkpoint_db)) {
    sqlite3_wal_hook(db_.get(), &Checkpointer::OnCommit, &checkpointer_);
  }
  Status PrepareAll();
  Result<std::optional<AuditRow>> LastAuditLocked();
  Result<std::vector<SigningKeyRow>> ListSigningKeysLocked();
  Status AppendAuditLocked(const std::vector<AuditRow>& rows);
  Status RewrapAllLocked(const MasterKeyRewrap& rewrap);
  Status InsertSigningKeyLocked(const SigningKeyRow& row);
  Status ChangeSigningKeysLocked(const SigningKeyChange& change);
  // Runs `body` (returning Status) between BEGIN IMMEDIATE and COMMIT, rolling back when
  // it or the commit fails. IMMEDIATE takes the write lock first, so what `body` reads
  // cannot change before it writes.
  template <typename Body>
  Status InTransaction(std::string_view what, Body body);
  // Runs a single-row, single-integer query (`SELECT COUNT(*)`, `SELECT MAX(...)`).
  Result<int64_t> CountLocked(sqlite3_stmt* stmt, std::string_view what);
  // Steps `use` to the end, reading each row with `read`.
  template <typename Row, typename Read>
  Result<std::vector<Row>> Collect(Use& use, Read read, std::string_view what);
  // Runs a DELETE; whether it removed a row.
  Result<bool> RunDelete(Use& use, std::string_view what);

  std::mutex mu_;
  // Declared before the statements so that they are finalized first.
  DbPtr db_;
  StmtPtr list_keys_, insert_key_, last_audit_, list_audit_, insert_audit_, begin_, commit_,
      rollback_, insert_admin_token_, find_admin_token_, list_admin_tokens_, delete_admin_token_,
      put_suspension_, delete_suspension_, list_suspensions_, put_revocation_, list_revocations_,
      insert_secret_, replace_secret_, get_secret_, list_secrets_, delete_secret_, get_meta_,
      put_meta_, insert_meta_, rewrap_key_, rewrap_secret_, count_keys_, count_secrets_,
      schedule_key_, delete_key_, latest_config_, get_config_, list_configs_, insert_config_,
      insert_join_token_, find_join_token_, use_join_token_;
  // Declared after db_: stopped before the writer connection closes.
  Checkpointer checkpointer_;
};

Result<std::unique_ptr<Store>> SqliteStore::Open(const std::string& path, SqliteOptions options) {
  SIGNET_ASSIGN_OR_RETURN(DbPtr db, OpenConnection(path, options.durability));
  if (Status s = Migrate(db.get()); !s.ok()) {
    return s.reason() == "store_schema_too_new"
               ? s
               : Status(ErrorCode::kServerError, "store_unavailable",
                        "cannot open the SQLite database " + path + ": " + s.message());
  }
  SIGNET_ASSIGN_OR_RETURN(DbPtr checkpoint_db, OpenConnection(path, options.durability));
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(db), std::move(checkpoint_db)));
  SIGNET_RETURN_IF_ERROR(store->PrepareAll());
  return std::unique_ptr<Store>(std::move(store));
}

Status SqliteStore::PrepareAll() {
  struct {
    StmtPtr* stmt;
    std::string_view sql;
  } statements[] = {
      {&list_keys_,
       "SELECT kid, algorithm, sealed_private_key, created_at, activates_at, retires_at, "
       "unpublish_at FROM signing_keys ORDER BY created_at, rowid"},
      {&insert_key_,
       "INSERT INTO signing_keys (kid, algorithm, sealed_private_key, created_at, activates_at, "
       "retires_at, unpublish_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
      {&schedule_key_, "UPDATE signing_keys SET retires_at = ?2, unpublish_at = ?3 WHERE kid = ?1"},
      {&delete_key_, "DELETE FROM signing_keys WHERE kid = ?1"},
      {&last_audit_, "SELECT seq, record, prev_hash, hash FROM audit ORDER BY seq DESC LIMIT 1"},
      {&list_audit_,
       "SELECT seq, record, prev_hash, hash FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2"},
      {&insert_audit_, "INSERT INTO audit (seq, record, prev_hash, hash) VALUES (?1, ?2, ?3, ?4)"},
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      {&insert_admin_token_,
       "INSERT INTO admin_tokens (id, secret_hash, role, description, created_at, expires_at) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {&find_admin_token_,
       "SELECT id, secret_hash, role, description, created_at, expires_at FROM admin_tokens "
       "WHERE secret_hash = ?1"},
      {&list_admin_tokens_,
       "SELECT id, secret_hash, role, description, created_at, expires_at FROM admin_tokens "
       "ORDER BY created_at, rowid"},
      {&delete_admin_token_, "DELETE FROM admin_tokens WHERE id = ?1"},
      {&put_suspension_,
       "INSERT OR REPLACE INTO suspensions (workload, reason, actor, created_at) "
       "VALUES (?1, ?2, ?3, ?4)"},
      {&delete_suspension_, "DELETE FROM suspensions WHERE workload = ?1"},
      {&list_suspensions_,
       "SELECT workload, reason, actor, created_at FROM suspensions ORDER BY workload"},
      {&put_revocation_,
       "INSERT OR IGNORE INTO revocations (jti, reason, actor, created_at, expires_at) "
       "VALUES (?1, ?2, ?3, ?4, ?5)"},
      {&list_revocations_,
       "SELECT jti, reason, actor, created_at, expires_at FROM revocations "
       "WHERE expires_at > ?1 ORDER BY created_at, rowid"},
      {&insert_secret_,
       "INSERT INTO secrets (name, version, sealed_data_key, sealed_value, created_at, "
       "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {&replace_secret_,
       "UPDATE secrets SET version = ?2, sealed_data_key = ?3, sealed_value = ?4, "
       "updated_at = ?5 WHERE name = ?1 AND version = ?2 - 1"},
      {&get_secret_,
       "SELECT name, version, sealed_data_key, sealed_value, created_at, updated_at "
       "FROM secrets WHERE name = ?1"},
      {&list_secrets_, "SELECT name, version, created_at, updated_at FROM secrets ORDER BY name"},
      {&delete_secret_, "DELETE FROM secrets WHERE name = ?1"},
      {&get_meta_, "SELECT value FROM store_meta WHERE key = ?1"},
      {&put_meta_, "INSERT OR REPLACE INTO store_meta (key, value) VALUES (?1, ?2)"},
      {&insert_meta_, "INSERT OR IGNORE INTO store_meta (key, value) VALUES (?1, ?2)"},
      {&rewrap_key_, "UPDATE signing_keys SET sealed_private_key = ?2 WHERE kid = ?1"},
      {&rewrap_secret_, "UPDATE secrets SET sealed_data_key = ?3 WHERE name = ?1 AND version = ?2"},
      {&count_keys_, "SELECT COUNT(*) FROM signing_keys"},
      {&count_secrets_, "SELECT COUNT(*) FROM secrets"},
      {&latest_config_, "SELECT COALESCE(MAX(version), 0) FROM config_versions"},
      {&get_config_,
       "SELECT version, created_at, actor, origin, rollback_of, comment, digest, document "
       "FROM config_versions WHERE version = ?1"},
      {&list_configs_,
       "SELECT version, created_at, actor, origin, rollback_of, comment, digest "
       "FROM config_versions ORDER BY version DESC"},
      {&insert_config_,
       "INSERT INTO config_versions (version, created_at, actor, origin, rollback_of, comment, "
       "digest, document) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
      {&insert_join_token_,
       "INSERT INTO join_tokens (id, token_hash, agent, actor, created_at, expires_at, used_at) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
      {&find_join_token_,
       "SELECT id, token_hash, agent, actor, created_at, expires_at, used_at FROM join_tokens "
       "WHERE token_hash = ?1"},
      {&use_join_token_, "UPDATE join_tokens SET used_at = ?2 WHERE id = ?1 AND used_at = 0"},
  };
  for (auto& [stmt, sql] : statements) {
    SIGNET_ASSIGN_OR_RETURN(*stmt, Prepare(db_.get(), sql));
  }
  return Status::Ok();
}

Result<std::vector<SigningKeyRow>> SqliteStore::ListSigningKeys() {
  std::lock_guard lock(mu_);
  return ListSigningKeysLocked();
}

Result<std::vector<SigningKeyRow>> SqliteStore::ListSigningKeysLocked() {
  Use use(db_.get(), list_keys_.get());
  return Collect<SigningKeyRow>(
      use,
      [](const Use& u) {
        return SigningKeyRow{u.Bytes(0), u.Bytes(1), u.Bytes(2), u.Int(3),
                             u.Int(4),   u.Int(5),   u.Int(6)};
      },
      "list signing keys");
}

Status SqliteStore::InsertSigningKey(const SigningKeyRow& row) {
  std::lock_guard lock(mu_);
  return InsertSigningKeyLocked(row);
}

Status SqliteStore::InsertSigningKeyLocked(const SigningKeyRow& row) {
  return Use(db_.get(), insert_key_.get())
      .Bind(1, row.kid)
      .Bind(2, row.algorithm)
      .BindBlob(3, row.sealed_private_key)
      .Bind(4, row.created_at)
      .Bind(5, row.activates_at)
      .Bind(6, row.retires_at)
      .Bind(7, row.unpublish_at)
      .Run("insert signing key");
}

Status SqliteStore::ChangeSigningKeys(const SigningKeyChange& change) {
  std::lock_guard lock(mu_);
  // IMMEDIATE takes the write lock before the kids are compared, so no other connection
  // can change the keys between the check and the writes.
  return InTransaction("signing key change", [&] { return ChangeSigningKeysLocked(change); });
}

Status SqliteStore::ChangeSigningKeysLocked(const SigningKeyChange& change) {
  auto conflict = [](std::string what) {
    return Status(ErrorCode::kServerError, "signing_key_conflict",
                  "the signing keys changed since this change was planned (" + what +
                      "); nothing was changed");
  };
  SIGNET_ASSIGN_OR_RETURN(std::vector<SigningKeyRow> stored, ListSigningKeysLocked());
  std::vector<std::string> stored_kids;
  for (const SigningKeyRow& row : stored) {
    stored_kids.push_back(row.kid);
  }
  std::vector<std::string> expected = change.expected_kids;
  std::sort(stored_kids.begin(), stored_kids.end());
  std::sort(expected.begin(), expected.end());
  if (stored_kids != expected) {
    return conflict("the store holds " + std::to_string(stored_kids.size()) +
                    " signing keys, the change expected " + std::to_string(expected.size()));
  }
  for (const SigningKeyRow& row : change.inserts) {
    SIGNET_RETURN_IF_ERROR(InsertSigningKeyLocked(row));
  }
  for (const SigningKeySchedule& schedule : change.schedules) {
    SIGNET_RETURN_IF_ERROR(Use(db_.get(), schedule_key_.get())
                               .Bind(1, schedule.kid)
                               .Bind(2, schedule.retires_at)
                               .Bind(3, schedule.unpublish_at)
                               .Run("schedule signing key"));
    if (sqlite3_changes(db_.get()) != 1) {
      return conflict("signing key " + schedule.kid + " is not stored");
    }
  }
  for (const std::string& kid : change.deletes) {
    Use use(db_.get(), delete_key_.get());
    use.Bind(1, kid);
    SIGNET_ASSIGN_OR_RETURN(bool deleted, RunDelete(use, "delete signing key"));
    if (!deleted) {
      return conflict("signing key " + kid + " is not stored");
    }
  }
  return Status::Ok();
}

Status SqliteStore::AppendAudit(const std::vector<AuditRow>& rows) {
  if (rows.empty()) {
    return Status::Ok();
  }
  std::lock_guard lock(mu_);
  // IMMEDIATE takes the write lock before reading the head, so no other connection can
  // append between the check and the inserts.
  return InTransaction("audit append", [&] { return AppendAuditLocked(rows); });
}

template <typename Body>
Status SqliteStore::InTransaction(std::string_view what, Body body) {
  const std::string name(what);
  SIGNET_RETURN_IF_ERROR(Use(db_.get(), begin_.get()).Run("begin " + name));
  Status s = body();
  if (s.ok()) {
    s = Use(db_.get(), commit_.get()).Run("commit " + name);
  }
  if (!s.ok() && !sqlite3_get_autocommit(db_.get())) {
    // The first error is the one worth reporting.
    static_cast<void>(Use(db_.get(), rollback_.get()).Run("rollback " + name));
  }
  return s;
}

Status SqliteStore::AppendAuditLocked(const std::vector<AuditRow>& rows) {
  SIGNET_ASSIGN_OR_RETURN(std::optional<AuditRow> head, LastAuditLocked());
  int64_t expected_seq = head ? head->seq + 1 : 1;
  std::string expected_prev = head ? head->hash : std::string(kGenesisHash);
  for (const AuditRow& row : rows) {
    if (row.seq != expected_seq || row.prev_hash != expected_prev) {
      return Status(ErrorCode::kServerError, "audit_chain_conflict",
                    "audit row " + std::to_string(row.seq) +
                        " does not continue the stored chain, which expects row " +
                        std::to_string(expected_seq) + " next; another writer appended first");
    }
    SIGNET_RETURN_IF_ERROR(Use(db_.get(), insert_audit_.get())
                               .Bind(1, row.seq)
                               .Bind(2, row.record)
                               .Bind(3, row.prev_hash)
                               .Bind(4, row.hash)
                               .Run("insert audit row"));
    ++expected_seq;
    expected_prev = row.hash;
  }
  return Status::Ok();
}

Result<std::optional<AuditRow>> SqliteStore::LastAudit() {
  std::lock_guard lock(mu_);
  return LastAuditLocked();
}

Result<std::optional<AuditRow>> SqliteStore::LastAuditLocked() {
  Use use(db_.get(), last_audit_.get());
  int rc = use.Step();
  if (rc == SQLITE_DONE) {
    return std::optional<AuditRow>();
  }
  if (rc != SQLITE_ROW) {
    return Error(db_.get(), rc, "read last audit row");
  }
  return std::optional<AuditRow>(ReadAuditRow(use));
}

Result<std::vector<AuditRow>> SqliteStore::ListAudit(int64_t after_seq, size_t limit) {
  std::lock_guard lock(mu_);
  int64_t bounded = static_cast<int64_t>(
      std::min<size_t>(limit, static_cast<size_t>(std::numeric_limits<int64_t>::max())));
  Use use(db_.get(), list_audit_.get());
  use.Bind(1, after_seq).Bind(2, bounded);
  return Collect<AuditRow>(use, ReadAuditRow, "list audit rows");
}

template <typename Row, typename Read>
Result<std::vector<Row>> SqliteStore::Collect(Use& use, Read read, std::string_view what) {
  std::vector<Row> rows;
  int rc;
  while ((rc = use.Step()) == SQLITE_ROW) {
    rows.push_back(read(use));
  }
  if (rc != SQLITE_DONE) {
    return Error(db_.get(), rc, what);
  }
  return rows;
}

Result<bool> SqliteStore::RunDelete(Use& use, std::string_view what) {
  SIGNET_RETURN_IF_ERROR(use.Run(what));
  return sqlite3_changes(db_.get()) > 0;
}

AdminTokenRow ReadAdminToken(const Use& use) {
  return AdminTokenRow{use.Bytes(0), use.Bytes(1), use.Bytes(2),
                       use.Bytes(3), use.Int(4),   use.Int(5)};
}

Status SqliteStore::InsertAdminToken(const AdminTokenRow& row) {
  std::lock_guard lock(mu_);
  return Use(db_.get(), insert_admin_token_.get())
      .Bind(1, row.id)
      .Bind(2, row.secret_hash)
      .Bind(3, row.role)
      .Bind(4, row.description)
      .Bind(5, row.created_at)
      .Bind(6, row.expires_at)
      .Run("insert admin token");
}

Result<std::optional<AdminTokenRow>> SqliteStore::FindAdminToken(std::string_view secret_hash) {
  std::lock_guard lock(mu_);
  Use use(db_.get(), find_admin_token_.get());
  use.Bind(1, secret_hash);
  SIGNET_ASSIGN_OR_RETURN(auto rows,
                          Collect<AdminTokenRow>(use, ReadAdminToken, "find admin token"));
  return rows.empty() ? std::optional<AdminTokenRow>() : std::optional(std::move(rows.front()));
}

Result<std::vector<AdminTokenRow>> SqliteStore::ListAdminTokens() {
  std::lock_guard lock(mu_);
  Use use(db_.get(), list_admin_tokens_.get());
  return Collect<AdminTokenRow>(use, ReadAdminToken, "list admin tokens");
}

Result<bool> SqliteStore::DeleteAdminToken(std::string_view id) {
  std::lock_guard lock(mu_);
  Use use(db_.get(), delete_admin_token_.get());
  use.Bind(1, id);
  return RunDelete(use, "delete admin token");
}

Status SqliteStore::PutSuspension(const SuspensionRow& row) {
  std::lock_guard lock(mu_);
  return Use(db_.get(), put_suspension_.get())
      .Bind(1, row.workload)
      .Bind(2, row.reason)
      .Bind(3, row.actor)
      .Bind(4, row.created_at)
      .Run("suspend workload");
}

Result<bool> SqliteStore::DeleteSuspension(std::string_view workload) {
  std::lock_guard lock(mu_);
  Use use(db_.get(), delete_suspension_.get());
  use.Bind(1, workload);
  return RunDelete(use, "resume workload");
}

Result<std::vector<SuspensionRow>> SqliteStore::ListSuspensions() {
  std::lock_guard lock(mu_);
  Use use(db_.get(), list_suspensions_.get());
  return Collect<SuspensionRow>(
      use,
      [](const Use& u) {
        return SuspensionRow{u.Bytes(0), u.Bytes(1), u.Bytes(2), u.Int(3)};
      },
      "list suspensions");
}

Status SqliteStore::PutRevocation(const RevocationRow& row) {
  std::lock_guard lock(mu_);
  return Use(db_.get(), put_revocation_.get())
      .Bind(1, row.jti)
      .Bind(2, row.reason)
      .Bind(3, row.actor)
      .Bind(4, row.created_at)
      .Bind(5, row.expires_at)
      .Run("revoke token");
}

Result<std::vector<RevocationRow>> SqliteStore::ListRevocations(int64_t now) {
  std::lock_guard lock(mu_);
  Use use(db_.get(), list_revocations_.get());
  use.Bind(1, now);
  return Collect<RevocationRow>(
      use,
      [](const Use& u) {
        return RevocationRow{u.Bytes(0), u.Bytes(1), u.Bytes(2), u.Int(3), u.Int(4)};
      },
      "list revocations");
}

Status SqliteStore::PutSecret(const SecretRow& row) {
  std::lock_guard lock(mu_);
  auto conflict = [&row] {
    return Status(ErrorCode::kServerError, "secret_version_conflict",
                  "secret " + row.name + " version " + std::to_string(row.version) +
                      " does not follow the stored version; another writer replaced it first");
  };
  if (row.version == 1) {
    Use use(db_.get(), insert_secret_.get());
    use.Bind(1, row.name)
        .Bind(2, row.version)
        .BindBlob(3, row.sealed_data_key)
        .BindBlob(4, row.sealed_value)
        .Bind(5, row.created_at)
        .Bind(6, row.updated_at);
    int rc = use.Step();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return conflict();
    }
    return rc == SQLITE_DONE ? Status::Ok() : Error(db_.get(), rc, "insert secret");
  }
  // One statement: the version check and the replacement cannot be separated.
  SIGNET_RETURN_IF_ERROR(Use(db_.get(), replace_secret_.get())
                             .Bind(1, row.name)
                             .Bind(2, row.version)
                             .BindBlob(3, row.sealed_data_key)
                             .BindBlob(4, row.sealed_value)
                             .Bind(5, row.updated_at)
                             .Run("replace secret"));
  return sqlite3_changes(db_.get()) == 1 ? Status::Ok() : conflict();
}

Result<std::optional<SecretRow>> SqliteStore::GetSecret(std::string_view name) {
  std::lock_guard lock(mu_);
  Use use(db_.get(), get_secret_.get());
  use.Bind(1, name);
  SIGNET_ASSIGN_OR_RETURN(auto rows, Collect<SecretRow>(
                                         use,
                                         [](const Use& u) {
                                           return SecretRow{u.Bytes(0), u.Int(1), u.Bytes(2),
                                                            u.Bytes(3), u.Int(4), u.Int(5)};
                                         },
                                         "read secret"));
  return rows.empty() ? std::optional<SecretRow>() : std::optional(std::move(rows.front()));
}

Result<std::vector<SecretMeta>> SqliteStore::ListSecrets() {
  std::lock_guard lock(mu_);
  Use use(db_.get(), list_secrets_.get());
  return Collect<SecretMeta>(
      use,
      [](const Use& u) {
        return SecretMeta{u.Bytes(0), u.Int(1), u.Int(2), u.Int(3)};
      },
      "list secrets");
}

Result<bool> SqliteStore::DeleteSecret(std::string_view name) {
  std::lock_guard lock(mu_);
  Use use(db_.get(), delete_secret_.get());
  use.Bind(1, name);
  return RunDelete(use, "delete secret");
}

Result<std::optional<std::string>> SqliteStore::GetMeta(std::string_view key) {
  std::lock_guard lock(mu_);
  Use use(db_.get(), get_meta_.get());
  use.Bind(1, key);
  SIGNET_ASSIGN_OR_RETURN(auto values,
                          Collect<std::string>(
                              use, [](const Use& u) { return u.Bytes(0); }, "read store meta"));
  return values.empty() ? std::optional<std::string>() : std::optional(std::move(values.front()));
}

Status SqliteStore::PutMeta(std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  return Use(db_.get(), put_meta_.get()).Bind(1, key).BindBlob(2, value).Run("write store meta");
}

Result<bool> SqliteStore::InsertMetaIfAbsent(std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  SIGNET_RETURN_IF_ERROR(
      Use(db_.get(), insert_meta_.get()).Bind(1, key).BindBlob(2, value).Run("insert store meta"));
  return sqlite3_changes(db_.get()) > 0;
}

Status SqliteStore::RewrapAll(const MasterKeyRewrap& rewrap) {
  std::lock_guard lock(mu_);
  return InTransaction("master key rewrap", [&] { return RewrapAllLocked(rewrap); });
}

Status SqliteStore::RewrapAllLocked(const MasterKeyRewrap& rewrap) {
  auto conflict = [](std::string what) {
    return Status(ErrorCode::kServerError, "rewrap_conflict",
                  "the store changed while the master key was being rotated (" + what +
                      "); nothing was changed: run the rotation again, with signetd stopped");
  };
  for (const auto& key : rewrap.signing_keys) {
    SIGNET_RETURN_IF_ERROR(Use(db_.get(), rewrap_key_.get())
                               .Bind(1, key.kid)
                               .BindBlob(2, key.sealed_private_key)
                               .Run("rewrap signing key"));
    if (sqlite3_changes(db_.get()) != 1) {
      return conflict("signing key " + key.kid + " is no longer stored");
    }
  }
  SIGNET_ASSIGN_OR_RETURN(int64_t keys, CountLocked(count_keys_.get(), "count signing keys"));
  if (keys != static_cast<int64_t>(rewrap.signing_keys.size())) {
    return conflict("the store holds " + std::to_string(keys) + " signing keys, the rewrap " +
                    std::to_string(rewrap.signing_keys.size()));
  }
  for (const auto& secret : rewrap.secrets) {
    SIGNET_RETURN_IF_ERROR(Use(db_.get(), rewrap_secret_.get())
                               .Bind(1, secret.name)
                               .Bind(2, secret.version)
                               .BindBlob(3, secret.sealed_data_key)
                               .Run("rewrap secret"));
    if (sqlite3_changes(db_.get()) != 1) {
      return conflict("secret " + secret.name + " version " + std::to_string(secret.version) +
                      " is no longer stored");
    }
  }
  SIGNET_ASSIGN_OR_RETURN(int64_t secrets, CountLocked(count_secrets_.get(), "count secrets"));
  if (secrets != static_cast<int64_t>(rewrap.secrets.size())) {
    return conflict("the store holds " + std::to_string(secrets) + " secrets, the rewrap " +
                    std::to_string(rewrap.secrets.size()));
  }
  for (const auto& [key, value] : rewrap.meta) {
    SIGNET_RETURN_IF_ERROR(
        Use(db_.get(), put_meta_.get()).Bind(1, key).BindBlob(2, value).Run("write store meta"));
  }
  return Status::Ok();
}

// The columns every config_versions query starts with; `document`, when selected, is
// column 7.
ConfigVersionRow ReadConfigVersion(const Use& use) {
  return ConfigVersionRow{use.Int(0), use.Int(1),   use.Bytes(2), use.Bytes(3),
                          use.Int(4), use.Bytes(5), use.Bytes(6), std::string()};
}

Result<int64_t> SqliteStore::LatestConfigVersion() {
  std::lock_guard lock(mu_);
  return CountLocked(latest_config_.get(), "read latest config version");
}

Result<ConfigVersionRow> SqliteStore::GetConfigVersion(int64_t version) {
  std::lock_guard lock(mu_);
  std::vector<ConfigVersionRow> rows;
  {
    Use use(db_.get(), get_config_.get());
    use.Bind(1, version);
    SIGNET_ASSIGN_OR_RETURN(rows, Collect<ConfigVersionRow>(
                                      use,
                                      [](const Use& u) {
                                        ConfigVersionRow row = ReadConfigVersion(u);
                                        row.document = u.Bytes(7);
                                        return row;
                                      },
                                      "read config version"));
  }
  if (!rows.empty()) {
    return std::move(rows.front());
  }
  SIGNET_ASSIGN_OR_RETURN(int64_t latest,
                          CountLocked(latest_config_.get(), "read latest config version"));
  return Status(ErrorCode::kInvalidRequest, "config_version_unknown",
                "no configuration version " + std::to_string(version) +
                    (latest == 0 ? std::string(" (no configuration is stored yet)")
                                 : " (versions are 1 to " + std::to_string(latest) +
                                       "): `signet history` lists them"));
}

Result<std::vector<ConfigVersionRow>> SqliteStore::ListConfigVersions() {
  std::lock_guard lock(mu_);
  Use use(db_.get(), list_configs_.get());
  return Collect<ConfigVersionRow>(use, ReadConfigVersion, "list config versions");
}

Result<int64_t> SqliteStore::AppendConfigVersion(int64_t expected_latest,
                                                 const ConfigVersionRow& row) {
  std::lock_guard lock(mu_);
  int64_t version = 0;
  // IMMEDIATE takes the write lock before the newest version is read, so no other
  // connection can append between the check and the insert.
  Status appended = InTransaction("config version append", [&]() -> Status {
    SIGNET_ASSIGN_OR_RETURN(int64_t latest,
                            CountLocked(latest_config_.get(), "read latest config version"));
    if (latest != expected_latest) {
      return Status(ErrorCode::kServerError, "config_version_conflict",
                    "the newest configuration version is " + std::to_string(latest) + ", not " +
                        std::to_string(expected_latest) +
                        " as planned: another apply landed first; nothing was stored, "
                        "review the new version and apply again");
    }
    version = latest + 1;
    return Use(db_.get(), insert_config_.get())
        .Bind(1, version)
        .Bind(2, row.created_at)
        .Bind(3, row.actor)
        .Bind(4, row.origin)
        .Bind(5, row.rollback_of)
        .Bind(6, row.comment)
        .Bind(7, row.digest)
        .Bind(8, row.document)
        .Run("insert config version");
  });
  if (!appended.ok()) {
    return appended;
  }
  return version;
}

Status SqliteStore::InsertJoinToken(const JoinTokenRow& row) {
  std::lock_guard lock(mu_);
  return Use(db_.get(), insert_join_token_.get())
      .Bind(1, row.id)
      .Bind(2, row.token_hash)
      .Bind(3, row.agent)
      .Bind(4, row.actor)
      .Bind(5, row.created_at)
      .Bind(6, row.expires_at)
      .Bind(7, row.used_at)
      .Run("insert join token");
}

Result<JoinTokenRow> SqliteStore::RedeemJoinToken(std::string_view token_hash, int64_t now) {
  std::lock_guard lock(mu_);
  JoinTokenRow redeemed;
  // IMMEDIATE takes the write lock before the token is read: another connection cannot
  // redeem it between the check and the update.
  Status status = InTransaction("join token redemption", [&]() -> Status {
    std::vector<JoinTokenRow> rows;
    {
      Use use(db_.get(), find_join_token_.get());
      use.Bind(1, token_hash);
      SIGNET_ASSIGN_OR_RETURN(rows, Collect<JoinTokenRow>(
                                        use,
                                        [](const Use& u) {
                                          return JoinTokenRow{u.Bytes(0), u.Bytes(1), u.Bytes(2),
                                                              u.Bytes(3), u.Int(4),   u.Int(5),
                                                              u.Int(6)};
                                        },
                                        "find join token"));
    }
    if (rows.empty()) {
      return Status(ErrorCode::kInvalidClient, "join_token_unknown",
                    "this join token is unknown; create one with `signet agent join-token "
                    "create`");
    }
    redeemed = std::move(rows.front());
    if (redeemed.used_at != 0) {
      return Status(ErrorCode::kInvalidClient, "join_token_used",
                    "this join token was used already (a join token joins once); create a "
                    "new one");
    }
    if (redeemed.expires_at <= now) {
      return Status(ErrorCode::kInvalidClient, "join_token_expired",
                    "this join token has expired; create a new one");
    }
    redeemed.used_at = now;
    return Use(db_.get(), use_join_token_.get())
        .Bind(1, redeemed.id)
        .Bind(2, now)
        .Run("redeem join token");
  });
  if (!status.ok()) {
    return status;
  }
  return redeemed;
}

Result<int64_t> SqliteStore::CountLocked(sqlite3_stmt* stmt, std::string_view what) {
  Use use(db_.get(), stmt);
  int rc = use.Step();
  if (rc != SQLITE_ROW) {
    return Error(db_.get(), rc, what);
  }
  return use.Int(0);
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, SqliteOptions options) {
  return SqliteStore::Open(path, options);
}

}  // namespace signet::store
