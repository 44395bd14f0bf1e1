#pragma once

// What a stored object's status means, where more than one module needs the answer: the
// service layer places tasks by it, controllers count by it.

#include <algorithm>
#include <climits>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/objects.pb.h"

namespace gantry::schema {

// ACTIVE, DRAINING or INACTIVE as stored (ACTIVE when not yet set).
inline std::string InstanceStatusOf(const v1::ContainerInstance& instance) {
  return instance.status().status().empty() ? "ACTIVE" : instance.status().status();
}

// The cluster a spec.cluster names: a name or an ARN
// (arn:aws:ecs:<region>:<account>:cluster/<name>); empty means "default", as in ECS.
inline std::string ClusterNameOf(std::string_view spec_cluster) {
  if (spec_cluster.empty()) return "default";
  const size_t slash = spec_cluster.rfind('/');
  return std::string(slash == std::string_view::npos ? spec_cluster
                                                     : spec_cluster.substr(slash + 1));
}

// A task holds its instance's resources until the agent reports it STOPPED.
inline bool HoldsResources(const v1::Task& task) {
  return task.status().last_status() != "STOPPED";
}

// Why a task stopped when its instance's agent fell silent for good (ECS's words; no stop code).
inline constexpr const char* kReasonInstanceLost = "Container instance lost";

// An instance's status with its derived counts (remaining cpu and memory, ports in use, running
// and pending tasks) recomputed from the tasks placed on it; the rest is kept as given.
inline v1::ContainerInstanceStatus CountedInstanceStatus(
    const v1::ContainerInstance& instance, const std::vector<const v1::Task*>& tasks) {
  const auto& registered = instance.spec().registered_resources();
  int64_t cpu = registered.cpu(), memory = registered.memory();
  int running = 0, pending = 0;
  std::set<int32_t> ports(registered.ports().begin(), registered.ports().end());
  for (const v1::Task* t : tasks) {
    if (!HoldsResources(*t)) continue;
    cpu -= t->spec().cpu();
    memory -= t->spec().memory();
    ports.insert(t->spec().host_ports().begin(), t->spec().host_ports().end());
    (t->status().last_status() == "RUNNING" ? running : pending) += 1;
  }
  v1::ContainerInstanceStatus counted = instance.status();
  // Clamped: tasks written before validation could over-commit past 32 bits.
  auto clamp = [](int64_t v) {
    return static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX));
  };
  counted.mutable_remaining_resources()->set_cpu(clamp(cpu));
  counted.mutable_remaining_resources()->set_memory(clamp(memory));
  counted.mutable_remaining_resources()->clear_ports();
  counted.clear_ports_in_use();
  for (int32_t p : ports) counted.add_ports_in_use(p);
  counted.set_running_tasks_count(running);
  counted.set_pending_tasks_count(pending);
  return counted;
}

// The instance's status with `placed` (new tasks on it) added to its counts: what
// CountedInstanceStatus gives once they are stored, provided the status was counted from the
// instance's tasks as of its resourceVersion (every writer of a task keeps it so), without
// reading those tasks.
inline v1::ContainerInstanceStatus CountedWithPlaced(const v1::ContainerInstance& instance,
                                                     const std::vector<const v1::Task*>& placed) {
  v1::ContainerInstanceStatus counted = instance.status();
  int64_t cpu = counted.remaining_resources().cpu();
  int64_t memory = counted.remaining_resources().memory();
  std::set<int32_t> ports(counted.ports_in_use().begin(), counted.ports_in_use().end());
  int running = counted.running_tasks_count(), pending = counted.pending_tasks_count();
  for (const v1::Task* t : placed) {
    if (!HoldsResources(*t)) continue;
    cpu -= t->spec().cpu();
    memory -= t->spec().memory();
    ports.insert(t->spec().host_ports().begin(), t->spec().host_ports().end());
    (t->status().last_status() == "RUNNING" ? running : pending) += 1;
  }
  auto clamp = [](int64_t v) {
    return static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX));
  };
  counted.mutable_remaining_resources()->set_cpu(clamp(cpu));
  counted.mutable_remaining_resources()->set_memory(clamp(memory));
  counted.clear_ports_in_use();
  for (int32_t p : ports) counted.add_ports_in_use(p);
  counted.set_running_tasks_count(running);
  counted.set_pending_tasks_count(pending);
  return counted;
}

}  // namespace gantry::schema
