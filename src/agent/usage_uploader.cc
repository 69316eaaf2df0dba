#include "agent/usage_uploader.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

namespace signet::agent {

UsageUploader::UsageUploader(SignetdClient& signetd, size_t max_queued)
    : signetd_(signetd), max_queued_(std::max<size_t>(max_queued, 1)) {}

void UsageUploader::Record(UsageRecord record) {
  std::lock_guard lock(mu_);
  if (queue_.size() >= max_queued_) {
    queue_.pop_front();
    ++dropped_;
    ++total_dropped_;
  }
  queue_.push_back(std::move(record));
}

size_t UsageUploader::Flush() {
  std::lock_guard flushing(flush_mu_);
  size_t sent = 0;
  for (;;) {
    std::vector<UsageRecord> batch;
    uint64_t drops_before = 0;
    {
      std::lock_guard lock(mu_);
      drops_before = total_dropped_;
      const size_t n = std::min(queue_.size(), kBatch);
      batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    if (batch.empty()) {
      return sent;
    }
    if (Status status = signetd_.SendUsage(batch); !status.ok()) {
      spdlog::warn("cannot send {} proxied-request record(s) to signetd, will retry: {}",
                   batch.size(), status.ToString());
      return sent;
    }
    std::lock_guard lock(mu_);
    // Record may have dropped some of the batch from the front meanwhile (the queue was
    // full): remove only what is still there of it.
    const size_t dropped_meanwhile =
        static_cast<size_t>(std::min<uint64_t>(total_dropped_ - drops_before, batch.size()));
    const size_t still_queued = std::min(batch.size() - dropped_meanwhile, queue_.size());
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(still_queued));
    sent += batch.size();
  }
}

std::chrono::milliseconds UsageUploader::FlushEvery(std::chrono::milliseconds every) {
  Flush();
  size_t lost = 0;
  {
    std::lock_guard lock(mu_);
    std::swap(lost, dropped_);
  }
  if (lost > 0) {
    spdlog::error("dropped {} proxied-request record(s): signetd did not take them in time", lost);
  }
  return every;
}

size_t UsageUploader::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

size_t UsageUploader::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace signet::agent
