#include "server/signing_key_rotator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "store/signing_keys.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet::server {
namespace {

using ::signet::testing::FailsWith;
using ::signet::testing::IsOk;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

std::vector<std::string> Kids(const jose::Jwks& jwks) {
  std::vector<std::string> kids;
  for (const auto& key : jwks.keys()) {
    kids.push_back(key.kid());
  }
  std::sort(kids.begin(), kids.end());
  return kids;
}

std::vector<std::string> Sorted(std::vector<std::string> kids) {
  std::sort(kids.begin(), kids.end());
  return kids;
}

class SigningKeyRotatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::OpenSqliteStore(dir_.File("signet.db"));
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
    options_.algorithm = jose::Algorithm::kES256;
    options_.settings.prepublish = hours(1);
    options_.settings.rotate_every = seconds(0);  // by hand unless a test says otherwise
    options_.settings.max_token_lifetime = minutes(10);
    options_.settings.margin = minutes(5);
    options_.check_every = seconds(60);
  }

  std::unique_ptr<SigningKeyRotator> Make() {
    auto rotator = SigningKeyRotator::Create(*store_, master_key_, options_, random_, clock_);
    EXPECT_THAT(rotator, IsOk());
    return rotator.ok() ? std::move(*rotator) : nullptr;
  }

  size_t StoredKeys() {
    auto rows = store_->ListSigningKeys();
    EXPECT_THAT(rows, IsOk());
    return rows.ok() ? rows->size() : 0;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  Secret master_key_ = Secret(std::string(32, 'm'));
  SeededRandom random_{7};
  SimulatedClock clock_;
  SigningKeyRotatorOptions options_;
};

TEST_F(SigningKeyRotatorTest, StartsWithOneKeyThatSignsAndIsPublished) {
  auto rotator = Make();
  ASSERT_NE(rotator, nullptr);
  std::string kid = rotator->SigningKey()->kid();
  EXPECT_EQ(Kids(*rotator->PublishedKeys()), std::vector<std::string>{kid});
  EXPECT_EQ(StoredKeys(), 1u);
  // A second start loads the same key.
  auto again = Make();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->SigningKey()->kid(), kid);
}

TEST_F(SigningKeyRotatorTest, ARotationPublishesFirstThenSignsThenUnpublishesTheOldKey) {
  auto rotator = Make();
  ASSERT_NE(rotator, nullptr);
  std::string old_kid = rotator->SigningKey()->kid();

  auto created = rotator->RotateNow();
  ASSERT_THAT(created, IsOk());
  std::string new_kid = created->kid;
  EXPECT_NE(new_kid, old_kid);
  EXPECT_EQ(created->activates_at, ToUnixSecondsFloor(clock_.Now() + hours(1)));
  EXPECT_TRUE(created->sealed_private_key.empty());

  // Before activation: the old key signs, both are published.
  EXPECT_EQ(rotator->SigningKey()->kid(), old_kid);
  EXPECT_EQ(Kids(*rotator->PublishedKeys()), Sorted({old_kid, new_kid}));
  EXPECT_THAT(rotator->RotateNow(), FailsWith("signing_key_pending"));
  clock_.Advance(minutes(59));
  ASSERT_THAT(rotator->Tick(), IsOk());
  EXPECT_EQ(rotator->SigningKey()->kid(), old_kid);
  // A request in flight keeps the key it loaded, whatever happens meanwhile.
  std::shared_ptr<const jose::SigningKey> in_flight = rotator->SigningKey();

  // At activation: the new key signs; the old one stays published for its tokens.
  clock_.Advance(minutes(1));
  EXPECT_LE(rotator->NextTick(), clock_.Now());
  ASSERT_THAT(rotator->Tick(), IsOk());
  EXPECT_EQ(rotator->SigningKey()->kid(), new_kid);
  EXPECT_EQ(Kids(*rotator->PublishedKeys()), Sorted({old_kid, new_kid}));
  EXPECT_EQ(in_flight->kid(), old_kid);

  // max_token_lifetime + margin after retirement: the old key is gone, from the store too.
  clock_.Advance(minutes(15) - seconds(1));
  ASSERT_THAT(rotator->Tick(), IsOk());
  EXPECT_EQ(Kids(*rotator->PublishedKeys()), Sorted({old_kid, new_kid}));
  clock_.Advance(seconds(1));
  ASSERT_THAT(rotator->Tick(), IsOk());
  EXPECT_EQ(Kids(*rotator->PublishedKeys()), std::vector<std::string>{new_kid});
  EXPECT_EQ(rotator->SigningKey()->kid(), new_kid);
  EXPECT_EQ(StoredKeys(), 1u);
}

