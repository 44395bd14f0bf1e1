#pragma once

// Cached instances and tasks as placement's InstanceSpec values.
//
// Defence in depth: validation keeps bad values out of new objects, but an object stored before
// it existed (or written around it) could still make placement refuse the whole snapshot, and
// with it every RunTask and filtered ListContainerInstances of the cluster. So each instance is
// checked on its own (placement::ValidateInstance) and one that fails is left out of the
// snapshot, together with all its tasks. The instance, never just the task: leaving out a bad
// task would make its instance look emptier than it is, and placement would over-commit it. A
// left-out instance receives no tasks and matches no filter until it is fixed; each one is logged
// and recorded as a Warning Event (SkipReporter).

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "api/fleet/fleet_view.h"
#include "api/schema/placement_specs.h"
#include "api/service/clock.h"
#include "api/service/object_service.h"
#include "placement/types.h"

namespace gantry::fleet {

using clock::ParseTimeMs;
using schema::InstanceStatusOf;

// An instance left out of a snapshot, and the object that made it so: the instance itself, or a
// task on it.
struct SkippedInstance {
  std::string instance;          // the instance left out
  std::string kind;              // ContainerInstance or Task: the object at fault
  std::string name;              // its name
  std::string uid;               // its metadata.uid
  std::string resource_version;  // the revision found at fault
  std::string field;             // the offending field of that object (spec.cpu)
  std::string message;           // what is wrong with it
};

struct SnapshotInputs {
  std::vector<placement::InstanceSpec> specs;
  std::vector<InstancePtr> instances;  // specs[i] is instances[i]
  std::vector<SkippedInstance> skipped;
};

// One InstanceSpec per instance that placement accepts, in the given order, each carrying the
// resource-holding tasks the FleetView has on it; the others are left out and listed.
SnapshotInputs SnapshotInput(const std::vector<InstancePtr>& instances, const FleetView& fleet);

// Logs each left-out instance and records a Warning Event (reason InvalidForPlacement) naming
// the object at fault, once per object revision: a RunTask every second must not write an Event
// every second. Thread-safe.
class SkipReporter {
 public:
  SkipReporter(api::ObjectService& objects, const api::Clock& clock)
      : objects_(objects), clock_(clock) {}
  void Report(const std::vector<SkippedInstance>& skipped);

 private:
  api::ObjectService& objects_;
  const api::Clock& clock_;
  std::mutex mu_;
  std::unordered_set<std::string> reported_;  // uid/resourceVersion
};

}  // namespace gantry::fleet
