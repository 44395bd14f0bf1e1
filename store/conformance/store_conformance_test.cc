// One suite, every backend: the Store contract of store/store.h.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"

namespace gantry::store {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// A fresh directory per store. Naming it after the pid was not enough: ctest runs every test in
// a process of its own, pids come round again, and a recycled pid reopened an old run's
// database (the "flaky" conformance failures: revisions did not start at 0). The directories go
// when the test process ends.
std::string TempPath(const std::string& name) {
  static struct Dirs {
    std::mutex mu;
    std::vector<fs::path> paths;
    ~Dirs() {
      std::error_code ec;
      for (const auto& p : paths) fs::remove_all(p, ec);
    }
  } dirs;
  std::string pattern = (fs::path(::testing::TempDir()) / "store-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp " << pattern;
  std::lock_guard lock(dirs.mu);
  dirs.paths.emplace_back(pattern);
  return (fs::path(pattern) / name).string();
}

struct MemoryFactory {
  static StorePtr Make(size_t watch_buffer = 100'000) {
    return std::make_unique<MemoryStore>(watch_buffer);
  }
};

struct SqliteFactory {
  static StorePtr Make(size_t watch_buffer = 100'000) {
    SqliteOptions options;
    options.watch_buffer = watch_buffer;
    // Tests check behaviour, not durability; NORMAL keeps them fast on slow disks.
    options.synchronous_full = false;
    auto s = SqliteStore::Open(TempPath("gantry.db"), options);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return std::move(s).value();
  }
};

template <typename Factory>
class StoreConformanceTest : public ::testing::Test {
 protected:
  StorePtr store_ = Factory::Make();
};

using Backends = ::testing::Types<MemoryFactory, SqliteFactory>;
class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryFactory> ? "Memory" : "Sqlite";
  }
};
TYPED_TEST_SUITE(StoreConformanceTest, Backends, BackendNames);

std::vector<WatchEvent> Drain(Watch& w, size_t n, milliseconds timeout = milliseconds(2000)) {
  std::vector<WatchEvent> out;
  WatchEvent e;
  while (out.size() < n && w.Next(e, timeout) == Watch::Poll::kEvent) out.push_back(e);
  return out;
}

TYPED_TEST(StoreConformanceTest, CreateGetUpdateDelete) {
  Store& s = *this->store_;
  EXPECT_EQ(s.CurrentRevision(), 0);
  auto r1 = s.Create("/a", "one");
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(*r1, 1);
  auto kv = s.Get("/a");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->value, "one");
  EXPECT_EQ(kv->create_revision, 1);
  EXPECT_EQ(kv->mod_revision, 1);

  auto r2 = s.Update("/a", "two", 1);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(*r2, 2);
  kv = s.Get("/a");
  EXPECT_EQ(kv->value, "two");
  EXPECT_EQ(kv->create_revision, 1);
  EXPECT_EQ(kv->mod_revision, 2);

  auto r3 = s.Delete("/a", 2);
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(*r3, 3);
  EXPECT_EQ(s.Get("/a").code(), Code::kNotFound);
  EXPECT_EQ(s.CurrentRevision(), 3);
}

TYPED_TEST(StoreConformanceTest, ErrorsWriteNothing) {
  Store& s = *this->store_;
  ASSERT_TRUE(s.Create("/a", "one").ok());
  EXPECT_EQ(s.Create("/a", "again").code(), Code::kAlreadyExists);
  EXPECT_EQ(s.Update("/missing", "x", 0).code(), Code::kNotFound);
  EXPECT_EQ(s.Delete("/missing", 0).code(), Code::kNotFound);
  auto stale = s.Update("/a", "x", 7);
  EXPECT_EQ(stale.code(), Code::kAborted);
  EXPECT_NE(stale.error().message.find("stale"), std::string::npos);
  EXPECT_EQ(s.Delete("/a", 7).code(), Code::kAborted);
  EXPECT_EQ(s.CurrentRevision(), 1);
  EXPECT_EQ(s.Get("/a")->value, "one");
  // Expected revision 0: unconditional.
  EXPECT_TRUE(s.Update("/a", "forced", 0).ok());
  EXPECT_EQ(s.Get("/a")->value, "forced");
}

