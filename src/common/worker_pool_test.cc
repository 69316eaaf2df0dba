#include "common/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>
#include <thread>

namespace signet {
namespace {

TEST(WorkerPoolTest, RunsEveryTaskOffTheCallingThread) {
  std::atomic<int> ran = 0;
  std::atomic<int> on_caller = 0;
  const std::thread::id caller = std::this_thread::get_id();
  {
    WorkerPool pool(3);
    for (int i = 0; i < 100; ++i) {
      pool.Post([&] {
        on_caller += std::this_thread::get_id() == caller ? 1 : 0;
        ++ran;
      });
    }
  }  // the destructor runs what is still queued
  EXPECT_EQ(ran.load(), 100);
  EXPECT_EQ(on_caller.load(), 0);
}

// Two tasks that each wait for the other finish only if they run at the same time: one
// task waiting on the network does not hold up the next.
TEST(WorkerPoolTest, TasksRunInParallel) {
  WorkerPool pool(2);
  std::latch both(2);
  std::promise<void> first_done;
  std::promise<void> second_done;
  pool.Post([&] {
    both.arrive_and_wait();
    first_done.set_value();
  });
  pool.Post([&] {
    both.arrive_and_wait();
    second_done.set_value();
  });
  first_done.get_future().wait();
  second_done.get_future().wait();
}

TEST(WorkerPoolTest, ATaskMayPostAnother) {
  std::promise<int> result;
  {
    WorkerPool pool(1);
    pool.Post([&] { pool.Post([&] { result.set_value(7); }); });
  }
  EXPECT_EQ(result.get_future().get(), 7);
}

}  // namespace
}  // namespace signet
