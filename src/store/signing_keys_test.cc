#include "store/signing_keys.h"

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <functional>
#include <thread>
#include <utility>

#include "common/aead.h"
#include "jose/jwt.h"
#include "support/forwarding_store.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet::store {
namespace {

using ::signet::testing::FailsWith;
using ::signet::testing::FailsWithCode;
using ::signet::testing::IsOk;

constexpr auto kEs256 = jose::Algorithm::kES256;

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

TEST_F(SigningKeysTest, FirstKeyIsActiveAtOnceWithoutRetirement) {
  ASSERT_THAT(LoadOrCreateSigningKeys(*store_, master_key_, kEs256, random_, clock_), IsOk());
  auto rows = store_->ListSigningKeys();
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].activates_at, (*rows)[0].created_at);
  EXPECT_EQ((*rows)[0].retires_at, 0);
  EXPECT_EQ((*rows)[0].unpublish_at, 0);
}

// The lifecycle of a rotation, with every time driven by the simulated clock.
class RotationTest : public SigningKeysTest {
 protected:
  void SetUp() override {
    SigningKeysTest::SetUp();
    settings_.prepublish = std::chrono::hours(24);
    settings_.rotate_every = std::chrono::hours(24 * 30);
    settings_.max_token_lifetime = std::chrono::hours(1);
    settings_.margin = std::chrono::minutes(15);
    auto first = LoadOrCreateSigningKeys(*store_, master_key_, kEs256, random_, clock_, settings_);
    ASSERT_THAT(first, IsOk());
    first_kid_ = first->current.kid();
    start_ = ToUnixSecondsFloor(clock_.Now());
  }

  int64_t Now() const { return ToUnixSecondsFloor(clock_.Now()); }
  void AdvanceTo(int64_t t) { clock_.SetWallTime(FromUnixSeconds(t)); }

  SigningKeys At(const KeyRing& ring, int64_t t) {
    auto keys = ring.At(FromUnixSeconds(t), kEs256);
    EXPECT_THAT(keys, IsOk());
    return *std::move(keys);  // throws (the test fails) when there is none
  }
  static std::vector<std::string> Kids(const jose::Jwks& jwks) {
    std::vector<std::string> kids;
    for (const jose::Jwk& jwk : jwks.keys()) {
      kids.push_back(jwk.kid());
    }
    return kids;
  }
  size_t StoredKeys() {
    auto rows = store_->ListSigningKeys();
    EXPECT_THAT(rows, IsOk());
    return rows.ok() ? rows->size() : 0;
  }
  Result<KeyRing> Maintain() {
    return MaintainSigningKeys(*store_, master_key_, kEs256, random_, clock_, settings_);
  }

  RotationSettings settings_;
  std::string first_kid_;
  int64_t start_ = 0;
};

