#pragma once

// Deletes what has outlived its retention: STOPPED tasks (with their output, through
// `on_task_collected`) and Events.
//
//   Task becomes STOPPED / Event added or updated ─▶ enqueue "Task/<name>" | "Event/<name>"
//   reconcile(key) ─▶ PlanCollection(CollectableSince(object), retention, now)
//                  ─▶ not yet: requeue after the time left (the queue's timer, on the clock)
//                  ─▶ due: Delete pinned to the cached resourceVersion (a task changed meanwhile
//                     is looked at again, not deleted on stale facts)
//   Task deleted (by anyone) ─▶ enqueue ─▶ reconcile finds it gone ─▶ on_task_collected (its
//   output)

#include <functional>
#include <memory>
#include <string>

#include "api/client/client.h"
#include "api/clock/clock.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/informer_factory.h"

namespace gantry::controllers::gc {

struct Retention {
  clock::Clock::Duration stopped_tasks = std::chrono::hours(1);
  clock::Clock::Duration events = std::chrono::hours(1);
  // Called when a task's delete has been seen (collected here or deleted by someone else), to
  // remove what it left outside the store (its output). May be empty.
  std::function<void(const std::string& task)> on_task_collected;
};

// What the collector's Event informer keeps of an Event: metadata, its times, and the type,
// reason and count gantryd's events metric counts by.
runtime::ObjectRef KeepEventTimes(runtime::ObjectRef event);

class GarbageCollector {
 public:
  static constexpr const char* kName = "gc";

  // Registers its handlers on `informers`' Task and Event informers (before they start).
  // Everything given must outlive the collector.
  GarbageCollector(client::Client& client, clock::Clock& clock, runtime::InformerFactory& informers,
                   Retention retention, runtime::ControllerOptions options);

  runtime::Controller& controller() { return *controller_; }

  // One pass for one key, "Task/<name>" or "Event/<name>" (what the workers call).
  api::StatusOr<runtime::ReconcileOutcome> Reconcile(const std::string& key);

 private:
  client::Client& client_;
  clock::Clock& clock_;
  runtime::Informer& tasks_;
  runtime::Informer& events_;
  const Retention retention_;
  std::unique_ptr<runtime::Controller> controller_;
};

}  // namespace gantry::controllers::gc
