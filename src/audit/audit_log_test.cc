#include "audit/audit_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "audit/chain.h"
#include "support/forwarding_store.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet::audit {
namespace {

using ::signet::testing::FailsWith;
using ::signet::testing::IsOk;

Event MakeEvent(const std::string& request_id) {
  Event e;
  e.time = FromUnixSeconds(1'700'000'000);
  e.request_id = request_id;
  e.decision = "allow";
  return e;
}

// Forwards to a real store, and lets a test hold a commit open, fail the next commit,
// and see the size of every batch.
class ControlledStore final : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;

  Result<std::optional<store::AuditRow>> LastAudit() override {
    std::lock_guard lock(mu_);
    if (fail_last_audit_) {
      return Status(ErrorCode::kServerError, "store_unavailable", "injected");
    }
    return base().LastAudit();
  }
  Status AppendAudit(const std::vector<store::AuditRow>& rows) override {
    {
      std::unique_lock lock(mu_);
      batch_sizes_.push_back(rows.size());
      if (fail_next_append_) {
        fail_next_append_ = false;
        return Status(ErrorCode::kServerError, "store_unavailable", "injected");
      }
      if (hold_) {
        held_ = true;
        changed_.notify_all();
        changed_.wait(lock, [this] { return !hold_; });
        held_ = false;
      }
    }
    return base().AppendAudit(rows);
  }

  // The next commit waits inside AppendAudit until Release().
  void HoldNextCommit() {
    std::lock_guard lock(mu_);
    hold_ = true;
  }
  void WaitUntilHeld() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [this] { return held_; });
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      hold_ = false;
    }
    changed_.notify_all();
  }
  void FailNextAppend() {
    std::lock_guard lock(mu_);
    fail_next_append_ = true;
  }
  void FailLastAudit(bool fail) {
    std::lock_guard lock(mu_);
    fail_last_audit_ = fail;
  }
  std::vector<size_t> batch_sizes() {
    std::lock_guard lock(mu_);
    return batch_sizes_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool hold_ = false;
  bool held_ = false;
  bool fail_next_append_ = false;
  bool fail_last_audit_ = false;
  std::vector<size_t> batch_sizes_;
};

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::OpenSqliteStore(dir_.File("signet.db"));
    ASSERT_THAT(store, IsOk());
    sqlite_ = std::move(*store);
    store_ = std::make_unique<ControlledStore>(*sqlite_);
  }

  std::unique_ptr<AuditLog> Open(AuditLog::Options options = {}) {
    auto log = AuditLog::Open(*store_, options);
    EXPECT_THAT(log, IsOk());
    return log.ok() ? std::move(*log) : nullptr;
  }

  VerifyReport Verify() {
    auto report = VerifyChain(*sqlite_);
    EXPECT_THAT(report, IsOk());
    return report.ok() ? *report : VerifyReport{};
  }

  std::vector<store::AuditRow> Rows() {
    auto rows = sqlite_->ListAudit(0, 100000);
    EXPECT_THAT(rows, IsOk());
    return rows.ok() ? *rows : std::vector<store::AuditRow>{};
  }

  signet::testing::TempDir dir_;
  std::unique_ptr<store::Store> sqlite_;
  std::unique_ptr<ControlledStore> store_;
};

TEST_F(AuditLogTest, AppendAndWaitCommitsAChainedRecord) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_THAT(log->AppendAndWait(MakeEvent(id)), IsOk());
  }
  std::vector<store::AuditRow> rows = Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].seq, 1);
  EXPECT_EQ(rows[0].prev_hash, store::kGenesisHash);
  EXPECT_EQ(rows[1].record, SerializeEvent(MakeEvent("b")));
  EXPECT_EQ(rows[2].prev_hash, rows[1].hash);
  EXPECT_EQ(rows[2].hash, ChainHash(rows[1].hash, rows[2].record));
  VerifyReport report = Verify();
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_EQ(report.records, 3);
}

TEST_F(AuditLogTest, ReopenedLogContinuesTheChain) {
  {
    auto log = Open();
    ASSERT_NE(log, nullptr);
    ASSERT_THAT(log->AppendAndWait(MakeEvent("a")), IsOk());
    ASSERT_THAT(log->AppendAndWait(MakeEvent("b")), IsOk());
  }
  auto log = Open();
  ASSERT_NE(log, nullptr);
  ASSERT_THAT(log->AppendAndWait(MakeEvent("c")), IsOk());
  std::vector<store::AuditRow> rows = Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].seq, 3);
  EXPECT_TRUE(Verify().intact);
}

