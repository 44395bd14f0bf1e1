// Finding 8 (gantryd's files): gantry.db, which holds every secret, was created world-readable
// (0644) in a 0755 data dir. Now the data dir and the task log dir are 0700 and the database and
// its -wal/-shm files 0600, whatever the umask gantryd starts with; a data dir left with wider
// modes by an older gantryd is tightened at the next start.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <string>

#include "tests/testlib/gantry_processes.h"

namespace gantry {
namespace {

using namespace std::chrono_literals;

int ModeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

// gantryd inherits the umask: 0 is the most permissive, so only gantryd's own modes count.
class FileModesTest : public ::testing::Test {
 protected:
  void SetUp() override { old_umask_ = ::umask(0); }
  void TearDown() override { ::umask(old_umask_); }

  static void ExpectPrivate(const std::string& data_dir) {
    EXPECT_EQ(ModeOf(data_dir), 0700) << data_dir;
    EXPECT_EQ(ModeOf(data_dir + "/gantry.db"), 0600);
    for (const char* side : {"/gantry.db-wal", "/gantry.db-shm"}) {
      int mode = ModeOf(data_dir + side);
      if (mode >= 0) {
        EXPECT_EQ(mode, 0600) << side;
      }
    }
    EXPECT_EQ(ModeOf(data_dir + "/logs"), 0700);
  }

  mode_t old_umask_ = 0;
};

TEST_F(FileModesTest, FreshDataDirIsPrivate) {
  testlib::Gantryd gantryd;
  ASSERT_TRUE(gantryd.ready()) << gantryd.log();
  // A write, so the WAL and shared-memory files exist.
  auto r = gantryd.Ecs("CreateCluster", R"({"clusterName":"demo"})");
  ASSERT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().ToString());
  EXPECT_EQ(ModeOf(gantryd.data_dir() + "/gantry.db-wal"), 0600);
  EXPECT_EQ(ModeOf(gantryd.data_dir() + "/gantry.db-shm"), 0600);
  ExpectPrivate(gantryd.data_dir());
}

TEST_F(FileModesTest, WiderModesLeftByAnOlderGantrydAreTightened) {
  testlib::Gantryd first;
  ASSERT_TRUE(first.ready()) << first.log();
  auto r = first.Ecs("CreateCluster", R"({"clusterName":"demo"})");
  ASSERT_TRUE(r.ok() && r->status == 200);
  first.process().Signal(SIGKILL);  // the WAL and shm files stay behind
  first.process().Wait(10s);
  const std::string data = first.data_dir();
  for (const char* path : {"", "/gantry.db", "/gantry.db-wal", "/gantry.db-shm", "/logs"}) {
    if (ModeOf(data + path) < 0) continue;
    bool dir = std::string(path).empty() || std::string(path) == "/logs";
    ASSERT_EQ(::chmod((data + path).c_str(), dir ? 0755 : 0644), 0) << path;
  }
  ASSERT_EQ(ModeOf(data + "/gantry.db"), 0644);

  testlib::Gantryd second({}, data);
  ASSERT_TRUE(second.ready()) << second.log();
  ExpectPrivate(data);
  // And it still has what the first one stored.
  r = second.Ecs("DescribeClusters", R"({"clusters":["demo"]})");
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->body.find("\"clusterName\":\"demo\""), std::string::npos) << r->body;
}

}  // namespace
}  // namespace gantry
