// Store: Signet's persistent state behind one interface.
//
// SQLite (the embedded default, OpenSqliteStore) implements it today; PostgreSQL will
// implement the same interface, and both must pass one conformance suite. The store
// holds bytes it is given: signing keys and vaulted secrets arrive already sealed
// (common/aead.h) and audit rows arrive already hashed (audit/chain.h); the store never
// sees a secret in clear.
//
// Errors: server_error with reason store_unavailable (the database cannot be opened or
// reached) or store_failed (a statement failed), carrying the database's message and
// never row contents; AppendAudit adds audit_chain_conflict, PutSecret
// secret_version_conflict, RewrapAll rewrap_conflict, ChangeSigningKeys
// signing_key_conflict and AppendConfigVersion config_version_conflict. GetConfigVersion
// of a version that was never stored is invalid_request config_version_unknown (a caller's
// mistake, such as a rollback to a mistyped version, not an outage); RedeemJoinToken's
// refusals are invalid_client (the agent presented a bad token).
//
// Thread safety: every implementation is safe for concurrent use.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace signet::store {

// One of signetd's signing keys and its lifecycle (store/key_ring.h). Times are unix
// seconds; 0 means "not set". A key is published (in the JWKS) from insertion until
// unpublish_at, and signs from activates_at until retires_at.
struct SigningKeyRow {
  std::string kid;
  std::string algorithm;           // JWS name, "ES256"
  std::string sealed_private_key;  // AeadSeal(master key, PKCS#8 PEM, aad = kid)
  int64_t created_at = 0;          // unix seconds
  int64_t activates_at = 0;        // starts signing (schema 4 sets created_at for older rows)
  int64_t retires_at = 0;          // stops signing: when the next key activates; 0: not set
  int64_t unpublish_at = 0;        // leaves the JWKS; 0: not set
};

// New retirement times for a stored signing key.
struct SigningKeySchedule {
  std::string kid;
  int64_t retires_at = 0;
  int64_t unpublish_at = 0;
};

// A change to the signing keys, applied by Store::ChangeSigningKeys in one transaction
// only when the stored kids are still exactly `expected_kids` (compare and set): two
// processes that plan a change from the same keys cannot both apply it.
struct SigningKeyChange {
  std::vector<std::string> expected_kids;  // the kids the change was planned from
  std::vector<SigningKeyRow> inserts;
  std::vector<SigningKeySchedule> schedules;  // of stored keys or of `inserts`
  std::vector<std::string> deletes;
};

struct AuditRow {
  int64_t seq = 0;        // 1 for the first record, then +1 without gaps
  std::string record;     // canonical JSON of the event (audit/event.h)
  std::string prev_hash;  // lowercase hex SHA-256; 64 '0' for seq 1
  std::string hash;       // lowercase hex SHA-256 of prev_hash "\n" record
};

// An admin API token, stored by the SHA-256 of its secret part only.
struct AdminTokenRow {
  std::string id;           // public, names the token in audit and listings
  std::string secret_hash;  // lowercase hex SHA-256 of the token's secret
  std::string role;         // "admin" | "operator" | "auditor"
  std::string description;
  int64_t created_at = 0;  // unix seconds
  int64_t expires_at = 0;  // unix seconds
};

// A workload cut off from every destination until resumed.
struct SuspensionRow {
  std::string workload;
  std::string reason;
  std::string actor;  // who suspended it: an admin token id
  int64_t created_at = 0;
};

// One token Signet issued, refused from now on (RFC 7009).
struct RevocationRow {
  std::string jti;
  std::string reason;
  std::string actor;
  int64_t created_at = 0;
  int64_t expires_at = 0;  // the token's own exp: the row is useless after it
};

// One secret in the vault (store/secrets.h), envelope-encrypted: the value is sealed
// under a data key of its own, and the data key under the master key.
struct SecretRow {
  std::string name;
  int64_t version = 0;          // 1 for the first value, then +1 on every replacement
  std::string sealed_data_key;  // AeadSeal(master key, data key, aad = name and version)
  std::string sealed_value;     // AeadSeal(data key, value, aad = name and version)
  int64_t created_at = 0;       // unix seconds, when version 1 was stored
  int64_t updated_at = 0;       // unix seconds, when this version was stored
};

