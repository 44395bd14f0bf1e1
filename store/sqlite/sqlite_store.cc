#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>

#include "store/txn_checks.h"

namespace gantry::store {
namespace {

// One row per key written: the log is both the data and the watch history. A transaction's rows
// share its revision; `id` orders rows and is what the in-memory index points at. Which row is
// each live key's current value is kept in memory (rebuilt from the log at open), so a write
// appends rows and touches no other page. Compaction deletes rows no live key points at.
constexpr const char* kLogTable = R"sql(
CREATE TABLE IF NOT EXISTS log(
  id INTEGER PRIMARY KEY,
  revision INTEGER NOT NULL,
  key TEXT NOT NULL,
  type INTEGER NOT NULL,
  value BLOB NOT NULL,
  create_revision INTEGER NOT NULL
);
)sql";
constexpr const char* kSchema = R"sql(
CREATE INDEX IF NOT EXISTS log_by_revision ON log(revision);
CREATE TABLE IF NOT EXISTS meta(
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS keep(id INTEGER PRIMARY KEY);
)sql";

// Databases written before transactions had one row per revision, the revision being the row's
// key. Their rows keep their ids (the old revisions), so the migration is one copy into a log
// table made with kLogTable.
constexpr const char* kRenameRevisionKeyedLog = "ALTER TABLE log RENAME TO log_v1;";
constexpr const char* kCopyRevisionKeyedLog = R"sql(
INSERT INTO log(id, revision, key, type, value, create_revision)
  SELECT revision, revision, key, type, value, create_revision FROM log_v1;
DROP TABLE log_v1;
)sql";

std::string ModeText(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// The database holds every object, secrets included, so its files are the owner's alone (0600).
// A new database file is created 0600 before SQLite opens it (SQLite gives -wal and -shm the
// mode of the database file); existing files with another mode are set to 0600, so a database
// made before this rule becomes private on its next open.
std::optional<Error> MakeFilesPrivate(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.starts_with("file:")) return std::nullopt;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error{Code::kUnavailable, "cannot open " + path + ": " + std::strerror(errno)};
  struct stat st {};
  std::optional<Error> error;
  if (::fstat(fd, &st) != 0) {
    error = Error{Code::kUnavailable, "cannot stat " + path + ": " + std::strerror(errno)};
  } else if ((st.st_mode & 07777) != 0600 && ::fchmod(fd, 0600) != 0) {
    error = Error{Code::kFailedPrecondition,
                  path + " has mode " + ModeText(st.st_mode) +
                      " and cannot be made private (0600): " + std::strerror(errno)};
  }
  ::close(fd);
  if (error) return error;
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const std::string side = path + suffix;
    if (::stat(side.c_str(), &st) != 0 || (st.st_mode & 07777) == 0600) continue;
    if (::chmod(side.c_str(), 0600) != 0) {
      return Error{Code::kFailedPrecondition,
                   side + " has mode " + ModeText(st.st_mode) +
                       " and cannot be made private (0600): " + std::strerror(errno)};
    }
  }
  return std::nullopt;
}

// The smallest string greater than every string starting with `prefix`, or "" when none exists
// (empty prefix, or all 0xFF bytes): then the range has no upper bound.
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xFF) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

constexpr int kWriterCacheMib = 64;
constexpr int kReaderCacheMib = 8;

// Create, Update and Delete answer as they did before transactions: errors without an op index.
std::optional<Error> CheckSingleWrite(const TxnOp& write, std::optional<int64_t> current) {
  if (write.type == TxnOp::Type::kCreate) {
    if (current) return Error{Code::kAlreadyExists, "key already exists"};
    return std::nullopt;
  }
  if (!current) return Error{Code::kNotFound, "key not found"};
  if (write.expected_revision != 0 && *current != write.expected_revision) {
    return Error{Code::kAborted, "revision " + std::to_string(write.expected_revision) +
                                     " is stale; the key is at " + std::to_string(*current)};
  }
  return std::nullopt;
}

}  // namespace

