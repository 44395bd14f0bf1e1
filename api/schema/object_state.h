#pragma once

// What a stored object's status means, where more than one module needs the answer: the
// service layer places tasks by it, controllers count by it.

#include <string>

#include "gantry/v1/objects.pb.h"

namespace gantry::schema {

// ACTIVE, DRAINING or INACTIVE as stored (ACTIVE when not yet set).
inline std::string InstanceStatusOf(const v1::ContainerInstance& instance) {
  return instance.status().status().empty() ? "ACTIVE" : instance.status().status();
}

// A task holds its instance's resources until the agent reports it STOPPED.
inline bool HoldsResources(const v1::Task& task) {
  return task.status().last_status() != "STOPPED";
}

}  // namespace gantry::schema