// An applied configuration raised a max_ttl: a key retired after that stays published
// for the longer tokens, while a shorter lifetime never cuts publication short.
TEST_F(SigningKeyRotatorTest, ARaisedTokenLifetimeKeepsRetiredKeysPublishedLonger) {
  auto rotator = Make();
  ASSERT_NE(rotator, nullptr);
  std::string old_kid = rotator->SigningKey()->kid();
  // Raised during the rotation's pre-publication, after the old key's schedule was set.
  ASSERT_THAT(rotator->RotateNow(), IsOk());
  clock_.Advance(minutes(30));
  rotator->RaiseMaxTokenLifetime(hours(2));
  rotator->RaiseMaxTokenLifetime(minutes(1));
  EXPECT_LE(rotator->NextTick(), clock_.Now()) << "the new lifetime waits for a tick";
  ASSERT_THAT(rotator->Tick(), IsOk());
  clock_.Advance(minutes(30));
  ASSERT_THAT(rotator->Tick(), IsOk());
  ASSERT_NE(rotator->SigningKey()->kid(), old_kid);
  // 2 h + the 5 min margin after retirement, not the 10 min + margin of the options.
  clock_.Advance(hours(2) + minutes(5) - seconds(1));
  ASSERT_THAT(rotator->Tick(), IsOk());
  EXPECT_EQ(Kids(*rotator->PublishedKeys()).size(), 2u);
  clock_.Advance(seconds(1));
  ASSERT_THAT(rotator->Tick(), IsOk());
  EXPECT_EQ(Kids(*rotator->PublishedKeys()).size(), 1u);
}

TEST_F(SigningKeyRotatorTest, TickIsIdempotent) {
  auto rotator = Make();
  ASSERT_NE(rotator, nullptr);
  ASSERT_THAT(rotator->RotateNow(), IsOk());
  std::shared_ptr<const SigningKeySnapshot> before = rotator->Current();
  // Nothing due yet: the snapshot stays the very same object.
  ASSERT_THAT(rotator->Tick(), IsOk());
  ASSERT_THAT(rotator->Tick(), IsOk());
  EXPECT_EQ(rotator->Current(), before);

  clock_.Advance(hours(1));
  ASSERT_THAT(rotator->Tick(), IsOk());
  std::shared_ptr<const SigningKeySnapshot> activated = rotator->Current();
  EXPECT_NE(activated, before);
  ASSERT_THAT(rotator->Tick(), IsOk());
  ASSERT_THAT(rotator->Tick(), IsOk());
  EXPECT_EQ(rotator->Current(), activated);
  EXPECT_EQ(StoredKeys(), 2u);
}

TEST_F(SigningKeyRotatorTest, NextTickIsTheNextChangeOrTheCheckInterval) {
  options_.check_every = hours(2);
  auto rotator = Make();
  ASSERT_NE(rotator, nullptr);
  EXPECT_EQ(rotator->NextTick(), clock_.Now() + hours(2));  // nothing scheduled
  auto created = rotator->RotateNow();
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(rotator->NextTick(), FromUnixSeconds(created->activates_at));
}

TEST_F(SigningKeyRotatorTest, RotatesOnScheduleWhenRotateEveryIsSet) {
  options_.settings.rotate_every = hours(2);
  auto rotator = Make();
  ASSERT_NE(rotator, nullptr);
  std::string first = rotator->SigningKey()->kid();
  // rotate_every - prepublish after the first key activated, its successor is published.
  clock_.Advance(hours(1) - seconds(1));
  ASSERT_THAT(rotator->Tick(), IsOk());
  EXPECT_EQ(rotator->PublishedKeys()->keys().size(), 1u);
  clock_.Advance(seconds(1));
  ASSERT_THAT(rotator->Tick(), IsOk());
  ASSERT_EQ(rotator->PublishedKeys()->keys().size(), 2u);
  EXPECT_EQ(rotator->SigningKey()->kid(), first);
  clock_.Advance(hours(1));
  ASSERT_THAT(rotator->Tick(), IsOk());
  EXPECT_NE(rotator->SigningKey()->kid(), first);
}

TEST_F(SigningKeyRotatorTest, SeesAnotherProcesssRotationWithinTheCheckInterval) {
  auto rotator = Make();
  ASSERT_NE(rotator, nullptr);
  // Another replica (or `signet`) rotates in the shared store.
  ASSERT_THAT(store::RotateSigningKeyNow(*store_, master_key_, options_.algorithm, random_, clock_,
                                         options_.settings),
              IsOk());
  ASSERT_THAT(rotator->Tick(), IsOk());
  EXPECT_EQ(rotator->PublishedKeys()->keys().size(), 1u);  // not re-read yet
  clock_.Advance(options_.check_every);
  ASSERT_THAT(rotator->Tick(), IsOk());
  EXPECT_EQ(rotator->PublishedKeys()->keys().size(), 2u);
}

TEST_F(SigningKeyRotatorTest, RefusesBadSettings) {
  options_.settings.rotate_every = minutes(30);  // shorter than prepublish
  EXPECT_THAT(SigningKeyRotator::Create(*store_, master_key_, options_, random_, clock_),
              FailsWith("signing_key_rotation_invalid"));
  options_.settings.rotate_every = seconds(0);
  options_.check_every = seconds(0);
  EXPECT_THAT(SigningKeyRotator::Create(*store_, master_key_, options_, random_, clock_),
              FailsWith("signing_key_rotation_invalid"));
}

TEST_F(SigningKeyRotatorTest, TheBackgroundThreadStartsAndStops) {
  auto rotator = Make();
  ASSERT_NE(rotator, nullptr);
  rotator->Start();
  rotator->Start();  // once is enough
  rotator->Stop();
  rotator->Stop();
}

}  // namespace
}  // namespace signet::server