// One SQLite connection with its prepared statements. Used by one thread at a time.
class SqliteStore::Connection {
 public:
  ~Connection() {
    for (sqlite3_stmt* s : {value_, scan_, log_, meta_set_, meta_get_, history_, compact_, keep_})
      sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }

  // `cache_mib`: this connection's page cache. The writer's is large, so B-tree pages it keeps
  // touching stay out of read() syscalls; readers fetch single rows by key and need little.
  // The writer (opened first) migrates an older log table.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool synchronous_full,
                                                  int cache_mib, bool writer = false) {
    auto c = std::unique_ptr<Connection>(new Connection());
    int rc =
        sqlite3_open_v2(path.c_str(), &c->db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      return Error{Code::kUnavailable, "cannot open " + path + ": " +
                                           (c->db_ ? sqlite3_errmsg(c->db_) : sqlite3_errstr(rc))};
    }
    std::string pragmas =
        "PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; PRAGMA cache_size=-" +
        std::to_string(cache_mib * 1024) + "; " +
        (synchronous_full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;");
    if (auto st = c->Exec(pragmas); !st.ok()) return st.error();
    if (writer) {
      if (auto st = c->MigrateLog(); !st.ok()) return st.error();
    }
    if (auto st = c->Exec(std::string(kLogTable) + kSchema); !st.ok()) return st.error();
    struct {
      sqlite3_stmt** stmt;
      const char* sql;
    } statements[] = {
        {&c->value_, "SELECT value FROM log WHERE id = ?1"},
        {&c->scan_, "SELECT id, revision, key, type, create_revision FROM log ORDER BY id"},
        {&c->log_,
         "INSERT INTO log(id, revision, key, type, value, create_revision) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6)"},
        {&c->meta_set_,
         "INSERT INTO meta(name, value) VALUES(?1, ?2) "
         "ON CONFLICT(name) DO UPDATE SET value = excluded.value"},
        {&c->meta_get_, "SELECT value FROM meta WHERE name = ?1"},
        {&c->history_,
         "SELECT revision, key, type, value, create_revision FROM log "
         "WHERE revision > ?1 AND revision <= ?2 AND key >= ?3 AND (?4 IS NULL OR key < ?4) "
         "ORDER BY id"},
        {&c->compact_,
         "DELETE FROM log WHERE revision > ?1 AND revision <= ?2 "
         "AND id NOT IN (SELECT id FROM temp.keep)"},
        {&c->keep_, "INSERT OR IGNORE INTO temp.keep(id) VALUES(?1)"},
    };
    for (auto& s : statements) {
      if (sqlite3_prepare_v3(c->db_, s.sql, -1, SQLITE_PREPARE_PERSISTENT, s.stmt, nullptr) !=
          SQLITE_OK) {
        return Error{Code::kInternal, std::string("prepare failed: ") + sqlite3_errmsg(c->db_)};
      }
    }
    return c;
  }

  Status Exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message ? message : sqlite3_errmsg(db_);
      sqlite3_free(message);
      return Error{Code::kUnavailable, "sqlite: " + text};
    }
    return {};
  }

  std::string LastError() const { return sqlite3_errmsg(db_); }

  // Moves a log table keyed by revision (written before transactions) to the current form.
  Status MigrateLog() {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT name FROM pragma_table_info('log')", -1, &s, nullptr) !=
        SQLITE_OK) {
      return Error{Code::kUnavailable, "sqlite: " + LastError()};
    }
    bool exists = false;
    bool has_id = false;
    while (sqlite3_step(s) == SQLITE_ROW) {
      exists = true;
      if (Text(s, 0) == "id") has_id = true;
    }
    sqlite3_finalize(s);
    if (!exists || has_id) return {};
    if (auto st = Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
    if (auto st = Exec(std::string(kRenameRevisionKeyedLog) + kLogTable + kCopyRevisionKeyedLog);
        !st.ok()) {
      (void)Exec("ROLLBACK");
      return Error{Code::kUnavailable, "migrating the log table: " + st.error().message};
    }
    return Exec("COMMIT");
  }

  // The value in log row `row`; nullopt when that row is gone (compacted).
  Result<std::optional<std::string>> Value(int64_t row) {
    Reset r(value_);
    sqlite3_bind_int64(value_, 1, row);
    int rc = sqlite3_step(value_);
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    if (rc != SQLITE_ROW) return Error{Code::kUnavailable, "sqlite: " + LastError()};
    return std::optional<std::string>(Blob(value_, 0));
  }

  // Replays the log in order: f(row, revision, key, is_delete, create_revision).
  template <typename F>
  Status Scan(F&& f) {
    Reset r(scan_);
    int rc;
    while ((rc = sqlite3_step(scan_)) == SQLITE_ROW) {
      f(sqlite3_column_int64(scan_, 0), sqlite3_column_int64(scan_, 1), Text(scan_, 2),
        sqlite3_column_int(scan_, 3) != 0, sqlite3_column_int64(scan_, 4));
    }
    if (rc != SQLITE_DONE) return Error{Code::kUnavailable, "sqlite: " + LastError()};
    return {};
  }

  bool AppendLog(int64_t row, const WatchEvent& e) {
    Reset r(log_);
    sqlite3_bind_int64(log_, 1, row);
    sqlite3_bind_int64(log_, 2, e.kv.mod_revision);
    BindText(log_, 3, e.kv.key);
    sqlite3_bind_int(log_, 4, e.type == WatchEvent::Type::kPut ? 0 : 1);
    BindBlob(log_, 5, e.kv.value);
    sqlite3_bind_int64(log_, 6, e.kv.create_revision);
    return sqlite3_step(log_) == SQLITE_DONE;
  }

  bool SetMeta(const char* name, int64_t value) {
    Reset r(meta_set_);
    sqlite3_bind_text(meta_set_, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(meta_set_, 2, value);
    return sqlite3_step(meta_set_) == SQLITE_DONE;
  }

  int64_t GetMeta(const char* name) {
    Reset r(meta_get_);
    sqlite3_bind_text(meta_get_, 1, name, -1, SQLITE_STATIC);
    return sqlite3_step(meta_get_) == SQLITE_ROW ? sqlite3_column_int64(meta_get_, 0) : 0;
  }

  // Deletes log rows of revisions in (from, to] except the rows `keep` (those live keys point
  // at).
  bool Compact(int64_t from, int64_t to, const std::vector<int64_t>& keep) {
    if (!Exec("DELETE FROM temp.keep").ok()) return false;
    for (int64_t row : keep) {
      Reset r(keep_);
      sqlite3_bind_int64(keep_, 1, row);
      if (sqlite3_step(keep_) != SQLITE_DONE) return false;
    }
    Reset r(compact_);
    sqlite3_bind_int64(compact_, 1, from);
    sqlite3_bind_int64(compact_, 2, to);
    return sqlite3_step(compact_) == SQLITE_DONE;
  }

  // Values for `items` from log rows `rows` (one per item), in one read transaction. False when
  // a row was compacted away meanwhile (the caller retries with a fresh index snapshot).
  Result<bool> FillValues(std::vector<KeyValue>& items, const std::vector<int64_t>& rows) {
    if (auto st = Exec("BEGIN"); !st.ok()) return st.error();
    for (size_t k = 0; k < items.size(); ++k) {
      KeyValue& kv = items[k];
      auto v = Value(rows[k]);
      if (!v.ok()) {
        (void)Exec("ROLLBACK");
        return v.error();
      }
      if (!*v) {
        (void)Exec("ROLLBACK");
        return false;
      }
      kv.value = std::move(**v);
    }
    (void)Exec("COMMIT");
    return true;
  }

  Result<std::vector<WatchEvent>> History(std::string_view prefix, int64_t after, int64_t upto) {
    std::vector<WatchEvent> out;
    std::string end = PrefixEnd(prefix);
    Reset r(history_);
    sqlite3_bind_int64(history_, 1, after);
    sqlite3_bind_int64(history_, 2, upto);
    BindText(history_, 3, prefix);
    if (end.empty()) {
      sqlite3_bind_null(history_, 4);
    } else {
      BindText(history_, 4, end);
    }
    int rc;
    while ((rc = sqlite3_step(history_)) == SQLITE_ROW) {
      WatchEvent e;
      e.kv.mod_revision = sqlite3_column_int64(history_, 0);
      e.kv.key = Text(history_, 1);
      e.type =
          sqlite3_column_int(history_, 2) == 0 ? WatchEvent::Type::kPut : WatchEvent::Type::kDelete;
      e.kv.value = Blob(history_, 3);
      e.kv.create_revision = sqlite3_column_int64(history_, 4);
      e.created = e.type == WatchEvent::Type::kPut && e.kv.create_revision == e.kv.mod_revision;
      out.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) return Error{Code::kUnavailable, "sqlite: " + LastError()};
    return out;
  }

  std::string IntegrityCheck() {
    sqlite3_stmt* s = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, "PRAGMA integrity_check", -1, &s, nullptr) != SQLITE_OK) {
      return "cannot run integrity_check: " + LastError();
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
      if (!out.empty()) out += "; ";
      out += Text(s, 0);
    }
    sqlite3_finalize(s);
    return out;
  }

  int64_t SizeBytes() {
    sqlite3_stmt* s = nullptr;
    int64_t size = 0;
    if (sqlite3_prepare_v2(
            db_, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", -1,
            &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      size = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return size;
  }

 private:
  Connection() = default;

  // Resets a statement and clears its bindings when it goes out of scope.
  struct Reset {
    explicit Reset(sqlite3_stmt* statement) : s(statement) {}
    ~Reset() {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
    sqlite3_stmt* s;
  };
  static void BindText(sqlite3_stmt* s, int i, std::string_view v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  static void BindBlob(sqlite3_stmt* s, int i, std::string_view v) {
    sqlite3_bind_blob(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  static std::string Text(sqlite3_stmt* s, int col) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, col))) : std::string();
  }
  static std::string Blob(sqlite3_stmt* s, int col) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, col))) : std::string();
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* value_ = nullptr;
  sqlite3_stmt* scan_ = nullptr;
  sqlite3_stmt* log_ = nullptr;
  sqlite3_stmt* meta_set_ = nullptr;
  sqlite3_stmt* meta_get_ = nullptr;
  sqlite3_stmt* history_ = nullptr;
  sqlite3_stmt* keep_ = nullptr;
  sqlite3_stmt* compact_ = nullptr;
};

