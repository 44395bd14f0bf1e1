#include "api/fleet/snapshot_input.h"

#include <cstdio>
#include <ctime>
#include <iostream>

#include "api/fleet/task_service.h"
#include "placement/snapshot.h"

namespace gantry::fleet {

namespace {

// Adds the tasks that hold resources; `held` gets them in the same order (spec.tasks[k] is
// held[k]), to name the one at fault.
void AddTasks(placement::InstanceSpec& spec, const std::vector<TaskPtr>& tasks,
              std::vector<const v1::Task*>& held) {
  for (const auto& task : tasks) {
    if (!HoldsResources(*task)) continue;
    spec.tasks.push_back(schema::TaskSpecOf(*task));
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

SnapshotInputs SnapshotInput(const std::vector<InstancePtr>& instances, const FleetView& fleet) {
  SnapshotInputs out;
  out.specs.reserve(instances.size());
  out.instances.reserve(instances.size());
  std::vector<const v1::Task*> held;
  for (const auto& ci : instances) {
    placement::InstanceSpec spec = schema::InstanceSpecOf(*ci);
    held.clear();
    auto tasks = fleet.TasksOn(spec.id);
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

}  // namespace gantry::fleet
