#pragma once

// What /metrics reads of the fleet, from the informers (no hot path pays for it):
//
//   instances ─▶ gantry_container_instances{cluster,status,connected}
//             ─▶ registered and reserved cpu / memory by {cluster,zone}
//   services, environments, their tasks ─▶ desired / running / pending tasks
//   service deployment records, Deployments ─▶ gantry_deployments{kind,state}
//   Service / Deployment / Event updates ─▶ rollbacks started, events by type and reason

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cmd/gantryd/fleet_gauges.h"
#include "controllers/runtime/informer.h"
#include "controllers/runtime/informer_factory.h"
#include "gantry/v1/objects.pb.h"

namespace gantry {

// From the informers' objects (each vector holds one kind). An environment's desired count is
// its eligible instances; its running and pending tasks are those of its group.
FleetGauges FleetGaugesOf(const std::vector<controllers::runtime::ObjectRef>& instances,
                          const std::vector<controllers::runtime::ObjectRef>& tasks,
                          const std::vector<controllers::runtime::ObjectRef>& services,
                          const std::vector<controllers::runtime::ObjectRef>& environments,
                          const std::vector<controllers::runtime::ObjectRef>& deployments);

// Deployment records of `now` that entered a rollback since `before` (ROLLBACK_REQUESTED or
// ROLLBACK_IN_PROGRESS, or straight to a ROLLBACK_ end): each counts once.
int RollbacksStarted(const v1::Service& before, const v1::Service& now);
// The Deployment became ROLLED_BACK.
bool RolledBack(const v1::Deployment& before, const v1::Deployment& now);
// How many more times the Event happened (Kubernetes counts repeats on one Event): its count
// now less before; a new Event (no `before`) counts its whole count, at least one.
int64_t EventOccurrences(const v1::Event* before, const v1::Event& now);

// The gauges from the factory's informers as they are now.
FleetGauges ReadFleetGauges(controllers::runtime::InformerFactory& informers);

struct FleetChangeCounters {
  std::function<void(const std::string& kind, int count)> rollbacks;  // service | environment
  std::function<void(const std::string& type, const std::string& reason, int64_t occurrences)>
      events;
};
// Handlers on the factory's Service, Deployment and Event informers (before they start) that
// count rollbacks and events as they are seen; `counters` must outlive the informers.
void CountFleetChanges(controllers::runtime::InformerFactory& informers,
                       FleetChangeCounters counters);

}  // namespace gantry