// What ListSecrets returns: a secret without its sealed bytes.
struct SecretMeta {
  std::string name;
  int64_t version = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// Everything the master key seals, re-sealed under a new one (master_key.h,
// RotateMasterKey). It must name every stored signing key and every stored secret, at the
// version the new sealed data key was made for.
struct MasterKeyRewrap {
  struct SigningKey {
    std::string kid;
    std::string sealed_private_key;
  };
  struct SecretKey {
    std::string name;
    int64_t version = 0;
    std::string sealed_data_key;
  };
  std::vector<SigningKey> signing_keys;
  std::vector<SecretKey> secrets;
  // store_meta entries to insert or replace in the same transaction (the key check).
  std::vector<std::pair<std::string, std::string>> meta;
};

// A one-time token with which a signet-agent joins signetd under a name (server/agent_tokens.h),
// stored by the SHA-256 of the token only.
struct JoinTokenRow {
  std::string id;          // public: names the token in the audit trail
  std::string token_hash;  // lowercase hex SHA-256 of the whole token
  std::string agent;       // the name the agent joins under
  std::string actor;       // the admin token id that created it
  int64_t created_at = 0;  // unix seconds
  int64_t expires_at = 0;  // unix seconds
  int64_t used_at = 0;     // unix seconds; 0 until redeemed
};

// One applied configuration (issuers, workloads, destinations, policies) as canonical
// YAML. Versions are 1, 2, 3, ... without gaps and never change once written, so any
// version can be shown, compared and rolled back to (a rollback appends a new version
// holding the old document: history is never rewritten).
struct ConfigVersionRow {
  int64_t version = 0;
  int64_t created_at = 0;  // unix seconds
  // An admin token id, or "signetd" for the version seeded from the start-up file.
  std::string actor;
  std::string origin;  // "seed" | "apply" | "rollback"
  // For origin "rollback": the version whose document was restored; else 0.
  int64_t rollback_of = 0;
  std::string comment;   // the operator's note, may be empty
  std::string digest;    // lowercase hex SHA-256 of document
  std::string document;  // canonical YAML; empty in ListConfigVersions rows
};

class Store {
 public:
  virtual ~Store() = default;

  // All signing keys, oldest first.
  virtual Result<std::vector<SigningKeyRow>> ListSigningKeys() = 0;
  // Adds a key; a kid that exists already is store_failed.
  virtual Status InsertSigningKey(const SigningKeyRow& row) = 0;
  // Applies `change` in one transaction (all or nothing): inserts, then schedules, then
  // deletes. When the stored kids are not exactly change.expected_kids (in any order),
  // nothing is written and the reason is signing_key_conflict (another process changed
  // the keys since the change was planned: re-read and plan again). A schedule or delete
  // naming no key after the inserts is signing_key_conflict too.
  virtual Status ChangeSigningKeys(const SigningKeyChange& change) = 0;

  // Appends `rows` in one transaction: all of them or none. Each row must continue the
  // stored chain: seq one more than the previous row's and prev_hash equal to its hash
  // (the genesis values for the first row of an empty trail); otherwise nothing is
  // written and the reason is audit_chain_conflict (another writer appended first).
  virtual Status AppendAudit(const std::vector<AuditRow>& rows) = 0;
  // The newest audit row, or nullopt when the trail is empty.
  virtual Result<std::optional<AuditRow>> LastAudit() = 0;
  // Up to `limit` rows with seq > after_seq, in seq order.
  virtual Result<std::vector<AuditRow>> ListAudit(int64_t after_seq, size_t limit) = 0;

  // Adds a token; an id or secret_hash that exists already is store_failed.
  virtual Status InsertAdminToken(const AdminTokenRow& row) = 0;
  virtual Result<std::optional<AdminTokenRow>> FindAdminToken(std::string_view secret_hash) = 0;
  // Every token, oldest first.
  virtual Result<std::vector<AdminTokenRow>> ListAdminTokens() = 0;
  // Whether a token with that id existed.
  virtual Result<bool> DeleteAdminToken(std::string_view id) = 0;

  // Suspends (or re-suspends, replacing reason and actor) a workload.
  virtual Status PutSuspension(const SuspensionRow& row) = 0;
  // Whether the workload was suspended.
  virtual Result<bool> DeleteSuspension(std::string_view workload) = 0;
  virtual Result<std::vector<SuspensionRow>> ListSuspensions() = 0;

