#pragma once

// One reconcile of a replica Service, as a pure function of what the informers show:
//
//   Service, the revision its taskDefinition resolves to, its tasks (group service:<name>, not
//   STOPPED), the cluster's instances
//     ─▶ target deployment: the PRIMARY one when it runs that revision, else a new one
//     ─▶ counts by deployment (RUNNING / PENDING / STOPPING) ─▶ PlanRollout
//     ─▶ which tasks stop: old PENDING ones, then placement::ChooseToStop over old RUNNING ones
//        and over the target's surplus, as the strategies would place them in reverse
//     ─▶ the status: counts, deployments (PRIMARY + ACTIVE), observedGeneration and the
//        Ready / Reconciling / Stalled conditions (kstatus)
//
// The status is a function of its inputs: planned again on the same view, it comes out the same
// (times included), so the apply writes it only when something changed.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/status/status.h"
#include "controllers/service/rollout_plan.h"
#include "gantry/v1/objects.pb.h"
#include "placement/types.h"

namespace gantry::controllers::service {

struct ServiceView {
  const v1::Service* service = nullptr;
  // What spec.taskDefinition resolves to now ("web:3"); empty when it resolves to nothing.
  std::string revision;
  std::vector<const v1::Task*> tasks;  // the service's tasks that are not STOPPED
  // The instances hosting its tasks (what a scale-in weighs), each with all its tasks.
  std::vector<placement::InstanceSpec> instances;
  // Its tasks that stopped on their own (not asked to, not lost with their instance), by
  // deployment (startedBy): when each stopped. What the circuit breaker counts.
  std::map<std::string, std::vector<std::string>> failed;
  // The zones of the cluster's ACTIVE, connected instances: where rebalancing may move tasks.
  std::vector<std::string> zones;
};

struct ServicePlan {
  std::string deployment;         // the target deployment's id: the startedBy of its tasks
  std::string revision;           // the task definition it runs
  int start = 0;                  // tasks of the target to launch
  std::vector<std::string> stop;  // tasks to stop, in order
  std::string zone;               // rebalancing: the zone the tasks to start must go to
  v1::ServiceStatus status;       // the status the Service should show
  RolloutState state = RolloutState::kWaiting;
  bool rebalancing = false;  // steady but for the zones, which this pass evens out
  // A CANARY / LINEAR step or a bake is waiting on time: look again after this long.
  std::optional<std::chrono::milliseconds> wake_after;
};

// `now` is an RFC 3339 time for the records and conditions this pass changes; `seed` decides
// ties among tasks to stop.
api::StatusOr<ServicePlan> PlanService(const ServiceView& view, const std::string& now,
                                       uint64_t seed);

// Tasks the launch found no room for: Stalled (reason Unplaceable, `message` in ECS's words)
// until a pass places them; the transition time holds while it stays so.
void MarkUnplaceable(ServicePlan& plan, const v1::Service& service, const std::string& message,
                     const std::string& now);

// A new deployment's id, in ECS's shape ("ecs-svc/" and 19 digits), from the service's uid,
// its generation and the revision: the same inputs give the same id.
std::string DeploymentId(const v1::Service& service, const std::string& revision);

}  // namespace gantry::controllers::service
