#pragma once

// Tasks: RunTask and StartTask (placement through placement/), StopTask, ListTasks, and the
// agent's state reports. Every task change also recounts its instance's remaining resources and
// task counts, which ECS shows on the container instance; a launch and an agent's report each
// write their tasks and those recounts in one transaction.
//
//   RunTask ─▶ task definition (cpu, memory, host ports, constraints)
//           ─▶ api::Launcher (its snapshot kept from the informers' changes) ─▶ Task{PENDING}
//           per placement, all in one store transaction
//   agent report ─▶ PENDING → RUNNING → STOPPED (STOPPED is final) ─▶ instance recount
//
// The launcher places and reserves under its cluster's lock, so two launches never over-commit
// an instance.
// A launch with a clientToken is idempotent for 24 hours (launch_tokens.h).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "api/fleet/ecs_names.h"
#include "api/fleet/fleet_view.h"
#include "api/fleet/launch_request.h"
#include "api/fleet/launch_tokens.h"
#include "api/fleet/snapshot_input.h"
#include "api/service/clock.h"
#include "api/service/launcher.h"
#include "api/service/object_service.h"
#include "gantry/v1/agent.pb.h"
#include "placement/types.h"

namespace gantry::fleet {

inline constexpr int kMaxRunTaskCount = 10;
// A Launch (gRPC, client::Client) commits every task of a request in one transaction.
inline constexpr int kMaxLaunchCount = 1000;
inline constexpr const char* kReasonUserStop = "Task stopped by user";
inline constexpr const char* kReasonInstanceDeregistered = "Container instance deregistered";

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

using schema::HoldsResources;

// The instance's status with remaining resources, ports in use and task counts recounted from
// `tasks` (those assigned to it).
v1::ContainerInstanceStatus CountedStatus(const v1::ContainerInstance& instance,
                                          const std::vector<TaskPtr>& tasks);

class TaskService {
 public:
  // Feeds the view's instances and tasks to its launcher (handlers on the view's informers, from
  // now until the service goes); the informers must not have started yet.
  TaskService(api::ObjectService& objects, const FleetView& fleet, const api::Clock& clock,
              EcsNames names, uint64_t seed = std::random_device{}());
  ~TaskService();
  TaskService(const TaskService&) = delete;
  TaskService& operator=(const TaskService&) = delete;

  // With request.client_token: a repeat within 24 hours answers with the first call's tasks
  // (as they are now; those collected since are failures with reason MISSING) and failures;
  // the same token with other parameters is kAlreadyExists on field clientToken (see
  // ClientTokenTaskArns).
  api::StatusOr<LaunchResult> RunTask(const LaunchRequest& request);
  api::StatusOr<LaunchResult> StartTask(const LaunchRequest& request);
  // What controllers and API clients launch with (gantry.v1.Launcher, client::Client::Launch):
  // RunTask's rules with up to kMaxLaunchCount tasks, or StartTask's with up to kMaxLaunchCount
  // container_instances.
  api::StatusOr<LaunchResult> LaunchTasks(const LaunchRequest& request);
  // The ARNs of the tasks a clientToken launched (within its 24 hours), for the conflict answer.
  std::vector<std::string> ClientTokenTaskArns(const std::string& token);
  // Sets desiredStatus STOPPED; the agent stops the processes and reports STOPPED.
  api::StatusOr<TaskPtr> StopTask(const std::string& cluster, const std::string& task,
                                  const std::string& reason);
  std::vector<TaskPtr> ListTasks(const TaskFilter& filter) const;
  TaskPtr Find(const std::string& id) const {
    (void)fleet_.AwaitNotedWrites();
    return fleet_.Task(id);
  }
  // The container names of the task's definition, in its order: what the task may have output
  // for (not its status, which agents report).
  api::StatusOr<std::vector<std::string>> ContainerNames(const v1::Task& task) const;

  // Agent reports. A report for a task of another instance, or an unknown task, becomes a
  // failure (not to be retried); a store error a failure to retry; the others are applied in
  // order. The changed tasks and their instances' recounts are written together: one store
  // revision per batch of up to store::kMaxTxnOps writes.
  std::vector<TaskPtr> Report(const std::vector<v1::TaskStateReport>& reports,
                              std::vector<v1::ReportFailure>& failures);
  // The instance is gone: its unfinished tasks become STOPPED with `reason`.
  void StopTasksOn(const std::string& instance, const std::string& reason);
  // Recomputes remaining resources, ports in use and task counts on the instance.
  api::Status RecountInstance(const std::string& instance);
  // Deletes clientToken records older than 24 hours. Returns how many.
  size_t CollectExpiredClientTokens();

  // At start, before serving: recounts every instance from its tasks (a crash between writing a
  // task and recounting its instance left the counts stale), loads the clientToken records and
  // finds the tasks a launch created before a crash kept it from saving its record.
  api::Status Recover();

  const EcsNames& names() const { return names_; }
  // Told of every placement its launcher decides; set before the first launch.
  void SetPlacementObserver(api::PlacementObserver* observer) { launcher_.SetObserver(observer); }

 private:
  // Tasks of a clientToken whose launch saved no record (a crash, a failed save).
  struct Unrecorded {
    std::string fingerprint;
    std::vector<std::string> task_ids;
  };

  // The informers' changes, as the launcher's feed. An informer keeps its handlers for life, so
  // they reach the launcher through this, which the service detaches when it goes.
  class LauncherFeed {
   public:
    explicit LauncherFeed(api::Launcher& launcher) : launcher_(&launcher) {}
    void Detach() {
      std::lock_guard lock(mu_);
      launcher_ = nullptr;
    }
    template <typename F>
    void With(F&& f) {
      std::lock_guard lock(mu_);
      if (launcher_) f(*launcher_);
    }

   private:
    std::mutex mu_;
    api::Launcher* launcher_;
  };

  api::StatusOr<LaunchResult> Launch(const LaunchRequest& request, bool explicit_instances);
  // Records why the instances a launch's snapshot left out were left out (Warning events).
  void ReportLeftOut(const std::vector<std::string>& instances);
  // The answer to a repeat: the recorded tasks as they are now, and the recorded failures.
  LaunchResult Replay(const LaunchRecord& record) const;
  api::Status TokenConflict(const std::string& token, const std::vector<std::string>& task_ids,
                            const std::string& cluster) const;
  v1::Task NewTask(const LaunchRequest& request, const v1::TaskDefinition& def,
                   const TaskResources& resources, const std::string& group,
                   const std::string& instance, const std::string& fingerprint) const;
  int64_t NowMs() const;
  // After a report's commit lost a race: until the view shows the instances as stored now, and
  // the tasks (bounded) as of then.
  void CatchUpWith(const std::vector<std::string>& instances) const;
  // For the launcher's transaction: each instance `placed` lands on, its counts with these
  // added, pinned to the instance's resourceVersion.
  std::vector<std::shared_ptr<const google::protobuf::Message>> RecountsWith(
      const std::vector<v1::Task>& placed) const;

  api::ObjectService& objects_;
  const FleetView& fleet_;
  const api::Clock& clock_;
  const EcsNames names_;
  api::Launcher launcher_;
  std::shared_ptr<LauncherFeed> feed_;
  std::mutex launch_mu_;
  std::mt19937_64 rng_;  // guarded by launch_mu_
  LaunchTokens tokens_;
  std::map<std::string, Unrecorded> unrecorded_;  // by token; guarded by launch_mu_
  SkipReporter skips_;
};

}  // namespace gantry::fleet
