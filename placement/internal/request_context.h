#pragma once

// Everything one Place() call works on: the request's expressions bound to the snapshot, the
// first task's pass/fail bits per pipeline stage, and the state that placing tasks changes
// (remaining resources, tasks of the request's group per instance, per spread value).
//
// State starts as views into the snapshot and is copied only when the first task is placed, so
// a one-task request never copies per-instance arrays.

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "placement/bitset.h"
#include "placement/cql/evaluator.h"
#include "placement/decision.h"
#include "placement/request.h"
#include "placement/snapshot.h"

namespace gantry::placement::internal {

// A spread(attribute:NAME) level: instances are grouped into buckets by their value of NAME;
// instances without it (or with an empty value) share one bucket.
struct SpreadBuckets {
  std::optional<uint32_t> attribute;   // nullopt: no instance has the attribute
  std::vector<uint32_t> value_bucket;  // value id -> bucket
  uint32_t missing_bucket = 0;         // bucket of instances lacking the attribute
  std::vector<int64_t> tasks;          // tasks of the request's group per bucket
};

class RequestContext {
 public:
  RequestContext(const ClusterSnapshot& snapshot, const CompiledRequest& request);

  const ClusterSnapshot& snapshot() const { return s_; }
  const CompiledRequest& request() const { return r_; }
  uint32_t size() const { return s_.size(); }

  // The first task's candidates and counters.
  const Bitset& candidates() const { return candidates_; }
  const StageCounts& initial_counts() const { return initial_counts_; }
  // The first stage instance i fails for the first task, or nullopt when it is a candidate.
  std::optional<Stage> InitialRejection(uint32_t i) const;

  // Strategy keys (lower is better) for level `level` of the chain, and the final tie-break.
  int64_t Key(size_t level, uint32_t i) const;
  int64_t TieBreak(uint32_t i) const;
  uint32_t Bucket(size_t level, uint32_t i) const;
  const SpreadBuckets& spread(size_t level) const { return spread_[level]; }
  bool IsSpreadAttribute(size_t level) const {
    return r_.strategies[level].kind == Strategy::Kind::kSpreadAttribute;
  }

  // Records a task placed on instance i and updates the state it changes.
  void Place(uint32_t i);
  // Whether instance i can take one more task after the placements so far. Only instances that
  // received tasks can change, so this is asked only of them.
  bool StillFeasible(uint32_t i) const { return !CurrentRejection(i).has_value(); }
  // Counters for the current state (after placements), for the failure of the next task.
  StageCounts CurrentCounts() const;

  uint32_t TasksAdded(uint32_t i) const { return added_.empty() ? 0 : added_[i]; }
  // Remaining resources after this request's placements so far, one entry per instance.
  const int32_t* cpu_remaining() const { return cpu_; }
  const int32_t* memory_remaining() const { return memory_; }
  uint32_t group_tasks(uint32_t i) const;

 private:
  void ComputeStages();
  void BuildSpreadBuckets();
  void MaterializeState();
  std::optional<Stage> CurrentRejection(uint32_t i) const;

  const ClusterSnapshot& s_;
  const CompiledRequest& r_;
  std::optional<uint32_t> group_;  // the request's group in the snapshot, if any task has it
  std::vector<cql::BoundExpression> member_of_;
  std::array<Bitset, kNumStages> stage_ok_;
  Bitset candidates_;
  StageCounts initial_counts_;

  const int32_t* cpu_;
  const int32_t* memory_;
  std::vector<int32_t> cpu_own_, memory_own_;
  std::vector<uint32_t> group_tasks_;  // dense; empty until needed
  std::vector<uint32_t> added_;        // tasks placed per instance by this request
  std::vector<uint32_t> touched_;      // instances with added_ > 0
  std::vector<SpreadBuckets> spread_;  // per strategy level (empty for other kinds)
};

}  // namespace gantry::placement::internal
