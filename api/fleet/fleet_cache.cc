#include "api/fleet/fleet_cache.h"

#include <optional>
#include <string_view>

namespace gantry::fleet {
namespace {

constexpr std::string_view kInstancePrefix = "/registry/containerinstances/";
constexpr std::string_view kTaskPrefix = "/registry/tasks/";

int64_t RevisionOf(const v1::ObjectMeta& meta) {
  try {
    return std::stoll(meta.resource_version());
  } catch (...) {
    return 0;
  }
}

}  // namespace

api::Status FleetCache::Start() {
  // One watch over every object keeps the revision order across both kinds.
  auto listed = store_.List("/registry/");
  if (!listed.ok()) return api::Status(api::Code::kUnavailable, listed.error().message);
  {
    std::lock_guard lock(mu_);
    for (const auto& kv : listed->items) Apply({store::WatchEvent::Type::kPut, kv, false});
  }
  revision_ = listed->revision;
  auto watch = store_.Watch("/registry/", listed->revision);
  if (!watch.ok()) return api::Status(api::Code::kUnavailable, watch.error().message);
  watch_ = std::move(*watch);
  thread_ = std::thread([this] { Run(); });
  return {};
}

void FleetCache::Stop() {
  if (stopping_.exchange(true)) return;
  {
    std::lock_guard lock(watch_mu_);
    if (watch_) watch_->Cancel();
  }
  if (thread_.joinable()) thread_.join();
}

void FleetCache::Run() {
  // An event read ahead while finishing a transaction: the first of the next revision.
  std::optional<store::WatchEvent> ahead;
  while (!stopping_) {
    store::WatchEvent event;
    auto polled = store::Watch::Poll::kEvent;
    if (ahead) {
      event = std::move(*ahead);
      ahead.reset();
    } else {
      polled = watch_->Next(event, std::chrono::milliseconds(200));
    }
    if (polled == store::Watch::Poll::kTimeout) continue;
    if (polled == store::Watch::Poll::kClosed) {
      if (stopping_) return;
      // Fell behind or the history was compacted: list again and follow from there.
      auto listed = store_.List("/registry/");
      if (!listed.ok()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      {
        std::lock_guard lock(mu_);
        instances_ = {};
        tasks_ = {};
        tasks_by_instance_.clear();
        for (const auto& kv : listed->items) Apply({store::WatchEvent::Type::kPut, kv, false});
        revision_ = listed->revision;
      }
      applied_.notify_all();
      auto watch = store_.Watch("/registry/", listed->revision);
      if (!watch.ok()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;  // the old watch stays closed: list again
      }
      std::lock_guard lock(watch_mu_);
      if (stopping_) return;
      watch_ = std::move(*watch);
      continue;
    }
    {
      // A transaction's events share its revision and are published together: apply all of
      // them before the revision counts as applied, so Observe and WaitFor never see half.
      std::lock_guard lock(mu_);
      const int64_t revision = event.kv.mod_revision;
      Apply(event);
      store::WatchEvent next;
      while (watch_->Next(next, std::chrono::milliseconds(0)) == store::Watch::Poll::kEvent) {
        if (next.kv.mod_revision != revision) {
          ahead = std::move(next);
          break;
        }
        Apply(next);
      }
      revision_ = revision;
    }
    applied_.notify_all();
  }
}

void FleetCache::Apply(const store::WatchEvent& event) {
  const std::string& key = event.kv.key;
  bool is_instance = key.starts_with(kInstancePrefix);
  bool is_task = key.starts_with(kTaskPrefix);
  if (!is_instance && !is_task) return;
  std::string name = key.substr(is_instance ? kInstancePrefix.size() : kTaskPrefix.size());
  if (event.type == store::WatchEvent::Type::kDelete) {
    if (is_instance) EraseInstance(name);
    if (is_task) EraseTask(name);
    return;
  }
  if (is_instance) {
    auto instance = std::make_shared<v1::ContainerInstance>();
    if (!instance->ParseFromString(event.kv.value)) return;
    instance->mutable_metadata()->set_resource_version(std::to_string(event.kv.mod_revision));
    PutInstance(std::move(instance), event.kv.mod_revision);
  } else {
    auto task = std::make_shared<v1::Task>();
    if (!task->ParseFromString(event.kv.value)) return;
    task->mutable_metadata()->set_resource_version(std::to_string(event.kv.mod_revision));
    PutTask(std::move(task), event.kv.mod_revision);
  }
}

void FleetCache::PutInstance(InstancePtr instance, int64_t revision) {
  const std::string& name = instance->metadata().name();
  auto& slot = instances_.by_name[name];
  if (slot) {
    if (RevisionOf(slot->metadata()) >= revision) return;
    if (slot->spec().cluster() != instance->spec().cluster())
      instances_.by_group[slot->spec().cluster()].erase(name);
  }
  instances_.by_group[instance->spec().cluster()][name] = instance;
  slot = std::move(instance);
  if (listener_) listener_->InstanceChanged(*slot);
}

void FleetCache::PutTask(TaskPtr task, int64_t revision) {
  const std::string& name = task->metadata().name();
  auto& slot = tasks_.by_name[name];
  if (slot) {
    if (RevisionOf(slot->metadata()) >= revision) return;
    if (slot->spec().cluster() != task->spec().cluster())
      tasks_.by_group[slot->spec().cluster()].erase(name);
    if (slot->spec().container_instance() != task->spec().container_instance())
      tasks_by_instance_[slot->spec().container_instance()].erase(name);
  }
  tasks_.by_group[task->spec().cluster()][name] = task;
  tasks_by_instance_[task->spec().container_instance()][name] = task;
  slot = std::move(task);
  if (listener_) listener_->TaskChanged(*slot);
}

void FleetCache::EraseInstance(const std::string& name) {
  auto it = instances_.by_name.find(name);
  if (it == instances_.by_name.end()) return;
  instances_.by_group[it->second->spec().cluster()].erase(name);
  if (listener_) listener_->InstanceRemoved(*it->second);
  instances_.by_name.erase(it);
}

void FleetCache::EraseTask(const std::string& name) {
  auto it = tasks_.by_name.find(name);
  if (it == tasks_.by_name.end()) return;
  tasks_.by_group[it->second->spec().cluster()].erase(name);
  tasks_by_instance_[it->second->spec().container_instance()].erase(name);
  if (listener_) listener_->TaskRemoved(*it->second);
  tasks_.by_name.erase(it);
}

void FleetCache::Observe(const v1::ContainerInstance& instance) {
  int64_t revision = RevisionOf(instance.metadata());
  std::lock_guard lock(mu_);
  if (revision <= revision_) return;
  PutInstance(std::make_shared<v1::ContainerInstance>(instance), revision);
}

void FleetCache::Observe(const v1::Task& task) {
  int64_t revision = RevisionOf(task.metadata());
  std::lock_guard lock(mu_);
  if (revision <= revision_) return;
  PutTask(std::make_shared<v1::Task>(task), revision);
}

void FleetCache::SetListener(FleetListener* listener) {
  std::lock_guard lock(mu_);
  listener_ = listener;
  if (!listener_) return;
  for (const auto& [name, instance] : instances_.by_name) listener_->InstanceChanged(*instance);
  for (const auto& [name, task] : tasks_.by_name) listener_->TaskChanged(*task);
}

InstancePtr FleetCache::Instance(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = instances_.by_name.find(name);
  return it == instances_.by_name.end() ? nullptr : it->second;
}

TaskPtr FleetCache::Task(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = tasks_.by_name.find(name);
  return it == tasks_.by_name.end() ? nullptr : it->second;
}

std::vector<InstancePtr> FleetCache::InstancesIn(const std::string& cluster) const {
  std::lock_guard lock(mu_);
  std::vector<InstancePtr> out;
  auto it = instances_.by_group.find(cluster);
  if (it == instances_.by_group.end()) return out;
  out.reserve(it->second.size());
  for (const auto& [name, instance] : it->second) out.push_back(instance);
  return out;
}

std::vector<TaskPtr> FleetCache::TasksIn(const std::string& cluster) const {
  std::lock_guard lock(mu_);
  std::vector<TaskPtr> out;
  auto it = tasks_.by_group.find(cluster);
  if (it == tasks_.by_group.end()) return out;
  out.reserve(it->second.size());
  for (const auto& [name, task] : it->second) out.push_back(task);
  return out;
}

std::vector<TaskPtr> FleetCache::TasksOn(const std::string& instance) const {
  std::lock_guard lock(mu_);
  std::vector<TaskPtr> out;
  auto it = tasks_by_instance_.find(instance);
  if (it == tasks_by_instance_.end()) return out;
  for (const auto& [name, task] : it->second) out.push_back(task);
  return out;
}

std::unordered_map<std::string, std::vector<TaskPtr>> FleetCache::TasksByInstance(
    const std::string& cluster) const {
  std::lock_guard lock(mu_);
  std::unordered_map<std::string, std::vector<TaskPtr>> out;
  auto it = tasks_.by_group.find(cluster);
  if (it == tasks_.by_group.end()) return out;
  for (const auto& [name, t] : it->second) out[t->spec().container_instance()].push_back(t);
  return out;
}

std::vector<InstancePtr> FleetCache::AllInstances() const {
  std::lock_guard lock(mu_);
  std::vector<InstancePtr> out;
  out.reserve(instances_.by_name.size());
  for (const auto& [name, instance] : instances_.by_name) out.push_back(instance);
  return out;
}

std::vector<TaskPtr> FleetCache::AllTasks() const {
  std::lock_guard lock(mu_);
  std::vector<TaskPtr> out;
  out.reserve(tasks_.by_name.size());
  for (const auto& [name, task] : tasks_.by_name) out.push_back(task);
  return out;
}

bool FleetCache::WaitFor(int64_t revision, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return applied_.wait_for(lock, timeout, [&] { return revision_.load() >= revision; });
}

}  // namespace gantry::fleet