TYPED_TEST(StoreConformanceTest, BinaryValuesAndOddKeys) {
  Store& s = *this->store_;
  std::string value("a\0b\xff", 4);
  std::string key = "/k/\xc3\xa9/\xff\xff";
  ASSERT_TRUE(s.Create(key, value).ok());
  EXPECT_EQ(s.Get(key)->value, value);
  auto list = s.List("/k/\xc3\xa9/\xff");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(s.List("")->items.size(), 1u);
  ASSERT_TRUE(s.Create("/empty", "").ok());
  EXPECT_EQ(s.Get("/empty")->value, "");
}

TYPED_TEST(StoreConformanceTest, ListByPrefixSortedWithRevision) {
  Store& s = *this->store_;
  for (const char* k : {"/svc/b", "/svc/a", "/svcx", "/task/a", "/svc/c"})
    ASSERT_TRUE(s.Create(k, k).ok());
  ASSERT_TRUE(s.Delete("/svc/c", 0).ok());
  auto list = s.List("/svc/");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->items.size(), 2u);
  EXPECT_EQ(list->items[0].key, "/svc/a");
  EXPECT_EQ(list->items[1].key, "/svc/b");
  EXPECT_EQ(list->revision, 6);
  EXPECT_EQ(s.List("/nothing/")->items.size(), 0u);
  EXPECT_EQ(s.List("")->items.size(), 4u);
}

TYPED_TEST(StoreConformanceTest, ListInPages) {
  Store& s = *this->store_;
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(s.Create("/p/" + std::to_string(i), "v").ok());
  ASSERT_TRUE(s.Create("/q/x", "v").ok());
  std::vector<std::string> keys;
  ListOptions page{"", 3};
  int pages = 0;
  while (true) {
    auto r = s.List("/p/", page);
    ASSERT_TRUE(r.ok());
    ++pages;
    for (const auto& kv : r->items) keys.push_back(kv.key);
    if (!r->more) break;
    ASSERT_EQ(r->items.size(), 3u);
    page.start_after = r->items.back().key;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"/p/0", "/p/1", "/p/2", "/p/3", "/p/4", "/p/5", "/p/6"}));
  // A limit equal to what remains: the last page says nothing more.
  auto exact = s.List("/p/", ListOptions{"/p/3", 3});
  EXPECT_EQ(exact->items.size(), 3u);
  EXPECT_FALSE(exact->more);
  EXPECT_EQ(s.List("/p/", ListOptions{"/p/6", 10})->items.size(), 0u);
}

