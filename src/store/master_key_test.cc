#include "store/master_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <span>

#include "common/base64url.h"
#include "store/secrets.h"
#include "store/signing_keys.h"
#include "support/forwarding_store.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet::store {
namespace {

using ::signet::testing::FailsWith;
using ::signet::testing::FailsWithCode;
using ::signet::testing::IsOk;

class MasterKeyTest : public ::testing::Test {
 protected:
  void WriteFile(const std::string& contents, mode_t mode) {
    std::ofstream(path_, std::ios::binary) << contents;
    ASSERT_EQ(chmod(path_.c_str(), mode), 0);
  }

  SeededRandom random_{1};
  testing::TempDir dir_;
  std::string path_ = dir_.File("master.key");
};

TEST_F(MasterKeyTest, CreatedOwnerOnlyThenReadBackUnchanged) {
  auto created = LoadOrCreateMasterKey(path_, random_);
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->size(), 32u);
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);

  SeededRandom other(2);
  auto loaded = LoadOrCreateMasterKey(path_, other);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_TRUE(loaded->Equals(*created));
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(MasterKeyTest, ExistingKeyIsRead) {
  WriteFile(std::string(32, 'm'), 0600);
  auto key = LoadOrCreateMasterKey(path_, random_);
  ASSERT_THAT(key, IsOk());
  EXPECT_TRUE(key->Equals(Secret(std::string(32, 'm'))));
}

TEST_F(MasterKeyTest, GroupOrOtherAccessRefusedWithTheFix) {
  for (mode_t mode : {0640, 0604, 0620, 0644}) {
    WriteFile(std::string(32, 'm'), mode);
    auto key = LoadOrCreateMasterKey(path_, random_);
    EXPECT_THAT(key, FailsWithCode(ErrorCode::kInvalidConfig, "master_key_permissions"))
        << std::oct << mode;
    EXPECT_NE(key.status().message().find("chmod 600 " + path_), std::string::npos);
  }
}

TEST_F(MasterKeyTest, WrongSizeRefused) {
  for (size_t size : {0, 16, 31, 33, 64}) {
    WriteFile(std::string(size, 'm'), 0600);
    auto key = LoadOrCreateMasterKey(path_, random_);
    EXPECT_THAT(key, FailsWithCode(ErrorCode::kInvalidConfig, "master_key_invalid")) << size;
    EXPECT_NE(key.status().message().find(path_), std::string::npos);
  }
}

TEST_F(MasterKeyTest, SymlinkRefused) {
  std::string target = dir_.File("elsewhere.key");
  std::ofstream(target, std::ios::binary) << std::string(32, 'm');
  ASSERT_EQ(chmod(target.c_str(), 0600), 0);
  ASSERT_EQ(symlink(target.c_str(), path_.c_str()), 0);
  EXPECT_THAT(LoadOrCreateMasterKey(path_, random_), FailsWith("master_key_invalid"));
}

TEST_F(MasterKeyTest, DirectoryRefused) {
  ASSERT_TRUE(std::filesystem::create_directory(path_));
  ASSERT_EQ(chmod(path_.c_str(), 0700), 0);
  EXPECT_THAT(LoadOrCreateMasterKey(path_, random_), FailsWith("master_key_invalid"));
}

TEST_F(MasterKeyTest, MissingDirectoryIsUnavailable) {
  EXPECT_THAT(LoadOrCreateMasterKey(dir_.File("no/such/master.key"), random_),
              FailsWithCode(ErrorCode::kServerError, "master_key_unavailable"));
}

// --- SIGNET_MASTER_KEY -------------------------------------------------------------

const std::string kKeyBytes = [] {
  std::string bytes;
  for (int i = 0; i < 32; ++i) {
    bytes.push_back(static_cast<char>(i * 7 + 1));
  }
  return bytes;
}();
const std::string kKeyHex = HexEncode(
    std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kKeyBytes.data()), kKeyBytes.size()));

