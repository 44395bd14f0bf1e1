#pragma once

// Cached instances and tasks as placement's InstanceSpec values.

#include <string>
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

// Milliseconds since the epoch of an RFC 3339 UTC time ("2026-11-25T07:54:26Z"), or -1.
int64_t ParseTimeMs(const std::string& rfc3339);

}  // namespace gantry::fleet
