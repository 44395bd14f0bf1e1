#include "api/ecs/ecs_service_shapes.h"

#include <nlohmann/json.hpp>

#include "api/clock/format_time.h"
#include "api/schema/object_state.h"
#include "api/schema/service_deployments.h"

namespace gantry::ecs {
namespace {

using json = nlohmann::ordered_json;

constexpr int kDefaultMaximumPercent = 200;
constexpr int kDefaultMinimumHealthyPercent = 100;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void PutTime(json& j, const char* key, const std::string& rfc3339) {
  if (rfc3339.empty()) return;
  const int64_t ms = clock::ParseTimeMs(rfc3339);
  if (ms >= 0) j[key] = static_cast<double>(ms) / 1000.0;
}

std::string ClusterOf(const v1::Service& s) { return schema::ClusterNameOf(s.spec().cluster()); }

json Configuration(const v1::DeploymentConfiguration& c) {
  json out = json::object();
  out["deploymentCircuitBreaker"] = {{"enable", c.deployment_circuit_breaker().enable()},
                                     {"rollback", c.deployment_circuit_breaker().rollback()}};
  out["maximumPercent"] = c.has_maximum_percent() ? c.maximum_percent() : kDefaultMaximumPercent;
  out["minimumHealthyPercent"] =
      c.has_minimum_healthy_percent() ? c.minimum_healthy_percent() : kDefaultMinimumHealthyPercent;
  out["strategy"] = c.strategy().empty() ? "ROLLING" : c.strategy();
  if (c.bake_time_in_minutes() > 0) out["bakeTimeInMinutes"] = c.bake_time_in_minutes();
  if (c.strategy() == "CANARY") {
    out["canaryConfiguration"] = {
        {"canaryPercent", c.canary_configuration().canary_percent()},
        {"canaryBakeTimeInMinutes", c.canary_configuration().canary_bake_time_in_minutes()}};
  }
  if (c.strategy() == "LINEAR") {
    out["linearConfiguration"] = {
        {"stepPercent", c.linear_configuration().step_percent()},
        {"stepBakeTimeInMinutes", c.linear_configuration().step_bake_time_in_minutes()}};
  }
  return out;
}

// The revision a deployment runs, as ECS names it.
std::string DefinitionArn(const std::string& revision, const fleet::EcsNames& names) {
  return revision.empty() ? "" : names.TaskDefinitionArn(revision);
}

json Deployment(const v1::ServiceDeployment& d, const fleet::EcsNames& names) {
  json out = json::object();
  out["id"] = d.id();
  out["status"] = d.status();
  out["taskDefinition"] = DefinitionArn(d.task_definition(), names);
  out["desiredCount"] = d.desired_count();
  out["pendingCount"] = d.pending_count();
  out["runningCount"] = d.running_count();
  out["failedTasks"] = d.failed_tasks();
  PutTime(out, "createdAt", d.created_at());
  PutTime(out, "updatedAt", d.updated_at());
  out["launchType"] = "EC2";
  out["rolloutState"] = d.rollout_state();
  out["rolloutStateReason"] = !d.rollout_state_reason().empty() ? d.rollout_state_reason()
                              : d.rollout_state() == "COMPLETED"
                                  ? "ECS deployment " + d.id() + " completed."
                                  : "ECS deployment " + d.id() + " in progress.";
  return out;
}

json Constraints(const v1::ServiceSpec& spec) {
  json out = json::array();
  for (const auto& c : spec.placement_constraints()) {
    json one = {{"type", c.type()}};
    if (!c.expression().empty()) one["expression"] = c.expression();
    out.push_back(std::move(one));
  }
  return out;
}

json Strategies(const v1::ServiceSpec& spec) {
  json out = json::array();
  for (const auto& s : spec.placement_strategy()) {
    json one = {{"type", s.type()}};
    if (!s.field().empty()) one["field"] = s.field();
    out.push_back(std::move(one));
  }
  return out;
}

}  // namespace

std::string ServiceJson(const v1::Service& service, const fleet::EcsNames& names,
                        const std::string& status) {
  const auto& spec = service.spec();
  const auto& st = service.status();
  const std::string cluster = ClusterOf(service);
  json out = json::object();
  out["serviceArn"] = names.ServiceArn(cluster, service.metadata().name());
  out["serviceName"] = service.metadata().name();
  out["clusterArn"] = names.ClusterArn(cluster);
  out["loadBalancers"] = json::array();
  out["serviceRegistries"] = json::array();
  out["status"] = status;
  out["desiredCount"] = spec.desired_count();
  out["runningCount"] = st.running_count();
  out["pendingCount"] = st.pending_count();
  out["launchType"] = "EC2";
  // The revision the service runs: its PRIMARY deployment's, else what the spec names.
  std::string revision = spec.task_definition();
  for (const auto& d : st.deployments())
    if (d.status() == "PRIMARY") revision = d.task_definition();
  out["taskDefinition"] = names.TaskDefinitionArn(fleet::ShortName(revision));
  out["deploymentConfiguration"] = Configuration(spec.deployment_configuration());
  json deployments = json::array();
  for (const auto& d : st.deployments()) deployments.push_back(Deployment(d, names));
  out["deployments"] = std::move(deployments);
  json events = json::array();
  for (const auto& e : st.events()) {
    json one = {{"id", e.id()}};
    PutTime(one, "createdAt", e.created_at());
    one["message"] = e.message();
    events.push_back(std::move(one));
  }
  out["events"] = std::move(events);
  PutTime(out, "createdAt", service.metadata().creation_timestamp());
  if (!st.history().empty()) {
    out["currentServiceDeployment"] =
        names.ServiceDeploymentArn(cluster, service.metadata().name(), st.history(0).id());
  }
  out["placementConstraints"] = Constraints(spec);
  out["placementStrategy"] = Strategies(spec);
  out["schedulingStrategy"] = "REPLICA";
  out["deploymentController"] = {{"type", "ECS"}};
  out["enableECSManagedTags"] = false;
  out["propagateTags"] = "NONE";
  out["enableExecuteCommand"] = false;
  // ECS's default: ENABLED, unless the service binpacks.
  std::string rebalancing = spec.availability_zone_rebalancing();
  if (rebalancing.empty()) {
    rebalancing = "ENABLED";
    for (const auto& s : spec.placement_strategy())
      if (s.type() == "binpack") rebalancing = "DISABLED";
  }
  out["availabilityZoneRebalancing"] = rebalancing;
  return Dump(out);
}

std::string DaemonServiceJson(const v1::Environment& environment, const fleet::EcsNames& names,
                              const std::string& status) {
  const auto& spec = environment.spec();
  const auto& st = environment.status();
  const std::string cluster = schema::ClusterNameOf(spec.instance_group().cluster());
  const std::string revision = st.task_definition().empty()
                                   ? fleet::ShortName(spec.task_definition())
                                   : st.task_definition();
  const int desired = st.instances_eligible();
  const int running = st.instances_covered();
  const int pending = std::max(0, desired - running - st.instance_failures_size());
  bool ready = false;
  for (const auto& c : st.conditions())
    if (c.type() == "Ready") ready = c.status() == "True";
  // A deployment id as ECS shapes them, fixed by the environment and the revision it runs.
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : environment.metadata().uid() + "/" + revision)
    h = (h ^ ch) * 1099511628211ULL;
  std::string digits = std::to_string(h % 10'000'000'000'000'000'000ULL);
  const std::string id = "ecs-svc/" + std::string(19 - digits.size(), '0') + digits;

