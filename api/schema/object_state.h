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

// What an instance's status derives from the tasks placed on it: remaining cpu and memory,
// ports in use, running and pending tasks.
struct InstanceCounts {
  int64_t cpu = 0;
  int64_t memory = 0;
  std::set<int32_t> ports;
  int running = 0;
  int pending = 0;

  void Add(const v1::Task& t) {
    if (!HoldsResources(t)) return;
    cpu -= t.spec().cpu();
    memory -= t.spec().memory();
    ports.insert(t.spec().host_ports().begin(), t.spec().host_ports().end());
    (t.status().last_status() == "RUNNING" ? running : pending) += 1;
  }
  void WriteTo(v1::ContainerInstanceStatus& status) const {
    // Clamped: tasks written before validation could over-commit past 32 bits.
    auto clamp = [](int64_t v) {
      return static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX));
    };
    status.mutable_remaining_resources()->set_cpu(clamp(cpu));
    status.mutable_remaining_resources()->set_memory(clamp(memory));
    status.mutable_remaining_resources()->clear_ports();
    status.clear_ports_in_use();
    for (int32_t p : ports) status.add_ports_in_use(p);
    status.set_running_tasks_count(running);
    status.set_pending_tasks_count(pending);
  }
};

// An instance's status with its derived counts recomputed from the tasks placed on it; the
// rest is kept as given.
inline v1::ContainerInstanceStatus CountedInstanceStatus(
    const v1::ContainerInstance& instance, const std::vector<const v1::Task*>& tasks) {
  const auto& registered = instance.spec().registered_resources();
  InstanceCounts counts{registered.cpu(), registered.memory(),
                        std::set<int32_t>(registered.ports().begin(), registered.ports().end())};
  for (const v1::Task* t : tasks) counts.Add(*t);
  v1::ContainerInstanceStatus counted = instance.status();
  counts.WriteTo(counted);
  return counted;
}

// The instance's status with `placed` (new tasks on it) added to its counts: what
// CountedInstanceStatus gives once they are stored, provided the status was counted from the
// instance's tasks as of its resourceVersion (every writer of a task keeps it so), without
// reading those tasks.
inline v1::ContainerInstanceStatus CountedWithPlaced(const v1::ContainerInstance& instance,
                                                     const std::vector<const v1::Task*>& placed) {
  const auto& status = instance.status();
  InstanceCounts counts{
      status.remaining_resources().cpu(), status.remaining_resources().memory(),
      std::set<int32_t>(status.ports_in_use().begin(), status.ports_in_use().end()),
      status.running_tasks_count(), status.pending_tasks_count()};
  for (const v1::Task* t : placed) counts.Add(*t);
  v1::ContainerInstanceStatus counted = status;
  counts.WriteTo(counted);
  return counted;
}

}  // namespace gantry::schema
