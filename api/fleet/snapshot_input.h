#pragma once

// Cached instances and tasks as placement's InstanceSpec values.

#include <string>
#include <unordered_map>
#include <vector>

#include "api/fleet/fleet_cache.h"
#include "placement/types.h"

namespace gantry::fleet {

// ACTIVE, DRAINING or INACTIVE as stored (ACTIVE when not yet set).
std::string InstanceStatusOf(const v1::ContainerInstance& instance);

// One InstanceSpec per instance, in the given order, each carrying the resource-holding tasks
// that FleetCache has on it.
std::vector<placement::InstanceSpec> SnapshotInput(const std::vector<InstancePtr>& instances,
                                                   const FleetCache& cache);

// The same, remembering each instance's InstanceSpec until the instance or its tasks change:
// with thousands of instances, converting attributes and times on every RunTask was most of its
// cost (docs/benchmarks.md). Not thread-safe; the owner serializes calls.
class SnapshotInputBuilder {
 public:
  // Pointers into this builder, valid until the next Build.
  std::vector<const placement::InstanceSpec*> Build(const std::string& cluster,
                                                    const std::vector<InstancePtr>& instances,
                                                    const FleetCache& cache);

 private:
  struct Entry {
    std::string resource_version;         // of the instance the spec was built from
    std::vector<int64_t> task_revisions;  // of the tasks in spec.tasks' source, in order
    placement::InstanceSpec spec;
    bool seen = false;
  };
  // cluster -> instance -> entry: RunTask calls alternating between clusters keep both.
  std::unordered_map<std::string, std::unordered_map<std::string, Entry>> memo_;
};

// Milliseconds since the epoch of an RFC 3339 UTC time ("2026-11-25T07:54:26Z"), or -1.
int64_t ParseTimeMs(const std::string& rfc3339);

}  // namespace gantry::fleet