  json out = json::object();
  out["serviceArn"] = names.ServiceArn(cluster, environment.metadata().name());
  out["serviceName"] = environment.metadata().name();
  out["clusterArn"] = names.ClusterArn(cluster);
  out["loadBalancers"] = json::array();
  out["serviceRegistries"] = json::array();
  out["status"] = status;
  out["desiredCount"] = desired;
  out["runningCount"] = running;
  out["pendingCount"] = pending;
  out["launchType"] = "EC2";
  out["taskDefinition"] = names.TaskDefinitionArn(revision);
  const auto& config = spec.deployment_configuration();
  const int drain = config.has_drain_percent() ? config.drain_percent() : 25;
  out["deploymentConfiguration"] = {{"maximumPercent", 100},
                                    {"minimumHealthyPercent", 100 - drain}};
  json deployment = {{"id", id},
                     {"status", "PRIMARY"},
                     {"taskDefinition", names.TaskDefinitionArn(revision)},
                     {"desiredCount", desired},
                     {"pendingCount", pending},
                     {"runningCount", running},
                     {"failedTasks", st.instance_failures_size()},
                     {"launchType", "EC2"},
                     {"rolloutState", ready ? "COMPLETED" : "IN_PROGRESS"}};
  out["deployments"] = json::array({deployment});
  out["events"] = json::array();
  PutTime(out, "createdAt", environment.metadata().creation_timestamp());
  json constraints = json::array();
  if (!spec.instance_group().filter().empty())
    constraints.push_back({{"type", "memberOf"}, {"expression", spec.instance_group().filter()}});
  out["placementConstraints"] = std::move(constraints);
  out["placementStrategy"] = json::array();
  out["schedulingStrategy"] = "DAEMON";
  out["deploymentController"] = {{"type", "ECS"}};
  out["enableECSManagedTags"] = false;
  out["propagateTags"] = "NONE";
  out["enableExecuteCommand"] = false;
  return Dump(out);
}

