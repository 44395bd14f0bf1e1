// A database written before transactions (one log row per revision, keyed by it) opens with its
// keys, values and revisions intact, and takes transactions from there on.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "store/sqlite/sqlite_store.h"

namespace gantry::store {
namespace {

void Exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
      << (message ? message : "") << " in " << sql;
}

TEST(SqliteMigrationTest, RevisionKeyedLogOpensIntactAndTakesTransactions) {
  std::string dir = ::testing::TempDir() + "/sqlite_migration_XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/gantry.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    // The layout before transactions: /k/a created at 1 and updated at 3, /k/b created at 2
    // and deleted at 4, /k/c created at 5; history compacted up to 1 (row 1 is gone).
    Exec(db,
         "CREATE TABLE log(revision INTEGER PRIMARY KEY, key TEXT NOT NULL, type INTEGER NOT "
         "NULL, value BLOB NOT NULL, create_revision INTEGER NOT NULL);"
         "CREATE TABLE meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
         "INSERT INTO log VALUES(2, '/k/b', 0, 'b1', 2);"
         "INSERT INTO log VALUES(3, '/k/a', 0, 'a2', 1);"
         "INSERT INTO log VALUES(4, '/k/b', 1, 'b1', 2);"
         "INSERT INTO log VALUES(5, '/k/c', 0, 'c1', 5);"
         "INSERT INTO meta VALUES('revision', 5);"
         "INSERT INTO meta VALUES('compacted', 1);");
    sqlite3_close(db);
  }
  auto s = SqliteStore::Open(path);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ((*s)->CurrentRevision(), 5);
  EXPECT_EQ((*s)->CompactedRevision(), 1);
  auto a = (*s)->Get("/k/a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->value, "a2");
  EXPECT_EQ(a->create_revision, 1);
  EXPECT_EQ(a->mod_revision, 3);
  EXPECT_EQ((*s)->Get("/k/b").code(), Code::kNotFound);
  EXPECT_EQ((*s)->Get("/k/c")->value, "c1");
  auto w = (*s)->Watch("/k/", 1);
  ASSERT_TRUE(w.ok());
  WatchEvent e;
  std::vector<int64_t> revisions;
  while ((*w)->Next(e, std::chrono::milliseconds(200)) == Watch::Poll::kEvent)
    revisions.push_back(e.kv.mod_revision);
  EXPECT_EQ(revisions, (std::vector<int64_t>{2, 3, 4, 5}));

  auto rev = (*s)->Txn({TxnOp::Update("/k/a", "a3", 3), TxnOp::Create("/k/d", "d1")});
  ASSERT_TRUE(rev.ok()) << rev.error().message;
  EXPECT_EQ(*rev, 6);
  EXPECT_EQ((*s)->Get("/k/d")->mod_revision, 6);
  EXPECT_EQ((*s)->IntegrityCheck(), "ok");
  s = Error{};  // close before reopening
  auto again = SqliteStore::Open(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Get("/k/a")->value, "a3");
  EXPECT_EQ((*again)->CurrentRevision(), 6);
  again = Error{};
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gantry::store
