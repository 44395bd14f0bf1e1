#pragma once

// The checks every backend makes of a transaction, so they answer alike: the shape of the op
// list before anything is looked at, then each op against its key's current entry.

#include <cstdint>
#include <optional>
#include <vector>

#include "store/status.h"
#include "store/types.h"

namespace gantry::store {

// kInvalidArgument for an empty list, more than kMaxTxnOps ops, or a key named twice.
std::optional<Error> CheckTxnShape(const std::vector<TxnOp>& ops);

// Whether op `index` may apply to a key whose current mod_revision is `current` (nullopt: the
// key does not exist). The error names the op and its key.
std::optional<Error> CheckTxnOp(const TxnOp& op, int index, std::optional<int64_t> current);

}  // namespace gantry::store
