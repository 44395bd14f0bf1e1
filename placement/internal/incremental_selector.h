#pragma once

// Places the tasks of a multi-task request without rescanning the cluster per task.
//
// Candidates are grouped into classes by their spread(attribute) buckets; within a class those
// keys are equal, so a class orders its members by the remaining keys alone (binpack,
// spread(instanceId), random, tie-break) in an ordered set. A second ordered set ranks the
// classes by the full key of their best member. Placing a task changes the keys of one instance
// and the task counts of its buckets, so each task costs O((1 + classes sharing a bucket) log n)
// instead of O(n). The order is exactly SelectByScan's, which the property tests check.

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "placement/internal/request_context.h"

namespace gantry::placement::internal {

class IncrementalSelector {
 public:
  explicit IncrementalSelector(RequestContext& ctx);

  // Chooses the best candidate, records the placement in the context and updates the order.
  // nullopt when no candidate is left.
  std::optional<uint32_t> PlaceNext();

 private:
  // Up to five strategies, the tie-break and the instance index.
  using Key = std::array<int64_t, 7>;

  struct Class {
    std::vector<uint32_t> buckets;  // per spread(attribute) level
    std::set<Key> members;          // per-instance keys
    Key rank{};                     // full key of the best member, while queued
    bool queued = false;
  };

  Key MemberKey(uint32_t i) const;
  Key RankKey(const Class& c) const;
  void Requeue(uint32_t class_id);

  RequestContext& ctx_;
  std::vector<size_t> spread_levels_;    // chain levels that are spread(attribute)
  std::vector<size_t> instance_levels_;  // the other levels
  std::vector<uint32_t> class_of_;       // instance -> class (candidates only)
  std::vector<Class> classes_;
  // [spread level ordinal][bucket] -> classes with that bucket at that level
  std::vector<std::vector<std::vector<uint32_t>>> classes_by_bucket_;
  std::set<Key> ranking_;
};

}  // namespace gantry::placement::internal
