#pragma once

// Evaluates a parsed expression against a ClusterSnapshot.
//
// Bind() evaluates every predicate for all instances at once: a predicate over an attribute is
// decided once per distinct value (one regex match per value, not per instance) and the members
// of the matching values are OR-ed into a bitset; And/Or/Not then combine whole words. The
// result is one bit per instance.
//
// Placing tasks changes only what task:group and runningTasksCount read, and only on the
// instance that received them, so EvaluateAt() re-decides one instance from the cached
// predicate bitsets plus the tasks added to it.

#include <cstdint>
#include <string>
#include <vector>

#include "placement/bitset.h"
#include "placement/cql/expression.h"
#include "placement/snapshot.h"

namespace gantry::placement::cql {

class BoundExpression {
 public:
  // `request_group` is the group of the tasks that placement will add (for EvaluateAt).
  BoundExpression(const Expression& expression, const ClusterSnapshot& snapshot,
                  std::string request_group = "");

  // One bit per instance: the expression holds for the snapshot as it is.
  const Bitset& result() const { return node_bits_[expression_->root()]; }

  // Whether the expression holds for instance i once `added_tasks` tasks of the request group
  // have been placed on it. Not thread-safe (uses scratch space); one per request.
  bool EvaluateAt(uint32_t i, int32_t added_tasks) const;

  bool is_dynamic() const { return expression_->is_dynamic(); }

 private:
  Bitset EvaluatePredicate(size_t k);
  // The positive form of a predicate (==, in, =~, ordering, exists) over all instances.
  Bitset Positive(const Predicate& p);
  bool PredicateAt(size_t k, uint32_t i, int32_t added_tasks) const;

  const Expression* expression_;
  const ClusterSnapshot* snapshot_;
  std::string request_group_;
  std::vector<Bitset> node_bits_;
  // For dynamic predicates: the positive form over the snapshot, and whether a task of the
  // request group would satisfy it (task:group == / in / =~ the request group).
  std::vector<Bitset> positive_bits_;
  std::vector<uint8_t> request_group_matches_;
  mutable std::vector<uint8_t> scratch_;
};

}  // namespace gantry::placement::cql
