#pragma once

// The launcher: the one place that turns placement decisions into Tasks. RunTask, StartTask and
// the gRPC Launch call the controllers use send it their requests, so two launches never
// over-commit the same instance.
//
//   informers ──Observe*/Forget*──▶ per cluster: instances, the tasks that hold resources, and a
//                                   placement snapshot kept between launches (tasks change it
//                                   in place; an instance change rebuilds it on the next launch)
//   Launch ──cluster lock: place on the snapshot, reserve the placements in it, unlock──▶
//          one store transaction for every task of the request and the status writes the
//          caller derives from them (its instances' recounts; concurrent launches share its
//          fsync) ──▶ committed: the tasks · failed: the reservations are released
//
// Placing and reserving under the cluster's lock is the commit-time check: each launch sees
// every placement made before it, committed or still being written. Nomad's plan applier is the
// model; the snapshot is changed in place instead of re-read, so a launch costs a placement, not
// a rebuild of the cluster.
//
// Daemon first: a daemon (an Environment) reserves its task's resources and ports on every
// ACTIVE instance its group holds, in the snapshot, for as long as its task there does not hold
// them itself (not started yet, stopped for a restart or a roll, or an older revision that holds
// less). Replica placement (RunTask, Services) sees that room as taken; the daemon's own start
// on an instance takes its reservation there. So a new instance's daemon tasks get their room
// whatever lands on it first, and a replica that would need it is unplaceable, never an
// overcommit.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/service/object_service.h"
#include "api/service/placement_observer.h"
#include "gantry/v1/objects.pb.h"
#include "placement/decision.h"
#include "placement/snapshot.h"
#include "placement/types.h"

namespace gantry::api {

struct LaunchSpec {
  std::string cluster;
  // count, group, cpu, memory, host ports, constraints, strategies, seed.
  placement::TaskRequest request;
  // StartTask: one task on each of these instances (constraints apply, strategies do not, count
  // is ignored). At most store::kMaxTxnOps.
  std::vector<std::string> instances;
  // What every task copies: labels, annotations, spec (taskDefinition, startedBy, ...) and its
  // first status. The launcher sets metadata.name, the gantry.dev/cluster and
  // gantry.dev/container-instance labels, and spec.cluster, containerInstance, group, cpu,
  // memory and hostPorts from the request.
  v1::Task task;
  // Status updates that belong with the tasks (their instances' recounted resources), made
  // from the tasks as placed, outside the cluster lock, and committed in the tasks' transaction.
  // Each should pin its resourceVersion: when one is stale the tasks are committed without them
  // and LaunchOutcome::with_tasks_written says so, for the caller to write them its own way.
  std::function<std::vector<std::shared_ptr<const google::protobuf::Message>>(
      const std::vector<v1::Task>& tasks)>
      with_tasks;
  // Place and answer with the tasks as they would be, reserving and writing nothing (a plan's
  // preview). They have names but no resourceVersion.
  bool dry_run = false;
};

// A daemon's claim on its group: every ACTIVE instance of `cluster` that `filter` (placement's
// query language; empty: all) matches should run one task of `task.group` holding `task`'s
// resources and ports.
struct DaemonReservation {
  std::string cluster;
  std::string filter;
  placement::TaskSpec task;
};

// StartTask: an instance given that received no task, and why: MISSING (not in the cluster),
// INACTIVE, INVALID (placement cannot read it; an event names the field) or a stage's ECS reason.
struct InstanceFailure {
  std::string instance;
  std::string reason;
};

struct LaunchOutcome {
  std::vector<std::shared_ptr<const v1::Task>> tasks;  // as committed, in placement order
  std::vector<placement::Stage> failures;              // one per task that found no instance
  placement::StageCounts first_task;                   // the pipeline's counters for task one
  // The counters when the candidates ran out (a task found no instance).
  std::optional<placement::StageCounts> at_exhaustion;
  std::vector<InstanceFailure> instance_failures;  // StartTask
  int64_t revision = 0;                            // of the transaction; 0 if none
  // LaunchSpec::with_tasks's writes went in with the tasks (false when there were none, or one
  // was stale, or there was no room for them in the transaction).
  bool with_tasks_written = false;
  // When this launch rebuilt the snapshot: the instances placement could not read (their own
  // values or a task's), left out until they change. The caller reports them.
  std::vector<std::string> left_out;
};

class Launcher {
 public:
  explicit Launcher(ObjectService& objects, std::function<std::string()> new_name = nullptr);

