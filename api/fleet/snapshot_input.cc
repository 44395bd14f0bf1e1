#include "api/fleet/snapshot_input.h"

#include <ctime>

#include "api/fleet/task_service.h"

namespace gantry::fleet {

std::string InstanceStatusOf(const v1::ContainerInstance& instance) {
  return instance.status().status().empty() ? "ACTIVE" : instance.status().status();
}

namespace {

placement::InstanceSpec BaseSpec(const v1::ContainerInstance& instance) {
  const auto* ci = &instance;
  placement::InstanceSpec spec;
  spec.id = ci->metadata().name();
  spec.ec2_instance_id = ci->spec().ec2_instance_id();
  std::string status = InstanceStatusOf(*ci);
  spec.status = status == "DRAINING"   ? placement::InstanceStatus::kDraining
                : status == "INACTIVE" ? placement::InstanceStatus::kInactive
                                       : placement::InstanceStatus::kActive;
  spec.agent_connected = ci->status().agent_connected();
  if (!ci->status().version_info().agent_version().empty())
    spec.agent_version = ci->status().version_info().agent_version();
  if (int64_t ms = ParseTimeMs(ci->status().registered_at()); ms >= 0) spec.registered_at_ms = ms;
  for (const auto& a : ci->spec().attributes()) spec.attributes.emplace_back(a.name(), a.value());
  spec.cpu = ci->spec().registered_resources().cpu();
  spec.memory = ci->spec().registered_resources().memory();
  spec.ports.assign(ci->spec().registered_resources().ports().begin(),
                    ci->spec().registered_resources().ports().end());
  return spec;
}

void AddTasks(placement::InstanceSpec& spec, const std::vector<TaskPtr>& tasks) {
  for (const auto& task : tasks) {
    if (!HoldsResources(*task)) continue;
    placement::TaskSpec t;
    t.group = task->spec().group();
    t.cpu = task->spec().cpu();
    t.memory = task->spec().memory();
    t.ports.assign(task->spec().host_ports().begin(), task->spec().host_ports().end());
    spec.tasks.push_back(std::move(t));
  }
}

}  // namespace

std::vector<placement::InstanceSpec> SnapshotInput(const std::vector<InstancePtr>& instances,
                                                   const FleetCache& cache) {
  std::vector<placement::InstanceSpec> out;
  out.reserve(instances.size());
  for (const auto& ci : instances) {
    placement::InstanceSpec spec = BaseSpec(*ci);
    AddTasks(spec, cache.TasksOn(spec.id));
    out.push_back(std::move(spec));
  }
  return out;
}

std::vector<const placement::InstanceSpec*> SnapshotInputBuilder::Build(
    const std::string& cluster, const std::vector<InstancePtr>& instances,
    const FleetCache& cache) {
  auto tasks = cache.TasksByInstance(cluster);
  static const std::vector<TaskPtr> kNone;
  std::vector<const placement::InstanceSpec*> out;
  out.reserve(instances.size());
  auto& memo = memo_[cluster];
  for (auto& [name, entry] : memo) entry.seen = false;
  std::vector<int64_t> revisions;
  for (const auto& ci : instances) {
    Entry& entry = memo[ci->metadata().name()];
    auto it = tasks.find(ci->metadata().name());
    const std::vector<TaskPtr>& on = it == tasks.end() ? kNone : it->second;
    revisions.clear();
    for (const auto& t : on)
      revisions.push_back(std::strtoll(t->metadata().resource_version().c_str(), nullptr, 10));
    // A revision compare per instance and task: a RunTask changes one instance (its recount)
    // and adds one task, so only those specs are rebuilt.
    const bool instance_changed = entry.resource_version.empty() ||
                                  entry.resource_version != ci->metadata().resource_version();
    if (instance_changed || entry.task_revisions != revisions) {
      entry.spec = BaseSpec(*ci);
      entry.resource_version = ci->metadata().resource_version();
      AddTasks(entry.spec, on);
      entry.task_revisions = revisions;
    }
    entry.seen = true;
    out.push_back(&entry.spec);
  }
  std::erase_if(memo, [](const auto& kv) { return !kv.second.seen; });
  return out;
}

int64_t ParseTimeMs(const std::string& s) {
  std::tm tm{};
  int fraction_ms = 0;
  if (s.size() < 20) return -1;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return -1;
  if (s[19] == '.') {
    int digits = 0;
    for (size_t i = 20; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
      if (digits < 3) fraction_ms = fraction_ms * 10 + (s[i] - '0');
      ++digits;
    }
    for (int d = digits; d < 3; ++d) fraction_ms *= 10;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + fraction_ms;
}

}  // namespace gantry::fleet
