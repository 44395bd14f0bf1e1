// The SQLite store's files: the database holds every secret, so it and its -wal/-shm files are
// the owner's alone (0600) whatever the umask, and a database left with wider modes by an
// older version is tightened when it is opened.
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace gantry::store {
namespace {

int ModeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

class SqliteFileModesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/sqlite_modes_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    db_ = dir_ + "/gantry.db";
    old_umask_ = ::umask(0);  // the most permissive: only Open's own modes count
  }
  void TearDown() override {
    ::umask(old_umask_);
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  std::string db_;
  mode_t old_umask_ = 0;
};

TEST_F(SqliteFileModesTest, NewDatabaseAndItsWalAndShmAreOwnerOnly) {
  auto store = SqliteStore::Open(db_);
  ASSERT_TRUE(store.ok()) << store.error().message;
  ASSERT_TRUE((*store)->Create("/k", "secret").ok());
  // While open, WAL mode keeps both side files.
  EXPECT_EQ(ModeOf(db_), 0600);
  EXPECT_EQ(ModeOf(db_ + "-wal"), 0600);
  EXPECT_EQ(ModeOf(db_ + "-shm"), 0600);
}

TEST_F(SqliteFileModesTest, ExistingWorldReadableFilesAreTightenedOnOpen) {
  {
    auto store = SqliteStore::Open(db_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    ASSERT_TRUE((*store)->Create("/k", "secret").ok());
    // As an older gantryd left them (SQLite's default 0644), side files included.
    for (const char* suffix : {"", "-wal", "-shm"}) {
      const std::string path = db_ + suffix;
      if (ModeOf(path) >= 0) {
        ASSERT_EQ(::chmod(path.c_str(), 0644), 0) << path;
      }
    }
    ASSERT_EQ(ModeOf(db_), 0644);
  }
  // What closing left behind, widened too.
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string path = db_ + suffix;
    if (ModeOf(path) >= 0) {
      ASSERT_EQ(::chmod(path.c_str(), 0666), 0) << path;
    }
  }
  auto store = SqliteStore::Open(db_);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto got = (*store)->Get("/k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value, "secret");
  EXPECT_EQ(ModeOf(db_), 0600);
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string path = db_ + suffix;
    if (ModeOf(path) >= 0) {
      EXPECT_EQ(ModeOf(path), 0600) << path;
    }
  }
}

}  // namespace
}  // namespace gantry::store