struct SqliteStore::Op {
  enum class Kind { kWrite, kCompact } kind;
  std::vector<TxnOp> writes;  // kWrite: one for Create/Update/Delete, several for a Txn
  bool is_txn = false;        // errors name the op (Txn) or not (a single write)
  int64_t compact_to = 0;     // kCompact
  std::promise<Result<int64_t>> done;
};

SqliteStore::SqliteStore(std::string path, const SqliteOptions& options)
    : path_(std::move(path)), options_(options), hub_(options.watch_buffer) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       const SqliteOptions& options) {
  if (auto error = MakeFilesPrivate(path)) return *error;
  auto s = std::unique_ptr<SqliteStore>(new SqliteStore(path, options));
  auto writer = Connection::Open(path, options.synchronous_full, kWriterCacheMib, true);
  if (!writer.ok()) return writer.error();
  s->writer_ = std::move(writer).value();
  s->revision_ = s->writer_->GetMeta("revision");
  s->compacted_ = s->writer_->GetMeta("compacted");
  auto rebuilt = s->writer_->Scan(
      [&](int64_t row, int64_t revision, std::string key, bool deleted, int64_t created) {
        s->last_row_ = std::max(s->last_row_, row);
        if (deleted) {
          s->index_.erase(key);
        } else {
          s->index_[std::move(key)] = IndexEntry{created, revision, row};
        }
      });
  if (!rebuilt.ok()) return rebuilt.error();
  s->hub_.SetPublished(s->revision_);
  s->writer_thread_ = std::thread([p = s.get()] { p->WriterLoop(); });
  return s;
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();

  hub_.Close("store closed");
}

