#include "audit/audit_log.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <future>
#include <iterator>

#include "audit/chain.h"

namespace signet::audit {
namespace {

// How often one batch is re-chained after other writers appended first. Each retry
// follows a commit that succeeded elsewhere, so running out needs that many replicas
// committing in the gap of every attempt.
constexpr int kChainAttempts = 32;

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::Open(store::Store& store, Options options) {
  if (options.max_batch == 0) {
    return Status(ErrorCode::kInvalidConfig, "audit_options_invalid",
                  "audit max_batch must be at least 1");
  }
  SIGNET_ASSIGN_OR_RETURN(std::optional<store::AuditRow> head, store.LastAudit());
  int64_t seq = head ? head->seq : 0;
  std::string hash = head ? head->hash : std::string(store::kGenesisHash);
  return std::unique_ptr<AuditLog>(new AuditLog(store, options, seq, std::move(hash)));
}

AuditLog::AuditLog(store::Store& store, Options options, int64_t head_seq, std::string head_hash)
    : store_(store),
      options_(options),
      head_seq_(head_seq),
      head_hash_(std::move(head_hash)),
      commits_ok_(options.metrics ? &options.metrics->GetCounter("signet_audit_commits_total",
                                                                 "Audit trail transactions.",
                                                                 {{"outcome", "ok"}})
                                  : nullptr),
      commits_failed_(options.metrics ? &options.metrics->GetCounter("signet_audit_commits_total",
                                                                     "Audit trail transactions.",
                                                                     {{"outcome", "error"}})
                                      : nullptr),
      records_(options.metrics ? &options.metrics->GetCounter("signet_audit_records_total",
                                                              "Audit records committed.")
                               : nullptr),
      writer_([this] { WriterLoop(); }) {}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

void AuditLog::Append(Event event, std::function<void(Status)> done) {
  std::vector<Event> one;
  one.push_back(std::move(event));
  AppendAll(std::move(one), std::move(done));
}

void AuditLog::AppendAll(std::vector<Event> events, std::function<void(Status)> done) {
  Pending pending{{}, std::move(done)};
  pending.records.reserve(events.size());
  for (const Event& event : events) {
    pending.records.push_back(SerializeEvent(event));
  }
  bool was_empty = false;
  {
    std::lock_guard lock(mu_);
    was_empty = queue_.empty();
    queue_.push_back(std::move(pending));
  }
  // The writer waits only on an empty queue; otherwise it takes this event with the
  // next batch anyway, and a wake-up would be a wasted system call.
  if (was_empty) {
    wake_.notify_one();
  }
}

Status AuditLog::AppendAndWait(Event event) {
  std::promise<Status> outcome;
  std::future<Status> result = outcome.get_future();
  Append(std::move(event), [&outcome](Status status) { outcome.set_value(std::move(status)); });
  return result.get();
}

void AuditLog::WriterLoop() {
  // SCHED_BATCH: a woken writer does not preempt the thread that woke it. On a core
  // shared with the I/O thread, that thread then finishes the requests it has ready and
  // queues their events, and one commit takes them all, which is the point of group
  // commit. Best effort: without it commits are just smaller.
  sched_param param{};
  pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping, and everything queued is committed
      }
      // Whole Pendings up to max_batch records, and at least one however large it is.
      auto end = queue_.begin() + 1;
      size_t records = queue_.front().records.size();
      while (end != queue_.end() && records + end->records.size() <= options_.max_batch) {
        records += end->records.size();
        ++end;
      }
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
      queue_.erase(queue_.begin(), end);
    }
    Commit(batch);
    batch.clear();
  }
}

void AuditLog::Commit(std::vector<Pending>& batch) {
  std::vector<store::AuditRow> rows;
  for (Pending& pending : batch) {
    for (std::string& record : pending.records) {
      rows.push_back(store::AuditRow{0, std::move(record), "", ""});
    }
  }
  Status status;
  // Other replicas on the same store append to the same chain: when one got in first
  // (audit_chain_conflict), chain the batch onto the new head and try again.
  for (int attempt = 0; attempt < kChainAttempts; ++attempt) {
    if (reread_head_) {
      // The failed commit may have landed after all (a lost connection), or another
      // writer may have appended: chain onto what the store holds.
      auto head = store_.LastAudit();
      if (!head.ok()) {
        status = head.status();
        break;
      }
      head_seq_ = *head ? (*head)->seq : 0;
      head_hash_ = *head ? (*head)->hash : std::string(store::kGenesisHash);
      reread_head_ = false;
    }
    int64_t seq = head_seq_;
    std::string prev = head_hash_;
    for (store::AuditRow& row : rows) {
      row.seq = ++seq;
      row.prev_hash = prev;
      row.hash = ChainHash(prev, row.record);
      prev = row.hash;
    }
    status = store_.AppendAudit(rows);
    if (status.ok()) {
      head_seq_ = seq;
      head_hash_ = std::move(prev);
      break;
    }
    reread_head_ = true;
    if (status.reason() != "audit_chain_conflict") {
      break;
    }
  }
  if (Counter* outcome = status.ok() ? commits_ok_ : commits_failed_) {
    outcome->Increment();
    if (status.ok()) {
      records_->Increment(rows.size());
    }
  }
  for (Pending& pending : batch) {
    pending.done(status);
  }
}

}  // namespace signet::audit
