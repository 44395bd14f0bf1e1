#pragma once

// Container instances and tasks as placement sees them: the one conversion every caller of
// placement uses (the launcher, ListContainerInstances filters, gantryctl's explain).

#include <cstdint>
#include <string>

#include "gantry/v1/objects.pb.h"
#include "placement/types.h"

namespace gantry::api {

// ACTIVE, DRAINING or INACTIVE as stored (ACTIVE when not yet set).
std::string InstanceStatusOf(const v1::ContainerInstance& instance);

// The instance without its tasks: identity, status, connectivity, attributes, registered
// resources and reserved ports.
placement::InstanceSpec InstanceSpecOf(const v1::ContainerInstance& instance);

// A task holds its instance's resources until the agent reports it STOPPED.
bool HoldsResources(const v1::Task& task);

// What a task holds. A Task written without a group is in its family's, as ECS's RunTask
// default says.
placement::TaskSpec TaskSpecOf(const v1::Task& task);

// Milliseconds since the epoch of an RFC 3339 UTC time ("2026-11-25T07:54:26Z"), or -1.
int64_t ParseTimeMs(const std::string& rfc3339);

}  // namespace gantry::api
