#include "store/signing_keys.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet::store {
namespace {

using ::signet::testing::FailsWithCode;
using ::signet::testing::IsOk;

class SigningKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenSqliteStore(dir_.File("signet.db"));
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  Secret master_key_ = Secret(std::string(32, 'm'));
  SeededRandom random_{7};
  SimulatedClock clock_;
};

TEST_F(SigningKeysTest, FirstCallCreatesSealedKeyNamedByThumbprint) {
  auto keys =
      LoadOrCreateSigningKeys(*store_, master_key_, jose::Algorithm::kES256, random_, clock_);
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ(keys->current.kid(), keys->current.public_jwk().Thumbprint());
  EXPECT_EQ(keys->current.algorithm(), jose::Algorithm::kES256);
  ASSERT_EQ(keys->published.keys().size(), 1u);
  EXPECT_EQ(keys->published.keys()[0].kid(), keys->current.kid());

  auto rows = store_->ListSigningKeys();
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].kid, keys->current.kid());
  EXPECT_EQ((*rows)[0].algorithm, "ES256");
  EXPECT_EQ((*rows)[0].created_at, ToUnixSecondsFloor(clock_.Now()));
  EXPECT_EQ((*rows)[0].sealed_private_key.find("PRIVATE KEY"), std::string::npos);
}

TEST_F(SigningKeysTest, SecondCallReturnsTheSameKey) {
  auto first =
      LoadOrCreateSigningKeys(*store_, master_key_, jose::Algorithm::kES256, random_, clock_);
  ASSERT_THAT(first, IsOk());
  auto second =
      LoadOrCreateSigningKeys(*store_, master_key_, jose::Algorithm::kES256, random_, clock_);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->current.kid(), first->current.kid());
  EXPECT_TRUE(second->current.ToPkcs8Pem().Equals(first->current.ToPkcs8Pem()));
  EXPECT_EQ(second->published.keys().size(), 1u);
}

TEST_F(SigningKeysTest, NewAlgorithmAddsAKeyAndKeepsTheOldOnePublished) {
  auto es = LoadOrCreateSigningKeys(*store_, master_key_, jose::Algorithm::kES256, random_, clock_);
  ASSERT_THAT(es, IsOk());
  clock_.Advance(std::chrono::hours(1));
  auto ed = LoadOrCreateSigningKeys(*store_, master_key_, jose::Algorithm::kEdDSA, random_, clock_);
  ASSERT_THAT(ed, IsOk());
  EXPECT_EQ(ed->current.algorithm(), jose::Algorithm::kEdDSA);
  EXPECT_NE(ed->current.kid(), es->current.kid());
  ASSERT_EQ(ed->published.keys().size(), 2u);
  EXPECT_EQ(ed->published.keys()[0].kid(), es->current.kid());  // oldest first
  EXPECT_EQ(ed->published.keys()[1].kid(), ed->current.kid());
}

TEST_F(SigningKeysTest, DifferentMasterKeyFailsToDecrypt) {
  ASSERT_THAT(
      LoadOrCreateSigningKeys(*store_, master_key_, jose::Algorithm::kES256, random_, clock_),
      IsOk());
  auto keys = LoadOrCreateSigningKeys(*store_, Secret(std::string(32, 'M')),
                                      jose::Algorithm::kES256, random_, clock_);
  EXPECT_THAT(keys, FailsWithCode(ErrorCode::kServerError, "decrypt_failed"));
  // Nothing new was generated to paper over the failure.
  auto rows = store_->ListSigningKeys();
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ(rows->size(), 1u);
}

TEST_F(SigningKeysTest, SealedKeyMovedToAnotherKidFailsToDecrypt) {
  auto keys =
      LoadOrCreateSigningKeys(*store_, master_key_, jose::Algorithm::kES256, random_, clock_);
  ASSERT_THAT(keys, IsOk());
  auto rows = store_->ListSigningKeys();
  ASSERT_THAT(rows, IsOk());
  SigningKeyRow moved = (*rows)[0];
  moved.kid = "attacker-chosen";
  moved.created_at += 1;
  ASSERT_THAT(store_->InsertSigningKey(moved), IsOk());
  EXPECT_THAT(
      LoadOrCreateSigningKeys(*store_, master_key_, jose::Algorithm::kES256, random_, clock_),
      FailsWithCode(ErrorCode::kServerError, "decrypt_failed"));
}

TEST_F(SigningKeysTest, UnknownStoredAlgorithmFails) {
  auto keys =
      LoadOrCreateSigningKeys(*store_, master_key_, jose::Algorithm::kES256, random_, clock_);
  ASSERT_THAT(keys, IsOk());
  auto rows = store_->ListSigningKeys();
  ASSERT_THAT(rows, IsOk());
  SigningKeyRow odd = (*rows)[0];
  odd.kid = "odd";
  odd.algorithm = "HS256";
  ASSERT_THAT(store_->InsertSigningKey(odd), IsOk());
  EXPECT_THAT(
      LoadOrCreateSigningKeys(*store_, master_key_, jose::Algorithm::kES256, random_, clock_),
      FailsWithCode(ErrorCode::kServerError, "signing_key_invalid"));
}

}  // namespace
}  // namespace signet::store