TYPED_TEST(StoreConformanceTest, WatchFromNowSeesLiveChangesUnderPrefix) {
  Store& s = *this->store_;
  ASSERT_TRUE(s.Create("/svc/old", "x").ok());
  auto w = s.Watch("/svc/", 0);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(s.Create("/svc/a", "1").ok());
  ASSERT_TRUE(s.Create("/task/a", "ignored").ok());
  ASSERT_TRUE(s.Update("/svc/a", "2", 0).ok());
  ASSERT_TRUE(s.Delete("/svc/a", 0).ok());
  auto events = Drain(**w, 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, WatchEvent::Type::kPut);
  EXPECT_TRUE(events[0].created);
  EXPECT_EQ(events[0].kv.mod_revision, 2);
  EXPECT_FALSE(events[1].created);
  EXPECT_EQ(events[1].kv.value, "2");
  EXPECT_EQ(events[2].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(events[2].kv.value, "2");  // the last value
  EXPECT_EQ(events[2].kv.mod_revision, 5);
  WatchEvent e;
  EXPECT_EQ((*w)->Next(e, milliseconds(20)), Watch::Poll::kTimeout);
}

TYPED_TEST(StoreConformanceTest, WatchFromRevisionReplaysHistoryThenLive) {
  Store& s = *this->store_;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(s.Create("/k/" + std::to_string(i), "v").ok());
  auto w = s.Watch("/k/", 4);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(s.Create("/k/live", "v").ok());
  auto events = Drain(**w, 7);
  ASSERT_EQ(events.size(), 7u);
  for (size_t k = 0; k < events.size(); ++k) EXPECT_EQ(events[k].kv.mod_revision, 5 + int64_t(k));
}

TYPED_TEST(StoreConformanceTest, WatchNeverLosesOrRepeatsEventsUnderConcurrentWrites) {
  Store& s = *this->store_;
  constexpr int kWriters = 4, kPerWriter = 150;
  std::atomic<bool> go{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      while (!go) std::this_thread::yield();
      for (int i = 0; i < kPerWriter; ++i) {
        EXPECT_TRUE(s.Create("/w/" + std::to_string(t) + "/" + std::to_string(i), "v").ok());
      }
    });
  }
  go = true;
  // Start watches at moving points while the writers run; each must see every later revision.
  std::vector<std::pair<int64_t, WatchPtr>> watches;
  for (int k = 0; k < 5; ++k) {
    // From revision 0 a watch starts "from now on", which may already be past a write that
    // lands meanwhile; a watch from a real revision replays from exactly there.
    int64_t from = 0;
    while (from == 0) {
      std::this_thread::sleep_for(milliseconds(2));
      from = s.CurrentRevision();
    }
    auto w = s.Watch("/w/", from);
    ASSERT_TRUE(w.ok()) << w.error().message;
    watches.emplace_back(from, std::move(w).value());
  }
  for (auto& t : writers) t.join();
  const int64_t last = s.CurrentRevision();
  ASSERT_EQ(last, kWriters * kPerWriter);
  for (auto& [from, w] : watches) {
    auto events = Drain(*w, static_cast<size_t>(last - from));
    ASSERT_EQ(events.size(), static_cast<size_t>(last - from)) << "from " << from;
    for (size_t k = 0; k < events.size(); ++k) {
      ASSERT_EQ(events[k].kv.mod_revision, from + 1 + int64_t(k)) << "from " << from;
    }
  }
}

TYPED_TEST(StoreConformanceTest, CompactionMakesOldRevisionsGone) {
  Store& s = *this->store_;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(s.Create("/k/" + std::to_string(i), "v").ok());
  auto c = s.Compact(6);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, 6);
  EXPECT_EQ(s.CompactedRevision(), 6);
  auto gone = s.Watch("/k/", 5);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, Code::kOutOfRange);
  EXPECT_NE(gone.error().message.find("compacted"), std::string::npos);
  auto from6 = s.Watch("/k/", 6);
  ASSERT_TRUE(from6.ok());
  EXPECT_EQ(Drain(**from6, 4).size(), 4u);
  // Data is untouched by compaction; compacting backwards is a no-op; forwards past now fails.
  EXPECT_EQ(s.List("/k/")->items.size(), 10u);
  EXPECT_EQ(*s.Compact(3), 6);
  EXPECT_EQ(s.Compact(11).code(), Code::kOutOfRange);
  EXPECT_EQ(s.Watch("/k/", 99).code(), Code::kOutOfRange);  // the future
}

TYPED_TEST(StoreConformanceTest, ConcurrentCompareAndSwapHasOneWinner) {
  Store& s = *this->store_;
  auto created = s.Create("/cas", "0");
  ASSERT_TRUE(created.ok());
  constexpr int kClients = 16;
  std::atomic<int> winners{0}, aborted{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto r = s.Update("/cas", std::to_string(c), *created);
      if (r.ok()) ++winners;
      if (r.code() == Code::kAborted) ++aborted;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(aborted, kClients - 1);
  EXPECT_EQ(s.CurrentRevision(), 2);
}

TYPED_TEST(StoreConformanceTest, ConcurrentWritersGetUniqueConsecutiveRevisions) {
  Store& s = *this->store_;
  constexpr int kWriters = 16, kPerWriter = 100;
  std::mutex mu;
  std::set<int64_t> revisions;
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerWriter; ++i) {
        auto r = s.Create("/c/" + std::to_string(t) + "/" + std::to_string(i), "v");
        ASSERT_TRUE(r.ok());
        std::lock_guard lock(mu);
        EXPECT_TRUE(revisions.insert(*r).second);
      }
    });
  }
  for (auto& t : writers) t.join();
  ASSERT_EQ(revisions.size(), size_t{kWriters * kPerWriter});
  EXPECT_EQ(*revisions.begin(), 1);
  EXPECT_EQ(*revisions.rbegin(), kWriters * kPerWriter);
  EXPECT_EQ(s.List("/c/")->items.size(), size_t{kWriters * kPerWriter});
}

