#pragma once

// For tests: a Git repository made at test time to fetch from.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/testlib/testlib.h"

namespace gantry::testlib {

// A bare repository made at test time, and a clone of it to commit and push from, with the
// `git` command (Debian's git), as a team's repository would be.
class GitRepo {
 public:
  explicit GitRepo(const std::string& root) : bare_(root + "/remote.git"), work_(root + "/work") {
    Git({"init", "-q", "--bare", "-b", "main", bare_});
    Git({"init", "-q", "-b", "main", work_});
    Git({"-C", work_, "remote", "add", "origin", bare_});
  }
  const std::string& url() const { return bare_; }

  void Write(const std::string& path, const std::string& text) {
    const std::string file = work_ + "/" + path;
    std::filesystem::create_directories(std::filesystem::path(file).parent_path());
    std::ofstream(file) << text;
  }
  void Remove(const std::string& path) { std::filesystem::remove(work_ + "/" + path); }
  // Commits everything and pushes the branch; the new commit's id.
  std::string Commit(const std::string& message, const std::string& branch = "main") {
    Git({"-C", work_, "add", "-A"});
    Git({"-C", work_, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q",
         "--allow-empty", "-m", message});
    Git({"-C", work_, "push", "-q", "origin", "HEAD:refs/heads/" + branch});
    return Head();
  }
  std::string Head() { return Trimmed(Git({"-C", work_, "rev-parse", "HEAD"}).out); }
  void Tag(const std::string& name) {
    Git({"-C", work_, "-c", "user.name=t", "-c", "user.email=t@example.com", "tag", "-a", name,
         "-m", name});
    Git({"-C", work_, "push", "-q", "origin", "refs/tags/" + name});
  }
  CommandResult Git(std::vector<std::string> args) {
    args.insert(args.begin(), "git");
    auto r = RunCommand(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  }

 private:
  static std::string Trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
  }
  std::string bare_;
  std::string work_;
};

}  // namespace gantry::testlib
