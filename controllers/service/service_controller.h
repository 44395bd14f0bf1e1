#pragma once

// The replica Service controller: keeps each Service's desiredCount tasks running and rolls
// them to a new task definition revision within the deployment's bounds.
//
//   Service / its tasks (group service:<name>) / the cluster's instances / task definitions
//     ─▶ enqueue the Service's name
//   reconcile ─▶ until the informers show this controller's last writes: look again shortly
//             ─▶ PlanService over the caches (service_plan.h)
//             ─▶ stop: desiredStatus STOPPED, pinned to the cached resourceVersion
//             ─▶ start: client::Client::Launch (the one launcher), group service:<name>,
//                startedBy the deployment, the service's constraints and strategies (ECS's
//                spread by zone then instance when it has none)
//             ─▶ the status, when it changed; events: unable to place, steady state
//
// Tasks that find no instance are retried when the cluster changes: an instance comes, goes or
// changes its status, connection or spec; a task of any group in the cluster stops or goes
// (room freed); a task of the service changes. Never on a timer.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>

#include "api/client/client.h"
#include "api/clock/clock.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/event_recorder.h"
#include "controllers/runtime/expectations.h"
#include "controllers/runtime/informer_factory.h"
#include "controllers/service/service_plan.h"
#include "gantry/v1/launch.pb.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::service {

// Task launch throttling: after a task of the service stops on its own (not asked to, not lost
// with its instance), its replacement waits 1 s, doubling with each later failure up to 15
// minutes (Kubernetes' failed-pod backoff), until the service is steady again. Failures between
// two launches count once. A task that crashes at once does not make a launch loop.
inline constexpr std::chrono::seconds kFailedTaskBackoff{1};
inline constexpr std::chrono::minutes kMaxFailedTaskBackoff{15};

class ServiceController {
 public:
  static constexpr const char* kName = "service";

  // Registers its handlers on `informers` (before they start). Everything given must outlive
  // the controller.
  ServiceController(client::Client& client, clock::Clock& clock,
                    runtime::InformerFactory& informers, runtime::ControllerOptions options,
                    uint64_t seed = std::random_device{}());

  runtime::Controller& controller() { return *controller_; }

  // One pass for one Service, by name (what the workers call).
  api::StatusOr<runtime::ReconcileOutcome> Reconcile(const std::string& name);

  // The revision `reference` (family, family:N, or an ARN) resolves to: family:N of the latest
  // ACTIVE revision for a family; empty when none.
  std::string Resolve(const std::string& reference) const;

  // What a pass would do now for `service` as given (stored or not), writing nothing: the
  // plan, with the tasks to start placed by a dry-run launch (gantryctl plan).
  api::StatusOr<v1::ServicePlanPreview> Preview(const v1::Service& service);

 private:
  void EnqueueServicesOf(const std::string& cluster);
  // The plan's input from the caches; `keep` holds what it points into. `count_failures`: note
  // the failed tasks seen for the launch backoff (a reconcile does, a preview does not).
  ServiceView ViewOf(const v1::Service& service, std::vector<runtime::ObjectRef>& keep,
                     bool count_failures);
  // The launch of `count` tasks of the plan's deployment, with the service's placement (ECS's
  // spread by zone, then instance, when it has none).
  v1::LaunchRequest LaunchFor(const v1::Service& service, const ServicePlan& plan, int count) const;
  // `task` of `service` stopped without being asked to (counted once, whoever sees it first:
  // the informer's handler or a reconcile that got to the cache before it).
  void TaskFailed(const std::string& service, const std::string& task);
  // How long its next launch must wait for the failures so far (zero: none to wait).
  clock::Clock::Duration LaunchHold(const std::string& service);
  void Record(const v1::Service& service, runtime::EventType type, const std::string& reason,
              const std::string& message);

  client::Client& client_;
  clock::Clock& clock_;
  runtime::EventRecorder recorder_;
  runtime::Informer& services_;
  runtime::Informer& tasks_;
  runtime::Informer& instances_;
  runtime::Informer& definitions_;
  runtime::Expectations expectations_;  // the Service's own status writes
  std::mutex mu_;
  std::map<std::string, int64_t> task_writes_;  // by service: the revision of its last task write
  struct Failures {
    int count = 0;  // since the service was last steady
    clock::Clock::TimePoint last;
    std::set<std::string> seen;  // the failed tasks counted, while the cache still has them
    bool launched = true;        // a launch since the last failure counted
    uint64_t counted = 0;        // failures counted ever: a pass that saw none may reset
  };
  std::map<std::string, Failures> failures_;  // by service, since it was last steady
  // Services whose last launch found no room, by name: their cluster.
  std::map<std::string, std::string> unplaced_;
  // By service: zones a rebalancing launch found no room in, until an instance changes.
  std::map<std::string, std::set<std::string>> full_zones_;
  std::mt19937_64 rng_;  // guarded by mu_
  std::unique_ptr<runtime::Controller> controller_;
};

}  // namespace gantry::controllers::service