TYPED_TEST(StoreConformanceTest, SlowWatcherIsClosedNotUnbounded) {
  StorePtr s = TypeParam::Make(/*watch_buffer=*/5);
  auto w = s->Watch("/", 0);
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(s->Create("/k" + std::to_string(i), "v").ok());
  WatchEvent e;
  EXPECT_EQ((*w)->Next(e, milliseconds(100)), Watch::Poll::kClosed);
  EXPECT_NE((*w)->closed_reason().find("fell behind"), std::string::npos);
}

TYPED_TEST(StoreConformanceTest, CancelClosesTheWatch) {
  auto w = this->store_->Watch("/", 0);
  ASSERT_TRUE(w.ok());
  (*w)->Cancel();
  WatchEvent e;
  EXPECT_EQ((*w)->Next(e, milliseconds(100)), Watch::Poll::kClosed);
  EXPECT_EQ((*w)->closed_reason(), "cancelled");
}

// ---- SQLite only: what survives a restart, and group commit ----

TYPED_TEST(StoreConformanceTest, TxnIsOneWriteWithOneRevision) {
  Store& s = *this->store_;
  ASSERT_TRUE(s.Create("/t/a", "a1").ok());
  ASSERT_TRUE(s.Create("/t/b", "b1").ok());
  auto w = s.Watch("/t/", 2);
  ASSERT_TRUE(w.ok());
  auto rev = s.Txn(
      {TxnOp::Create("/t/c", "c1"), TxnOp::Update("/t/a", "a2", 1), TxnOp::Delete("/t/b", 2)});
  ASSERT_TRUE(rev.ok()) << rev.error().message;
  EXPECT_EQ(*rev, 3);
  EXPECT_EQ(s.CurrentRevision(), 3);
  auto a = s.Get("/t/a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->value, "a2");
  EXPECT_EQ(a->create_revision, 1);
  EXPECT_EQ(a->mod_revision, 3);
  auto c = s.Get("/t/c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->create_revision, 3);
  EXPECT_EQ(c->mod_revision, 3);
  EXPECT_EQ(s.Get("/t/b").code(), Code::kNotFound);

  auto events = Drain(**w, 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kv.key, "/t/c");
  EXPECT_TRUE(events[0].created);
  EXPECT_EQ(events[1].kv.key, "/t/a");
  EXPECT_FALSE(events[1].created);
  EXPECT_EQ(events[2].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(events[2].kv.value, "b1");  // a delete carries the last value
  for (const auto& e : events) EXPECT_EQ(e.kv.mod_revision, 3);

  // A watch resuming from before the transaction replays all of it; from it, none.
  auto replay = s.Watch("/t/", 2);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(Drain(**replay, 3).size(), 3u);
  auto after = s.Watch("/t/", 3);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(Drain(**after, 1, milliseconds(50)).empty());
  ASSERT_TRUE(s.Create("/t/d", "d1").ok());
  EXPECT_EQ(*s.Create("/t/e", "e1"), 5);
}

TYPED_TEST(StoreConformanceTest, TxnWithAFailingOpWritesNothing) {
  Store& s = *this->store_;
  ASSERT_TRUE(s.Create("/t/a", "a1").ok());
  ASSERT_TRUE(s.Create("/t/b", "b1").ok());
  auto stale = s.Txn({TxnOp::Create("/t/new", "x"), TxnOp::Update("/t/b", "b2", 1)});
  ASSERT_EQ(stale.code(), Code::kAborted);
  EXPECT_EQ(stale.error().op, 1);
  EXPECT_NE(stale.error().message.find("/t/b"), std::string::npos) << stale.error().message;
  EXPECT_NE(stale.error().message.find("stale"), std::string::npos) << stale.error().message;

  auto exists = s.Txn({TxnOp::Update("/t/a", "a2", 0), TxnOp::Create("/t/b", "again")});
  EXPECT_EQ(exists.code(), Code::kAlreadyExists);
  EXPECT_EQ(exists.error().op, 1);
  auto missing = s.Txn({TxnOp::Delete("/t/missing", 0)});
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_EQ(missing.error().op, 0);

  EXPECT_EQ(s.CurrentRevision(), 2);
  EXPECT_EQ(s.Get("/t/new").code(), Code::kNotFound);
  EXPECT_EQ(s.Get("/t/a")->value, "a1");
  EXPECT_EQ(s.Get("/t/b")->value, "b1");
}

TYPED_TEST(StoreConformanceTest, TxnShapeIsCheckedFirst) {
  Store& s = *this->store_;
  EXPECT_EQ(s.Txn({}).code(), Code::kInvalidArgument);
  auto twice = s.Txn({TxnOp::Create("/t/a", "1"), TxnOp::Create("/t/a", "2")});
  ASSERT_EQ(twice.code(), Code::kInvalidArgument);
  EXPECT_EQ(twice.error().op, 1);
  std::vector<TxnOp> many;
  for (size_t i = 0; i <= kMaxTxnOps; ++i)
    many.push_back(TxnOp::Create("/t/" + std::to_string(i), ""));
  EXPECT_EQ(s.Txn(many).code(), Code::kInvalidArgument);
  many.pop_back();
  auto full = s.Txn(std::move(many));
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(*full, 1);
  auto list = s.List("/t/");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->items.size(), kMaxTxnOps);
}

// Readers never see part of a transaction: every list of the five keys finds one generation.
TYPED_TEST(StoreConformanceTest, ListsSeeAllOfATransactionOrNone) {
  Store& s = *this->store_;
  constexpr int kKeys = 5;
  std::vector<TxnOp> first;
  for (int k = 0; k < kKeys; ++k) first.push_back(TxnOp::Create("/x/" + std::to_string(k), "0"));
  ASSERT_TRUE(s.Txn(std::move(first)).ok());
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int generation = 1; generation <= 200; ++generation) {
      std::vector<TxnOp> ops;
      for (int k = 0; k < kKeys; ++k)
        ops.push_back(TxnOp::Update("/x/" + std::to_string(k), std::to_string(generation), 0));
      ASSERT_TRUE(s.Txn(std::move(ops)).ok());
      // Plain writes between transactions keep the revisions one per write.
      ASSERT_TRUE(s.Create("/y/" + std::to_string(generation), "").ok());
    }
    done = true;
  });
  int lists = 0;
  while (!done.load() || lists == 0) {
    auto list = s.List("/x/");
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->items.size(), static_cast<size_t>(kKeys));
    for (const auto& kv : list->items) {
      ASSERT_EQ(kv.value, list->items.front().value) << "a list saw part of a transaction";
      ASSERT_EQ(kv.mod_revision, list->items.front().mod_revision);
    }
    ++lists;
  }
  writer.join();
  EXPECT_EQ(s.CurrentRevision(), 1 + 2 * 200);
  EXPECT_GT(lists, 0);
}