  // The informers' view, in any order and any number of times (a repeat changes nothing).
  void ObserveInstance(const v1::ContainerInstance& instance);
  void ForgetInstance(const v1::ContainerInstance& instance);
  // A task holds resources until it is STOPPED or deleted.
  void ObserveTask(const v1::Task& task);
  void ForgetTask(const v1::Task& task);
  // The daemon of task group `group` now claims `daemon` (replacing its earlier claim, in any
  // cluster); nullopt withdraws its claim.
  void ReserveForDaemon(const std::string& group, std::optional<DaemonReservation> daemon);

  // Set before the first launch; it must outlive the launcher.
  void SetObserver(PlacementObserver* observer) { observer_ = observer; }

  // Places and commits. An invalid request is kInvalidArgument naming its field; a store
  // failure is returned as is and leaves nothing reserved. Placements that find no instance are
  // failures in the outcome, not errors.
  StatusOr<LaunchOutcome> Launch(const LaunchSpec& spec);

  struct Stats {
    uint64_t launches = 0;
    uint64_t tasks_committed = 0;
    uint64_t snapshot_builds = 0;
    uint64_t released_after_failed_commit = 0;
    uint64_t with_tasks_stale = 0;     // commits retried without LaunchSpec::with_tasks's writes
    uint64_t daemon_reservations = 0;  // instances holding a daemon's room for its task, now
  };
  Stats stats() const;

 private:
  struct HeldTask {
    std::string instance;
    placement::TaskSpec spec;
    bool valid =
        true;  // placement accepts its values; an instance with an invalid task is left out
  };
  struct InstanceEntry {
    placement::InstanceSpec spec;  // without tasks
    bool valid = true;
  };
  // One daemon on one instance of its group: what its tasks there hold, and the reservation
  // (in the snapshot) standing in for the rest of what its task needs.
  struct DaemonSlot {
    int64_t cpu_held = 0;
    int64_t memory_held = 0;
    std::vector<int32_t> ports_held;  // with repeats, one per task holding the port
    std::optional<placement::TaskSpec> reserved;
  };
  using SlotKey = std::pair<std::string, std::string>;  // instance, daemon group
  struct ClusterState {
    std::mutex mu;
    std::map<std::string, InstanceEntry> instances;    // by name: the snapshot's order
    std::unordered_map<std::string, HeldTask> tasks;   // by task name
    std::map<std::string, DaemonReservation> daemons;  // by group
    // The instances each daemon covers, as of the last rebuild (its filter is read then).
    std::map<SlotKey, DaemonSlot> slots;
    std::optional<placement::ClusterSnapshot> snapshot;
    std::unordered_map<std::string, uint32_t> index;  // instance name -> snapshot index
    bool stale = true;                                // rebuild before the next placement
  };

  ClusterState& Cluster(const std::string& name);
  // Returns the instances left out.
  std::vector<std::string> Rebuild(ClusterState& c);
  void Hold(ClusterState& c, const std::string& name, HeldTask task);
  void Release(ClusterState& c, std::unordered_map<std::string, HeldTask>::iterator it);
  // A task of a daemon's group comes (+1) or goes (-1) on an instance the daemon covers: its
  // slot's holdings change, and the reservation with them.
  void Rebalance(ClusterState& c, const HeldTask& task, int sign);
  // Replaces the slot's reservation in the snapshot with what the daemon still lacks there
  // (false, and the snapshot stale, if the snapshot refused the change).
  bool Reserve(ClusterState& c, uint32_t at, const DaemonReservation& daemon, DaemonSlot& slot);
  // Adds the daemons' reservations to a freshly built snapshot.
  void ReserveAll(ClusterState& c);
  // StartTask's placements: each given instance on its own. A daemon placed where it had a
  // reservation has taken it out of the snapshot: `taken` names those slots.
  void PlaceOnGiven(ClusterState& c, const LaunchSpec& spec, const placement::TaskRequest& one,
                    std::vector<uint32_t>& placements, std::vector<SlotKey>& taken,
                    LaunchOutcome& outcome);
  // The tasks and, when they fit and none is stale, with_tasks's writes in one transaction.
  StatusOr<CommitResult> CommitTasks(const LaunchSpec& spec, const std::vector<v1::Task>& tasks,
                                     bool& with_tasks_written);

  ObjectService& objects_;
  std::function<std::string()> new_name_;
  PlacementObserver* observer_ = nullptr;
  std::mutex clusters_mu_;
  std::unordered_map<std::string, std::unique_ptr<ClusterState>> clusters_;
  std::map<std::string, std::string> daemon_clusters_;  // daemon group -> its cluster
  std::atomic<uint64_t> launches_{0}, tasks_committed_{0}, snapshot_builds_{0}, released_{0},
      with_tasks_stale_{0};
  std::atomic<int64_t> daemon_reservations_{0};
};

}  // namespace gantry::api
