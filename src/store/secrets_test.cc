#include "store/secrets.h"

#include <gtest/gtest.h>

#include <chrono>

#include "common/aead.h"
#include "support/forwarding_store.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet::store {
namespace {

using ::signet::testing::FailsWith;
using ::signet::testing::FailsWithCode;
using ::signet::testing::IsOk;

std::string Reveal(const Secret& secret) {
  return std::string(secret.Reveal(SecretAccess::Grant()));
}

class SecretVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenSqliteStore(dir_.File("signet.db"));
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
  }
  SecretVault Vault(const Secret& key) { return SecretVault(*store_, key, random_, clock_); }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  Secret master_key_ = Secret(std::string(32, 'm'));
  SeededRandom random_{11};
  SimulatedClock clock_;
};

TEST_F(SecretVaultTest, PutThenOpenReturnsTheValueAndTheRowHoldsNothingInClear) {
  SecretVault vault = Vault(master_key_);
  auto info = vault.Put("db.password", Secret("hunter2-correct-horse"));
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->name, "db.password");
  EXPECT_EQ(info->version, 1);
  EXPECT_EQ(info->created_at, ToUnixSecondsFloor(clock_.Now()));
  EXPECT_EQ(info->updated_at, info->created_at);

  auto value = vault.Open("db.password");
  ASSERT_THAT(value, IsOk());
  EXPECT_EQ(Reveal(*value), "hunter2-correct-horse");

  auto row = store_->GetSecret("db.password");
  ASSERT_THAT(row, IsOk());
  ASSERT_TRUE(row->has_value());
  EXPECT_EQ((*row)->sealed_value.find("hunter2"), std::string::npos);
  // A 32-byte data key sealed: nonce + ciphertext + tag.
  EXPECT_EQ((*row)->sealed_data_key.size(), kAeadNonceBytes + 32 + kAeadTagBytes);
}

TEST_F(SecretVaultTest, PutAgainMakesTheNextVersionWithANewDataKey) {
  SecretVault vault = Vault(master_key_);
  ASSERT_THAT(vault.Put("api-key", Secret("one")), IsOk());
  auto first = store_->GetSecret("api-key");
  ASSERT_THAT(first, IsOk());
  int64_t created = ToUnixSecondsFloor(clock_.Now());
  clock_.Advance(std::chrono::minutes(5));

  auto info = vault.Put("api-key", Secret("two"));
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->version, 2);
  EXPECT_EQ(info->created_at, created);
  EXPECT_EQ(info->updated_at, created + 300);
  auto second = store_->GetSecret("api-key");
  ASSERT_THAT(second, IsOk());
  EXPECT_NE((*second)->sealed_data_key, (*first)->sealed_data_key);
  auto value = vault.Open("api-key");
  ASSERT_THAT(value, IsOk());
  EXPECT_EQ(Reveal(*value), "two");
}

TEST_F(SecretVaultTest, ListShowsMetadataByNameAndDeleteRemoves) {
  SecretVault vault = Vault(master_key_);
  ASSERT_THAT(vault.Put("zeta", Secret("z")), IsOk());
  ASSERT_THAT(vault.Put("alpha", Secret("a")), IsOk());
  ASSERT_THAT(vault.Put("alpha", Secret("a2")), IsOk());
  auto list = vault.List();
  ASSERT_THAT(list, IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "alpha");
  EXPECT_EQ((*list)[0].version, 2);
  EXPECT_EQ((*list)[1].name, "zeta");
  EXPECT_EQ((*list)[1].version, 1);

  EXPECT_THAT(vault.Delete("alpha"), IsOk());
  EXPECT_THAT(vault.Delete("alpha"), FailsWithCode(ErrorCode::kInvalidRequest, "secret_not_found"));
  EXPECT_THAT(vault.Open("alpha"), FailsWithCode(ErrorCode::kInvalidRequest, "secret_not_found"));
  list = vault.List();
  ASSERT_THAT(list, IsOk());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "zeta");
}

TEST_F(SecretVaultTest, NamesOutsideTheRuleAreRefusedWithoutBeingEchoed) {
  SecretVault vault = Vault(master_key_);
  for (std::string name :
       {std::string(), std::string("Upper"), std::string("-lead"), std::string(".lead"),
        std::string("_lead"), std::string("has space"), std::string("a/b"), std::string("a:b"),
        std::string("a\nb"), std::string("a\0b", 3), std::string(129, 'a')}) {
    auto put = vault.Put(name, Secret("v"));
    EXPECT_THAT(put, FailsWithCode(ErrorCode::kInvalidRequest, "secret_name_invalid")) << name;
    EXPECT_NE(put.status().message().find("a-z, 0-9"), std::string::npos);
    if (name.size() > 3) {
      EXPECT_EQ(put.status().message().find(name), std::string::npos) << name;
    }
    EXPECT_THAT(vault.Open(name), FailsWith("secret_name_invalid")) << name;
    EXPECT_THAT(vault.Delete(name), FailsWith("secret_name_invalid")) << name;
  }
  for (std::string name : {std::string("a"), std::string("0"), std::string("db.password_prod-1"),
                           std::string(128, 'a')}) {
    EXPECT_THAT(vault.Put(name, Secret("v")), IsOk()) << name;
  }
  auto list = vault.List();
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ(list->size(), 4u);
}

