#pragma once

// The SQLite Store: the only place that includes sqlite3.h.
//
//   writers ──queue──▶ one writer thread: BEGIN IMMEDIATE; apply every queued write (each checked
//                      against the current row); bump the revision; COMMIT (one fsync for the
//                      whole batch: group commit) ──▶ acknowledge ──▶ publish to watchers
//   readers ──▶ a pool of read connections (WAL: readers never block the writer)
//
// Tables: log (one row per key written, with its value and the revision of the write or
// transaction: data and watch history), meta (revision,
// compacted revision). Which row is each live key's value is kept in memory (rebuilt from the
// log at open), so a write appends one row and touches no random B-tree page. Compaction
// deletes log rows that no live key points at. WAL journal; synchronous=FULL by
// default, so an acknowledged write survives power loss.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "store/watch_hub.h"

struct sqlite3;

namespace gantry::store {

struct SqliteOptions {
  // FULL: durable on power loss (the default). NORMAL: durable on process crash only.
  bool synchronous_full = true;
  size_t max_batch = 1024;        // writes per transaction at most
  size_t read_connections = 4;    // pooled; more readers wait for one
  size_t watch_buffer = 100'000;  // events a watcher may fall behind before it is closed
  // Called after each committed transaction with its duration and number of writes (metrics).
  std::function<void(double seconds, size_t writes)> on_commit;
};

class SqliteStore : public Store {
 public:
  // Opens (creating if needed) the database file at `path`. The database and its -wal, -shm
  // and -journal files are made 0600 (owner only), also when they exist with a wider mode;
  // kFailedPrecondition when that is not possible.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   const SqliteOptions& options = {});
  ~SqliteStore() override;

  Result<KeyValue> Get(std::string_view key) override;
  Result<ListResult> List(std::string_view prefix, const ListOptions& options = {}) override;
  Result<int64_t> Create(std::string_view key, std::string_view value) override;
  Result<int64_t> Update(std::string_view key, std::string_view value,
                         int64_t expected_revision) override;
  Result<int64_t> Delete(std::string_view key, int64_t expected_revision) override;
  Result<int64_t> Txn(std::vector<TxnOp> ops) override;
  Result<WatchPtr> Watch(std::string_view prefix, int64_t after) override;
  Result<int64_t> Compact(int64_t revision) override;
  int64_t CurrentRevision() override;
  int64_t CompactedRevision() override;

  // PRAGMA integrity_check: "ok" or the problems found.
  std::string IntegrityCheck();
  // Bytes of the database file (page_count * page_size).
  int64_t DatabaseSizeBytes();
  // Transactions committed and writes they carried, for the group-commit benchmark and metrics.
  uint64_t transactions() const { return transactions_.load(); }

 private:
  struct Op;
  class Connection;
  struct IndexEntry {
    int64_t create_revision = 0;
    int64_t mod_revision = 0;
    int64_t row = 0;  // the log row holding the value
  };
  // Log rows of revisions in (from, to] that live keys point at, with the batch's pending
  // changes.
  std::vector<int64_t> LiveRows(
      const std::map<std::string, std::optional<IndexEntry>, std::less<>>& overlay, int64_t from,
      int64_t to) const;
  SqliteStore(std::string path, const SqliteOptions& options);
  Result<int64_t> Submit(Op op);
  Result<int64_t> Write(TxnOp write);
  void WriterLoop();
  void CommitBatch(std::vector<Op>& batch);
  std::unique_ptr<Connection> AcquireReader();
  void ReleaseReader(std::unique_ptr<Connection> c);

  const std::string path_;
  const SqliteOptions options_;
  std::unique_ptr<Connection> writer_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Op> queue_;
  bool stopping_ = false;
  bool writer_idle_ = false;  // the writer waits on queue_cv_; guarded by queue_mu_
  std::thread writer_thread_;

  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<Connection>> readers_;
  size_t readers_open_ = 0;

  // Live key -> the log row holding its value. Written only by the writer thread, after commit.
  mutable std::shared_mutex index_mu_;
  std::map<std::string, IndexEntry, std::less<>> index_;

  int64_t last_row_ = 0;  // the highest log row id; the writer thread's (after Open)
  std::atomic<int64_t> revision_{0};
  std::atomic<int64_t> compacted_{0};
  std::atomic<uint64_t> transactions_{0};
  WatchHub hub_;
};

}  // namespace gantry::store