TEST_F(MasterKeyTest, EnvironmentKeyInHexOrBase64UrlIsDecoded) {
  std::string upper = kKeyHex;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  for (const std::string& text : {kKeyHex, upper, Base64UrlEncode(kKeyBytes)}) {
    auto key = ParseMasterKeyText(text);
    ASSERT_THAT(key, IsOk()) << text;
    EXPECT_TRUE(key->Equals(Secret(kKeyBytes))) << text;
  }
}

TEST_F(MasterKeyTest, MalformedEnvironmentKeyIsRefusedWithoutEchoingIt) {
  std::string b64 = Base64UrlEncode(kKeyBytes);
  std::string non_hex = kKeyHex;
  non_hex[10] = 'g';
  std::string bad_b64 = b64;
  bad_b64[5] = '+';
  for (const std::string& text : {
           kKeyHex.substr(0, 62),                 // 31 bytes
           kKeyHex + "ab",                        // 33 bytes
           kKeyHex + "\n",                        // a trailing newline
           " " + kKeyHex,                         // a space
           non_hex,                               // not hex
           b64 + "=",                             // padded base64url
           bad_b64,                               // standard base64, not base64url
           Base64UrlEncode(kKeyBytes.substr(1)),  // 31 bytes of base64url
           std::string("not-a-key-at-all"),
       }) {
    auto key = ParseMasterKeyText(text);
    EXPECT_THAT(key, FailsWithCode(ErrorCode::kInvalidConfig, "master_key_invalid")) << text;
    const std::string& message = key.status().message();
    EXPECT_NE(message.find("SIGNET_MASTER_KEY"), std::string::npos);
    EXPECT_NE(message.find("openssl rand -hex 32"), std::string::npos);
    EXPECT_NE(message.find(std::to_string(text.size()) + " characters"), std::string::npos);
    EXPECT_EQ(message.find(text.substr(0, 16)), std::string::npos) << text;  // not echoed
  }
}

TEST_F(MasterKeyTest, EnvironmentKeyWinsOverTheFileAndCreatesNone) {
  auto key = LoadMasterKey(kKeyHex, path_, random_);
  ASSERT_THAT(key, IsOk());
  EXPECT_TRUE(key->Equals(Secret(kKeyBytes)));
  EXPECT_FALSE(std::filesystem::exists(path_));

  auto empty = LoadMasterKey(std::string_view(), path_, random_);
  EXPECT_THAT(empty, FailsWithCode(ErrorCode::kInvalidConfig, "master_key_invalid"));
  EXPECT_NE(empty.status().message().find(path_), std::string::npos);  // says how to use it
  EXPECT_FALSE(std::filesystem::exists(path_));

  auto from_file = LoadMasterKey(std::nullopt, path_, random_);
  ASSERT_THAT(from_file, IsOk());
  EXPECT_TRUE(std::filesystem::exists(path_));
  EXPECT_FALSE(from_file->Equals(Secret(kKeyBytes)));
}

TEST_F(MasterKeyTest, LoadFromEnvOrFileReadsTheProcessEnvironment) {
  ASSERT_EQ(setenv(kMasterKeyEnvVar, kKeyHex.c_str(), 1), 0);
  auto key = LoadMasterKeyFromEnvOrFile(path_, random_);
  ASSERT_EQ(unsetenv(kMasterKeyEnvVar), 0);
  ASSERT_THAT(key, IsOk());
  EXPECT_TRUE(key->Equals(Secret(kKeyBytes)));
  EXPECT_FALSE(std::filesystem::exists(path_));
  ASSERT_THAT(LoadMasterKeyFromEnvOrFile(path_, random_), IsOk());
  EXPECT_TRUE(std::filesystem::exists(path_));
}

// --- the key check and rotation -----------------------------------------------------

// A store whose RewrapAll fails, as a full disk would mid-rotation.
class FailingRewrapStore final : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Status RewrapAll(const MasterKeyRewrap&) override {
    return Status(ErrorCode::kServerError, "store_unavailable", "SQLite: disk I/O error");
  }
};

class MasterKeyStoreTest : public MasterKeyTest {
 protected:
  void SetUp() override {
    auto store = OpenSqliteStore(dir_.File("signet.db"));
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
  }

