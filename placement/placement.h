#pragma once

// The placement engine: a pure function from (cluster snapshot, task request) to a decision.
// No I/O, no clock, no globals; randomness comes from the request's seed, so the same inputs
// always give the same decision. Safe to call concurrently on one snapshot.
//
//   candidates = ACTIVE & agent connected            (AGENT)
//              & cpu left >= task cpu                 (RESOURCE:CPU)
//              & memory left >= task memory           (RESOURCE:MEMORY)
//              & none of the task's host ports in use (RESOURCE:PORTS)
//              & every memberOf expression holds      (MemberOf ...)
//              & no task of the group here            (DistinctInstance ..., if asked)
//   best       = strategies applied lexicographically, then a seeded tie-break
//
// Tasks of a multi-task request are placed one after another, each seeing the resources and
// group counts the previous ones used; those that find no candidate become failures naming the
// stage that removed the last candidates.

#include <cstdint>
#include <string_view>
#include <vector>

#include "placement/decision.h"
#include "placement/request.h"
#include "placement/snapshot.h"
#include "placement/status.h"
#include "placement/types.h"

namespace gantry::placement {

struct PlaceOptions {
  // Rescan the whole cluster for every task instead of keeping incremental structures. Gives
  // the same decisions, more slowly; the tests use it as the reference.
  bool rescan_per_task = false;
};

// Validates the request (errors name the field) and places its tasks.
Result<Decision> Place(const ClusterSnapshot& snapshot, const TaskRequest& request,
                       const PlaceOptions& options = {});
Decision Place(const ClusterSnapshot& snapshot, const CompiledRequest& request,
               const PlaceOptions& options = {});

// The first task's decision, instance by instance: the stage that rejected it or its strategy
// keys, and which one was chosen.
Result<Explanation> Explain(const ClusterSnapshot& snapshot, const TaskRequest& request);

// Snapshot indices of the instances for which `expression` holds, in snapshot order.
Result<std::vector<uint32_t>> Filter(const ClusterSnapshot& snapshot, std::string_view expression);

}  // namespace gantry::placement
