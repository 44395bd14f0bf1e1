#include "store/txn_checks.h"

#include <set>
#include <string_view>

#include "store/store.h"

namespace gantry::store {
namespace {

Error OpError(Code code, int index, const TxnOp& op, const std::string& what) {
  return Error{code, "ops[" + std::to_string(index) + "] (" + op.key + "): " + what, index};
}

}  // namespace

std::optional<Error> CheckTxnShape(const std::vector<TxnOp>& ops) {
  if (ops.empty()) return Error{Code::kInvalidArgument, "a transaction needs at least one op"};
  if (ops.size() > kMaxTxnOps) {
    return Error{Code::kInvalidArgument, "a transaction has at most " + std::to_string(kMaxTxnOps) +
                                             " ops, got " + std::to_string(ops.size())};
  }
  std::set<std::string_view> keys;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!keys.insert(ops[i].key).second) {
      return OpError(Code::kInvalidArgument, static_cast<int>(i), ops[i],
                     "the key appears twice in one transaction");
    }
  }
  return std::nullopt;
}

std::optional<Error> CheckTxnOp(const TxnOp& op, int index, std::optional<int64_t> current) {
  if (op.type == TxnOp::Type::kCreate) {
    if (current) return OpError(Code::kAlreadyExists, index, op, "key already exists");
    return std::nullopt;
  }
  if (!current) return OpError(Code::kNotFound, index, op, "key not found");
  if (op.expected_revision != 0 && *current != op.expected_revision) {
    return OpError(Code::kAborted, index, op,
                   "revision " + std::to_string(op.expected_revision) +
                       " is stale; the key is at " + std::to_string(*current));
  }
  return std::nullopt;
}

}  // namespace gantry::store
