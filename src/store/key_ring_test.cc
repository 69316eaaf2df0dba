#include "store/key_ring.h"

#include <gtest/gtest.h>

#include "common/aead.h"
#include "common/random.h"
#include "support/status_matchers.h"

namespace signet::store {
namespace {

using ::signet::testing::FailsWith;
using ::signet::testing::FailsWithCode;
using ::signet::testing::IsOk;

constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 24 * kHour;

SigningKeyRow Row(std::string kid, std::string alg, int64_t activates_at, int64_t retires_at = 0,
                  int64_t unpublish_at = 0) {
  SigningKeyRow row;
  row.kid = std::move(kid);
  row.algorithm = std::move(alg);
  row.created_at = activates_at;
  row.activates_at = activates_at;
  row.retires_at = retires_at;
  row.unpublish_at = unpublish_at;
  return row;
}

TEST(RotationSettingsTest, DefaultsAreValidAndLooseSettingsAreRefused) {
  EXPECT_THAT(ValidateRotationSettings({}), IsOk());
  RotationSettings never;
  never.rotate_every = std::chrono::seconds(0);
  EXPECT_THAT(ValidateRotationSettings(never), IsOk());

  std::vector<RotationSettings> bad(4);
  bad[0].prepublish = std::chrono::seconds(-1);
  bad[1].margin = std::chrono::seconds(-1);
  bad[2].max_token_lifetime = std::chrono::seconds(0);
  bad[3].rotate_every = bad[3].prepublish - std::chrono::seconds(1);
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_THAT(ValidateRotationSettings(bad[i]),
                FailsWithCode(ErrorCode::kInvalidConfig, "signing_key_rotation_invalid"))
        << i;
  }
}

TEST(KeyScheduleTest, TheNewestActiveKeyOfTheAlgorithmSigns) {
  std::vector<SigningKeyRow> rows = {
      Row("old", "ES256", 100, 200, 500),  // retired at 200
      Row("ed", "EdDSA", 150),             // another algorithm
      Row("cur", "ES256", 200),            // active from 200
      Row("next", "ES256", 300),           // pending until 300
  };
  EXPECT_EQ(SignerAt(rows, "ES256", 99), std::nullopt);
  EXPECT_EQ(SignerAt(rows, "ES256", 100), 0u);
  EXPECT_EQ(SignerAt(rows, "ES256", 199), 0u);
  EXPECT_EQ(SignerAt(rows, "ES256", 200), 2u);
  EXPECT_EQ(SignerAt(rows, "ES256", 299), 2u);
  EXPECT_EQ(SignerAt(rows, "ES256", 300), 3u);  // newest activation wins even unretired
  EXPECT_EQ(SignerAt(rows, "EdDSA", 300), 1u);
  EXPECT_EQ(SignerAt(rows, "RS256", 300), std::nullopt);
  EXPECT_EQ(PendingAt(rows, "ES256", 299), 3u);
  EXPECT_EQ(PendingAt(rows, "ES256", 300), std::nullopt);
  EXPECT_EQ(PendingAt(rows, "EdDSA", 0), 1u);
}

TEST(KeyScheduleTest, AKeyIsPublishedFromInsertionUntilUnpublishAt) {
  SigningKeyRow pending = Row("p", "ES256", 1000);
  EXPECT_TRUE(IsPublishedAt(pending, 0));
  EXPECT_FALSE(IsActiveAt(pending, 999));
  EXPECT_TRUE(IsActiveAt(pending, 1000));
  SigningKeyRow retired = Row("r", "ES256", 0, 100, 200);
  EXPECT_TRUE(IsActiveAt(retired, 99));
  EXPECT_FALSE(IsActiveAt(retired, 100));
  EXPECT_TRUE(IsPublishedAt(retired, 199));
  EXPECT_FALSE(IsPublishedAt(retired, 200));
}

TEST(KeyScheduleTest, EachKeyRetiresWhenTheNextOfItsAlgorithmActivates) {
  RotationSettings settings;
  settings.max_token_lifetime = std::chrono::seconds(kHour);
  settings.margin = std::chrono::seconds(60);
  std::vector<SigningKeyRow> rows = {
      Row("a", "ES256", 100),
      Row("ed", "EdDSA", 150),
      Row("b", "ES256", 200),
      Row("done", "ES256", 50, 100, 100 + kHour + 60),  // already retires in time
      Row("c", "ES256", 300),
  };
  std::vector<SigningKeySchedule> schedules = ScheduleRetirements(rows, settings);
  ASSERT_EQ(schedules.size(), 2u);
  EXPECT_EQ(schedules[0].kid, "a");
  EXPECT_EQ(schedules[0].retires_at, 200);
  EXPECT_EQ(schedules[0].unpublish_at, 200 + kHour + 60);
  EXPECT_EQ(schedules[1].kid, "b");
  EXPECT_EQ(schedules[1].retires_at, 300);
  EXPECT_EQ(schedules[1].unpublish_at, 300 + kHour + 60);
  // Applied, nothing is left to schedule.
  rows[0].retires_at = 200;
  rows[0].unpublish_at = schedules[0].unpublish_at;
  rows[2].retires_at = 300;
  rows[2].unpublish_at = schedules[1].unpublish_at;
  EXPECT_TRUE(ScheduleRetirements(rows, settings).empty());
}

// A configuration raised max_ttl while a key was retiring: its tokens may live longer,
// so it stays published longer; a lower lifetime (another replica's) never shortens it.
TEST(KeyScheduleTest, ALongerTokenLifetimeLengthensPublicationAndAShorterOneNever) {
  RotationSettings settings;
  settings.max_token_lifetime = std::chrono::seconds(kHour);
  settings.margin = std::chrono::seconds(60);
  std::vector<SigningKeyRow> rows = {
      Row("old", "ES256", 100, 200, 200 + kHour + 60),
      Row("new", "ES256", 200),
  };
  EXPECT_TRUE(ScheduleRetirements(rows, settings).empty());
  settings.max_token_lifetime = std::chrono::seconds(3 * kHour);
  std::vector<SigningKeySchedule> longer = ScheduleRetirements(rows, settings);
  ASSERT_EQ(longer.size(), 1u);
  EXPECT_EQ(longer[0].kid, "old");
  EXPECT_EQ(longer[0].retires_at, 200);
  EXPECT_EQ(longer[0].unpublish_at, 200 + 3 * kHour + 60);
  rows[0].unpublish_at = longer[0].unpublish_at;
  settings.max_token_lifetime = std::chrono::seconds(kHour);
  EXPECT_TRUE(ScheduleRetirements(rows, settings).empty());
}

TEST(KeyScheduleTest, RotationIsDueSoThatTheNextKeyActivatesRotateEveryAfterTheSigner) {
  RotationSettings settings;
  settings.prepublish = std::chrono::seconds(kDay);
  settings.rotate_every = std::chrono::seconds(30 * kDay);
  std::vector<SigningKeyRow> rows = {Row("a", "ES256", 1000)};
  EXPECT_EQ(NextRotationAt(rows, "ES256", 1000, settings), 1000 + 29 * kDay);
  EXPECT_EQ(RotationActivatesAt(rows, "ES256", 1000 + 29 * kDay, settings), 1000 + 30 * kDay);
  // Late (signetd was down): the new key still gets its full pre-publication.
  EXPECT_EQ(RotationActivatesAt(rows, "ES256", 1000 + 40 * kDay, settings), 1000 + 41 * kDay);
  EXPECT_EQ(NextRotationAt(rows, "EdDSA", 1000, settings), std::nullopt);  // nothing signs

  rows.push_back(Row("b", "ES256", 1000 + 30 * kDay));
  EXPECT_EQ(NextRotationAt(rows, "ES256", 1000 + 29 * kDay, settings), std::nullopt);  // pending

  settings.rotate_every = std::chrono::seconds(0);
  EXPECT_EQ(NextRotationAt({Row("a", "ES256", 1000)}, "ES256", 1000, settings), std::nullopt);
  EXPECT_EQ(RotationActivatesAt({Row("a", "ES256", 1000)}, "ES256", 5000, settings), 5000 + kDay);
}

TEST(KeyScheduleTest, NextChangeIsTheFirstScheduledTimeOrNowWhenWorkIsDue) {
  RotationSettings settings;
  settings.prepublish = std::chrono::seconds(kDay);
  settings.rotate_every = std::chrono::seconds(30 * kDay);
  std::vector<SigningKeyRow> rows = {Row("old", "ES256", 0, 1000, 5000), Row("cur", "ES256", 1000)};
  EXPECT_EQ(NextChangeAt(rows, "ES256", 1500, settings), 5000);  // old leaves the JWKS
  EXPECT_EQ(NextChangeAt(rows, "ES256", 6000, settings), 6000);  // old is to be deleted
  rows.erase(rows.begin());
  EXPECT_EQ(NextChangeAt(rows, "ES256", 1500, settings), 1000 + 29 * kDay);  // rotation
  EXPECT_EQ(NextChangeAt(rows, "ES256", 1000 + 35 * kDay, settings), 1000 + 35 * kDay);
  rows.push_back(Row("next", "ES256", 1000 + 30 * kDay));
  EXPECT_EQ(NextChangeAt(rows, "ES256", 1000 + 29 * kDay, settings), 1000 + 30 * kDay);
  settings.rotate_every = std::chrono::seconds(0);
  EXPECT_EQ(NextChangeAt({Row("cur", "ES256", 1000)}, "ES256", 1500, settings), std::nullopt);
}

class KeyRingTest : public ::testing::Test {
 protected:
  SigningKeyRow Sealed(SigningKeyRow row, jose::Algorithm alg = jose::Algorithm::kES256) {
    auto key = jose::SigningKey::Generate(alg, row.kid);
    EXPECT_THAT(key, IsOk());
    auto sealed = AeadSeal(master_key_, key->ToPkcs8Pem(), row.kid, random_);
    EXPECT_THAT(sealed, IsOk());
    row.sealed_private_key = *sealed;
    return row;
  }
  std::vector<std::string> Kids(const jose::Jwks& jwks) {
    std::vector<std::string> kids;
    for (const jose::Jwk& jwk : jwks.keys()) {
      kids.push_back(jwk.kid());
    }
    return kids;
  }