TEST_F(RotationTest, NewKeyIsPublishedBeforeItSignsAndTheOldOneUntilItsTokensExpire) {
  AdvanceTo(start_ + 3600);
  auto ring = RotateSigningKeyNow(*store_, master_key_, kEs256, random_, clock_, settings_);
  ASSERT_THAT(ring, IsOk());
  ASSERT_EQ(ring->rows().size(), 2u);
  const SigningKeyRow old_row = ring->rows()[0];
  const SigningKeyRow new_row = ring->rows()[1];
  EXPECT_EQ(old_row.kid, first_kid_);
  EXPECT_EQ(new_row.created_at, Now());
  EXPECT_EQ(new_row.activates_at, Now() + 24 * 3600);
  EXPECT_EQ(old_row.retires_at, new_row.activates_at);
  EXPECT_EQ(old_row.unpublish_at, new_row.activates_at + 3600 + 15 * 60);
  EXPECT_EQ(new_row.retires_at, 0);
  EXPECT_EQ(new_row.unpublish_at, 0);

  // Pre-publication: the new key is in the JWKS, the old one signs.
  SigningKeys keys = At(*ring, Now());
  EXPECT_EQ(keys.current.kid(), first_kid_);
  EXPECT_EQ(Kids(keys.published), (std::vector<std::string>{first_kid_, new_row.kid}));
  EXPECT_EQ(At(*ring, new_row.activates_at - 1).current.kid(), first_kid_);
  EXPECT_EQ(ring->NextChange(clock_.Now(), kEs256, settings_),
            FromUnixSeconds(new_row.activates_at));

  // Activation: the new key signs, the old one is still published.
  keys = At(*ring, new_row.activates_at);
  EXPECT_EQ(keys.current.kid(), new_row.kid);
  EXPECT_EQ(Kids(keys.published), (std::vector<std::string>{first_kid_, new_row.kid}));
  EXPECT_EQ(At(*ring, old_row.unpublish_at - 1).published.keys().size(), 2u);

  // Past unpublish_at the old key is gone from the JWKS, and Maintain deletes it.
  EXPECT_EQ(Kids(At(*ring, old_row.unpublish_at).published), std::vector<std::string>{new_row.kid});
  AdvanceTo(old_row.unpublish_at - 1);
  ASSERT_THAT(Maintain(), IsOk());
  EXPECT_EQ(StoredKeys(), 2u);
  AdvanceTo(old_row.unpublish_at);
  auto after = Maintain();
  ASSERT_THAT(after, IsOk());
  ASSERT_EQ(after->rows().size(), 1u);
  EXPECT_EQ(after->rows()[0].kid, new_row.kid);
  EXPECT_EQ(Kids(At(*after, Now()).published), std::vector<std::string>{new_row.kid});
  EXPECT_EQ(StoredKeys(), 1u);
}

TEST_F(RotationTest, TokenSignedJustBeforeRetirementVerifiesUntilItExpires) {
  auto ring = RotateSigningKeyNow(*store_, master_key_, kEs256, random_, clock_, settings_);
  ASSERT_THAT(ring, IsOk());
  const int64_t retires_at = ring->rows()[0].retires_at;
  const int64_t issued = retires_at - 1;
  const int64_t lifetime = settings_.max_token_lifetime.count();
  SigningKeys signer = At(*ring, issued);
  ASSERT_EQ(signer.current.kid(), first_kid_);
  boost::json::object claims{{"iss", "https://signet.example"},
                             {"sub", "workload"},
                             {"aud", "orders-api"},
                             {"iat", issued},
                             {"exp", issued + lifetime}};
  auto token = jose::SignJwt(signer.current, claims);
  ASSERT_THAT(token, IsOk());
  auto validator = jose::JwtValidator::Builder()
                       .ExpectIssuer("https://signet.example")
                       .ExpectAudience("orders-api")
                       .AllowAlgorithms({kEs256})
                       .SetLeeway(std::chrono::seconds(60))
                       .Build();
  ASSERT_THAT(validator, IsOk());
  jose::JwtVerifier verifier(*validator);
  // A relying party that re-reads the JWKS at any moment of the token's life (and of its
  // leeway) still finds the key that signed it.
  for (int64_t t : {issued, retires_at, retires_at + lifetime / 2, issued + lifetime - 1,
                    issued + lifetime + 59}) {
    SigningKeys now = At(*ring, t);
    EXPECT_EQ(now.current.kid() == first_kid_, t < retires_at) << t - retires_at;
    EXPECT_THAT(verifier.Verify(*token, now.published, FromUnixSeconds(t)), IsOk())
        << t - retires_at;
  }
  EXPECT_THAT(verifier.Verify(*token, At(*ring, issued + lifetime + 60).published,
                              FromUnixSeconds(issued + lifetime + 60)),
              FailsWith("expired"));
}

