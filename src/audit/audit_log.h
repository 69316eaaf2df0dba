// AuditLog: appends events to the hash chain in the Store, with group commit.
//
// Append serializes the event (audit/event.h) on the caller's thread and queues it. One
// writer thread takes everything queued (up to Options::max_batch), chains the records
// onto the head (audit/chain.h) and appends them in one store transaction, then runs
// each event's callback with the outcome. Whatever is queued while a transaction
// commits goes into the next one, so a busy broker pays one commit (one fsync under
// Durability::kFsync) per batch, not per request. A request handler answers from its
// callback, so no response is sent before its event is durable.
//
// Several processes may append to one store's chain (replicas of signetd): when another
// appended first (audit_chain_conflict), the batch is chained onto the new head and
// committed again. When a commit fails otherwise, every callback of that batch gets the
// error and the head is re-read from the store before the next batch, so later events
// chain onto what was really committed.
//
// Thread safety: Append and AppendAndWait may be called from any number of threads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audit/event.h"
#include "common/metrics.h"
#include "common/status.h"
#include "store/store.h"

namespace signet::audit {

// Declared outside AuditLog because a nested struct with member initializers cannot be
// a default argument inside its enclosing class (GCC, CWG 1397).
struct AuditLogOptions {
  // The most events one transaction holds (but AppendAll's events always go together).
  // Must be at least 1.
  size_t max_batch = 256;
  // When set (and outliving the log): signet_audit_commits_total{outcome} and
  // signet_audit_records_total count transactions and the records they held.
  MetricsRegistry* metrics = nullptr;
};

class AuditLog {
 public:
  using Options = AuditLogOptions;

  // Reads the chain head from `store` and starts the writer thread. `store` must outlive
  // the AuditLog. Errors: the store's; invalid_config audit_options_invalid.
  static Result<std::unique_ptr<AuditLog>> Open(store::Store& store, Options options = {});

  // Commits everything queued, running every callback, then stops the writer.
  // REQUIRES: no Append call is running or will start.
  ~AuditLog();

  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Queues `event`. `done` (required) runs once, on the writer thread, after the transaction
  // holding the event committed (OK) or failed (the store's error). `done` must not throw nor call
  // AppendAndWait; it should hand slow work elsewhere, as every event behind it waits.
  void Append(Event event, std::function<void(Status)> done);

  // Like Append, for events that stand or fall together (the proxied requests one
  // signet-agent reports at once): all of them go into one transaction, which holds them
  // next to each other in the chain, even beyond max_batch. `done` runs once, for all.
  // An empty `events` is committed at once, with nothing to write.
  void AppendAll(std::vector<Event> events, std::function<void(Status)> done);

  // Append, then wait for the outcome. For tools and tests.
  Status AppendAndWait(Event event);

 private:
  // Events queued together: one Append's, or one AppendAll's.
  struct Pending {
    std::vector<std::string> records;
    std::function<void(Status)> done;
  };

  AuditLog(store::Store& store, Options options, int64_t head_seq, std::string head_hash);
  void WriterLoop();
  void Commit(std::vector<Pending>& batch);

  store::Store& store_;
  const Options options_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_

  // The chain head as last committed; touched by the writer thread only.
  int64_t head_seq_;
  std::string head_hash_;
  bool reread_head_ = false;  // after a failed commit

  Counter* commits_ok_ = nullptr;
  Counter* commits_failed_ = nullptr;
  Counter* records_ = nullptr;

  std::thread writer_;  // last: starts once every member above exists
};

}  // namespace signet::audit
