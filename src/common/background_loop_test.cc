#include "common/background_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace signet {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

// The waits here are hours long: every run after the first must come from Wake, so the
// test finishes at once or not at all (ctest's timeout), never by a timing guess.
TEST(BackgroundLoopTest, RunsAtOnceThenOnEveryWakeUntilStopped) {
  BackgroundLoop loop;
  std::atomic<int> runs{0};
  std::promise<void> first;
  std::promise<void> second;
  loop.Start([&] {
    int run = ++runs;
    if (run == 1) {
      first.set_value();
    } else if (run == 2) {
      second.set_value();
    }
    return std::chrono::duration_cast<milliseconds>(hours(1));
  });
  first.get_future().wait();
  loop.Wake();
  second.get_future().wait();
  loop.Stop();
  int after_stop = runs.load();
  EXPECT_EQ(after_stop, 2);
  loop.Wake();
  EXPECT_EQ(runs.load(), after_stop) << "a stopped loop ran again";
}

TEST(BackgroundLoopTest, StartTwiceKeepsOneThreadAndStopWithoutStartIsHarmless) {
  BackgroundLoop idle;
  idle.Stop();
  BackgroundLoop loop;
  std::atomic<int> a{0};
  std::atomic<int> b{0};
  std::promise<void> ran;
  loop.Start([&] {
    if (++a == 1) {
      ran.set_value();
    }
    return std::chrono::duration_cast<milliseconds>(hours(1));
  });
  loop.Start([&] {
    ++b;
    return milliseconds(0);
  });
  ran.get_future().wait();
  loop.Stop();
  EXPECT_EQ(b.load(), 0) << "a second Start replaced the running step";
}

}  // namespace
}  // namespace signet