TYPED_TEST(StoreConformanceTest, CompactionKeepsTheLiveKeysOfATransaction) {
  Store& s = *this->store_;
  ASSERT_TRUE(s.Txn({TxnOp::Create("/c/a", "a1"), TxnOp::Create("/c/b", "b1")}).ok());
  ASSERT_TRUE(s.Txn({TxnOp::Update("/c/a", "a2", 0), TxnOp::Create("/c/c", "c1")}).ok());
  ASSERT_TRUE(s.Txn({TxnOp::Delete("/c/c", 0)}).ok());
  ASSERT_TRUE(s.Compact(3).ok());
  EXPECT_EQ(s.Get("/c/a")->value, "a2");
  EXPECT_EQ(s.Get("/c/b")->value, "b1");
  EXPECT_EQ(s.Get("/c/b")->mod_revision, 1);
  EXPECT_EQ(s.Get("/c/c").code(), Code::kNotFound);
  auto list = s.List("/c/");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->items.size(), 2u);
  EXPECT_EQ(s.Watch("/c/", 1).code(), Code::kOutOfRange);
}

TEST(SqliteStoreTest, ReopenContinuesWhereItStopped) {
  std::string path = TempPath("reopen.db");
  {
    auto s = SqliteStore::Open(path);
    ASSERT_TRUE(s.ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*s)->Create("/k/" + std::to_string(i), "v").ok());
    ASSERT_TRUE((*s)->Update("/k/0", "changed", 0).ok());
    ASSERT_TRUE((*s)->Compact(2).ok());
  }
  auto s = SqliteStore::Open(path);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->CurrentRevision(), 6);
  EXPECT_EQ((*s)->CompactedRevision(), 2);
  EXPECT_EQ((*s)->Get("/k/0")->value, "changed");
  EXPECT_EQ(*(*s)->Create("/k/new", "v"), 7);
  auto w = (*s)->Watch("/k/", 3);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(Drain(**w, 4).size(), 4u);  // revisions 4..7 from the log
  EXPECT_EQ((*s)->IntegrityCheck(), "ok");
  EXPECT_GT((*s)->DatabaseSizeBytes(), 0);
}

