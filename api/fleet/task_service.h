#pragma once

// Tasks: RunTask and StartTask (placement through placement/), StopTask, ListTasks, and the
// agent's state reports. Every task change also recounts its instance's remaining resources and
// task counts, which ECS shows on the container instance.
//
//   RunTask ─▶ task definition (cpu, memory, host ports, constraints)
//           ─▶ snapshot of the cluster (FleetCache) ─▶ placement::Place ─▶ Task{PENDING} per
//           placement
//   agent report ─▶ PENDING → RUNNING → STOPPED (STOPPED is final) ─▶ instance recount
//
// Launches are serialized (one mutex), so two RunTask calls never over-commit an instance.

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "api/fleet/ecs_names.h"
#include "api/fleet/fleet_cache.h"
#include "api/fleet/snapshot_input.h"
#include "api/service/clock.h"
#include "api/service/object_service.h"
#include "gantry/v1/agent.pb.h"
#include "placement/types.h"

namespace gantry::fleet {

inline constexpr int kMaxRunTaskCount = 10;
inline constexpr const char* kReasonInstanceLost = "Container instance lost";
inline constexpr const char* kReasonUserStop = "Task stopped by user";
inline constexpr const char* kReasonInstanceDeregistered = "Container instance deregistered";

struct LaunchRequest {
  std::string cluster = kDefaultCluster;
  std::string task_definition;  // family, family:revision or ARN
  int count = 1;
  std::string group;  // default family:<family>
  std::string started_by;
  std::vector<placement::ConstraintSpec> constraints;
  std::vector<placement::StrategySpec> strategies;
  std::vector<std::string> container_instances;  // StartTask: ids or ARNs, at most 10
};

struct LaunchFailure {
  std::string arn;
  std::string reason;
  std::string detail;
};

struct LaunchResult {
  std::vector<TaskPtr> tasks;
  std::vector<LaunchFailure> failures;
};

struct TaskFilter {
  std::string cluster = kDefaultCluster;
  std::string container_instance;
  std::string family;
  std::string started_by;
  std::string desired_status = "RUNNING";  // RUNNING | PENDING | STOPPED
};

// What a task reserves, from its task definition: task-level cpu/memory when given, else the sum
// over containers; the host ports of its tcp port mappings.
struct TaskResources {
  int32_t cpu = 0;
  int32_t memory = 0;
  std::vector<int32_t> host_ports;
};
// Fails (InvalidArgument naming the definition's field) for a definition whose sizes placement
// cannot take, such as one stored before validation checked them.
api::StatusOr<TaskResources> ResourcesOf(const v1::TaskDefinition& definition);

// A task still holds its instance's resources until the agent reports it STOPPED.
bool HoldsResources(const v1::Task& task);

class TaskService {
 public:
  TaskService(api::ObjectService& objects, FleetCache& cache, const api::Clock& clock,
              EcsNames names, uint64_t seed = std::random_device{}());

  api::StatusOr<LaunchResult> RunTask(const LaunchRequest& request);
  api::StatusOr<LaunchResult> StartTask(const LaunchRequest& request);
  // Sets desiredStatus STOPPED; the agent stops the processes and reports STOPPED.
  api::StatusOr<TaskPtr> StopTask(const std::string& cluster, const std::string& task,
                                  const std::string& reason);
  std::vector<TaskPtr> ListTasks(const TaskFilter& filter) const;
  TaskPtr Find(const std::string& id) const { return cache_.Task(id); }

  // Agent reports. A report for a task of another instance, or an unknown task, becomes a
  // failure (not to be retried); a store error a failure to retry; the others are applied in
  // order.
  std::vector<TaskPtr> Report(const std::vector<v1::TaskStateReport>& reports,
                              std::vector<v1::ReportFailure>& failures);
  // The instance is gone: its unfinished tasks become STOPPED with `reason`.
  void StopTasksOn(const std::string& instance, const std::string& reason);
  // Recomputes remaining resources, ports in use and task counts on the instance.
  api::Status RecountInstance(const std::string& instance);
  // Deletes STOPPED tasks that stopped before `cutoff`. Returns their ids.
  std::vector<std::string> CollectStoppedBefore(std::chrono::system_clock::time_point cutoff);

  const EcsNames& names() const { return names_; }

 private:
  api::StatusOr<LaunchResult> Launch(const LaunchRequest& request, bool explicit_instances);
  api::StatusOr<TaskPtr> CreateTask(const LaunchRequest& request, const v1::TaskDefinition& def,
                                    const TaskResources& resources, const std::string& group,
                                    const std::string& instance);

  api::ObjectService& objects_;
  FleetCache& cache_;
  const api::Clock& clock_;
  const EcsNames names_;
  std::mutex launch_mu_;
  std::mt19937_64 rng_;                  // guarded by launch_mu_
  SnapshotInputBuilder snapshot_input_;  // guarded by launch_mu_
  SkipReporter skips_;
};

}  // namespace gantry::fleet
