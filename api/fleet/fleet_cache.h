#pragma once

// An in-memory view of every ContainerInstance and Task, kept current by a store watch, so
// placement, heartbeats and ECS reads never scan the store. Writers that need read-your-writes
// (RunTask placing the next task) hand their freshly written objects to Observe().
//
// Objects are immutable once cached (shared_ptr<const T>); readers get consistent snapshots of
// one object at a time, not of the whole fleet.

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/status/status.h"
#include "gantry/v1/objects.pb.h"
#include "store/store.h"

namespace gantry::fleet {

using InstancePtr = std::shared_ptr<const v1::ContainerInstance>;
using TaskPtr = std::shared_ptr<const v1::Task>;

// Told of every change the cache applies, in order. Called under the cache's lock: quick, and
// never calling back into the cache.
class FleetListener {
 public:
  virtual ~FleetListener() = default;
  virtual void InstanceChanged(const v1::ContainerInstance& instance) = 0;
  virtual void InstanceRemoved(const v1::ContainerInstance& instance) = 0;
  virtual void TaskChanged(const v1::Task& task) = 0;
  virtual void TaskRemoved(const v1::Task& task) = 0;
};

class FleetCache {
 public:
  explicit FleetCache(store::Store& store) : store_(store) {}
  ~FleetCache() { Stop(); }
  FleetCache(const FleetCache&) = delete;
  FleetCache& operator=(const FleetCache&) = delete;

  // Lists both kinds, then follows the store from that revision on a thread of its own.
  api::Status Start();
  void Stop();

  // Our own write, so the next read sees it even before the watch delivers it. Ignored when the
  // watch has already gone past its revision.
  void Observe(const v1::ContainerInstance& instance);
  void Observe(const v1::Task& task);

  // `listener` (or nullptr) hears of every cached object at once, then of every change. It must
  // outlive the cache or be replaced before it goes.
  void SetListener(FleetListener* listener);

  InstancePtr Instance(const std::string& name) const;
  TaskPtr Task(const std::string& name) const;
  std::vector<InstancePtr> InstancesIn(const std::string& cluster) const;
  std::vector<TaskPtr> TasksIn(const std::string& cluster) const;
  std::vector<TaskPtr> TasksOn(const std::string& instance) const;
  // Every task of the cluster grouped by its instance, under one lock.
  std::unordered_map<std::string, std::vector<TaskPtr>> TasksByInstance(
      const std::string& cluster) const;
  std::vector<InstancePtr> AllInstances() const;
  std::vector<TaskPtr> AllTasks() const;

  // Blocks until the cache has applied every store revision up to `revision` (or the timeout).
  bool WaitFor(int64_t revision, std::chrono::milliseconds timeout) const;
  int64_t revision() const { return revision_.load(); }

 private:
  template <typename T>
  struct Table {
    std::map<std::string, std::shared_ptr<const T>> by_name;
    // cluster -> name -> object: lists walk these without a lookup per object.
    std::map<std::string, std::map<std::string, std::shared_ptr<const T>>> by_group;
  };
  void Run();
  void Apply(const store::WatchEvent& event);
  void PutInstance(InstancePtr instance, int64_t revision);
  void PutTask(TaskPtr task, int64_t revision);
  void EraseInstance(const std::string& name);
  void EraseTask(const std::string& name);

  store::Store& store_;
  mutable std::mutex mu_;
  mutable std::condition_variable applied_;
  Table<v1::ContainerInstance> instances_;
  Table<v1::Task> tasks_;
  std::map<std::string, std::map<std::string, TaskPtr>> tasks_by_instance_;
  FleetListener* listener_ = nullptr;  // guarded by mu_
  std::atomic<int64_t> revision_{0};   // every change up to here is applied
  std::atomic<bool> stopping_{false};
  std::mutex watch_mu_;  // Stop() cancels the watch Run() may be replacing
  store::WatchPtr watch_;
  std::thread thread_;
};

}  // namespace gantry::fleet