  // A signing key and two secrets, all sealed under `key`.
  void Populate(const Secret& key) {
    auto keys = LoadOrCreateSigningKeys(*store_, key, jose::Algorithm::kES256, random_, clock_);
    ASSERT_THAT(keys, IsOk());
    kid_ = keys->current.kid();
    SecretVault vault(*store_, key, random_, clock_);
    ASSERT_THAT(vault.Put("db.password", Secret("hunter2")), IsOk());
    ASSERT_THAT(vault.Put("api-key", Secret("k-1")), IsOk());
    ASSERT_THAT(vault.Put("api-key", Secret("k-2")), IsOk());
  }

  // Everything Populate stored opens under `key`, and nothing new was generated.
  void ExpectOpensEverything(const Secret& key) {
    EXPECT_THAT(VerifyMasterKey(*store_, key, random_), IsOk());
    auto keys = LoadOrCreateSigningKeys(*store_, key, jose::Algorithm::kES256, random_, clock_);
    ASSERT_THAT(keys, IsOk());
    EXPECT_EQ(keys->current.kid(), kid_);
    EXPECT_EQ(keys->published.keys().size(), 1u);
    SecretVault vault(*store_, key, random_, clock_);
    auto password = vault.Open("db.password");
    ASSERT_THAT(password, IsOk());
    EXPECT_EQ(password->Reveal(SecretAccess::Grant()), "hunter2");
    auto api_key = vault.Open("api-key");
    ASSERT_THAT(api_key, IsOk());
    EXPECT_EQ(api_key->Reveal(SecretAccess::Grant()), "k-2");
  }

  void ExpectOpensNothing(const Secret& key) {
    EXPECT_THAT(VerifyMasterKey(*store_, key, random_),
                FailsWithCode(ErrorCode::kInvalidConfig, "master_key_mismatch"));
    EXPECT_THAT(LoadOrCreateSigningKeys(*store_, key, jose::Algorithm::kES256, random_, clock_),
                FailsWith("decrypt_failed"));
    SecretVault vault(*store_, key, random_, clock_);
    EXPECT_THAT(vault.Open("db.password"), FailsWith("decrypt_failed"));
    EXPECT_THAT(vault.Open("api-key"), FailsWith("decrypt_failed"));
  }

  std::optional<std::string> Check() {
    auto check = store_->GetMeta(kMasterKeyCheckMeta);
    EXPECT_THAT(check, IsOk());
    return check.ok() ? *check : std::nullopt;
  }

  std::set<std::string> Files() {
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      names.insert(entry.path().filename().string());
    }
    return names;
  }

  std::unique_ptr<Store> store_;
  SimulatedClock clock_;
  std::string kid_;
  Secret key_a_ = Secret(std::string(32, 'a'));
  Secret key_b_ = Secret(std::string(32, 'b'));
};

TEST_F(MasterKeyStoreTest, FirstVerifyRecordsTheCheckAndAWrongKeyChangesNothing) {
  EXPECT_FALSE(Check().has_value());
  ASSERT_THAT(VerifyMasterKey(*store_, key_a_, random_), IsOk());
  std::optional<std::string> check = Check();
  ASSERT_TRUE(check.has_value());
  EXPECT_THAT(VerifyMasterKey(*store_, key_a_, random_), IsOk());
  EXPECT_EQ(Check(), check);  // written once

  Status wrong = VerifyMasterKey(*store_, key_b_, random_);
  EXPECT_THAT(wrong, FailsWithCode(ErrorCode::kInvalidConfig, "master_key_mismatch"));
  EXPECT_NE(wrong.message().find("does not open this database"), std::string::npos);
  EXPECT_NE(wrong.message().find("SIGNET_MASTER_KEY"), std::string::npos);
  EXPECT_NE(wrong.message().find(".new"), std::string::npos);
  EXPECT_EQ(Check(), check);
}

TEST_F(MasterKeyStoreTest, KeyOfTheWrongSizeIsInvalid) {
  EXPECT_THAT(VerifyMasterKey(*store_, Secret(std::string(16, 'a')), random_),
              FailsWithCode(ErrorCode::kInvalidConfig, "master_key_invalid"));
  EXPECT_FALSE(Check().has_value());
}

