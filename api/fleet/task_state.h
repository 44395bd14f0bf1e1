#pragma once

// A task's desired status as ECS shows it. STOPPED once a user or gantryd asked for it
// (spec.desiredStatus, StopTask or a lost instance) and also once the task stopped by itself: ECS
// reports desiredStatus STOPPED for a task whose essential container exited. Derived rather than
// written, so an agent's state report writes status only and never raises the task's generation.

#include <string>

#include "gantry/v1/objects.pb.h"

namespace gantry::fleet {

inline std::string DesiredStatusOf(const v1::Task& task) {
  if (task.spec().desired_status() == "STOPPED" || task.status().last_status() == "STOPPED") {
    return "STOPPED";
  }
  return task.spec().desired_status().empty() ? "RUNNING" : task.spec().desired_status();
}

}  // namespace gantry::fleet
