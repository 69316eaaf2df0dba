#include "store/master_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

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

}  // namespace
}  // namespace signet::store
