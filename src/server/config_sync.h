// ConfigSync: the access configuration (issuers, workloads, destinations, policies) in
// force on this replica, and how it changes while signetd serves.
//
// The store holds every applied version, 1, 2, 3, ...; the newest is in force. A replica
// compiles it into an AccessSnapshot (a Broker, the workload names, the verifier of
// Signet's own tokens) and publishes it with one atomic swap: a request loads the
// snapshot once and finishes on it, however many versions land meanwhile. Apply and
// Rollback append a version (compare and set on the newest, so two concurrent applies
// cannot both land) and publish it here at once; Sync, which a thread runs every
// `sync_every`, publishes a version another replica appended and reloads the kill switch
// from the store, so every replica follows within one interval.
//
// The start-up file seeds version 1 when the store has none (Seed). From then on the
// store is the one source of truth: the file's access sections are not read again, and
// Seed warns when they differ from the version in force, so a restart never reverts an
// applied change and nobody mistakes the file for the live state (docs/config.md).
//
// Thread safety: every method may be called concurrently; changes are serialised.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/background_loop.h"
#include "credentials/provider.h"
#include "jose/jwt.h"
#include "server/broker.h"
#include "server/config.h"
#include "server/config_diff.h"
#include "server/durable_kill_switch.h"
#include "store/store.h"
#include "trust/fetcher.h"
#include "trust/issuer.h"

namespace signet::server {

// One version of the access configuration, compiled. Immutable once published.
struct AccessSnapshot {
  int64_t version = 0;
  AccessConfig config;
  std::shared_ptr<const Broker> broker;
  std::set<std::string, std::less<>> workloads;
  // Verifies Signet's own access tokens (iss, an audience of a configured destination,
  // typ at+jwt, lifetime) for introspection and revocation.
  std::shared_ptr<const jose::JwtVerifier> own_tokens;
};

// What an apply or rollback did, or would do (dry run).
struct ConfigChangeResult {
  int64_t version_before = 0;
  int64_t version_after = 0;  // version_before when nothing changed
  std::vector<ConfigChange> changes;
};

struct ConfigSyncOptions {
  std::string issuer;  // server.issuer: the `iss` of Signet's own tokens
  // How often Sync runs on the thread Start() starts: how soon a replica follows a
  // version or a kill switch written by another.
  std::chrono::milliseconds sync_every{250};
  // The longest lifetime a token may have had before any version was compiled here
  // (start-up's signing settings): revocations by jti are kept at least this long.
  std::chrono::seconds min_token_lifetime{3600};
  // Told, under the change lock, when LongestTokenLifetime grows (a published version
  // raised a max_ttl): the signing keys must stay published that long.
  std::function<void(std::chrono::seconds)> on_longer_token_lifetime;
  // Where the issuers count their key caches' hits and misses.
  trust::KeyCacheCounters key_cache;
  // Told about a failed Sync on the thread (once per failing version); the snapshot in
  // force stays.
  std::function<void(const Status&)> on_error;
  // Told about each version published by Sync (not by Apply or Rollback, whose callers
  // know), with the warnings of its compilation.
  std::function<void(int64_t version, const std::vector<std::string>& warnings)> on_publish;
};

class ConfigSync {
 public:
  // `fetcher`, `context` (its pointers), `kill`, `store` and `clock` must outlive this.
  ConfigSync(ConfigSyncOptions options, store::Store& store, DurableKillSwitch& kill,
             trust::Fetcher& fetcher, credentials::ProviderContext context);
  ~ConfigSync();  // stops the thread

  ConfigSync(const ConfigSync&) = delete;
  ConfigSync& operator=(const ConfigSync&) = delete;

  // At start-up, before serving: stores `file_access` as version 1 when the store has no
  // version (returns true), then publishes the newest version. `file_source` names the
  // file in the version's comment. `warnings` receives the compilation's warnings and, when
  // the file's access sections differ from a stored version in force, a warning saying so.
  // Errors: the stored version does not compile (its reason), store errors.
  Result<bool> Seed(const AccessConfig& file_access, const std::string& file_source,
                    std::vector<std::string>* warnings);