Result<int64_t> SqliteStore::Submit(Op op) {
  std::future<Result<int64_t>> f = op.done.get_future();
  bool wake;
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return Error{Code::kUnavailable, "store is closing"};
    queue_.push_back(std::move(op));
    // A busy writer picks the op up after its commit; waking it costs a syscall per write.
    wake = writer_idle_;
  }
  if (wake) queue_cv_.notify_one();
  return f.get();
}

void SqliteStore::WriterLoop() {
  std::vector<Op> batch;
  while (true) {
    {
      std::unique_lock lock(queue_mu_);
      writer_idle_ = true;
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      writer_idle_ = false;
      if (queue_.empty() && stopping_) return;
      size_t n = std::min(queue_.size(), options_.max_batch);
      for (size_t k = 0; k < n; ++k) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitBatch(batch);
    batch.clear();
  }
}

void SqliteStore::CommitBatch(std::vector<Op>& batch) {
  Connection& c = *writer_;
  std::vector<Result<int64_t>> results;
  results.reserve(batch.size());
  std::vector<WatchEvent> events;
  int64_t revision = revision_.load();
  int64_t compacted = compacted_.load();
  std::string failure;
  // Index changes made by this batch, applied to index_ once the batch is durable. Only this
  // thread writes index_, so reading it here needs no lock.
  std::map<std::string, std::optional<IndexEntry>, std::less<>> overlay;
  auto current_entry = [&](std::string_view key) -> std::optional<IndexEntry> {
    if (auto it = overlay.find(key); it != overlay.end()) return it->second;
    if (auto it = index_.find(key); it != index_.end()) return it->second;
    return std::nullopt;
  };
  const auto started = std::chrono::steady_clock::now();

  auto fail_all = [&](const std::string& message) {
    (void)c.Exec("ROLLBACK");
    for (Op& op : batch) op.done.set_value(Error{Code::kUnavailable, message});
  };
  if (auto st = c.Exec("BEGIN IMMEDIATE"); !st.ok()) return fail_all(st.error().message);

  int64_t row = last_row_;
  for (Op& op : batch) {
    if (op.kind == Op::Kind::kCompact) {
      if (op.compact_to > revision) {
        results.push_back(Error{Code::kOutOfRange, "cannot compact beyond the current revision " +
                                                       std::to_string(revision)});
      } else if (op.compact_to <= compacted) {
        results.push_back(compacted);
      } else if (!c.Compact(compacted, op.compact_to,
                            LiveRows(overlay, compacted, op.compact_to)) ||
                 !c.SetMeta("compacted", op.compact_to)) {
        failure = c.LastError();
        break;
      } else {
        compacted = op.compact_to;
        results.push_back(compacted);
      }
      continue;
    }
    // Every write of the op is checked before any is applied: all or none.
    std::optional<Error> refused;
    std::vector<std::optional<IndexEntry>> current(op.writes.size());
    for (size_t k = 0; k < op.writes.size() && !refused; ++k) {
      current[k] = current_entry(op.writes[k].key);
      std::optional<int64_t> at;
      if (current[k]) at = current[k]->mod_revision;
      refused = op.is_txn ? CheckTxnOp(op.writes[k], static_cast<int>(k), at)
                          : CheckSingleWrite(op.writes[k], at);
    }
    if (refused) {
      results.push_back(std::move(*refused));
      continue;
    }
    const int64_t rev = revision + 1;
    for (size_t k = 0; k < op.writes.size() && failure.empty(); ++k) {
      TxnOp& w = op.writes[k];
      WatchEvent e;
      if (w.type == TxnOp::Type::kDelete) {
        // The event carries the last value, read from the row the key points at.
        auto last = c.Value(current[k]->row);
        if (!last.ok() || !*last) {
          failure = last.ok() ? "log row of a live key is missing" : last.error().message;
          break;
        }
        e = WatchEvent{WatchEvent::Type::kDelete,
                       KeyValue{w.key, std::move(**last), current[k]->create_revision, rev}, false};
      } else {
        e.type = WatchEvent::Type::kPut;
        e.created = !current[k];
        const int64_t created = current[k] ? current[k]->create_revision : rev;
        e.kv = KeyValue{w.key, std::move(w.value), created, rev};
      }
      ++row;
      if (!c.AppendLog(row, e)) {
        failure = c.LastError();
        break;
      }
      if (e.type == WatchEvent::Type::kDelete) {
        overlay[w.key] = std::nullopt;
      } else {
        overlay[w.key] = IndexEntry{e.kv.create_revision, rev, row};
      }
      events.push_back(std::move(e));
    }
    if (!failure.empty()) break;
    revision = rev;
    results.push_back(rev);
  }

  if (failure.empty() && revision != revision_.load() && !c.SetMeta("revision", revision)) {
    failure = c.LastError();
  }
  if (failure.empty()) {
    if (auto st = c.Exec("COMMIT"); !st.ok()) failure = st.error().message;
  }
  if (!failure.empty()) return fail_all("sqlite: " + failure);

  transactions_.fetch_add(1);
  if (options_.on_commit) {
    options_.on_commit(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
        batch.size());
  }
  {
    // The index and the revision change together, so a reader's snapshot of both agrees.
    std::unique_lock lock(index_mu_);
    for (auto& [key, entry] : overlay) {
      if (entry) {
        index_.insert_or_assign(key, *entry);
      } else {
        index_.erase(key);
      }
    }
    revision_.store(revision);
    compacted_.store(compacted);
  }
  last_row_ = row;
  // Watchers hear about the batch only once it is durable.
  hub_.Publish(events);
  for (size_t k = 0; k < batch.size(); ++k) batch[k].done.set_value(std::move(results[k]));
}

std::unique_ptr<SqliteStore::Connection> SqliteStore::AcquireReader() {
  std::unique_lock lock(readers_mu_);
  while (readers_.empty()) {
    if (readers_open_ < options_.read_connections) {
      ++readers_open_;
      lock.unlock();
      auto c = Connection::Open(path_, options_.synchronous_full, kReaderCacheMib);
      if (c.ok()) return std::move(c).value();
      lock.lock();
      --readers_open_;
      return nullptr;
    }
    readers_cv_.wait(lock);
  }
  auto c = std::move(readers_.back());
  readers_.pop_back();
  return c;
}

void SqliteStore::ReleaseReader(std::unique_ptr<Connection> c) {
  {
    std::lock_guard lock(readers_mu_);
    readers_.push_back(std::move(c));
  }
  readers_cv_.notify_one();
}

std::vector<int64_t> SqliteStore::LiveRows(
    const std::map<std::string, std::optional<IndexEntry>, std::less<>>& overlay, int64_t from,
    int64_t to) const {
  std::vector<int64_t> out;
  auto take = [&](const IndexEntry& e) {
    if (e.mod_revision > from && e.mod_revision <= to) out.push_back(e.row);
  };
  for (const auto& [key, entry] : index_) {
    auto o = overlay.find(key);
    if (o == overlay.end()) take(entry);
  }
  for (const auto& [key, entry] : overlay)
    if (entry) take(*entry);
  return out;
}

Result<KeyValue> SqliteStore::Get(std::string_view key) {
  // A row can vanish between the index lookup and the read only if the key was overwritten and
  // compacted meanwhile; the next lookup then sees the new row.
  for (int attempt = 0; attempt < 5; ++attempt) {
    KeyValue kv;
    int64_t row = 0;
    {
      std::shared_lock lock(index_mu_);
      auto it = index_.find(key);
      if (it == index_.end()) return Error{Code::kNotFound, "key not found"};
      kv = KeyValue{std::string(key), "", it->second.create_revision, it->second.mod_revision};
      row = it->second.row;
    }
    auto c = AcquireReader();
    if (!c) return Error{Code::kUnavailable, "cannot open a read connection"};
    auto value = c->Value(row);
    ReleaseReader(std::move(c));
    if (!value.ok()) return value.error();
    if (*value) {
      kv.value = std::move(**value);
      return kv;
    }
  }
  return Error{Code::kUnavailable, "key kept changing while being read; retry"};
}

Result<ListResult> SqliteStore::List(std::string_view prefix, const ListOptions& options) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    ListResult out;
    std::vector<int64_t> rows;
    {
      std::shared_lock lock(index_mu_);
      out.revision = revision_.load();
      auto it = options.start_after.empty() || options.start_after < prefix
                    ? index_.lower_bound(prefix)
                    : index_.upper_bound(options.start_after);
      for (; it != index_.end() && it->first.starts_with(prefix); ++it) {
        if (options.limit != 0 && out.items.size() == options.limit) {
          out.more = true;
          break;
        }
        out.items.push_back(
            KeyValue{it->first, "", it->second.create_revision, it->second.mod_revision});
        rows.push_back(it->second.row);
      }
    }
    auto c = AcquireReader();
    if (!c) return Error{Code::kUnavailable, "cannot open a read connection"};
    auto filled = c->FillValues(out.items, rows);
    ReleaseReader(std::move(c));
    if (!filled.ok()) return filled.error();
    if (*filled) return out;
  }
  return Error{Code::kUnavailable, "keys kept changing while being listed; retry"};
}

