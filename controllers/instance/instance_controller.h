#pragma once

// Watches over every registered container instance's agent: one that falls silent for longer
// than the heartbeat timeout is marked disconnected (placement avoids it), and one silent for
// longer than lost_after has its unfinished tasks STOPPED ("Container instance lost") with its
// counts recounted, in one transaction. Each instance is looked at when its next deadline
// passes, on the injected clock's timers (no periodic sweep), and again when it changes.
//
//   ContainerInstance connection or status change, task placed on a disconnected one ─▶ enqueue
//   reconcile(instance) ─▶ PlanLifecycle(stored state, last heard, unfinished tasks, now)
//                       ─▶ Commit(instance status, lost tasks' status) pinned to the cached
//                          resourceVersions ─▶ expect it (no pass plans again until the cache
//                          shows it) ─▶ Warning event ─▶ requeue at the next deadline

#include <memory>
#include <string>
#include <vector>

#include "api/client/client.h"
#include "api/client/heartbeats.h"
#include "api/clock/clock.h"
#include "controllers/instance/lifecycle_plan.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/event_recorder.h"
#include "controllers/runtime/expectations.h"
#include "controllers/runtime/informer_factory.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::instance {

class InstanceController {
 public:
  static constexpr const char* kName = "instance";

  // Registers its handlers on `informers`' ContainerInstance and Task informers
  // (before they start). Everything given must outlive the controller.
  InstanceController(client::Client& client, clock::Clock& clock,
                     const client::HeartbeatSource& heartbeats, runtime::InformerFactory& informers,
                     LifecycleOptions lifecycle, runtime::ControllerOptions options);

  runtime::Controller& controller() { return *controller_; }

  // One pass for one instance (what the workers call; tests call it directly).
  api::StatusOr<runtime::ReconcileOutcome> Reconcile(const std::string& instance);

 private:
  api::Status Act(const v1::ContainerInstance& instance, const std::vector<const v1::Task*>& tasks,
                  const LifecyclePlan& plan, clock::Clock::TimePoint now);

  client::Client& client_;
  clock::Clock& clock_;
  runtime::Expectations expectations_;
  const client::HeartbeatSource& heartbeats_;
  const LifecycleOptions lifecycle_;
  runtime::Informer& instances_;
  runtime::Informer& tasks_;
  runtime::EventRecorder recorder_;
  std::unique_ptr<runtime::Controller> controller_;
};

}  // namespace gantry::controllers::instance