std::string ShownDeploymentStatus(const v1::Service& service,
                                  const v1::ServiceDeploymentRecord& record) {
  const auto& annotations = service.metadata().annotations();
  auto stop = annotations.find(schema::kStopDeploymentAnnotation);
  if (record.status() == "IN_PROGRESS" && stop != annotations.end() &&
      stop->second == record.id()) {
    auto type = annotations.find(schema::kStopTypeAnnotation);
    return type != annotations.end() && type->second == "ABORT" ? "STOP_REQUESTED"
                                                                : "ROLLBACK_REQUESTED";
  }
  return record.status();
}

std::string ServiceDeploymentJson(const v1::Service& service, const v1::ServiceDeploymentRecord& r,
                                  const fleet::EcsNames& names) {
  const std::string cluster = ClusterOf(service);
  const std::string& name = service.metadata().name();
  json out = json::object();
  out["serviceDeploymentArn"] = names.ServiceDeploymentArn(cluster, name, r.id());
  out["serviceArn"] = names.ServiceArn(cluster, name);
  out["clusterArn"] = names.ClusterArn(cluster);
  PutTime(out, "createdAt", r.created_at());
  PutTime(out, "startedAt", r.started_at());
  PutTime(out, "finishedAt", r.finished_at());
  PutTime(out, "stoppedAt", r.stopped_at());
  PutTime(out, "updatedAt", r.updated_at());
  json sources = json::array();
  for (const auto& source : r.source_deployments())
    sources.push_back({{"arn", names.ServiceRevisionArn(cluster, name, source)}});
  out["sourceServiceRevisions"] = std::move(sources);
  out["targetServiceRevision"] = {{"arn", names.ServiceRevisionArn(cluster, name, r.id())},
                                  {"requestedTaskCount", r.desired_count()},
                                  {"runningTaskCount", r.running_count()},
                                  {"pendingTaskCount", r.pending_count()}};
  out["status"] = ShownDeploymentStatus(service, r);
  if (!r.status_reason().empty()) out["statusReason"] = r.status_reason();
  out["deploymentConfiguration"] = Configuration(service.spec().deployment_configuration());
  if (!r.rollback_deployment().empty()) {
    json rollback = {{"reason", r.rollback_reason()}};
    PutTime(rollback, "startedAt", r.rollback_started_at());
    rollback["serviceRevisionArn"] =
        names.ServiceRevisionArn(cluster, name, r.rollback_deployment());
    out["rollback"] = std::move(rollback);
  }
  // MONITORING while it runs; TRIGGERED when it tripped; MONITORING_COMPLETE after; DISABLED off.
  std::string breaker = "DISABLED";
  if (r.circuit_breaker_enabled()) {
    const bool tripped = r.failed_count() >= r.circuit_breaker_threshold();
    breaker = tripped                       ? "TRIGGERED"
              : r.status() == "IN_PROGRESS" ? "MONITORING"
                                            : "MONITORING_COMPLETE";
  }
  out["deploymentCircuitBreaker"] = {{"status", breaker},
                                     {"failureCount", r.failed_count()},
                                     {"threshold", r.circuit_breaker_threshold()}};
  return Dump(out);
}

std::string ServiceDeploymentBriefJson(const v1::Service& service,
                                       const v1::ServiceDeploymentRecord& r,
                                       const fleet::EcsNames& names) {
  const std::string cluster = ClusterOf(service);
  const std::string& name = service.metadata().name();
  json out = json::object();
  out["serviceDeploymentArn"] = names.ServiceDeploymentArn(cluster, name, r.id());
  out["serviceArn"] = names.ServiceArn(cluster, name);
  out["clusterArn"] = names.ClusterArn(cluster);
  PutTime(out, "startedAt", r.started_at());
  PutTime(out, "createdAt", r.created_at());
  PutTime(out, "finishedAt", r.finished_at());
  out["targetServiceRevisionArn"] = names.ServiceRevisionArn(cluster, name, r.id());
  out["status"] = ShownDeploymentStatus(service, r);
  if (!r.status_reason().empty()) out["statusReason"] = r.status_reason();
  return Dump(out);
}

}  // namespace gantry::ecs
