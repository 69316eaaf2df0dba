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
    WorkerPool pool(3, 1000);
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(pool.TryPost([&] {
        on_caller += std::this_thread::get_id() == caller ? 1 : 0;
        ++ran;
      }));
    }
  }  // the destructor runs what is still queued
  EXPECT_EQ(ran.load(), 100);
  EXPECT_EQ(on_caller.load(), 0);
}

// Two tasks that each wait for the other finish only if they run at the same time: one
// task waiting on the network does not hold up the next.
TEST(WorkerPoolTest, TasksRunInParallel) {
  WorkerPool pool(2, 10);
  std::latch both(2);
  std::promise<void> first_done;
  std::promise<void> second_done;
  ASSERT_TRUE(pool.TryPost([&] {
    both.arrive_and_wait();
    first_done.set_value();
  }));
  ASSERT_TRUE(pool.TryPost([&] {
    both.arrive_and_wait();
    second_done.set_value();
  }));
  first_done.get_future().wait();
  second_done.get_future().wait();
}

TEST(WorkerPoolTest, ATaskMayPostAnother) {
  std::promise<int> result;
  {
    WorkerPool pool(1, 10);
    ASSERT_TRUE(pool.TryPost([&] { EXPECT_TRUE(pool.TryPost([&] { result.set_value(7); })); }));
  }
  EXPECT_EQ(result.get_future().get(), 7);
}

// With its one thread busy, the pool holds `max_queued` tasks and refuses the next.
TEST(WorkerPoolTest, RefusesBeyondItsQueue) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> busy;
  std::atomic<int> ran = 0;
  {
    WorkerPool pool(1, 2);
    ASSERT_TRUE(pool.TryPost([&] {
      busy.set_value();
      released.wait();
    }));
    busy.get_future().wait();  // the thread holds the first task: the queue is empty
    EXPECT_TRUE(pool.TryPost([&] { ++ran; }));
    EXPECT_TRUE(pool.TryPost([&] { ++ran; }));
    EXPECT_FALSE(pool.TryPost([&] { ran += 100; }));
    release.set_value();
  }
  EXPECT_EQ(ran.load(), 2);
}

}  // namespace
}  // namespace signet
