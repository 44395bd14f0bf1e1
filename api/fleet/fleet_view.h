#pragma once

// Every ContainerInstance and Task as the process's shared informers have them
// (controllers/runtime): placement, heartbeats and ECS reads never scan the store, and the
// controllers and the services read one copy of the fleet, decoded once. Lookups go through the
// informers' standard indexes (tasks by instance and cluster, instances by cluster).
//
// The informers follow the store a moment behind a write. A service that must read what it just
// wrote (an agent's next report pinned to the task's resourceVersion) waits until the informer
// has applied that revision: `WaitForTasks` and `WaitForInstances`, bounded. A writer that must
// not wait (RunTask: the watch's delivery would be most of its latency) notes its revision
// instead (`NoteTasksWritten`), and readers that answer for what gantryd already answered (ECS
// Describe and List calls, StopTask, a recount) call `AwaitNotedWrites` first: read-your-writes
// is then paid by reads, and only while the informers lag.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "controllers/runtime/informer_factory.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::fleet {

using InstancePtr = std::shared_ptr<const v1::ContainerInstance>;
using TaskPtr = std::shared_ptr<const v1::Task>;

// How long a writer waits for its own write to show before reading on regardless.
inline constexpr std::chrono::seconds kOwnWriteWait{5};

class FleetView {
 public:
  // Takes the factory's ContainerInstance, Task, Environment and TaskDefinition informers; the
  // factory must outlive the view and be started before the view is read.
  explicit FleetView(controllers::runtime::InformerFactory& informers);

  InstancePtr Instance(const std::string& name) const;
  TaskPtr Task(const std::string& name) const;
  std::vector<InstancePtr> InstancesIn(const std::string& cluster) const;
  std::vector<TaskPtr> TasksIn(const std::string& cluster) const;
  std::vector<TaskPtr> TasksOn(const std::string& instance) const;
  std::vector<InstancePtr> AllInstances() const;
  std::vector<TaskPtr> AllTasks() const;

  // Until the informer of that kind has applied every change up to `revision` (false at the
  // timeout). Per kind: an informer's revision moves only with changes of its kind.
  bool WaitForTasks(int64_t revision, std::chrono::milliseconds timeout = kOwnWriteWait) const;
  bool WaitForInstances(int64_t revision, std::chrono::milliseconds timeout = kOwnWriteWait) const;

  // A write the informers will show later, which every read after `AwaitNotedWrites` must see.
  // Const: this is the view's promise to its readers, not a change of what it shows.
  void NoteTasksWritten(int64_t revision) const;
  void NoteInstancesWritten(int64_t revision) const;
  // Until both informers have applied every write noted so far (false at kOwnWriteWait).
  // Returns at once when they have; never call it from an informer's handler.
  bool AwaitNotedWrites() const;

  controllers::runtime::Informer& instances() const { return instances_; }
  controllers::runtime::Informer& tasks() const { return tasks_; }
  // What placement reads beside them: the daemon Environments' claims on their instances and
  // the task definitions that size them.
  controllers::runtime::Informer& environments() const { return environments_; }
  controllers::runtime::Informer& definitions() const { return definitions_; }

 private:
  controllers::runtime::Informer& instances_;
  controllers::runtime::Informer& tasks_;
  controllers::runtime::Informer& environments_;
  controllers::runtime::Informer& definitions_;
  mutable std::atomic<int64_t> tasks_written_{0};
  mutable std::atomic<int64_t> instances_written_{0};
};

}  // namespace gantry::fleet