TEST_F(AuditLogTest, ConcurrentAppendsFormOneGapFreeChainAndEachCallbackRunsOnce) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::vector<std::atomic<int>> calls(kThreads * kPerThread);
  std::atomic<int> failures{0};
  {
    auto log = Open();
    ASSERT_NE(log, nullptr);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          int id = t * kPerThread + i;
          log->Append(MakeEvent(std::to_string(id)), [&, id](Status s) {
            calls[id].fetch_add(1);
            if (!s.ok()) {
              failures.fetch_add(1);
            }
          });
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
  }  // the destructor drains the queue
  EXPECT_EQ(failures.load(), 0);
  for (int id = 0; id < kThreads * kPerThread; ++id) {
    EXPECT_EQ(calls[id].load(), 1) << "event " << id;
  }
  VerifyReport report = Verify();
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_EQ(report.records, kThreads * kPerThread);
  std::set<std::string> ids;
  for (const store::AuditRow& row : Rows()) {
    auto event = ParseEvent(row.record);
    ASSERT_THAT(event, IsOk());
    ids.insert(event->request_id);
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_F(AuditLogTest, EventsQueuedDuringACommitShareTheNextTransaction) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  std::atomic<int> committed{0};
  auto count = [&](Status s) {
    EXPECT_THAT(s, IsOk());
    committed.fetch_add(1);
  };
  store_->HoldNextCommit();
  log->Append(MakeEvent("first"), count);
  store_->WaitUntilHeld();
  for (int i = 0; i < 10; ++i) {
    log->Append(MakeEvent("queued-" + std::to_string(i)), count);
  }
  store_->Release();
  ASSERT_THAT(log->AppendAndWait(MakeEvent("last")), IsOk());
  EXPECT_EQ(committed.load(), 11);
  // The eleven queued behind the held commit went in as one batch (with "last", if it
  // arrived in time).
  std::vector<size_t> sizes = store_->batch_sizes();
  ASSERT_GE(sizes.size(), 2u);
  EXPECT_EQ(sizes[0], 1u);
  EXPECT_GE(sizes[1], 10u);
  EXPECT_TRUE(Verify().intact);
}

TEST_F(AuditLogTest, BatchesNeverExceedMaxBatch) {
  auto log = Open({.max_batch = 4});
  ASSERT_NE(log, nullptr);
  store_->HoldNextCommit();
  log->Append(MakeEvent("first"), [](Status) {});
  store_->WaitUntilHeld();
  for (int i = 0; i < 10; ++i) {
    log->Append(MakeEvent(std::to_string(i)), [](Status) {});
  }
  store_->Release();
  log.reset();  // drains
  EXPECT_EQ(store_->batch_sizes(), (std::vector<size_t>{1, 4, 4, 2}));
  EXPECT_EQ(Verify().records, 11);
}

// One agent's report is one transaction, larger than max_batch if need be, its records
// side by side in the chain, with one callback.
TEST_F(AuditLogTest, AppendAllCommitsItsEventsInOneTransaction) {
  auto log = Open({.max_batch = 4});
  ASSERT_NE(log, nullptr);
  store_->HoldNextCommit();
  log->Append(MakeEvent("first"), [](Status) {});
  store_->WaitUntilHeld();
  log->Append(MakeEvent("before"), [](Status) {});
  std::vector<Event> report;
  for (int i = 0; i < 10; ++i) {
    report.push_back(MakeEvent("report-" + std::to_string(i)));
  }
  std::atomic<int> calls{0};
  log->AppendAll(std::move(report), [&](Status s) {
    EXPECT_THAT(s, IsOk());
    ++calls;
  });
  log->Append(MakeEvent("after"), [](Status) {});
  store_->Release();
  ASSERT_THAT(log->AppendAndWait(MakeEvent("last")), IsOk());
  EXPECT_EQ(calls.load(), 1);
  // "before" could not share the report's transaction (1 + 10 > 4); "after" and "last" may
  // share one.
  std::vector<size_t> sizes = store_->batch_sizes();
  ASSERT_GE(sizes.size(), 4u);
  EXPECT_EQ(sizes[0], 1u);
  EXPECT_EQ(sizes[1], 1u);
  EXPECT_EQ(sizes[2], 10u);
  std::vector<std::string> order;
  for (const store::AuditRow& row : Rows()) {
    order.push_back(ParseEvent(row.record)->request_id);
  }
  ASSERT_EQ(order.size(), 14u);
  EXPECT_EQ(order[1], "before");
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(order[2 + i], "report-" + std::to_string(i));
  }
  EXPECT_TRUE(Verify().intact);
}

