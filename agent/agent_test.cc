#include "agent/agent.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

namespace gantry::agent {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class StateDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "gantry-state-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  mode_t Mode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }
  std::string dir_;
};

TEST_F(StateDirTest, IdentityAndDirectoryAreTheAgentsAlone) {
  const std::string state = dir_ + "/new/state";
  auto id = LoadOrCreateIdentity(state);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(Mode(state), 0700u);
  EXPECT_EQ(Mode(state + "/instance-id"), 0600u);
  auto again = LoadOrCreateIdentity(state);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *id);
}

TEST_F(StateDirTest, AWiderExistingDirectoryIsTightened) {
  const std::string state = dir_ + "/old";
  ASSERT_TRUE(fs::create_directory(state));
  ASSERT_EQ(chmod(state.c_str(), 0755), 0);
  ASSERT_TRUE(SecureStateDir(state).ok());
  EXPECT_EQ(Mode(state), 0700u);
}

TEST_F(StateDirTest, ASharedDirectoryIsRefused) {
  const std::string shared = dir_ + "/shared";
  ASSERT_TRUE(fs::create_directory(shared));
  ASSERT_EQ(chmod(shared.c_str(), 01777), 0);
  api::Status st = SecureStateDir(shared);
  EXPECT_EQ(st.code(), api::Code::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("is a shared directory (mode 1777)"));
  EXPECT_EQ(Mode(shared), 01777u) << "left alone";
}

}  // namespace
}  // namespace gantry::agent
