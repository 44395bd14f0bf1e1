#include "api/ecs/ecs_shapes.h"

#include <google/protobuf/struct.pb.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "api/fleet/snapshot_input.h"
#include "api/fleet/task_state.h"

namespace gantry::ecs {
namespace {

// Insertion order, so responses read like ECS's (ARN first).
using json = nlohmann::ordered_json;

std::string Dump(const json& j) {
  // Stored strings came through protobuf and are UTF-8, but a dump must never throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string IsoMs(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int, so -Wformat-truncation stays quiet
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

// Sets `key` when the stored time is set.
void PutTime(json& j, const char* key, const std::string& rfc3339, TimeStyle style) {
  if (rfc3339.empty()) return;
  int64_t ms = fleet::ParseTimeMs(rfc3339);
  if (ms < 0) return;
  if (style == TimeStyle::kEpochSeconds) {
    j[key] = static_cast<double>(ms) / 1000.0;
  } else {
    j[key] = IsoMs(ms);
  }
}

void PutIfSet(json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

json Ports(const google::protobuf::RepeatedField<int32_t>& ports) {
  std::vector<int32_t> sorted(ports.begin(), ports.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  json out = json::array();
  for (int32_t p : sorted) out.push_back(std::to_string(p));
  return out;
}

json Resources(int32_t cpu, int32_t memory, const google::protobuf::RepeatedField<int32_t>& ports) {
  json out = json::array();
  out.push_back({{"name", "CPU"}, {"type", "INTEGER"}, {"integerValue", cpu}});
  out.push_back({{"name", "MEMORY"}, {"type", "INTEGER"}, {"integerValue", memory}});
  out.push_back({{"name", "PORTS"}, {"type", "STRINGSET"}, {"stringSetValue", Ports(ports)}});
  // Gantry reserves tcp ports only.
  out.push_back({{"name", "PORTS_UDP"}, {"type", "STRINGSET"}, {"stringSetValue", json::array()}});
  return out;
}

json Attributes(const google::protobuf::RepeatedPtrField<v1::Attribute>& attributes) {
  json out = json::array();
  for (const auto& a : attributes) {
    json item = {{"name", a.name()}};
    // ECS leaves the value out of capability attributes (ecs.capability.*).
    PutIfSet(item, "value", a.value());
    out.push_back(std::move(item));
  }
  return out;
}

json Constraints(const google::protobuf::RepeatedPtrField<v1::PlacementConstraint>& list) {
  json out = json::array();
  for (const auto& c : list) {
    json item = {{"type", c.type()}};
    if (c.has_expression()) item["expression"] = c.expression();
    out.push_back(std::move(item));
  }
  return out;
}

json Strings(const google::protobuf::RepeatedPtrField<std::string>& list) {
  return json(std::vector<std::string>(list.begin(), list.end()));
}

int64_t VersionOf(const v1::ObjectMeta& meta) {
  const std::string& rv = meta.resource_version();
  if (!rv.empty() && rv.size() < 19 && rv.find_first_not_of("0123456789") == std::string::npos) {
    return std::stoll(rv);
  }
  return meta.generation();
}

json ContainerDefinition(const v1::ContainerDefinition& c) {
  json j = {{"name", c.name()}};
  PutIfSet(j, "image", c.image());
  j["cpu"] = c.cpu();
  if (c.memory() > 0) j["memory"] = c.memory();
  json mappings = json::array();
  for (const auto& pm : c.port_mappings()) {
    mappings.push_back({{"containerPort", pm.container_port()},
                        {"hostPort", pm.host_port()},
                        {"protocol", pm.protocol().empty() ? "tcp" : pm.protocol()}});
  }
  j["portMappings"] = std::move(mappings);
  j["essential"] = c.has_essential() ? c.essential() : true;
  if (c.entry_point_size() > 0) j["entryPoint"] = Strings(c.entry_point());
  if (c.command_size() > 0) j["command"] = Strings(c.command());
  json env = json::array();
  for (const auto& e : c.environment()) env.push_back({{"name", e.name()}, {"value", e.value()}});
  j["environment"] = std::move(env);
  j["mountPoints"] = json::array();
  j["volumesFrom"] = json::array();
  if (c.stop_timeout() > 0) j["stopTimeout"] = c.stop_timeout();
  PutIfSet(j, "workingDirectory", c.working_directory());
  PutIfSet(j, "user", c.user());
  return j;
}

}  // namespace

std::string TimeJson(std::string_view rfc3339, TimeStyle style) {
  json holder = json::object();
  PutTime(holder, "t", std::string(rfc3339), style);
  return holder.contains("t") ? Dump(holder["t"]) : "";
}

std::string ClusterJson(const v1::Cluster& cluster, const fleet::EcsNames& names) {
  const std::string& name = cluster.metadata().name();
  const auto& st = cluster.status();
  json j = {
      {"clusterArn", names.ClusterArn(name)},
      {"clusterName", name},
      {"status", st.status().empty() ? "ACTIVE" : st.status()},
      {"registeredContainerInstancesCount", st.registered_container_instances_count()},
      {"runningTasksCount", st.running_tasks_count()},
      {"pendingTasksCount", st.pending_tasks_count()},
      {"activeServicesCount", st.active_services_count()},
      {"statistics", json::array()},
      {"tags", json::array()},
      {"settings", json::array()},
      {"capacityProviders", json::array()},
      {"defaultCapacityProviderStrategy", json::array()},
  };
  return Dump(j);
}

namespace {

json InstanceObject(const v1::ContainerInstance& instance, const fleet::EcsNames& names,
                    TimeStyle style) {
  const std::string& id = instance.metadata().name();
  const auto& spec = instance.spec();
  const auto& st = instance.status();
  json j;
  j["containerInstanceArn"] = names.InstanceArn(spec.cluster(), id);
  // An instance registered without an EC2 id is known by its own id (placement does the same).
  j["ec2InstanceId"] = spec.ec2_instance_id().empty() ? id : spec.ec2_instance_id();
  j["version"] = VersionOf(instance.metadata());
  json version_info = json::object();
  PutIfSet(version_info, "agentVersion",
           st.version_info().agent_version().empty() ? st.agent_version()
                                                     : st.version_info().agent_version());
  PutIfSet(version_info, "agentHash", st.version_info().agent_hash());
  PutIfSet(version_info, "dockerVersion", st.version_info().docker_version());
  j["versionInfo"] = std::move(version_info);
  j["remainingResources"] = Resources(st.remaining_resources().cpu(),
                                      st.remaining_resources().memory(), st.ports_in_use());
  j["registeredResources"] =
      Resources(spec.registered_resources().cpu(), spec.registered_resources().memory(),
                spec.registered_resources().ports());
  j["status"] = fleet::InstanceStatusOf(instance);
  j["agentConnected"] = st.agent_connected();
  j["runningTasksCount"] = st.running_tasks_count();
  j["pendingTasksCount"] = st.pending_tasks_count();
  j["attributes"] = Attributes(spec.attributes());
  PutTime(j, "registeredAt", st.registered_at(), style);
  j["attachments"] = json::array();
  j["tags"] = json::array();
  return j;
}

}  // namespace

std::string InstanceJson(const v1::ContainerInstance& instance, const fleet::EcsNames& names,
                         TimeStyle style) {
  return Dump(InstanceObject(instance, names, style));
}

namespace {

json TaskObject(const v1::Task& task, const fleet::EcsNames& names, TimeStyle style,
                const v1::ContainerInstance* instance) {
  const std::string& id = task.metadata().name();
  const auto& spec = task.spec();
  const auto& st = task.status();
  const std::string& cluster = spec.cluster();
  const std::string task_arn = names.TaskArn(cluster, id);
  json j;
  j["taskArn"] = task_arn;
  j["clusterArn"] = names.ClusterArn(cluster);
  j["taskDefinitionArn"] = names.TaskDefinitionArn(spec.task_definition());
  if (!spec.container_instance().empty()) {
    j["containerInstanceArn"] = names.InstanceArn(cluster, spec.container_instance());
  }
  if (instance) {
    for (const auto& a : instance->spec().attributes()) {
      if (a.name() == "ecs.availability-zone" && !a.value().empty())
        j["availabilityZone"] = a.value();
    }
  }
  json overrides = json::array();
  json containers = json::array();
  for (const auto& c : st.containers()) {
    overrides.push_back({{"name", c.name()}});
    json item;
    item["containerArn"] = names.ContainerArn(cluster, id, c.name());
    item["taskArn"] = task_arn;
    item["name"] = c.name();
    item["lastStatus"] = c.last_status().empty() ? "PENDING" : c.last_status();
    if (c.has_exit_code()) item["exitCode"] = c.exit_code();
    PutIfSet(item, "reason", c.reason());
    json bindings = json::array();
    for (const auto& b : c.network_bindings()) {
      bindings.push_back({{"bindIP", b.bind_ip().empty() ? "0.0.0.0" : b.bind_ip()},
                          {"containerPort", b.container_port()},
                          {"hostPort", b.host_port()},
                          {"protocol", b.protocol().empty() ? "tcp" : b.protocol()}});
    }
    item["networkBindings"] = std::move(bindings);
    containers.push_back(std::move(item));
  }
  j["containers"] = std::move(containers);
  j["overrides"] = {{"containerOverrides", std::move(overrides)},
                    {"inferenceAcceleratorOverrides", json::array()}};
  j["lastStatus"] = st.last_status().empty() ? "PENDING" : st.last_status();
  j["desiredStatus"] = fleet::DesiredStatusOf(task);
  j["cpu"] = std::to_string(spec.cpu());
  j["memory"] = std::to_string(spec.memory());
  PutIfSet(j, "group", spec.group());
  PutIfSet(j, "startedBy", spec.started_by());
  j["version"] = st.version();
  // ECS shows the reason as soon as the stop is asked for, before the agent reports STOPPED.
  PutIfSet(j, "stoppedReason",
           st.stopped_reason().empty() ? spec.stopped_reason() : st.stopped_reason());
  PutIfSet(j, "stopCode", st.stop_code());
  PutTime(j, "createdAt", st.created_at(), style);
  PutTime(j, "startedAt", st.started_at(), style);
  PutTime(j, "stoppingAt", st.stopping_at(), style);
  PutTime(j, "stoppedAt", st.stopped_at(), style);
  j["launchType"] = "EC2";
  j["attachments"] = json::array();
  return j;
}

// A JSON value as a google.protobuf.Value, walked rather than printed and parsed again.
void ToValue(const json& j, google::protobuf::Value* out) {
  switch (j.type()) {
    case json::value_t::boolean:
      out->set_bool_value(j.get<bool>());
      return;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      out->set_number_value(j.get<double>());
      return;
    case json::value_t::string:
      out->set_string_value(j.get_ref<const std::string&>());
      return;
    case json::value_t::array:
      for (const auto& item : j) ToValue(item, out->mutable_list_value()->add_values());
      if (j.empty()) out->mutable_list_value();
      return;
    case json::value_t::object:
      for (const auto& [key, item] : j.items())
        ToValue(item, &(*out->mutable_struct_value()->mutable_fields())[key]);
      if (j.empty()) out->mutable_struct_value();
      return;
    case json::value_t::null:
    case json::value_t::binary:
    case json::value_t::discarded:
      break;
  }
  out->set_null_value(google::protobuf::NULL_VALUE);
}

void ToStruct(const json& j, google::protobuf::Struct* out) {
  for (const auto& [key, item] : j.items()) ToValue(item, &(*out->mutable_fields())[key]);
}

}  // namespace

std::string TaskJson(const v1::Task& task, const fleet::EcsNames& names, TimeStyle style,
                     const v1::ContainerInstance* instance) {
  return Dump(TaskObject(task, names, style, instance));
}

void TaskStruct(const v1::Task& task, const fleet::EcsNames& names, TimeStyle style,
                const v1::ContainerInstance* instance, google::protobuf::Struct* out) {
  ToStruct(TaskObject(task, names, style, instance), out);
}

void InstanceStruct(const v1::ContainerInstance& instance, const fleet::EcsNames& names,
                    TimeStyle style, google::protobuf::Struct* out) {
  ToStruct(InstanceObject(instance, names, style), out);
}

std::string TaskDefinitionJson(const v1::TaskDefinition& definition, const fleet::EcsNames& names,
                               TimeStyle style) {
  const std::string& name = definition.metadata().name();
  const auto& st = definition.status();
  std::string family = st.family().empty() ? name.substr(0, name.find(':')) : st.family();
  int revision = st.revision();
  if (revision == 0 && name.find(':') != std::string::npos) {
    revision = std::atoi(name.c_str() + name.find(':') + 1);
  }
  json j;
  j["taskDefinitionArn"] = names.TaskDefinitionArn(name);
  json containers = json::array();
  for (const auto& c : definition.spec().containers()) containers.push_back(ContainerDefinition(c));
  j["containerDefinitions"] = std::move(containers);
  j["family"] = family;
  j["revision"] = revision;
  j["volumes"] = json::array();
  j["status"] = st.status().empty() ? "ACTIVE" : st.status();
  j["requiresAttributes"] = json::array();
  j["placementConstraints"] = Constraints(definition.spec().placement_constraints());
  j["compatibilities"] = json::array({"EXTERNAL", "EC2"});
  PutIfSet(j, "cpu", definition.spec().cpu());
  PutIfSet(j, "memory", definition.spec().memory());
  PutTime(j, "registeredAt", st.registered_at(), style);
  return Dump(j);
}

}  // namespace gantry::ecs