TEST_F(SecretVaultTest, EmptyAndOversizedValuesAreRefusedWithoutTheValue) {
  SecretVault vault = Vault(master_key_);
  EXPECT_THAT(vault.Put("empty", Secret()),
              FailsWithCode(ErrorCode::kInvalidRequest, "secret_value_invalid"));
  std::string big(kMaxSecretValueBytes + 1, 'Q');
  auto put = vault.Put("big", Secret(big));
  EXPECT_THAT(put, FailsWithCode(ErrorCode::kInvalidRequest, "secret_value_too_large"));
  EXPECT_EQ(put.status().message().find("QQQQ"), std::string::npos);
  big.pop_back();
  ASSERT_THAT(vault.Put("big", Secret(big)), IsOk());  // exactly the limit
  auto value = vault.Open("big");
  ASSERT_THAT(value, IsOk());
  EXPECT_EQ(value->size(), kMaxSecretValueBytes);
  auto list = vault.List();
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ(list->size(), 1u);
}

TEST_F(SecretVaultTest, AnotherMasterKeyCannotOpenAndTheMessageNamesOnlyTheSecret) {
  ASSERT_THAT(Vault(master_key_).Put("db.password", Secret("hunter2")), IsOk());
  auto value = Vault(Secret(std::string(32, 'M'))).Open("db.password");
  EXPECT_THAT(value, FailsWithCode(ErrorCode::kServerError, "decrypt_failed"));
  EXPECT_NE(value.status().message().find("db.password"), std::string::npos);
  EXPECT_EQ(value.status().message().find("hunter2"), std::string::npos);
}

// The aad binds name and version: sealed bytes moved to another name, or presented as
// another version of the same name, do not open.
TEST_F(SecretVaultTest, SealedBytesMovedToAnotherNameOrVersionDoNotOpen) {
  SecretVault vault = Vault(master_key_);
  ASSERT_THAT(vault.Put("mine", Secret("my-value")), IsOk());
  auto row = store_->GetSecret("mine");
  ASSERT_THAT(row, IsOk());
  SecretRow moved = **row;
  moved.name = "theirs";
  ASSERT_THAT(store_->PutSecret(moved), IsOk());
  EXPECT_THAT(vault.Open("theirs"), FailsWith("decrypt_failed"));

  SecretRow bumped = **row;
  bumped.version = 2;
  ASSERT_THAT(store_->PutSecret(bumped), IsOk());  // version 1's bytes as version 2
  EXPECT_THAT(vault.Open("mine"), FailsWith("decrypt_failed"));

  // A value sealed under one version's data key, beside another version's data key.
  ASSERT_THAT(vault.Put("other", Secret("x")), IsOk());
  ASSERT_THAT(vault.Put("other", Secret("y")), IsOk());
  auto v2 = store_->GetSecret("other");
  ASSERT_THAT(v2, IsOk());
  SecretRow mixed = **v2;
  mixed.version = 3;
  mixed.sealed_value = (*row)->sealed_value;
  ASSERT_THAT(store_->PutSecret(mixed), IsOk());
  EXPECT_THAT(vault.Open("other"), FailsWith("decrypt_failed"));
}

// Another writer replaces the secret between Put's read and its write: Put seals again
// for the next version.
class RacingStore final : public testing::ForwardingStore {
 public:
  RacingStore(Store& base, int races) : ForwardingStore(base), races_(races) {}
  Status PutSecret(const SecretRow& row) override {
    if (races_ > 0) {
      --races_;
      SecretRow other = row;  // the other writer's row, at the same version
      EXPECT_THAT(base().PutSecret(other), IsOk());
    }
    return base().PutSecret(row);
  }

 private:
  int races_;
};

TEST_F(SecretVaultTest, PutRetriesAfterAConcurrentReplacement) {
  ASSERT_THAT(Vault(master_key_).Put("raced", Secret("first")), IsOk());
  RacingStore racing(*store_, 1);
  SecretVault vault(racing, master_key_, random_, clock_);
  auto info = vault.Put("raced", Secret("mine"));
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->version, 3);
  auto value = vault.Open("raced");
  ASSERT_THAT(value, IsOk());
  EXPECT_EQ(Reveal(*value), "mine");
}

TEST_F(SecretVaultTest, PutGivesUpAfterRepeatedConflicts) {
  RacingStore racing(*store_, 100);
  SecretVault vault(racing, master_key_, random_, clock_);
  EXPECT_THAT(vault.Put("raced", Secret("mine")),
              FailsWithCode(ErrorCode::kServerError, "secret_version_conflict"));
}

}  // namespace
}  // namespace signet::store