  Secret master_key_ = Secret(std::string(32, 'm'));
  SeededRandom random_{11};
};

TEST_F(KeyRingTest, AtGivesTheSignerAndEveryPublishedKey) {
  auto ring = KeyRing::Open(
      {Sealed(Row("old", "ES256", 100, 200, 400)), Sealed(Row("cur", "ES256", 200)),
       Sealed(Row("next", "ES256", 300)), Sealed(Row("ed", "EdDSA", 50), jose::Algorithm::kEdDSA)},
      master_key_);
  ASSERT_THAT(ring, IsOk());
  auto at = ring->At(FromUnixSeconds(250), jose::Algorithm::kES256);
  ASSERT_THAT(at, IsOk());
  EXPECT_EQ(at->current.kid(), "cur");
  EXPECT_EQ(Kids(at->published), (std::vector<std::string>{"old", "cur", "next", "ed"}));
  at = ring->At(FromUnixSeconds(400), jose::Algorithm::kES256);
  ASSERT_THAT(at, IsOk());
  EXPECT_EQ(at->current.kid(), "next");
  EXPECT_EQ(Kids(at->published), (std::vector<std::string>{"cur", "next", "ed"}));
  EXPECT_EQ(ring->At(FromUnixSeconds(400), jose::Algorithm::kEdDSA)->current.kid(), "ed");
  EXPECT_THAT(ring->At(FromUnixSeconds(99), jose::Algorithm::kES256),
              FailsWith("signing_key_missing"));
  EXPECT_EQ(ring->NextChange(FromUnixSeconds(250), jose::Algorithm::kES256, {}),
            FromUnixSeconds(300));
}

TEST_F(KeyRingTest, AWrongMasterKeyFailsToOpen) {
  EXPECT_THAT(KeyRing::Open({Sealed(Row("k", "ES256", 1))}, Secret(std::string(32, 'M'))),
              FailsWithCode(ErrorCode::kServerError, "decrypt_failed"));
}

}  // namespace
}  // namespace signet::store