TEST_F(AuditLogTest, DestructorCommitsEverythingQueued) {
  std::atomic<int> ok{0};
  {
    auto log = Open();
    ASSERT_NE(log, nullptr);
    store_->HoldNextCommit();
    log->Append(MakeEvent("first"), [&](Status s) { ok += s.ok(); });
    store_->WaitUntilHeld();
    for (int i = 0; i < 5; ++i) {
      log->Append(MakeEvent(std::to_string(i)), [&](Status s) { ok += s.ok(); });
    }
    store_->Release();
  }
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(Verify().records, 6);
}

TEST_F(AuditLogTest, FailedCommitReportsTheErrorAndTheNextEventStillChains) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  ASSERT_THAT(log->AppendAndWait(MakeEvent("a")), IsOk());
  store_->FailNextAppend();
  EXPECT_THAT(log->AppendAndWait(MakeEvent("lost")), FailsWith("store_unavailable"));
  ASSERT_THAT(log->AppendAndWait(MakeEvent("b")), IsOk());
  std::vector<store::AuditRow> rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].seq, 2);
  EXPECT_EQ(rows[1].record, SerializeEvent(MakeEvent("b")));
  VerifyReport report = Verify();
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_EQ(report.records, 2);
}

TEST_F(AuditLogTest, HeadUnreadableAfterAFailureFailsTheNextBatchUntilItIsRead) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  store_->FailNextAppend();
  EXPECT_THAT(log->AppendAndWait(MakeEvent("lost")), FailsWith("store_unavailable"));
  store_->FailLastAudit(true);
  EXPECT_THAT(log->AppendAndWait(MakeEvent("also lost")), FailsWith("store_unavailable"));
  store_->FailLastAudit(false);
  ASSERT_THAT(log->AppendAndWait(MakeEvent("kept")), IsOk());
  EXPECT_EQ(Verify().records, 1);
}

TEST_F(AuditLogTest, AnotherWritersAppendIsChainedOnto) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  ASSERT_THAT(log->AppendAndWait(MakeEvent("a")), IsOk());
  // A second writer (another replica) appends behind this log's back.
  std::vector<store::AuditRow> rows = Rows();
  std::string record = SerializeEvent(MakeEvent("other"));
  ASSERT_THAT(sqlite_->AppendAudit({{2, record, rows[0].hash, ChainHash(rows[0].hash, record)}}),
              IsOk());
  ASSERT_THAT(log->AppendAndWait(MakeEvent("b")), IsOk());
  VerifyReport report = Verify();
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_EQ(report.records, 3);
  EXPECT_EQ(Rows()[2].seq, 3);
}

// Two replicas' logs on one database, appending at once: every event lands, once, in
// one intact chain.
TEST_F(AuditLogTest, TwoWritersOnOneStoreFormOneIntactChain) {
  auto second_store = store::OpenSqliteStore(dir_.File("signet.db"));
  ASSERT_THAT(second_store, IsOk());
  auto first = Open();
  auto second = AuditLog::Open(**second_store);
  ASSERT_NE(first, nullptr);
  ASSERT_THAT(second, IsOk());
  constexpr int kEach = 200;
  std::atomic<int> failed{0};
  auto append = [&failed](AuditLog& log, const std::string& who) {
    for (int i = 0; i < kEach; ++i) {
      if (!log.AppendAndWait(MakeEvent(who + std::to_string(i))).ok()) {
        ++failed;
      }
    }
  };
  std::thread a(append, std::ref(*first), "a");
  std::thread b(append, std::ref(**second), "b");
  a.join();
  b.join();
  EXPECT_EQ(failed.load(), 0);
  VerifyReport report = Verify();
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_EQ(report.records, 2 * kEach);
}

TEST_F(AuditLogTest, OpenFailsWhenTheHeadCannotBeRead) {
  store_->FailLastAudit(true);
  EXPECT_THAT(AuditLog::Open(*store_), FailsWith("store_unavailable"));
}

TEST_F(AuditLogTest, ZeroMaxBatchRefused) {
  EXPECT_THAT(AuditLog::Open(*store_, {.max_batch = 0}), FailsWith("audit_options_invalid"));
}

}  // namespace
}  // namespace signet::audit