TEST(SqliteStoreTest, ReopenRebuildsTransactionsFromTheLog) {
  std::string path = TempPath("reopen-txn.db");
  {
    auto s = SqliteStore::Open(path);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Txn({TxnOp::Create("/k/a", "a1"), TxnOp::Create("/k/b", "b1")}).ok());
    ASSERT_TRUE((*s)->Txn({TxnOp::Update("/k/a", "a2", 1), TxnOp::Delete("/k/b", 1)}).ok());
  }
  auto s = SqliteStore::Open(path);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->CurrentRevision(), 2);
  auto a = (*s)->Get("/k/a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->value, "a2");
  EXPECT_EQ(a->create_revision, 1);
  EXPECT_EQ(a->mod_revision, 2);
  EXPECT_EQ((*s)->Get("/k/b").code(), Code::kNotFound);
  auto w = (*s)->Watch("/k/", 1);
  ASSERT_TRUE(w.ok());
  auto events = Drain(**w, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(events[1].kv.value, "b1");
  EXPECT_EQ(*(*s)->Create("/k/c", "c"), 3);
}

TEST(SqliteStoreTest, ConcurrentWritesShareTransactions) {
  SqliteOptions options;
  options.synchronous_full = true;
  auto s = SqliteStore::Open(TempPath("group.db"), options);
  ASSERT_TRUE(s.ok());
  constexpr int kWriters = 16, kPerWriter = 50;
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerWriter; ++i) {
        ASSERT_TRUE((*s)->Create("/g/" + std::to_string(t) + "/" + std::to_string(i), "v").ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ((*s)->CurrentRevision(), kWriters * kPerWriter);
  // Writers that arrive together share one transaction and one fsync.
  EXPECT_LT((*s)->transactions(), static_cast<uint64_t>(kWriters * kPerWriter));
}

TEST(SqliteStoreTest, OpenFailsCleanlyOnABadPath) {
  auto s = SqliteStore::Open("/nonexistent-dir/x/y.db");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::kUnavailable);
  EXPECT_NE(s.error().message.find("cannot open"), std::string::npos);
}

TEST(SqliteStoreTest, NotADatabase) {
  std::string path = TempPath("garbage.db");
  {
    std::ofstream f(path);
    f << std::string(8192, 'x');
  }
  auto s = SqliteStore::Open(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::kUnavailable);
}

}  // namespace
}  // namespace gantry::store
