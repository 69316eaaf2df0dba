#include "server/durable_kill_switch.h"

#include <gtest/gtest.h>

#include <memory>

#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet::server {
namespace {

using ::signet::testing::IsOk;

class DurableKillSwitchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::OpenSqliteStore(dir_.File("signet.db"));
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
    durable_ = std::make_unique<DurableKillSwitch>(*store_, kill_, clock_);
  }

  int64_t Now() const { return ToUnixSecondsFloor(clock_.Now()); }

  testing::TempDir dir_;
  SimulatedClock clock_;
  std::unique_ptr<store::Store> store_;
  policy::KillSwitch kill_;
  std::unique_ptr<DurableKillSwitch> durable_;
};

TEST_F(DurableKillSwitchTest, SuspendReachesStoreAndMemory) {
  ASSERT_THAT(durable_->Suspend({"billing-api", "incident 42", "tok-1", Now()}), IsOk());
  EXPECT_TRUE(durable_->state().IsSuspended("billing-api"));
  auto rows = store_->ListSuspensions();
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].reason, "incident 42");

  auto removed = durable_->Resume("billing-api");
  ASSERT_THAT(removed, IsOk());
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(durable_->state().IsSuspended("billing-api"));
  removed = durable_->Resume("billing-api");
  ASSERT_THAT(removed, IsOk());
  EXPECT_FALSE(*removed) << "nothing left to resume";
}

// Another replica writes to the same store; Reload is how this one learns of it.
TEST_F(DurableKillSwitchTest, ReloadPicksUpChangesMadeElsewhere) {
  ASSERT_THAT(durable_->Suspend({"lifted-elsewhere", "r", "tok-1", Now()}), IsOk());
  ASSERT_THAT(store_->PutSuspension({"suspended-elsewhere", "r", "tok-2", Now()}), IsOk());
  ASSERT_THAT(store_->DeleteSuspension("lifted-elsewhere"), IsOk());
  ASSERT_THAT(store_->PutRevocation({"jti-1", "leaked", "tok-2", Now(), Now() + 600}), IsOk());
  EXPECT_FALSE(durable_->state().IsSuspended("suspended-elsewhere"));

  ASSERT_THAT(durable_->Reload(), IsOk());
  EXPECT_TRUE(durable_->state().IsSuspended("suspended-elsewhere"));
  EXPECT_FALSE(durable_->state().IsSuspended("lifted-elsewhere"));
  EXPECT_TRUE(durable_->state().IsRevoked("jti-1"));
}

TEST_F(DurableKillSwitchTest, RevocationIsForgottenOnceItsTokenExpired) {
  ASSERT_THAT(durable_->Revoke({"jti-1", "leaked", "tok-1", Now(), Now() + 60}), IsOk());
  EXPECT_TRUE(durable_->state().IsRevoked("jti-1"));
  clock_.Advance(std::chrono::seconds(61));
  ASSERT_THAT(durable_->Reload(), IsOk());
  EXPECT_FALSE(durable_->state().IsRevoked("jti-1"));
}

}  // namespace
}  // namespace signet::server
