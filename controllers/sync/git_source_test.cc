#include "controllers/sync/git_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/testlib/git_repo.h"
#include "tests/testlib/testlib.h"

namespace gantry::controllers::sync {
namespace {

using api::Code;

class GitSourceTest : public ::testing::Test {
 protected:
  std::vector<std::string> Paths(const FetchedTree& t) {
    std::vector<std::string> out;
    for (const auto& f : t.files) out.push_back(f.path);
    return out;
  }

  testlib::TempDir dir_;
  testlib::GitRepo repo_{dir_.path()};
  GitSource source_{dir_.path() + "/cache"};
};

TEST_F(GitSourceTest, ReadsTheManifestsUnderThePathAndFollowsNewCommits) {
  repo_.Write("clusters/prod/web.yaml", "kind: Service\n");
  repo_.Write("clusters/prod/db/db.yml", "kind: Service # db\n");
  repo_.Write("clusters/prod/README.md", "not a manifest");
  repo_.Write("clusters/staging/web.yaml", "kind: Service # staging\n");
  const std::string first = repo_.Commit("first");
  auto fetched = source_.Fetch({repo_.url(), "main", "clusters/prod"});
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(fetched->commit, first);
  EXPECT_EQ(Paths(*fetched),
            (std::vector<std::string>{"clusters/prod/db/db.yml", "clusters/prod/web.yaml"}));
  EXPECT_EQ(fetched->files[1].text, "kind: Service\n");

  repo_.Write("clusters/prod/web.yaml", "kind: Service # v2\n");
  repo_.Remove("clusters/prod/db/db.yml");
  const std::string second = repo_.Commit("second");
  auto again = source_.Fetch({repo_.url(), "main", "clusters/prod/"});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->commit, second);
  EXPECT_EQ(Paths(*again), (std::vector<std::string>{"clusters/prod/web.yaml"}));
  EXPECT_EQ(again->files[0].text, "kind: Service # v2\n");

  // The root, one file, a tag and a commit id name trees too.
  auto root = source_.Fetch({repo_.url(), "main", ""});
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->files.size(), 2u);
  auto one = source_.Fetch({"file://" + repo_.url(), "main", "clusters/staging/web.yaml"});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(Paths(*one), (std::vector<std::string>{"clusters/staging/web.yaml"}));
  repo_.Tag("v2");
  repo_.Commit("third");
  auto tagged = source_.Fetch({repo_.url(), "v2", "clusters/prod"});
  ASSERT_TRUE(tagged.ok()) << tagged.status().ToString();
  EXPECT_EQ(tagged->commit, second) << "an annotated tag is peeled to its commit";
  auto pinned = source_.Fetch({repo_.url(), first, "clusters/prod"});
  ASSERT_TRUE(pinned.ok()) << pinned.status().ToString();
  EXPECT_EQ(pinned->files.size(), 2u);
}

TEST_F(GitSourceTest, WhatCannotBeReadSaysWhichFieldAndWhy) {
  repo_.Write("deploy/web.yaml", "kind: Service\n");
  repo_.Commit("first");
  auto no_branch = source_.Fetch({repo_.url(), "release", "deploy"});
  ASSERT_FALSE(no_branch.ok());
  EXPECT_EQ(no_branch.status().code(), Code::kNotFound);
  EXPECT_EQ(no_branch.status().field(), "spec.git.ref");
  auto no_path = source_.Fetch({repo_.url(), "main", "clusters/prod"});
  EXPECT_EQ(no_path.status().code(), Code::kNotFound);
  EXPECT_EQ(no_path.status().field(), "spec.git.path");
  auto escape = source_.Fetch({repo_.url(), "main", "deploy/../../etc"});
  EXPECT_EQ(escape.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(escape.status().field(), "spec.git.path");
  auto bad_ref = source_.Fetch({repo_.url(), "main..other", ""});
  EXPECT_EQ(bad_ref.status().field(), "spec.git.ref");
  auto nowhere = source_.Fetch({dir_.path() + "/no-such-repo.git", "main", ""});
  EXPECT_EQ(nowhere.status().code(), Code::kUnavailable);
  auto secret = source_.Fetch({"https://user:s3cret@127.0.0.1:1/repo.git", "main", ""});
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.status().ToString().find("s3cret"), std::string::npos)
      << secret.status().ToString();
}

TEST_F(GitSourceTest, ARepositoryCannotMakeItReadWithoutBound) {
  for (int i = 0; i < 5; ++i) repo_.Write("many/m" + std::to_string(i) + ".yaml", "kind: x\n");
  repo_.Write("big/big.yaml", std::string(4096, '#'));
  std::string deep = "deep";
  for (int i = 0; i < 6; ++i) deep += "/d";
  repo_.Write(deep + "/x.yaml", "kind: x\n");
  repo_.Commit("limits");
  GitLimits limits;
  limits.max_files = 3;
  limits.max_file_bytes = 1024;
  limits.max_depth = 4;
  GitSource bounded(dir_.path() + "/bounded", limits);
  auto many = bounded.Fetch({repo_.url(), "main", "many"});
  EXPECT_EQ(many.status().code(), Code::kResourceExhausted);
  EXPECT_NE(many.status().message().find("more than 3 manifest files"), std::string::npos);
  auto big = bounded.Fetch({repo_.url(), "main", "big"});
  EXPECT_EQ(big.status().code(), Code::kResourceExhausted);
  auto nested = bounded.Fetch({repo_.url(), "main", "deep"});
  EXPECT_EQ(nested.status().code(), Code::kResourceExhausted);
  GitLimits tiny_fetch;
  tiny_fetch.max_fetch_bytes = 16;
  GitSource starved(dir_.path() + "/starved", tiny_fetch);
  auto starved_path = starved.Fetch({repo_.url(), "main", ""});
  EXPECT_EQ(starved_path.status().code(), Code::kResourceExhausted)
      << starved_path.status().ToString();
  auto starved_file = starved.Fetch({"file://" + repo_.url(), "main", ""});
  EXPECT_EQ(starved_file.status().code(), Code::kResourceExhausted)
      << starved_file.status().ToString();
  // The cache is the owner's only: a fetched repository may hold what others may not read.
  struct stat st {};
  ASSERT_EQ(::stat((dir_.path() + "/starved").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(GitSourceTest, SymbolicLinksAreNotFollowed) {
  repo_.Write("deploy/web.yaml", "kind: Service\n");
  repo_.Commit("first");
  std::filesystem::create_symlink("/etc/passwd", dir_.path() + "/work/deploy/passwd.yaml");
  repo_.Commit("a link");
  auto fetched = source_.Fetch({repo_.url(), "main", "deploy"});
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(Paths(*fetched), (std::vector<std::string>{"deploy/web.yaml"}));
}

}  // namespace
}  // namespace gantry::controllers::sync
