// Secrets hold credentials (a Sync's Git token): admins and editors read them, viewers do not,
// by get, list or watch.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "tests/testlib/gantry_processes.h"
#include "tests/testlib/testlib.h"

namespace gantry {
namespace {

constexpr const char* kTokens =
    "editor-token-001,erin,editor\n"
    "viewer-token-001,victor,viewer\n";
constexpr const char* kEditor = "editor-token-001";
constexpr const char* kViewer = "viewer-token-001";
constexpr const char* kSecrets = "/apis/gantry.dev/v1/secrets";

class SecretsTest : public ::testing::Test {
 protected:
  SecretsTest()
      : tokens_(dir_.path() + "/tokens.csv"), gantryd_([&] {
          std::ofstream(tokens_) << kTokens;
          ::chmod(tokens_.c_str(), 0600);
          return std::vector<std::string>{"--token-file", tokens_};
        }()) {}
  void SetUp() override { ASSERT_TRUE(gantryd_.ready()) << gantryd_.log(); }

  testlib::TempDir dir_;
  std::string tokens_;
  testlib::Gantryd gantryd_;
};

TEST_F(SecretsTest, ViewersSeeTheClusterButNotItsCredentials) {
  const std::string secret =
      R"({"apiVersion":"gantry.dev/v1","kind":"Secret","metadata":{"name":"git-creds"},)"
      R"("spec":{"data":{"username":"ci-bot","password":"glpat-hunter2"}}})";
  auto created =
      gantryd_.Http(kEditor).Request("PUT", std::string(kSecrets) + "/git-creds", secret);
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->status, 201) << created->body;
  auto read = gantryd_.Http(kEditor).Request("GET", std::string(kSecrets) + "/git-creds");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->status, 200);
  EXPECT_NE(read->body.find("glpat-hunter2"), std::string::npos) << "editors read them";

  for (const std::string& path : {std::string(kSecrets) + "/git-creds", std::string(kSecrets),
                                  std::string(kSecrets) + "?watch=1&resourceVersion=0"}) {
    auto denied = gantryd_.Http(kViewer).Request("GET", path);
    ASSERT_TRUE(denied.ok()) << path;
    EXPECT_EQ(denied->status, 403) << path << ": " << denied->body;
    EXPECT_EQ(denied->body.find("hunter2"), std::string::npos) << path;
  }
  auto others = gantryd_.Http(kViewer).Request("GET", "/apis/gantry.dev/v1/services");
  ASSERT_TRUE(others.ok());
  EXPECT_EQ(others->status, 200) << "viewers still read everything else";

  // Keys are checked: a name that could not be a file or environment variable is refused.
  auto bad = gantryd_.Http(kEditor).Request(
      "PUT", std::string(kSecrets) + "/bad",
      R"({"apiVersion":"gantry.dev/v1","kind":"Secret","metadata":{"name":"bad"},)"
      R"("spec":{"data":{"a/b":"x"}}})");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_NE(bad->body.find("spec.data.a/b"), std::string::npos) << bad->body;
}

}  // namespace
}  // namespace gantry