Result<int64_t> SqliteStore::Write(TxnOp write) {
  Op op{Op::Kind::kWrite, {}, false, 0, {}};
  op.writes.push_back(std::move(write));
  return Submit(std::move(op));
}

Result<int64_t> SqliteStore::Create(std::string_view key, std::string_view value) {
  return Write(TxnOp::Create(std::string(key), std::string(value)));
}

Result<int64_t> SqliteStore::Update(std::string_view key, std::string_view value,
                                    int64_t expected_revision) {
  return Write(TxnOp::Update(std::string(key), std::string(value), expected_revision));
}

Result<int64_t> SqliteStore::Delete(std::string_view key, int64_t expected_revision) {
  return Write(TxnOp::Delete(std::string(key), expected_revision));
}

Result<int64_t> SqliteStore::Txn(std::vector<TxnOp> ops) {
  if (auto error = CheckTxnShape(ops)) return *error;
  return Submit(Op{Op::Kind::kWrite, std::move(ops), true, 0, {}});
}

Result<int64_t> SqliteStore::Compact(int64_t revision) {
  return Submit(Op{Op::Kind::kCompact, {}, false, revision, {}});
}

Result<WatchPtr> SqliteStore::Watch(std::string_view prefix, int64_t after) {
  int64_t compacted = compacted_.load();
  if (after != 0 && after < compacted) {
    return Error{Code::kOutOfRange,
                 "revision " + std::to_string(after) +
                     " has been compacted (oldest available: " + std::to_string(compacted) + ")"};
  }
  if (after > revision_.load()) {
    return Error{Code::kOutOfRange,
                 "revision " + std::to_string(after) +
                     " is in the future (current: " + std::to_string(revision_.load()) + ")"};
  }
  int64_t published = 0;
  WatchPtr w = hub_.Subscribe(std::string(prefix), after, &published);
  if (after != 0 && after < published) {
    auto c = AcquireReader();
    if (!c) return Error{Code::kUnavailable, "cannot open a read connection"};
    auto history = c->History(prefix, after, published);
    ReleaseReader(std::move(c));
    if (!history.ok()) return history.error();
    // A compaction may have raced with the read: then part of the range is gone.
    if (after < compacted_.load()) {
      return Error{Code::kOutOfRange, "revision " + std::to_string(after) + " has been compacted"};
    }
    PrependHistory(*w, std::move(history).value());
  }
  return w;
}

int64_t SqliteStore::CurrentRevision() { return revision_.load(); }
int64_t SqliteStore::CompactedRevision() { return compacted_.load(); }

std::string SqliteStore::IntegrityCheck() {
  auto c = AcquireReader();
  if (!c) return "cannot open a read connection";
  std::string out = c->IntegrityCheck();
  ReleaseReader(std::move(c));
  return out;
}

int64_t SqliteStore::DatabaseSizeBytes() {
  auto c = AcquireReader();
  if (!c) return 0;
  int64_t size = c->SizeBytes();
  ReleaseReader(std::move(c));
  return size;
}

}  // namespace gantry::store
