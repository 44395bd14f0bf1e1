#include "api/fleet/snapshot_input.h"

#include <cstdio>
#include <ctime>
#include <iostream>

#include "api/fleet/task_service.h"
#include "placement/snapshot.h"

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

// Adds the tasks that hold resources; `held` gets them in the same order (spec.tasks[k] is
// held[k]), to name the one at fault.
void AddTasks(placement::InstanceSpec& spec, const std::vector<TaskPtr>& tasks,
              std::vector<const v1::Task*>& held) {
  for (const auto& task : tasks) {
    if (!HoldsResources(*task)) continue;
    placement::TaskSpec t;
    t.group = task->spec().group();
    // A Task written without a group is in its family's, as ECS's RunTask default says.
    if (t.group.empty()) {
      const std::string& td = task->spec().task_definition();
      t.group = "family:" + td.substr(0, td.find(':'));
    }
    t.cpu = task->spec().cpu();
    t.memory = task->spec().memory();
    t.ports.assign(task->spec().host_ports().begin(), task->spec().host_ports().end());
    spec.tasks.push_back(std::move(t));
    held.push_back(task.get());
  }
}

// `rest` with `from` replaced by `to` when it starts with it ("cpu" ->
// "spec.registeredResources.cpu").
bool Rename(std::string& field, std::string_view from, std::string_view to) {
  if (!field.starts_with(from)) return false;
  if (field.size() > from.size() && field[from.size()] != '.' && field[from.size()] != '[')
    return false;
  field = std::string(to) + field.substr(from.size());
  return true;
}

// Whether placement accepts the instance; if not, the object at fault and its field, as the
// object's own paths name it.
std::optional<SkippedInstance> Check(const v1::ContainerInstance& ci,
                                     const placement::InstanceSpec& spec,
                                     const std::vector<const v1::Task*>& held) {
  placement::Status st = placement::ValidateInstance(spec);
  if (st.ok()) return std::nullopt;
  SkippedInstance out;
  out.instance = ci.metadata().name();
  out.message = st.error().message;
  std::string field = st.error().field;
  size_t task = 0;
  if (field.starts_with("tasks[") && std::sscanf(field.c_str(), "tasks[%zu]", &task) == 1 &&
      task < held.size()) {
    const v1::Task& t = *held[task];
    out.kind = "Task";
    out.name = t.metadata().name();
    out.uid = t.metadata().uid();
    out.resource_version = t.metadata().resource_version();
    field = field.substr(field.find(']') + 1);  // ".cpu"
    if (!field.empty()) field = field.substr(1);
    if (!Rename(field, "ports", "spec.hostPorts")) field = "spec." + field;
  } else {
    out.kind = "ContainerInstance";
    out.name = ci.metadata().name();
    out.uid = ci.metadata().uid();
    out.resource_version = ci.metadata().resource_version();
    if (!Rename(field, "id", "metadata.name") &&
        !Rename(field, "cpu", "spec.registeredResources.cpu") &&
        !Rename(field, "memory", "spec.registeredResources.memory") &&
        !Rename(field, "ports", "spec.registeredResources.ports")) {
      field = "spec." + field;
    }
  }
  out.field = field;
  return out;
}

}  // namespace

SnapshotInputs SnapshotInput(const std::vector<InstancePtr>& instances, const FleetCache& cache) {
  SnapshotInputs out;
  out.specs.reserve(instances.size());
  out.instances.reserve(instances.size());
  std::vector<const v1::Task*> held;
  for (const auto& ci : instances) {
    placement::InstanceSpec spec = BaseSpec(*ci);
    held.clear();
    auto tasks = cache.TasksOn(spec.id);
    AddTasks(spec, tasks, held);
    if (auto skipped = Check(*ci, spec, held)) {
      out.skipped.push_back(std::move(*skipped));
      continue;
    }
    out.specs.push_back(std::move(spec));
    out.instances.push_back(ci);
  }
  return out;
}

SnapshotInputBuilder::Built SnapshotInputBuilder::Build(const std::string& cluster,
                                                        const std::vector<InstancePtr>& instances,
                                                        const FleetCache& cache) {
  auto tasks = cache.TasksByInstance(cluster);
  static const std::vector<TaskPtr> kNone;
  Built out;
  out.specs.reserve(instances.size());
  auto& memo = memo_[cluster];
  for (auto& [name, entry] : memo) entry.seen = false;
  std::vector<int64_t> revisions;
  std::vector<const v1::Task*> held;
  for (const auto& ci : instances) {
    Entry& entry = memo[ci->metadata().name()];
    auto it = tasks.find(ci->metadata().name());
    const std::vector<TaskPtr>& on = it == tasks.end() ? kNone : it->second;
    revisions.clear();
    for (const auto& t : on)
      revisions.push_back(std::strtoll(t->metadata().resource_version().c_str(), nullptr, 10));
    // A revision compare per instance and task: a RunTask changes one instance (its recount)
    // and adds one task, so only those specs are rebuilt (and checked).
    const bool instance_changed = entry.resource_version.empty() ||
                                  entry.resource_version != ci->metadata().resource_version();
    if (instance_changed || entry.task_revisions != revisions) {
      entry.spec = BaseSpec(*ci);
      entry.resource_version = ci->metadata().resource_version();
      held.clear();
      AddTasks(entry.spec, on, held);
      entry.task_revisions = revisions;
      entry.skipped = Check(*ci, entry.spec, held);
    }
    entry.seen = true;
    if (entry.skipped) {
      out.skipped.push_back(*entry.skipped);
    } else {
      out.specs.push_back(&entry.spec);
    }
  }
  std::erase_if(memo, [](const auto& kv) { return !kv.second.seen; });
  return out;
}

void SkipReporter::Report(const std::vector<SkippedInstance>& skipped) {
  for (const auto& s : skipped) {
    const std::string id = s.uid.empty() ? s.name : s.uid;
    {
      std::lock_guard lock(mu_);
      if (reported_.size() > 10'000) reported_.clear();  // bounded; at worst one more report
      if (!reported_.insert(id + "/" + s.resource_version).second) continue;
    }
    std::string message = "container instance " + s.instance +
                          " is left out of placement until fixed: " + s.kind + " " + s.name +
                          " (revision " + s.resource_version + ") " + s.field + ": " + s.message;
    std::cerr << "gantryd: " << message << std::endl;
    v1::Event event;
    event.set_api_version("gantry.dev/v1");
    event.set_kind("Event");
    event.mutable_metadata()->set_name("invalid-for-placement." + id + "." + s.resource_version);
    auto* spec = event.mutable_spec();
    spec->mutable_involved_object()->set_kind(s.kind);
    spec->mutable_involved_object()->set_name(s.name);
    spec->mutable_involved_object()->set_uid(s.uid);
    spec->set_type("Warning");
    spec->set_reason("InvalidForPlacement");
    spec->set_message(message);
    const std::string now = api::FormatTime(clock_.Now());
    spec->set_first_timestamp(now);
    spec->set_last_timestamp(now);
    spec->set_count(1);
    auto created = objects_.Create(event);
    if (!created.ok() && created.status().code() != api::Code::kAlreadyExists) {
      std::cerr << "gantryd: cannot record the event for " << s.kind << " " << s.name << ": "
                << created.status().ToString() << std::endl;
    }
  }
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
