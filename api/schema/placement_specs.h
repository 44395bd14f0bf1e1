#pragma once

// Container instances and tasks as placement sees them: the one conversion every caller of
// placement uses (the launcher, ListContainerInstances filters, gantryctl's explain, the
// Service controller's scale-in).

#include <cstdint>
#include <string>

#include "api/clock/format_time.h"
#include "api/schema/object_state.h"
#include "gantry/v1/objects.pb.h"
#include "placement/types.h"

namespace gantry::schema {

// The instance without its tasks: identity, status, connectivity, attributes, registered
// resources and reserved ports.
placement::InstanceSpec InstanceSpecOf(const v1::ContainerInstance& instance);

// What a task holds. A Task written without a group is in its family's, as ECS's RunTask
// default says.
placement::TaskSpec TaskSpecOf(const v1::Task& task);

}  // namespace gantry::schema
