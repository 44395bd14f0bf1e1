#include "api/service/placement_specs.h"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace gantry::api {

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
  if (int64_t ms = ParseTimeMs(ci.status().registered_at()); ms >= 0) spec.registered_at_ms = ms;
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

}  // namespace gantry::api