TEST_F(RotationTest, RotateEveryStartsExactlyOneRotationOnSchedule) {
  const int64_t due = start_ + 29 * 24 * 3600;  // rotate_every - prepublish
  auto ring = Maintain();
  ASSERT_THAT(ring, IsOk());
  EXPECT_EQ(ring->NextChange(clock_.Now(), kEs256, settings_), FromUnixSeconds(due));
  AdvanceTo(due - 1);
  ASSERT_THAT(Maintain(), IsOk());
  EXPECT_EQ(StoredKeys(), 1u);

  AdvanceTo(due);
  ring = Maintain();
  ASSERT_THAT(ring, IsOk());
  ASSERT_EQ(ring->rows().size(), 2u);
  const SigningKeyRow second = ring->rows()[1];
  EXPECT_EQ(second.activates_at, start_ + 30 * 24 * 3600);  // the first signed 30 days
  EXPECT_EQ(At(*ring, Now()).current.kid(), first_kid_);
  // Maintain again, before and at the activation: no second pending key.
  for (int64_t t : {due, due + 1, second.activates_at - 1, second.activates_at}) {
    AdvanceTo(t);
    ring = Maintain();
    ASSERT_THAT(ring, IsOk());
    EXPECT_EQ(ring->rows().size(), 2u) << t - due;
  }
  EXPECT_EQ(At(*ring, Now()).current.kid(), second.kid);
  // The next rotation is due 30 days after the second key activated.
  EXPECT_EQ(NextRotationAt(ring->rows(), "ES256", Now(), settings_),
            second.activates_at + 29 * 24 * 3600);
}

TEST_F(RotationTest, RotationsAreOffWhenRotateEveryIsZero) {
  settings_.rotate_every = std::chrono::seconds(0);
  AdvanceTo(start_ + 365 * 24 * 3600);
  auto ring = Maintain();
  ASSERT_THAT(ring, IsOk());
  EXPECT_EQ(ring->rows().size(), 1u);
  EXPECT_EQ(ring->NextChange(clock_.Now(), kEs256, settings_), std::nullopt);
}

TEST_F(RotationTest, RotateNowRefusesASecondPendingKey) {
  ASSERT_THAT(RotateSigningKeyNow(*store_, master_key_, kEs256, random_, clock_, settings_),
              IsOk());
  EXPECT_THAT(RotateSigningKeyNow(*store_, master_key_, kEs256, random_, clock_, settings_),
              FailsWithCode(ErrorCode::kInvalidRequest, "signing_key_pending"));
  EXPECT_EQ(StoredKeys(), 2u);
}

// Runs another replica's Maintain right before this one's change reaches the store: the
// race two replicas run when they find the rotation due at the same moment.
class RacingStore final : public testing::ForwardingStore {
 public:
  RacingStore(Store& base, std::function<void()> race)
      : ForwardingStore(base), race_(std::move(race)) {}
  Status ChangeSigningKeys(const SigningKeyChange& change) override {
    ++changes_;
    if (race_) {
      std::exchange(race_, nullptr)();
    }
    return base().ChangeSigningKeys(change);
  }
  int changes_ = 0;

 private:
  std::function<void()> race_;
};

TEST_F(RotationTest, TwoReplicasFindingARotationDueCreateOnePendingKey) {
  AdvanceTo(start_ + 29 * 24 * 3600);
  auto other = OpenSqliteStore(dir_.File("signet.db"));  // the other replica's connection
  ASSERT_THAT(other, IsOk());
  SeededRandom other_random(99);
  RacingStore racing(*store_, [&] {
    EXPECT_THAT(MaintainSigningKeys(**other, master_key_, kEs256, other_random, clock_, settings_),
                IsOk());
  });
  auto ring = MaintainSigningKeys(racing, master_key_, kEs256, random_, clock_, settings_);
  ASSERT_THAT(ring, IsOk());
  EXPECT_EQ(racing.changes_, 1);  // refused, then re-planned: nothing left to do
  EXPECT_EQ(ring->rows().size(), 2u);
  EXPECT_EQ(StoredKeys(), 2u);
}

