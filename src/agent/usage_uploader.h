// UsageUploader: the agent's UsageSink. Queues what the proxy forwarded and sends it to
// signetd's audit trail in batches (Flush, from a background loop), so a proxied request
// never waits for the broker.
//
// The queue is bounded: while signetd cannot take the records, the newest are kept up to
// `max_queued` and older ones are dropped and counted (a record lost is reported in the
// log with the count; the credential that allowed the request was audited when issued).
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>

#include "agent/edge.h"
#include "agent/signetd_client.h"

namespace signet::agent {

class UsageUploader final : public UsageSink {
 public:
  static constexpr size_t kBatch = 1000;  // what signetd takes in one call

  // `signetd` must outlive this.
  explicit UsageUploader(SignetdClient& signetd, size_t max_queued = 100'000);

  void Record(UsageRecord record) override;

  // Sends what is queued, a batch at a time; stops at the first failure, keeping the
  // batch for the next call. Returns how many records were sent.
  size_t Flush();
  // Flush, then how long to wait before the next (`every`). For a BackgroundLoop.
  std::chrono::milliseconds FlushEvery(std::chrono::milliseconds every);

  size_t queued() const;
  size_t dropped() const;

 private:
  SignetdClient& signetd_;
  const size_t max_queued_;
  mutable std::mutex mu_;
  std::deque<UsageRecord> queue_;  // guarded by mu_
  size_t dropped_ = 0;             // since last reported; guarded by mu_
  uint64_t total_dropped_ = 0;     // guarded by mu_
  std::mutex flush_mu_;            // one Flush at a time, so batches leave in order
};

}  // namespace signet::agent
