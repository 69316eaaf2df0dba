// WorkerPool: a fixed set of threads that run posted tasks, first posted first started.
//
// For work that may wait on the network (a destination's token endpoint), which must
// never run on an HTTP I/O thread: one slow destination would stall every connection
// that thread serves.
//
// Thread safety: Post may be called from any thread, including a worker's own task.
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
  explicit WorkerPool(size_t threads);
  // Runs every task already posted, then joins the threads.
  // REQUIRES: no Post call is running or will start, except from the tasks themselves.
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // `task` must not throw.
  void Post(std::function<void()> task);

 private:
  void Work();

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;         // last: they start once the rest exists
};

}  // namespace signet
