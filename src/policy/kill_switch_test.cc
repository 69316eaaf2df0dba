#include "policy/kill_switch.h"

#include <gtest/gtest.h>

#include <thread>

namespace signet::policy {
namespace {

const SystemTime kNow = FromUnixSeconds(1'700'000'000);

TEST(KillSwitchTest, SuspendAndResume) {
  KillSwitch kill;
  EXPECT_FALSE(kill.IsSuspended("billing"));
  kill.Suspend("billing", {"leaked key", "tok-1", kNow});
  ASSERT_TRUE(kill.IsSuspended("billing"));
  EXPECT_EQ(kill.SuspensionOf("billing")->reason, "leaked key");
  EXPECT_EQ(kill.SuspensionOf("billing")->actor, "tok-1");
  EXPECT_FALSE(kill.IsSuspended("orders"));
  kill.Suspend("billing", {"incident 42", "tok-2", kNow});  // a second suspend replaces
  EXPECT_EQ(kill.SuspensionOf("billing")->reason, "incident 42");
  kill.Suspend("api", {"r", "tok-1", kNow});
  EXPECT_EQ(kill.Suspended(), (std::vector<std::string>{"api", "billing"}));
  kill.Resume("billing");
  EXPECT_FALSE(kill.IsSuspended("billing"));
  EXPECT_EQ(kill.Suspended(), std::vector<std::string>{"api"});
  kill.Resume("billing");  // resuming a running workload is harmless
  EXPECT_FALSE(kill.IsSuspended("billing"));
}

TEST(KillSwitchTest, RevocationsDropExpiredTokensOnWrite) {
  KillSwitch kill;
  kill.Revoke({"jti-old", kNow + std::chrono::seconds(10)}, kNow);
  kill.Revoke({"jti-new", kNow + std::chrono::hours(1)}, kNow);
  EXPECT_TRUE(kill.IsRevoked("jti-old"));
  EXPECT_TRUE(kill.IsRevoked("jti-new"));
  EXPECT_FALSE(kill.IsRevoked("jti-other"));
  kill.Revoke({"jti-later", kNow + std::chrono::hours(2)}, kNow + std::chrono::seconds(11));
  EXPECT_FALSE(kill.IsRevoked("jti-old"));  // expired: dropped
  EXPECT_TRUE(kill.IsRevoked("jti-new"));
  EXPECT_TRUE(kill.IsRevoked("jti-later"));
}

TEST(KillSwitchTest, LoadReplacesEverything) {
  KillSwitch kill;
  kill.Suspend("a", {"r", "t", kNow});
  kill.Revoke({"j", kNow + std::chrono::hours(1)}, kNow);
  kill.Load({{"b", Suspension{"r2", "t2", kNow}}}, {{"k", kNow + std::chrono::hours(1)}});
  EXPECT_FALSE(kill.IsSuspended("a"));
  EXPECT_TRUE(kill.IsSuspended("b"));
  EXPECT_FALSE(kill.IsRevoked("j"));
  EXPECT_TRUE(kill.IsRevoked("k"));
}

// Writers copy the latest state under one lock: two threads suspending different
// workloads at once lose none of them, while readers keep reading.
TEST(KillSwitchTest, ConcurrentWritersLoseNoUpdate) {
  KillSwitch kill;
  auto suspend_range = [&kill](int from) {
    for (int i = from; i < from + 500; ++i) {
      kill.Suspend("w" + std::to_string(i), {"r", "t", kNow});
      EXPECT_TRUE(kill.IsSuspended("w" + std::to_string(i)));
    }
  };
  std::thread first(suspend_range, 0);
  std::thread second(suspend_range, 500);
  first.join();
  second.join();
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(kill.IsSuspended("w" + std::to_string(i))) << i;
  }
}

}  // namespace
}  // namespace signet::policy
