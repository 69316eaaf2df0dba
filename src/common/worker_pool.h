// WorkerPool: a fixed set of threads that run posted tasks, first posted first started.
//
// For work that may wait on the network (a destination's token endpoint), which must
// never run on an HTTP I/O thread: one slow destination would stall every connection
// that thread serves.
//
// The queue is bounded, so a flood of such work is refused at once instead of growing
// memory and every caller's wait.
//
// Thread safety: TryPost may be called from any thread, including a worker's own task.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace signet {

class WorkerPool {
 public:
  // REQUIRES: threads >= 1.
  WorkerPool(size_t threads, size_t max_queued);
  // Runs every task already posted, then joins the threads.
  // REQUIRES: no TryPost call is running or will start, except from the tasks themselves.
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task` (which must not throw); false, and `task` dropped, when `max_queued`
  // tasks are already waiting for a thread.
  [[nodiscard]] bool TryPost(std::function<void()> task);

 private:
  void Work();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;         // last: they start once the rest exists
};

}  // namespace signet
