#pragma once

// Which tasks of a group to stop when it shrinks (a Service scaling in), so that what stays is
// what the strategies would have placed: ECS's scale-in rules.
//
//   candidates ──rank──▶ on no known instance, then PENDING, then RUNNING
//              ──strategies, each keeping its best, the next breaking ties──▶
//                 spread(field):  from the value (zone, instance) with the most of the group
//                 binpack(cpu|memory): from the instance that would have the most left
//                 random: no preference
//              ──seeded tie-break (ECS: "random within an AZ")──▶ one task
//   repeat per task, each pick seeing the ones before it gone
//
// No strategy given means ECS's service default (ServiceDefaultStrategies).

#include <cstdint>
#include <string>
#include <vector>

#include "placement/status.h"
#include "placement/types.h"

namespace gantry::placement {

// ECS's placement for a service that names no strategy: spread across zones, then across
// instances (spread(attribute:ecs.availability-zone), spread(instanceId)). Placing and scaling in
// a service both use it.
inline std::vector<StrategySpec> ServiceDefaultStrategies() {
  return {{"spread", "attribute:ecs.availability-zone"}, {"spread", "instanceId"}};
}

// A task of the group that holds resources.
struct StopCandidate {
  std::string task;      // its name, as returned
  std::string instance;  // InstanceSpec::id; one not among the instances given is stopped first
  bool running = false;  // RUNNING; else PENDING, stopped before any RUNNING one
  int64_t cpu = 0;       // what it holds, given back to its instance when it stops
  int64_t memory = 0;
};

// `count` task names, in the order to stop them (all of them when count exceeds the
// candidates). `instances` are the cluster's (their `tasks` count towards what is left on them);
// strategies are checked as placement checks them, errors naming `placementStrategy[i]`.
Result<std::vector<std::string>> ChooseToStop(const std::vector<InstanceSpec>& instances,
                                              const std::vector<StopCandidate>& candidates,
                                              const std::vector<StrategySpec>& strategies,
                                              int64_t count, uint64_t seed);

}  // namespace gantry::placement
