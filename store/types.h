#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gantry::store {

// One key's current value. Revisions come from one global counter that rises by one per write.
struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;  // the revision that created the key
  int64_t mod_revision = 0;     // the revision of the last write to it
};

struct ListResult {
  std::vector<KeyValue> items;  // sorted by key
  int64_t revision = 0;         // the store revision the list is consistent with
  bool more = false;            // a limit cut the list short; continue after the last key
};

// A page of a list: keys under `prefix` after `start_after` (exclusive; "" for the first page),
// at most `limit` of them (0: no limit).
struct ListOptions {
  std::string start_after;
  size_t limit = 0;
};

struct WatchEvent {
  enum class Type : uint8_t { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;  // for kDelete: the key, its last value, and mod_revision = the delete's revision
  bool created = false;  // kPut that created the key
};

// One write of a transaction (Store::Txn). `expected_revision` as for Update and Delete: 0 means
// "whatever it is now", anything else must be the key's mod_revision.
struct TxnOp {
  enum class Type : uint8_t { kCreate, kUpdate, kDelete };
  Type type = Type::kCreate;
  std::string key;
  std::string value;  // kCreate, kUpdate
  int64_t expected_revision = 0;

  static TxnOp Create(std::string key, std::string value) {
    return {Type::kCreate, std::move(key), std::move(value), 0};
  }
  static TxnOp Update(std::string key, std::string value, int64_t expected_revision) {
    return {Type::kUpdate, std::move(key), std::move(value), expected_revision};
  }
  static TxnOp Delete(std::string key, int64_t expected_revision) {
    return {Type::kDelete, std::move(key), "", expected_revision};
  }
};

}  // namespace gantry::store
