#include "agent/token_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace gantry::agent {
namespace {

using ::testing::HasSubstr;

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "gantry-token-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string Write(const std::string& text, mode_t mode) {
    std::string path = dir_ + "/token";
    std::filesystem::remove(path);
    std::ofstream(path) << text;
    EXPECT_EQ(chmod(path.c_str(), mode), 0);
    return path;
  }
  std::string dir_;
};

TEST_F(TokenFileTest, ReadsOneLineIgnoringTheTrailingNewline) {
  for (const char* text : {"agent-token-1\n", "agent-token-1", "agent-token-1\r\n"}) {
    auto token = ReadTokenFile(Write(text, 0600));
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    EXPECT_EQ(*token, "agent-token-1");
  }
  auto stricter = ReadTokenFile(Write("t\n", 0400));
  ASSERT_TRUE(stricter.ok()) << stricter.status().ToString();
}

TEST_F(TokenFileTest, RefusesAFileOthersCanRead) {
  for (mode_t mode : {0644, 0640, 0604, 0620, 0660}) {
    std::string path = Write("agent-token-1\n", mode);
    auto token = ReadTokenFile(path);
    ASSERT_FALSE(token.ok()) << mode;
    EXPECT_EQ(token.status().code(), api::Code::kFailedPrecondition);
    EXPECT_THAT(token.status().message(), HasSubstr("--token-file " + path + ": mode 0"));
    EXPECT_THAT(token.status().message(), HasSubstr("chmod 600"));
  }
}

TEST_F(TokenFileTest, RefusesAFileOfAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give the file away";
  std::string path = Write("agent-token-1\n", 0600);
  ASSERT_EQ(chown(path.c_str(), 1234, 1234), 0);
  auto token = ReadTokenFile(path);
  ASSERT_FALSE(token.ok());
  EXPECT_THAT(token.status().message(),
              HasSubstr("owned by uid 1234, not by the agent's user (uid 0)"));
}

TEST_F(TokenFileTest, RefusesWhatIsNotOneToken) {
  EXPECT_THAT(ReadTokenFile(Write("\n", 0600)).status().message(), HasSubstr("is empty"));
  EXPECT_THAT(ReadTokenFile(Write("a\nb\n", 0600)).status().message(),
              HasSubstr("one token on one line"));
  EXPECT_THAT(ReadTokenFile(Write("a b", 0600)).status().message(), HasSubstr("position 2"));
  EXPECT_THAT(ReadTokenFile(Write(std::string(5000, 'a'), 0600)).status().message(),
              HasSubstr("longer than 4096 bytes"));
  EXPECT_THAT(ReadTokenFile(dir_ + "/missing").status().message(),
              HasSubstr("--token-file " + dir_ + "/missing: No such file or directory"));
  EXPECT_THAT(ReadTokenFile(dir_).status().message(), HasSubstr("not a regular file"));
}

TEST_F(TokenFileTest, TheFileWinsOverTheEnvironment) {
  auto from_file = LoadAgentToken(Write("from-file\n", 0600), "from-env");
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(from_file->value_or(""), "from-file");
  auto from_env = LoadAgentToken("", "from-env");
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->value_or(""), "from-env");
  auto none = LoadAgentToken("", nullptr);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(LoadAgentToken("", "two words").ok());
}

}  // namespace
}  // namespace gantry::agent
