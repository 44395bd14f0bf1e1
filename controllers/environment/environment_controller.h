#pragma once

// The daemon Environment controller: one task of the Environment's revision on every eligible
// instance of its group (ACTIVE, agent connected, in the cluster, matching the filter).
//
//   Environment / its tasks (group environment:<name>) / the cluster's instances / task
//   definitions ─▶ enqueue the Environment's name
//   reconcile ─▶ until the informers show this controller's last writes: look again shortly
//             ─▶ PlanDaemon over the caches (daemon_plan.h)
//             ─▶ stop: desiredStatus STOPPED, pinned to the cached resourceVersion
//             ─▶ start: client::Client::Launch with the instances named (StartTask: the one
//                launcher, constraints checked, strategies not), not on an instance whose task
//                keeps failing until its backoff has passed
//             ─▶ the status: revision, eligible / covered, the instances that failed and why,
//                health, Ready / Reconciling / Stalled
//             ─▶ its Deployment objects: PENDING ─▶ IN_PROGRESS ─▶ COMPLETED
//             ─▶ events: an instance without room (Warning FailedPlacement, with every stage's
//                rejections), the group covered (Normal Covered)
//
// A new instance is covered when its registration reaches the instance informer: event-driven,
// not polled (Blox looked every 10 s).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/client/client.h"
#include "api/clock/clock.h"
#include "controllers/environment/daemon_plan.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/event_recorder.h"
#include "controllers/runtime/expectations.h"
#include "controllers/runtime/informer_factory.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::environment {

// A daemon task that stops on its own is started again on its instance after 1 s, doubling with
// each failure there up to 5 minutes.
inline constexpr std::chrono::seconds kRestartBackoff{1};
inline constexpr std::chrono::minutes kMaxRestartBackoff{5};

class EnvironmentController {
 public:
  static constexpr const char* kName = "environment";

  // Registers its handlers on `informers` (before they start). Everything given must outlive
  // the controller.
  EnvironmentController(client::Client& client, clock::Clock& clock,
                        runtime::InformerFactory& informers, runtime::ControllerOptions options);

  runtime::Controller& controller() { return *controller_; }

  // One pass for one Environment, by name (what the workers call).
  api::StatusOr<runtime::ReconcileOutcome> Reconcile(const std::string& name);

 private:
  void EnqueueEnvironmentsOf(const std::string& cluster);
  // The cluster's instances the environment's group holds: ACTIVE, connected, matching the
  // filter. An unreadable filter is the environment's error (its status says so).
  api::StatusOr<std::vector<std::string>> Eligible(const v1::Environment& environment) const;
  // The environment's Deployments, oldest first (schema::OlderDeployment).
  std::vector<runtime::ObjectRef> DeploymentsOf(const std::string& environment) const;
  // A Deployment object <environment>-<n> for a roll to `revision` the environment began on its
  // own (its task definition changed), unless one of that revision is still open.
  api::Status RecordDeployment(const std::string& environment, const std::string& revision);
  // Moves the environment's Deployment objects (Blox's, or made by hand) along: PENDING ─▶
  // IN_PROGRESS ─▶ COMPLETED once the environment is Ready with their revision; a deployment
  // of a revision it no longer runs is FAILED (superseded). Their failed instances are its; the
  // one it runs also takes its counts and `failed_tasks`.
  api::Status AdvanceDeployments(const std::string& environment,
                                 const v1::EnvironmentStatus& status, bool ready, int failed_tasks);
  // The newest of its Deployments of `revision` that did not fail: the one it runs or rolls.
  std::string ActiveDeployment(const std::string& environment, const std::string& revision) const;
  // How long starts on `instance` must still wait for the failures there (zero: none).
  clock::Clock::Duration RestartHold(const std::string& environment, const std::string& instance);

  client::Client& client_;
  clock::Clock& clock_;
  runtime::EventRecorder recorder_;
  runtime::Informer& environments_;
  runtime::Informer& tasks_;
  runtime::Informer& instances_;
  runtime::Informer& definitions_;
  runtime::Informer& deployments_;
  runtime::Expectations expectations_;  // the Environment's own status writes
  std::mutex mu_;
  std::map<std::string, int64_t> task_writes_;  // by environment: its last task write's revision
  struct Failures {
    int count = 0;
    clock::Clock::TimePoint last;
  };
  // By environment, then instance: tasks that stopped on their own there.
  std::map<std::string, std::map<std::string, Failures>> failures_;
  std::map<std::string, std::string> seen_failed_;  // task -> environment, counted once
  std::unique_ptr<runtime::Controller> controller_;
};

}  // namespace gantry::controllers::environment
