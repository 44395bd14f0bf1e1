// ECS services with schedulingStrategy DAEMON, as daemon Environments (controllers/environment):
// one task on every instance of the cluster that the service's memberOf constraints select.
// CreateService, UpdateService, DeleteService and DescribeServices come here for them
// (ecs_services.cc dispatches); ListServices lists both kinds.

#include <google/protobuf/util/message_differencer.h>

#include "api/ecs/ecs_observed.h"
#include "api/ecs/ecs_operations.h"
#include "api/ecs/ecs_service_shapes.h"
#include "api/fleet/task_definitions.h"
#include "api/schema/object_state.h"

namespace gantry::ecs {
namespace {

using api::Code;
using api::Status;
using api::StatusOr;

const schema::KindInfo& EnvironmentKind() { return *schema::FindKind("Environment"); }

// The group filter of a DAEMON service: its memberOf expressions, all of them holding.
std::string FilterOf(const v1::ServiceSpec& spec) {
  std::vector<std::string> expressions;
  for (const auto& c : spec.placement_constraints())
    if (c.type() == "memberOf") expressions.push_back(c.expression());
  if (expressions.size() == 1) return expressions.front();
  std::string filter;
  for (const auto& e : expressions) filter += (filter.empty() ? "(" : " and (") + e + ")";
  return filter;
}

// What ECS refuses for DAEMON, and what Gantry does not do for it yet; else the Environment's
// deployment configuration (drainPercent = 100 - minimumHealthyPercent).
StatusOr<v1::EnvironmentDeploymentConfiguration> DaemonConfiguration(const v1::ServiceSpec& spec) {
  if (!spec.placement_strategy().empty()) {
    return api::InvalidArgument(
        "placementStrategy",
        "Placement strategies are not supported with DAEMON scheduling strategy.");
  }
  const auto& c = spec.deployment_configuration();
  if (c.has_maximum_percent() && c.maximum_percent() != 100) {
    return api::InvalidArgument("deploymentConfiguration.maximumPercent",
                                "must be 100 with the DAEMON scheduling strategy, got " +
                                    std::to_string(c.maximum_percent()));
  }
  if (c.deployment_circuit_breaker().enable()) {
    return Status(Code::kUnimplemented,
                  "the deployment circuit breaker of DAEMON services is not supported yet",
                  "deploymentConfiguration.deploymentCircuitBreaker");
  }
  if (!c.strategy().empty() && c.strategy() != "ROLLING") {
    return Status(Code::kUnimplemented, "DAEMON services roll with the ROLLING strategy only",
                  "deploymentConfiguration.strategy");
  }
  const int minimum = c.has_minimum_healthy_percent() ? c.minimum_healthy_percent() : 0;
  if (minimum >= 100) {
    return api::InvalidArgument(
        "deploymentConfiguration.minimumHealthyPercent",
        "100 leaves a DAEMON service no task it may replace (maximumPercent is 100)");
  }
  v1::EnvironmentDeploymentConfiguration out;
  out.set_drain_percent(100 - minimum);
  return out;
}

}  // namespace

EcsResponse EcsOperations::CreateDaemonService(const std::string& name,
                                               const std::string& cluster_given,
                                               const v1::ServiceSpec& spec, bool desired_given) {
  if (desired_given) {
    return EcsErrorFrom(api::InvalidArgument(
        "desiredCount", "a DAEMON service runs one task on every instance of its group"));
  }
  auto config = DaemonConfiguration(spec);
  if (!config.ok()) return EcsErrorFrom(config.status());
  auto cluster = clusters_.Existing(cluster_given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  if (auto missing = MissingTaskDefinition(spec.task_definition())) return *missing;
  // One name per Gantry across both kinds of service.
  if (objects_.Get(*schema::FindKind("Service"), name).ok())
    return EcsError(400, "InvalidParameterException", "Creation of service was not idempotent.");
  v1::Environment env;
  env.set_api_version("gantry.dev/v1");
  env.set_kind("Environment");
  env.mutable_metadata()->set_name(name);
  env.mutable_spec()->set_task_definition(spec.task_definition());
  env.mutable_spec()->mutable_instance_group()->set_cluster(*cluster);
  env.mutable_spec()->mutable_instance_group()->set_filter(FilterOf(spec));
  *env.mutable_spec()->mutable_deployment_configuration() = *config;
  auto created = objects_.Create(env, {.field_manager = std::string(kEcsFieldManager)});
  if (!created.ok()) {
    if (created.status().code() != Code::kAlreadyExists) {
      return EcsErrorFrom(
          Renamed(created.status(), {{"metadata.name", "serviceName"},
                                     {"spec.instanceGroup.filter", "placementConstraints"},
                                     {"spec.taskDefinition", "taskDefinition"}}));
    }
    auto existing = objects_.Get(EnvironmentKind(), name);
    if (!existing.ok()) return EcsErrorFrom(existing.status());
    const auto& was = static_cast<const v1::Environment&>(**existing);
    if (!google::protobuf::util::MessageDifferencer::Equals(was.spec(), env.spec()))
      return EcsError(400, "InvalidParameterException", "Creation of service was not idempotent.");
    return Ok("{\"service\":" + DaemonServiceJson(was, names_) + "}");
  }
  const v1::Environment observed = AwaitObserved(
      objects_, static_cast<const v1::Environment&>(**created), service_observe_wait_);
  return Ok("{\"service\":" + DaemonServiceJson(observed, names_) + "}");
}

EcsResponse EcsOperations::UpdateDaemonService(const v1::Environment& current, Input& in,
                                               const v1::ServiceSpec& changes) {
  if (in.Has("desiredCount")) {
    return EcsErrorFrom(api::InvalidArgument(
        "desiredCount", "a DAEMON service runs one task on every instance of its group"));
  }
  if (in.Bool("forceNewDeployment").value_or(false)) {
    return EcsErrorFrom(Status(Code::kUnimplemented,
                               "forceNewDeployment is not supported for DAEMON services yet",
                               "forceNewDeployment"));
  }
  std::optional<v1::EnvironmentDeploymentConfiguration> config;
  if (in.Has("deploymentConfiguration") || in.Has("placementStrategy")) {
    auto checked = DaemonConfiguration(changes);
    if (!checked.ok()) return EcsErrorFrom(checked.status());
    config = *checked;
  }
  const auto definition = in.String("taskDefinition");
  if (definition) {
    if (auto missing = MissingTaskDefinition(fleet::ShortName(*definition))) return *missing;
  }
  auto updated = objects_.Mutate(
      EnvironmentKind(), current.metadata().name(),
      [&](google::protobuf::Message& m) -> StatusOr<bool> {
        auto& spec = *static_cast<v1::Environment&>(m).mutable_spec();
        if (definition) spec.set_task_definition(fleet::ShortName(*definition));
        if (in.Has("placementConstraints"))
          spec.mutable_instance_group()->set_filter(FilterOf(changes));
        if (config && in.Has("deploymentConfiguration"))
          *spec.mutable_deployment_configuration() = *config;
        return true;
      },
      kEcsFieldManager);
  if (!updated.ok()) {
    return EcsErrorFrom(
        Renamed(updated.status(), {{"spec.instanceGroup.filter", "placementConstraints"},
                                   {"spec.taskDefinition", "taskDefinition"}}));
  }
  const v1::Environment observed = AwaitObserved(
      objects_, static_cast<const v1::Environment&>(**updated), service_observe_wait_);
  return Ok("{\"service\":" + DaemonServiceJson(observed, names_) + "}");
}

EcsResponse EcsOperations::DeleteDaemonService(const v1::Environment& current) {
  // Not pinned: nothing about an Environment's spec decides whether it may go, and the
  // controller's status writes would make a pinned delete fail at random.
  auto gone = objects_.Delete(EnvironmentKind(), current.metadata().name());
  if (!gone.ok()) {
    if (gone.status().code() == Code::kNotFound)
      return EcsError(400, "ServiceNotFoundException", "Service not found.");
    return EcsErrorFrom(gone.status());
  }
  // The controller stops its tasks.
  return Ok("{\"service\":" +
            DaemonServiceJson(static_cast<const v1::Environment&>(**gone), names_, "DRAINING") +
            "}");
}

}  // namespace gantry::ecs