  // The snapshot in force; null only before Seed.
  std::shared_ptr<const AccessSnapshot> Current() const {
    return snapshot_.load(std::memory_order_acquire);
  }

  // Validates `documents` (config_invalid naming source, line and field), compiles them
  // (a destination kind no provider serves is refused here), diffs them against the
  // newest stored version and, unless `dry_run` or nothing changed, stores them as a new
  // version and publishes it. `expected_version` (when set) must be the newest stored
  // version: invalid_request config_version_conflict otherwise, and nothing is written.
  // Documents with nothing in them would remove every issuer, workload, destination and
  // policy: refused (invalid_request config_empty) unless `allow_empty`.
  Result<ConfigChangeResult> Apply(const std::vector<ConfigDocument>& documents,
                                   const std::string& actor, const std::string& comment,
                                   std::optional<int64_t> expected_version, bool dry_run,
                                   bool allow_empty = false);

  // Stores version `to`'s document as a new version (origin rollback) and publishes it.
  // An unknown version is invalid_request config_version_unknown and changes nothing;
  // a version identical to the one in force changes nothing.
  Result<ConfigChangeResult> Rollback(int64_t to, const std::string& actor,
                                      const std::string& comment);

  // Reloads the kill switch and, when the store has a newer version than the snapshot,
  // compiles and publishes it.
  Status Sync();

  // The longest lifetime a token issued under this store may have: the largest max_ttl
  // of every stored version up to the one in force (whichever replica put it in force),
  // and at least options.min_token_lifetime.
  std::chrono::seconds LongestTokenLifetime() const {
    return std::chrono::seconds(longest_token_lifetime_.load(std::memory_order_relaxed));
  }

  // False while the newest stored version cannot be put in force here (it did not
  // compile: an older signetd that lacks a destination kind, say): this replica serves
  // an older version than the others, and /readyz says so.
  bool InForceIsNewest() const {
    int64_t failed = failed_version_.load(std::memory_order_acquire);
    std::shared_ptr<const AccessSnapshot> current = Current();
    return failed == 0 || (current != nullptr && current->version > failed);
  }

  // Runs Sync every options.sync_every on a thread of its own, until Stop.
  void Start();
  void Stop();

 private:
  // Compiles `config` as version `version`, keeping the previous snapshot's issuers (and
  // their fetched keys) whose settings did not change.
  Result<std::shared_ptr<const AccessSnapshot>> Compile(int64_t version, AccessConfig config,
                                                        std::vector<std::string>* warnings) const;
  // Requires mu_ (all three).
  void Publish(std::shared_ptr<const AccessSnapshot> snapshot);
  void RaiseLongestLocked(std::chrono::seconds ttl);
  // Raises LongestTokenLifetime for the stored versions [from, to).
  Status ConsiderStoredLifetimesLocked(int64_t from, int64_t to);
  // Requires mu_. Stores `row` as the version after result.version_before and publishes
  // `compiled` (compiled as that version).
  Result<ConfigChangeResult> AppendLocked(ConfigChangeResult result,
                                          std::shared_ptr<const AccessSnapshot> compiled,
                                          store::ConfigVersionRow row);
  // The newest stored version (version 0 when none); read it under mu_ to compare and set.
  Result<store::ConfigVersionRow> NewestVersion();
  Status SyncLocked(std::vector<std::string>* warnings);  // requires mu_

  const ConfigSyncOptions options_;
  store::Store& store_;
  DurableKillSwitch& kill_;
  trust::Fetcher& fetcher_;
  const credentials::ProviderContext context_;

  std::atomic<std::shared_ptr<const AccessSnapshot>> snapshot_;
  std::atomic<int64_t> longest_token_lifetime_;

  std::mutex mu_;  // one change at a time
  // The newest version that did not compile here; 0 when none did (written under mu_).
  std::atomic<int64_t> failed_version_{0};

  // Last: stopped (and joined) before anything its step uses is destroyed.
  BackgroundLoop loop_;
};

}  // namespace signet::server