TEST_F(MasterKeyStoreTest, AlteredCheckIsAMismatch) {
  ASSERT_THAT(VerifyMasterKey(*store_, key_a_, random_), IsOk());
  std::optional<std::string> stored = Check();
  ASSERT_TRUE(stored.has_value());
  std::string check = *stored;
  check.back() ^= 1;
  ASSERT_THAT(store_->PutMeta(kMasterKeyCheckMeta, check), IsOk());
  EXPECT_THAT(VerifyMasterKey(*store_, key_a_, random_), FailsWith("master_key_mismatch"));
}

// A database from before the check: the check is recorded only for a key that opens
// every stored signing key and secret.
TEST_F(MasterKeyStoreTest, DatabaseWithoutACheckGetsOneOnlyForTheKeyThatOpensIt) {
  Populate(key_a_);
  ASSERT_FALSE(Check().has_value());
  EXPECT_THAT(VerifyMasterKey(*store_, key_b_, random_), FailsWith("master_key_mismatch"));
  EXPECT_FALSE(Check().has_value());
  ASSERT_THAT(VerifyMasterKey(*store_, key_a_, random_), IsOk());
  EXPECT_TRUE(Check().has_value());
  EXPECT_THAT(VerifyMasterKey(*store_, key_b_, random_), FailsWith("master_key_mismatch"));
}

TEST_F(MasterKeyStoreTest, DatabaseWithOnlySecretsAndNoCheckIsCheckedToo) {
  ASSERT_THAT(SecretVault(*store_, key_a_, random_, clock_).Put("only", Secret("v")), IsOk());
  EXPECT_THAT(VerifyMasterKey(*store_, key_b_, random_), FailsWith("master_key_mismatch"));
  EXPECT_FALSE(Check().has_value());
}

TEST_F(MasterKeyStoreTest, RotationMovesEverythingToTheNewKey) {
  Populate(key_a_);
  auto before = store_->GetSecret("db.password");
  ASSERT_THAT(before, IsOk());
  ASSERT_THAT(RotateMasterKey(*store_, key_a_, key_b_, random_), IsOk());
  ExpectOpensEverything(key_b_);
  ExpectOpensNothing(key_a_);
  // Envelope encryption: only the data key was re-sealed.
  auto after = store_->GetSecret("db.password");
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ((*after)->sealed_value, (*before)->sealed_value);
  EXPECT_NE((*after)->sealed_data_key, (*before)->sealed_data_key);
  EXPECT_EQ((*after)->version, 1);
}

TEST_F(MasterKeyStoreTest, FailedRewrapLeavesEverythingUnderTheOldKey) {
  Populate(key_a_);
  ASSERT_THAT(VerifyMasterKey(*store_, key_a_, random_), IsOk());
  FailingRewrapStore failing(*store_);
  EXPECT_THAT(RotateMasterKey(failing, key_a_, key_b_, random_), FailsWith("store_unavailable"));
  ExpectOpensEverything(key_a_);
  ExpectOpensNothing(key_b_);
}

TEST_F(MasterKeyStoreTest, RotationRefusesAWrongOldKeyAndAnUnchangedOrBadNewKey) {
  Populate(key_a_);
  EXPECT_THAT(RotateMasterKey(*store_, key_b_, Secret(std::string(32, 'c')), random_),
              FailsWith("master_key_mismatch"));
  EXPECT_THAT(RotateMasterKey(*store_, key_a_, key_a_, random_),
              FailsWithCode(ErrorCode::kInvalidConfig, "master_key_invalid"));
  EXPECT_THAT(RotateMasterKey(*store_, key_a_, Secret(std::string(31, 'c')), random_),
              FailsWith("master_key_invalid"));
  ExpectOpensEverything(key_a_);
}

TEST_F(MasterKeyStoreTest, KeyFileRotationInstallsANewKey) {
  auto created = LoadOrCreateMasterKey(path_, random_);
  ASSERT_THAT(created, IsOk());
  Secret old_key = *created;
  Populate(old_key);
  auto rotated = RotateMasterKeyFile(*store_, path_, random_);
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ(*rotated, MasterKeyRotation::kRotated);
  auto new_key = LoadOrCreateMasterKey(path_, random_);
  ASSERT_THAT(new_key, IsOk());
  EXPECT_FALSE(new_key->Equals(old_key));
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(Files(),
            (std::set<std::string>{"master.key", "signet.db", "signet.db-shm", "signet.db-wal"}));
  ExpectOpensEverything(*new_key);
  ExpectOpensNothing(old_key);
}

