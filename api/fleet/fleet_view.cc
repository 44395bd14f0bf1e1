#include "api/fleet/fleet_view.h"

#include "api/schema/kinds.h"
#include "controllers/runtime/standard_indexes.h"

namespace gantry::fleet {
namespace {

using controllers::runtime::ObjectRef;

template <typename T>
std::shared_ptr<const T> As(ObjectRef object) {
  return std::static_pointer_cast<const T>(std::move(object));
}

template <typename T>
std::vector<std::shared_ptr<const T>> AllAs(std::vector<ObjectRef> objects) {
  std::vector<std::shared_ptr<const T>> out;
  out.reserve(objects.size());
  for (auto& o : objects) out.push_back(As<T>(std::move(o)));
  return out;
}

}  // namespace

FleetView::FleetView(controllers::runtime::InformerFactory& informers)
    : instances_(informers.For(*schema::FindKind("ContainerInstance"))),
      tasks_(informers.For(*schema::FindKind("Task"))),
      environments_(informers.For(*schema::FindKind("Environment"))),
      definitions_(informers.For(*schema::FindKind("TaskDefinition"))) {}

InstancePtr FleetView::Instance(const std::string& name) const {
  return As<v1::ContainerInstance>(instances_.Get(name));
}

TaskPtr FleetView::Task(const std::string& name) const { return As<v1::Task>(tasks_.Get(name)); }

std::vector<InstancePtr> FleetView::InstancesIn(const std::string& cluster) const {
  return AllAs<v1::ContainerInstance>(
      instances_.ByIndex(controllers::runtime::kByCluster, cluster));
}

std::vector<TaskPtr> FleetView::TasksIn(const std::string& cluster) const {
  return AllAs<v1::Task>(tasks_.ByIndex(controllers::runtime::kByCluster, cluster));
}

std::vector<TaskPtr> FleetView::TasksOn(const std::string& instance) const {
  return AllAs<v1::Task>(tasks_.ByIndex(controllers::runtime::kByInstance, instance));
}

std::vector<InstancePtr> FleetView::AllInstances() const {
  return AllAs<v1::ContainerInstance>(instances_.List());
}

std::vector<TaskPtr> FleetView::AllTasks() const { return AllAs<v1::Task>(tasks_.List()); }

bool FleetView::WaitForTasks(int64_t revision, std::chrono::milliseconds timeout) const {
  return tasks_.WaitForRevision(revision, timeout);
}

bool FleetView::WaitForInstances(int64_t revision, std::chrono::milliseconds timeout) const {
  return instances_.WaitForRevision(revision, timeout);
}

namespace {

void RaiseTo(std::atomic<int64_t>& noted, int64_t revision) {
  int64_t seen = noted.load(std::memory_order_relaxed);
  while (seen < revision && !noted.compare_exchange_weak(seen, revision)) {
  }
}

}  // namespace

void FleetView::NoteTasksWritten(int64_t revision) const { RaiseTo(tasks_written_, revision); }

void FleetView::NoteInstancesWritten(int64_t revision) const {
  RaiseTo(instances_written_, revision);
}

bool FleetView::AwaitNotedWrites() const {
  const auto deadline = std::chrono::steady_clock::now() + kOwnWriteWait;
  const auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
  };
  bool shown = tasks_.WaitForRevision(tasks_written_.load(), kOwnWriteWait);
  return instances_.WaitForRevision(instances_written_.load(), left()) && shown;
}

}  // namespace gantry::fleet