  // Records a revocation; revoking a revoked jti again keeps the first row.
  virtual Status PutRevocation(const RevocationRow& row) = 0;
  // Revocations whose token has not expired at `now` (unix seconds).
  virtual Result<std::vector<RevocationRow>> ListRevocations(int64_t now) = 0;

  // Stores a secret's first version or replaces it with the next: row.version must be 1
  // when `name` is absent and the stored version + 1 otherwise, else nothing is written
  // and the reason is secret_version_conflict (another writer replaced it first). A
  // replacement keeps the stored created_at.
  virtual Status PutSecret(const SecretRow& row) = 0;
  virtual Result<std::optional<SecretRow>> GetSecret(std::string_view name) = 0;
  // Every secret, by name, without the sealed bytes.
  virtual Result<std::vector<SecretMeta>> ListSecrets() = 0;
  // Whether a secret with that name existed.
  virtual Result<bool> DeleteSecret(std::string_view name) = 0;

  // Small store-wide values (store_meta), such as the master-key check.
  virtual Result<std::optional<std::string>> GetMeta(std::string_view key) = 0;
  // Inserts or replaces.
  virtual Status PutMeta(std::string_view key, std::string_view value) = 0;
  // Inserts unless the key exists; whether it inserted. Two processes racing to write a
  // first value both read back the one that won.
  virtual Result<bool> InsertMetaIfAbsent(std::string_view key, std::string_view value) = 0;

  // Replaces, in one transaction (all or nothing), every signing key's
  // sealed_private_key (the other columns, such as the lifecycle times, are kept), every secret's
  // sealed_data_key and the given meta entries. When the rewrap does not name exactly the stored
  // signing keys and secrets (at their stored versions), nothing is written and the reason is
  // rewrap_conflict: a key or secret was added, replaced or deleted since the rewrap was computed.
  virtual Status RewrapAll(const MasterKeyRewrap& rewrap) = 0;

  // The newest version's number; 0 when no configuration was ever stored. Cheap (no
  // document is read): replicas poll it to notice another replica's apply.
  virtual Result<int64_t> LatestConfigVersion() = 0;
  // One version, with its document. A version that was never stored (0, negative, or past
  // the newest) is config_version_unknown.
  virtual Result<ConfigVersionRow> GetConfigVersion(int64_t version) = 0;
  // Every version without its document (documents can be large; GetConfigVersion reads
  // one), newest first.
  virtual Result<std::vector<ConfigVersionRow>> ListConfigVersions() = 0;
  // Appends `row` as version expected_latest + 1 (row.version is ignored; the new number
  // is returned) in one transaction, only when the newest stored version is still
  // `expected_latest` (compare and set: two concurrent applies planned from the same
  // version cannot both land). Otherwise nothing is written and the reason is
  // config_version_conflict: re-read the newest version and plan again.
  virtual Result<int64_t> AppendConfigVersion(int64_t expected_latest,
                                              const ConfigVersionRow& row) = 0;

  // Adds a join token; an id or token_hash that exists already is store_failed.
  virtual Status InsertJoinToken(const JoinTokenRow& row) = 0;
  // Redeems the join token whose hash is `token_hash` at `now` (unix seconds): marks it
  // used and returns it (used_at set), in one atomic step, so that of any number of
  // concurrent redemptions of one token, through any number of connections or processes,
  // exactly one succeeds. A token never stored, already used, or expired (expires_at <=
  // now) is invalid_client with reason join_token_unknown, join_token_used or
  // join_token_expired, and nothing changes.
  virtual Result<JoinTokenRow> RedeemJoinToken(std::string_view token_hash, int64_t now) = 0;
};

// What a committed transaction survives.
enum class Durability {
  kFsync,    // a power loss or OS crash (SQLite synchronous=FULL in WAL mode)
  kProcess,  // a crash of signetd, not of the machine (synchronous=NORMAL in WAL mode)
};

struct SqliteOptions {
  Durability durability = Durability::kFsync;
};

// Opens the SQLite database at `path` in WAL mode, creating the file and the schema when
// absent and applying any newer schema migrations in order. A database written by a
// newer Signet (a schema version this build does not know) is refused:
// store_schema_too_new.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, SqliteOptions options = {});

// The prev_hash of the first audit row.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace signet::store
