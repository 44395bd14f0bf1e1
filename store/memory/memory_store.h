#pragma once

// The in-memory Store: the same contract as the SQLite backend, without durability. It is the
// fake that service-layer and controller tests run on.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"
#include "store/watch_hub.h"

namespace gantry::store {

class MemoryStore : public Store {
 public:
  explicit MemoryStore(size_t watch_buffer = 100'000) : hub_(watch_buffer) {}

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

 private:
  std::mutex mu_;
  std::map<std::string, KeyValue, std::less<>> data_;
  std::vector<WatchEvent> log_;  // events after compacted_, in revision order
  int64_t revision_ = 0;
  int64_t compacted_ = 0;
  WatchHub hub_;
};

}  // namespace gantry::store
