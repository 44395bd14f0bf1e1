#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>

namespace gantry::store {
namespace {

// kv holds each live key's revisions; the value is stored once, in the log row of the key's
// last write (kine's layout), so a write stores its bytes once. Compaction keeps the log rows
// that live keys still point at.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS kv(
  key TEXT PRIMARY KEY,
  create_revision INTEGER NOT NULL,
  mod_revision INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log(
  revision INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  type INTEGER NOT NULL,
  value BLOB NOT NULL,
  create_revision INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta(
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

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

std::string Stale(int64_t expected, int64_t actual) {
  return "revision " + std::to_string(expected) + " is stale; the key is at " +
         std::to_string(actual);
}

}  // namespace

// One SQLite connection with its prepared statements. Used by one thread at a time.
class SqliteStore::Connection {
 public:
  ~Connection() {
    for (sqlite3_stmt* s :
         {get_, revisions_, upsert_, erase_, log_, meta_set_, meta_get_, list_, history_, compact_})
      sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }

  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool synchronous_full) {
    auto c = std::unique_ptr<Connection>(new Connection());
    int rc =
        sqlite3_open_v2(path.c_str(), &c->db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      return Error{Code::kUnavailable, "cannot open " + path + ": " +
                                           (c->db_ ? sqlite3_errmsg(c->db_) : sqlite3_errstr(rc))};
    }
    // A 64 MiB page cache and memory-mapped reads keep B-tree pages out of read() syscalls.
    std::string pragmas =
        std::string(
            "PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; "
            "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; ") +
        (synchronous_full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;");
    if (auto st = c->Exec(pragmas); !st.ok()) return st.error();
    if (auto st = c->Exec(kSchema); !st.ok()) return st.error();
    struct {
      sqlite3_stmt** stmt;
      const char* sql;
    } statements[] = {
        {&c->get_,
         "SELECT log.value, kv.create_revision, kv.mod_revision FROM kv "
         "JOIN log ON log.revision = kv.mod_revision WHERE kv.key = ?1"},
        {&c->revisions_, "SELECT create_revision, mod_revision FROM kv WHERE key = ?1"},
        {&c->upsert_,
         "INSERT INTO kv(key, create_revision, mod_revision) VALUES(?1, ?2, ?3) "
         "ON CONFLICT(key) DO UPDATE SET mod_revision = excluded.mod_revision"},
        {&c->erase_, "DELETE FROM kv WHERE key = ?1"},
        {&c->log_,
         "INSERT INTO log(revision, key, type, value, create_revision) VALUES(?1, ?2, ?3, ?4, ?5)"},
        {&c->meta_set_,
         "INSERT INTO meta(name, value) VALUES(?1, ?2) "
         "ON CONFLICT(name) DO UPDATE SET value = excluded.value"},
        {&c->meta_get_, "SELECT value FROM meta WHERE name = ?1"},
        {&c->list_,
         "SELECT kv.key, log.value, kv.create_revision, kv.mod_revision FROM kv "
         "JOIN log ON log.revision = kv.mod_revision "
         "WHERE kv.key >= ?1 AND (?2 IS NULL OR kv.key < ?2) ORDER BY kv.key"},
        {&c->history_,
         "SELECT revision, key, type, value, create_revision FROM log "
         "WHERE revision > ?1 AND revision <= ?2 AND key >= ?3 AND (?4 IS NULL OR key < ?4) "
         "ORDER BY revision"},
        {&c->compact_,
         "DELETE FROM log WHERE revision <= ?1 AND revision NOT IN (SELECT mod_revision FROM kv)"},
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

  // The current row of `key`, if any.
  Result<std::optional<KeyValue>> GetRow(std::string_view key) {
    Reset r(get_);
    BindText(get_, 1, key);
    int rc = sqlite3_step(get_);
    if (rc == SQLITE_DONE) return std::optional<KeyValue>();
    if (rc != SQLITE_ROW) return Error{Code::kUnavailable, "sqlite: " + LastError()};
    KeyValue kv;
    kv.key = std::string(key);
    kv.value = Blob(get_, 0);
    kv.create_revision = sqlite3_column_int64(get_, 1);
    kv.mod_revision = sqlite3_column_int64(get_, 2);
    return std::optional<KeyValue>(std::move(kv));
  }

  // The key's revisions without its value: enough to check a create or an update.
  Result<std::optional<KeyValue>> GetRevisions(std::string_view key) {
    Reset r(revisions_);
    BindText(revisions_, 1, key);
    int rc = sqlite3_step(revisions_);
    if (rc == SQLITE_DONE) return std::optional<KeyValue>();
    if (rc != SQLITE_ROW) return Error{Code::kUnavailable, "sqlite: " + LastError()};
    KeyValue kv;
    kv.key = std::string(key);
    kv.create_revision = sqlite3_column_int64(revisions_, 0);
    kv.mod_revision = sqlite3_column_int64(revisions_, 1);
    return std::optional<KeyValue>(std::move(kv));
  }

  bool Upsert(const KeyValue& kv) {
    Reset r(upsert_);
    BindText(upsert_, 1, kv.key);
    sqlite3_bind_int64(upsert_, 2, kv.create_revision);
    sqlite3_bind_int64(upsert_, 3, kv.mod_revision);
    return sqlite3_step(upsert_) == SQLITE_DONE;
  }

  bool Erase(std::string_view key) {
    Reset r(erase_);
    BindText(erase_, 1, key);
    return sqlite3_step(erase_) == SQLITE_DONE;
  }

  bool AppendLog(const WatchEvent& e) {
    Reset r(log_);
    sqlite3_bind_int64(log_, 1, e.kv.mod_revision);
    BindText(log_, 2, e.kv.key);
    sqlite3_bind_int(log_, 3, e.type == WatchEvent::Type::kPut ? 0 : 1);
    BindBlob(log_, 4, e.kv.value);
    sqlite3_bind_int64(log_, 5, e.kv.create_revision);
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

  bool Compact(int64_t revision) {
    Reset r(compact_);
    sqlite3_bind_int64(compact_, 1, revision);
    return sqlite3_step(compact_) == SQLITE_DONE;
  }

  Result<ListResult> List(std::string_view prefix) {
    // One read transaction, so the items and the revision agree.
    if (auto st = Exec("BEGIN"); !st.ok()) return st.error();
    ListResult out;
    out.revision = GetMeta("revision");
    std::string end = PrefixEnd(prefix);
    {
      Reset r(list_);
      BindText(list_, 1, prefix);
      if (end.empty()) {
        sqlite3_bind_null(list_, 2);
      } else {
        BindText(list_, 2, end);
      }
      int rc;
      while ((rc = sqlite3_step(list_)) == SQLITE_ROW) {
        KeyValue kv;
        kv.key = Text(list_, 0);
        kv.value = Blob(list_, 1);
        kv.create_revision = sqlite3_column_int64(list_, 2);
        kv.mod_revision = sqlite3_column_int64(list_, 3);
        out.items.push_back(std::move(kv));
      }
      if (rc != SQLITE_DONE) {
        std::string message = LastError();
        (void)Exec("ROLLBACK");
        return Error{Code::kUnavailable, "sqlite: " + message};
      }
    }
    (void)Exec("COMMIT");
    return out;
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
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* revisions_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  sqlite3_stmt* erase_ = nullptr;
  sqlite3_stmt* log_ = nullptr;
  sqlite3_stmt* meta_set_ = nullptr;
  sqlite3_stmt* meta_get_ = nullptr;
  sqlite3_stmt* list_ = nullptr;
  sqlite3_stmt* history_ = nullptr;
  sqlite3_stmt* compact_ = nullptr;
};

struct SqliteStore::Op {
  enum class Kind { kCreate, kUpdate, kDelete, kCompact } kind;
  std::string key;
  std::string value;
  int64_t expected = 0;  // expected mod_revision, or the compaction revision
  std::promise<Result<int64_t>> done;
};

SqliteStore::SqliteStore(std::string path, const SqliteOptions& options)
    : path_(std::move(path)), options_(options), hub_(options.watch_buffer) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       const SqliteOptions& options) {
  auto s = std::unique_ptr<SqliteStore>(new SqliteStore(path, options));
  auto writer = Connection::Open(path, options.synchronous_full);
  if (!writer.ok()) return writer.error();
  s->writer_ = std::move(writer).value();
  s->revision_ = s->writer_->GetMeta("revision");
  s->compacted_ = s->writer_->GetMeta("compacted");
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
  const auto started = std::chrono::steady_clock::now();

  auto fail_all = [&](const std::string& message) {
    (void)c.Exec("ROLLBACK");
    for (Op& op : batch) op.done.set_value(Error{Code::kUnavailable, message});
  };
  if (auto st = c.Exec("BEGIN IMMEDIATE"); !st.ok()) return fail_all(st.error().message);

  for (Op& op : batch) {
    if (op.kind == Op::Kind::kCompact) {
      if (op.expected > revision) {
        results.push_back(Error{Code::kOutOfRange, "cannot compact beyond the current revision " +
                                                       std::to_string(revision)});
      } else if (op.expected <= compacted) {
        results.push_back(compacted);
      } else if (!c.Compact(op.expected) || !c.SetMeta("compacted", op.expected)) {
        failure = c.LastError();
        break;
      } else {
        compacted = op.expected;
        results.push_back(compacted);
      }
      continue;
    }
    // A delete needs the last value for its event; creates and updates only the revisions.
    auto row = op.kind == Op::Kind::kDelete ? c.GetRow(op.key) : c.GetRevisions(op.key);
    if (!row.ok()) {
      failure = row.error().message;
      break;
    }
    const std::optional<KeyValue>& current = *row;
    if (op.kind == Op::Kind::kCreate && current) {
      results.push_back(Error{Code::kAlreadyExists, "key already exists"});
      continue;
    }
    if (op.kind != Op::Kind::kCreate) {
      if (!current) {
        results.push_back(Error{Code::kNotFound, "key not found"});
        continue;
      }
      if (op.expected != 0 && current->mod_revision != op.expected) {
        results.push_back(Error{Code::kAborted, Stale(op.expected, current->mod_revision)});
        continue;
      }
    }
    int64_t rev = revision + 1;
    WatchEvent e;
    bool ok;
    if (op.kind == Op::Kind::kDelete) {
      e = WatchEvent{WatchEvent::Type::kDelete, *current, false};
      e.kv.mod_revision = rev;
      ok = c.Erase(op.key) && c.AppendLog(e);
    } else {
      e.type = WatchEvent::Type::kPut;
      e.created = !current;
      e.kv = KeyValue{std::move(op.key), std::move(op.value),
                      current ? current->create_revision : rev, rev};
      ok = c.Upsert(e.kv) && c.AppendLog(e);
    }
    if (!ok) {
      failure = c.LastError();
      break;
    }
    revision = rev;
    events.push_back(std::move(e));
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
  revision_.store(revision);
  compacted_.store(compacted);
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
      auto c = Connection::Open(path_, options_.synchronous_full);
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

Result<KeyValue> SqliteStore::Get(std::string_view key) {
  auto c = AcquireReader();
  if (!c) return Error{Code::kUnavailable, "cannot open a read connection"};
  auto row = c->GetRow(key);
  ReleaseReader(std::move(c));
  if (!row.ok()) return row.error();
  if (!*row) return Error{Code::kNotFound, "key not found"};
  return std::move(**row);
}

Result<ListResult> SqliteStore::List(std::string_view prefix) {
  auto c = AcquireReader();
  if (!c) return Error{Code::kUnavailable, "cannot open a read connection"};
  auto out = c->List(prefix);
  ReleaseReader(std::move(c));
  return out;
}

Result<int64_t> SqliteStore::Create(std::string_view key, std::string_view value) {
  return Submit(Op{Op::Kind::kCreate, std::string(key), std::string(value), 0, {}});
}

Result<int64_t> SqliteStore::Update(std::string_view key, std::string_view value,
                                    int64_t expected_revision) {
  return Submit(Op{Op::Kind::kUpdate, std::string(key), std::string(value), expected_revision, {}});
}

Result<int64_t> SqliteStore::Delete(std::string_view key, int64_t expected_revision) {
  return Submit(Op{Op::Kind::kDelete, std::string(key), "", expected_revision, {}});
}

Result<int64_t> SqliteStore::Compact(int64_t revision) {
  return Submit(Op{Op::Kind::kCompact, "", "", revision, {}});
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
  WatchPtr w = hub_.Subscribe(std::string(prefix), &published);
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
