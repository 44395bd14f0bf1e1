#pragma once

// The Store: keys and byte values with one global, monotonically increasing revision.
// It knows keys, bytes and revisions, never kinds.
//
// Contract, for every backend (store/conformance checks it against each):
// - Every successful write (Create, Update, Delete, Txn) returns the new revision; revisions
//   rise by exactly one per write and are never reused. A Txn is one write: all its keys get
//   the same revision, its events reach watchers together, and a list sees all of it or none.
// - Update and Delete take the expected mod_revision of the key (compare-and-swap); 0 means
//   "whatever it is now". A stale expectation fails with kAborted and writes nothing.
// - A write is acknowledged only once it is durable (SQLite: committed with synchronous=FULL).
// - Watch(prefix, after) delivers every change to keys under prefix with revision > after, in
//   revision order, exactly once, then live changes. A watch from a compacted revision fails with
//   kOutOfRange (HTTP 410 Gone).
// - All methods are thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"
#include "store/types.h"

namespace gantry::store {

// A stream of changes. Next() blocks up to `timeout` for the next event.
class Watch {
 public:
  virtual ~Watch() = default;
  enum class Poll { kEvent, kTimeout, kClosed };
  // kClosed after Cancel(), store shutdown, or when the watcher fell too far behind (the reason
  // is in closed_reason(); the client re-lists and watches again).
  virtual Poll Next(WatchEvent& event, std::chrono::milliseconds timeout) = 0;
  virtual void Cancel() = 0;
  virtual std::string closed_reason() const = 0;
  // `notify` is called whenever Next() may have something new (an event, or the close), so a
  // caller can wait for many watches without a thread each. It runs on the writer's thread with
  // no store lock held, must be cheap, and may be called after the last Next(); it is called at
  // once if something is already pending. Replaces any earlier callback; nullptr removes it.
  virtual void SetNotify(std::function<void()> notify) = 0;
};
using WatchPtr = std::unique_ptr<Watch>;

inline constexpr size_t kMaxTxnOps = 1000;

class Store {
 public:
  virtual ~Store() = default;

  virtual Result<KeyValue> Get(std::string_view key) = 0;
  // Keys starting with `prefix`, sorted, consistent with one revision. With a limit, `more`
  // says whether keys remain; each page is consistent in itself, not with the others.
  virtual Result<ListResult> List(std::string_view prefix, const ListOptions& options = {}) = 0;

  virtual Result<int64_t> Create(std::string_view key, std::string_view value) = 0;
  virtual Result<int64_t> Update(std::string_view key, std::string_view value,
                                 int64_t expected_revision) = 0;
  virtual Result<int64_t> Delete(std::string_view key, int64_t expected_revision) = 0;

  // Applies every op or none, as one write with one revision and one commit. A failing op fails
  // the transaction with that op's error (Error::op is its index, the message names its key)
  // and writes nothing. kInvalidArgument for no ops, more than kMaxTxnOps, or a key twice.
  virtual Result<int64_t> Txn(std::vector<TxnOp> ops) = 0;

  // Changes to keys under `prefix` after revision `after` (0: from now on).
  virtual Result<WatchPtr> Watch(std::string_view prefix, int64_t after) = 0;

  // Forgets history at and below `revision`; watches from there on get kOutOfRange.
  virtual Result<int64_t> Compact(int64_t revision) = 0;

  virtual int64_t CurrentRevision() = 0;
  virtual int64_t CompactedRevision() = 0;
};
using StorePtr = std::unique_ptr<Store>;

}  // namespace gantry::store