TEST_F(RotationTest, ConcurrentMaintainOnTwoConnectionsCreatesOnePendingKey) {
  AdvanceTo(start_ + 29 * 24 * 3600);
  std::vector<std::unique_ptr<Store>> replicas;
  for (int i = 0; i < 4; ++i) {
    auto replica = OpenSqliteStore(dir_.File("signet.db"));
    ASSERT_THAT(replica, IsOk());
    replicas.push_back(std::move(*replica));
  }
  std::vector<Status> results(replicas.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < replicas.size(); ++i) {
    threads.emplace_back([&, i] {
      SeededRandom random(100 + i);
      results[i] = MaintainSigningKeys(*replicas[i], master_key_, kEs256, random, clock_, settings_)
                       .status();
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (const Status& result : results) {
    EXPECT_THAT(result, IsOk());
  }
  EXPECT_EQ(StoredKeys(), 2u);
}

TEST_F(SigningKeysTest, TwoFirstStartsCreateOneKey) {
  auto other = OpenSqliteStore(dir_.File("signet.db"));
  ASSERT_THAT(other, IsOk());
  SeededRandom other_random(99);
  std::string other_kid;
  RacingStore racing(*store_, [&] {
    auto keys = LoadOrCreateSigningKeys(**other, master_key_, kEs256, other_random, clock_);
    ASSERT_THAT(keys, IsOk());
    other_kid = keys->current.kid();
  });
  auto keys = LoadOrCreateSigningKeys(racing, master_key_, kEs256, random_, clock_);
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ(keys->current.kid(), other_kid);
  EXPECT_EQ(keys->published.keys().size(), 1u);
}

TEST_F(RotationTest, AWrongMasterKeyChangesNothing) {
  AdvanceTo(start_ + 40 * 24 * 3600);  // a rotation is due
  Secret wrong(std::string(32, 'M'));
  EXPECT_THAT(MaintainSigningKeys(*store_, wrong, kEs256, random_, clock_, settings_),
              FailsWithCode(ErrorCode::kServerError, "decrypt_failed"));
  EXPECT_THAT(RotateSigningKeyNow(*store_, wrong, kEs256, random_, clock_, settings_),
              FailsWithCode(ErrorCode::kServerError, "decrypt_failed"));
  EXPECT_EQ(StoredKeys(), 1u);
}

TEST_F(RotationTest, KeysFromBeforeSchedulesGetARetirement) {
  // Two unretired keys of one algorithm, as schema 3 or two racing first starts left them.
  auto rows = store_->ListSigningKeys();
  ASSERT_THAT(rows, IsOk());
  SigningKeyRow copy = (*rows)[0];
  copy.kid = "copy";
  copy.created_at = copy.activates_at = start_ + 10;
  // Re-seal the same key under the new kid (the aad is the kid).
  auto pem = AeadOpen(master_key_, copy.sealed_private_key, first_kid_);
  ASSERT_THAT(pem, IsOk());
  auto sealed = AeadSeal(master_key_, *pem, copy.kid, random_);
  ASSERT_THAT(sealed, IsOk());
  copy.sealed_private_key = *sealed;
  ASSERT_THAT(store_->InsertSigningKey(copy), IsOk());
  AdvanceTo(start_ + 20);
  auto ring = Maintain();
  ASSERT_THAT(ring, IsOk());
  ASSERT_EQ(ring->rows().size(), 2u);
  EXPECT_EQ(ring->rows()[0].retires_at, start_ + 10);
  EXPECT_EQ(ring->rows()[0].unpublish_at, start_ + 10 + 3600 + 15 * 60);
  AdvanceTo(start_ + 10 + 3600 + 15 * 60);
  ring = Maintain();
  ASSERT_THAT(ring, IsOk());
  ASSERT_EQ(ring->rows().size(), 1u);
  EXPECT_EQ(ring->rows()[0].kid, "copy");
}

}  // namespace
}  // namespace signet::store
