#include "api/schema/placement_specs.h"

namespace gantry::schema {

placement::InstanceSpec InstanceSpecOf(const v1::ContainerInstance& ci) {
  placement::InstanceSpec spec;
  spec.id = ci.metadata().name();
  spec.ec2_instance_id = ci.spec().ec2_instance_id();
  const std::string status = InstanceStatusOf(ci);
  spec.status = status == "DRAINING"   ? placement::InstanceStatus::kDraining
                : status == "INACTIVE" ? placement::InstanceStatus::kInactive
                                       : placement::InstanceStatus::kActive;
  spec.agent_connected = ci.status().agent_connected();
  if (!ci.status().version_info().agent_version().empty())
    spec.agent_version = ci.status().version_info().agent_version();
  if (int64_t ms = clock::ParseTimeMs(ci.status().registered_at()); ms >= 0)
    spec.registered_at_ms = ms;
  for (const auto& a : ci.spec().attributes()) spec.attributes.emplace_back(a.name(), a.value());
  spec.cpu = ci.spec().registered_resources().cpu();
  spec.memory = ci.spec().registered_resources().memory();
  spec.ports.assign(ci.spec().registered_resources().ports().begin(),
                    ci.spec().registered_resources().ports().end());
  return spec;
}

placement::TaskSpec TaskSpecOf(const v1::Task& task) {
  placement::TaskSpec t;
  t.group = task.spec().group();
  if (t.group.empty()) {
    const std::string& td = task.spec().task_definition();
    t.group = "family:" + td.substr(0, td.find(':'));
  }
  t.cpu = task.spec().cpu();
  t.memory = task.spec().memory();
  t.ports.assign(task.spec().host_ports().begin(), task.spec().host_ports().end());
  return t;
}

}  // namespace gantry::schema
