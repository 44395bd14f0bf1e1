#pragma once

// The ECS event stream: every change of a Task or ContainerInstance becomes an Event object
// whose `detail` is the ECS CloudWatch event ("ECS Task State Change", "ECS Container Instance
// State Change"), served by the ordinary REST/gRPC watch of events and `gantryctl events -w`.
//
//   store watch /registry/{tasks,containerinstances}/ ─▶ Event{name: <kind>.<id>.<revision>,
//       detail: {version "0", id, detail-type, source "gantry", account, time, region,
//                resources [arn], detail {<ECS shape>}}}
//
// detail.version is what DescribeTasks and DescribeContainerInstances show: a task's
// status.version (raised by every state change TaskService makes), an instance's revision.
//
// The events of the changes the watch holds at one moment are created in one transaction.
// Delivery is at least once: the revision followed is saved under /gantry/event-stream/cursor,
// and an event's name is fixed by the change it describes, so a replay after a restart creates
// nothing twice. controllers/gc deletes Events past their retention.

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/fleet/ecs_names.h"
#include "api/fleet/fleet_cache.h"
#include "api/service/clock.h"
#include "api/service/object_service.h"
#include "store/store.h"

namespace gantry::ecs {

class EventStream {
 public:
  EventStream(store::Store& store, api::ObjectService& objects, const fleet::FleetCache& cache,
              const fleet::EcsNames& names, const api::Clock& clock);
  ~EventStream() { Stop(); }

  api::Status Start();
  void Stop();

  // One change as an Event (exposed for tests); nullptr for keys that are not tasks or instances.
  std::unique_ptr<v1::Event> EventFor(const store::KeyValue& kv) const;

 private:
  void Run();
  // The changes' events, in one store transaction when it can be.
  void Emit(const std::vector<store::KeyValue>& changes);
  void SaveCursor(int64_t revision);

  store::Store& store_;
  api::ObjectService& objects_;
  const fleet::FleetCache& cache_;
  const fleet::EcsNames names_;
  const api::Clock& clock_;
  std::mutex watch_mu_;  // Stop() cancels the watch Run() may be replacing
  store::WatchPtr watch_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  int64_t saved_cursor_ = 0;
  bool warned_ = false;  // one log line for a failing store, not one per event
};

}  // namespace gantry::ecs
