#include "store/memory/memory_store.h"

#include <algorithm>

#include "store/txn_checks.h"

namespace gantry::store {
namespace {

// Compare-and-swap: 0 expects nothing; anything else must be the key's mod_revision.
Status CheckExpected(const KeyValue& current, int64_t expected_revision) {
  if (expected_revision == 0 || current.mod_revision == expected_revision) return {};
  return Error{Code::kAborted, "revision " + std::to_string(expected_revision) +
                                   " is stale; the key is at " +
                                   std::to_string(current.mod_revision)};
}

}  // namespace

Result<KeyValue> MemoryStore::Get(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = data_.find(key);
  if (it == data_.end()) return Error{Code::kNotFound, "key not found"};
  return it->second;
}

Result<ListResult> MemoryStore::List(std::string_view prefix, const ListOptions& options) {
  std::lock_guard lock(mu_);
  ListResult out;
  out.revision = revision_;
  auto it = options.start_after.empty() || options.start_after < prefix
                ? data_.lower_bound(prefix)
                : data_.upper_bound(options.start_after);
  for (; it != data_.end() && it->first.starts_with(prefix); ++it) {
    if (options.limit != 0 && out.items.size() == options.limit) {
      out.more = true;
      break;
    }
    out.items.push_back(it->second);
  }
  return out;
}

Result<int64_t> MemoryStore::Create(std::string_view key, std::string_view value) {
  WatchEvent e;
  {
    std::lock_guard lock(mu_);
    if (data_.count(key)) return Error{Code::kAlreadyExists, "key already exists"};
    int64_t rev = ++revision_;
    KeyValue kv{std::string(key), std::string(value), rev, rev};
    data_.emplace(kv.key, kv);
    e = WatchEvent{WatchEvent::Type::kPut, std::move(kv), true};
    log_.push_back(e);
    hub_.Publish({e});  // under mu_, so watchers see revisions in order
  }
  return e.kv.mod_revision;
}

Result<int64_t> MemoryStore::Update(std::string_view key, std::string_view value,
                                    int64_t expected_revision) {
  std::lock_guard lock(mu_);
  auto it = data_.find(key);
  if (it == data_.end()) return Error{Code::kNotFound, "key not found"};
  if (auto st = CheckExpected(it->second, expected_revision); !st.ok()) return st.error();
  int64_t rev = ++revision_;
  it->second.value = std::string(value);
  it->second.mod_revision = rev;
  WatchEvent e{WatchEvent::Type::kPut, it->second, false};
  log_.push_back(e);
  hub_.Publish({e});
  return rev;
}

Result<int64_t> MemoryStore::Delete(std::string_view key, int64_t expected_revision) {
  std::lock_guard lock(mu_);
  auto it = data_.find(key);
  if (it == data_.end()) return Error{Code::kNotFound, "key not found"};
  if (auto st = CheckExpected(it->second, expected_revision); !st.ok()) return st.error();
  int64_t rev = ++revision_;
  WatchEvent e{WatchEvent::Type::kDelete, std::move(it->second), false};
  e.kv.mod_revision = rev;
  data_.erase(it);
  log_.push_back(e);
  hub_.Publish({e});
  return rev;
}

Result<int64_t> MemoryStore::Txn(std::vector<TxnOp> ops) {
  if (auto error = CheckTxnShape(ops)) return *error;
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < ops.size(); ++i) {
    auto it = data_.find(ops[i].key);
    std::optional<int64_t> current;
    if (it != data_.end()) current = it->second.mod_revision;
    if (auto error = CheckTxnOp(ops[i], static_cast<int>(i), current)) return *error;
  }
  const int64_t rev = ++revision_;
  std::vector<WatchEvent> events;
  events.reserve(ops.size());
  for (TxnOp& op : ops) {
    auto it = data_.find(op.key);
    switch (op.type) {
      case TxnOp::Type::kCreate: {
        KeyValue kv{op.key, std::move(op.value), rev, rev};
        data_.emplace(op.key, kv);
        events.push_back(WatchEvent{WatchEvent::Type::kPut, std::move(kv), true});
        break;
      }
      case TxnOp::Type::kUpdate:
        it->second.value = std::move(op.value);
        it->second.mod_revision = rev;
        events.push_back(WatchEvent{WatchEvent::Type::kPut, it->second, false});
        break;
      case TxnOp::Type::kDelete: {
        WatchEvent e{WatchEvent::Type::kDelete, std::move(it->second), false};
        e.kv.mod_revision = rev;
        data_.erase(it);
        events.push_back(std::move(e));
        break;
      }
    }
  }
  log_.insert(log_.end(), events.begin(), events.end());
  hub_.Publish(events);
  return rev;
}

Result<WatchPtr> MemoryStore::Watch(std::string_view prefix, int64_t after) {
  std::lock_guard lock(mu_);
  if (after != 0 && after < compacted_) {
    return Error{Code::kOutOfRange,
                 "revision " + std::to_string(after) +
                     " has been compacted (oldest available: " + std::to_string(compacted_) + ")"};
  }
  if (after > revision_) {
    return Error{Code::kOutOfRange, "revision " + std::to_string(after) +
                                        " is in the future (current: " + std::to_string(revision_) +
                                        ")"};
  }
  int64_t published = 0;
  WatchPtr w = hub_.Subscribe(std::string(prefix), after, &published);
  if (after != 0) {
    std::vector<WatchEvent> history;
    auto first =
        std::upper_bound(log_.begin(), log_.end(), after,
                         [](int64_t r, const WatchEvent& e) { return r < e.kv.mod_revision; });
    for (auto it = first; it != log_.end() && it->kv.mod_revision <= published; ++it) {
      if (it->kv.key.starts_with(prefix)) history.push_back(*it);
    }
    PrependHistory(*w, std::move(history));
  }
  return w;
}

Result<int64_t> MemoryStore::Compact(int64_t revision) {
  std::lock_guard lock(mu_);
  if (revision > revision_) {
    return Error{Code::kOutOfRange,
                 "cannot compact beyond the current revision " + std::to_string(revision_)};
  }
  if (revision <= compacted_) return compacted_;
  compacted_ = revision;
  std::erase_if(log_, [&](const WatchEvent& e) { return e.kv.mod_revision <= revision; });
  return compacted_;
}

int64_t MemoryStore::CurrentRevision() {
  std::lock_guard lock(mu_);
  return revision_;
}

int64_t MemoryStore::CompactedRevision() {
  std::lock_guard lock(mu_);
  return compacted_;
}

}  // namespace gantry::store