TEST_F(MasterKeyStoreTest, KeyFileRotationThatFailsKeepsTheOldKeyFile) {
  auto created = LoadOrCreateMasterKey(path_, random_);
  ASSERT_THAT(created, IsOk());
  Secret old_key = *created;
  Populate(old_key);
  FailingRewrapStore failing(*store_);
  EXPECT_THAT(RotateMasterKeyFile(failing, path_, random_), FailsWith("store_unavailable"));
  auto key = LoadOrCreateMasterKey(path_, random_);
  ASSERT_THAT(key, IsOk());
  EXPECT_TRUE(key->Equals(old_key));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".new"));
  ExpectOpensEverything(old_key);
}

// A crash before the rewrap committed: master.key.new is a leftover the database never
// used; the next rotation removes it and starts over.
TEST_F(MasterKeyStoreTest, KeyFileRotationDiscardsANewKeyTheDatabaseNeverUsed) {
  auto created = LoadOrCreateMasterKey(path_, random_);
  ASSERT_THAT(created, IsOk());
  Secret old_key = *created;
  Populate(old_key);
  std::ofstream(path_ + ".new", std::ios::binary) << std::string(32, 'z');
  ASSERT_EQ(chmod((path_ + ".new").c_str(), 0600), 0);
  ExpectOpensEverything(old_key);  // signetd starts normally meanwhile
  auto rotated = RotateMasterKeyFile(*store_, path_, random_);
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ(*rotated, MasterKeyRotation::kRotated);
  auto new_key = LoadOrCreateMasterKey(path_, random_);
  ASSERT_THAT(new_key, IsOk());
  EXPECT_FALSE(new_key->Equals(Secret(std::string(32, 'z'))));
  EXPECT_FALSE(new_key->Equals(old_key));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".new"));
  ExpectOpensEverything(*new_key);
}

// A crash after the rewrap committed, before the rename: start-up refuses the old key,
// and running the rotation again installs master.key.new.
TEST_F(MasterKeyStoreTest, KeyFileRotationFinishesAnInterruptedOne) {
  auto created = LoadOrCreateMasterKey(path_, random_);
  ASSERT_THAT(created, IsOk());
  Secret old_key = *created;
  Populate(old_key);
  std::ofstream(path_ + ".new", std::ios::binary) << std::string(32, 'n');
  ASSERT_EQ(chmod((path_ + ".new").c_str(), 0600), 0);
  ASSERT_THAT(RotateMasterKey(*store_, old_key, Secret(std::string(32, 'n')), random_), IsOk());
  EXPECT_THAT(VerifyMasterKey(*store_, old_key, random_), FailsWith("master_key_mismatch"));

  auto finished = RotateMasterKeyFile(*store_, path_, random_);
  ASSERT_THAT(finished, IsOk());
  EXPECT_EQ(*finished, MasterKeyRotation::kFinished);
  auto key = LoadOrCreateMasterKey(path_, random_);
  ASSERT_THAT(key, IsOk());
  EXPECT_TRUE(key->Equals(Secret(std::string(32, 'n'))));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".new"));
  ExpectOpensEverything(*key);
}

TEST_F(MasterKeyStoreTest, KeyFileRotationRefusesAMissingOrWrongKeyFile) {
  EXPECT_THAT(RotateMasterKeyFile(*store_, path_, random_),
              FailsWithCode(ErrorCode::kInvalidConfig, "master_key_invalid"));
  EXPECT_FALSE(std::filesystem::exists(path_));
  Populate(key_a_);
  WriteFile(std::string(32, 'w'), 0600);
  EXPECT_THAT(RotateMasterKeyFile(*store_, path_, random_), FailsWith("master_key_mismatch"));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".new"));
  ExpectOpensEverything(key_a_);
}

}  // namespace
}  // namespace signet::store
