// ECS services: CreateService, UpdateService, DeleteService, DescribeServices, ListServices,
// ListServiceDeployments, DescribeServiceDeployments, StopServiceDeployment. A Service object
// per service, kept by controllers/service; these read and write its spec (and, for a stop,
// its annotations) and show its status in ECS's shapes.

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>

#include "api/clock/format_time.h"
#include "api/ecs/ecs_observed.h"
#include "api/ecs/ecs_operations.h"
#include "api/ecs/ecs_service_shapes.h"
#include "api/fleet/task_definitions.h"
#include "api/schema/object_state.h"
#include "api/schema/service_deployments.h"

namespace gantry::ecs {
namespace {

using api::Code;
using api::Status;
using api::StatusOr;

constexpr size_t kMaxDescribeServices = 10;            // DescribeServices: at most 10
constexpr size_t kMaxDescribeServiceDeployments = 20;  // DescribeServiceDeployments: at most 20
constexpr int kDefaultServiceDeploymentPage = 20;      // ListServiceDeployments' default

const schema::KindInfo& ServiceKind() { return *schema::FindKind("Service"); }

// The stored `Object` (a Service, or a DAEMON service's Environment) that `given` (a name or an
// ARN) names, if it belongs to `cluster`: ECS answers another cluster's service as it answers a
// missing one, ServiceNotFoundException on field service.
template <class Object, class ClusterOf>
StatusOr<std::unique_ptr<Object>> StoredServiceOf(api::ObjectService& objects,
                                                  const schema::KindInfo& kind,
                                                  const std::string& cluster,
                                                  const std::string& given, ClusterOf cluster_of) {
  const std::string name = fleet::ShortName(given);
  if (name.empty()) return api::InvalidArgument("service", "is required");
  auto got = objects.Get(kind, name);
  if (!got.ok()) {
    if (got.status().code() == Code::kNotFound)
      return Status(Code::kNotFound, "Service not found.", "service");
    return got.status();
  }
  auto stored = std::make_unique<Object>(static_cast<const Object&>(**got));
  if (schema::ClusterNameOf(cluster_of(*stored)) != cluster)
    return Status(Code::kNotFound, "Service not found.", "service");
  return stored;
}

EcsResponse ServiceNotFound() {
  return EcsError(400, "ServiceNotFoundException", "Service not found.");
}

// Validation speaks of the object (spec.desiredCount); the caller wrote desiredCount.
Status AsRequest(const Status& status) {
  return Renamed(status, {{"metadata.name", "serviceName"},
                          {"spec.desiredCount", "desiredCount"},
                          {"spec.taskDefinition", "taskDefinition"},
                          {"spec.placementConstraints", "placementConstraints"},
                          {"spec.placementStrategy", "placementStrategy"},
                          {"spec.deploymentConfiguration", "deploymentConfiguration"},
                          {"spec.availabilityZoneRebalancing", "availabilityZoneRebalancing"}});
}

// Features Gantry cannot honour, refused when given: lists with items, and members at all.
constexpr std::pair<const char*, const char*> kUnsupportedLists[] = {
    {"capacityProviderStrategy", "capacity providers are not supported"},
    {"volumeConfigurations", "volume configurations are not supported"},
    {"vpcLatticeConfigurations", "VPC Lattice is not supported"},
    {"loadBalancers", "load balancers are not supported"},
    {"serviceRegistries", "service discovery registries are not supported"},
};
constexpr std::pair<const char*, const char*> kUnsupportedMembers[] = {
    {"networkConfiguration", "awsvpc networking is not supported"},
    {"serviceConnectConfiguration", "Service Connect is not supported"},
    {"healthCheckGracePeriodSeconds",
     "a health check grace period needs a load balancer, which is not supported"},
};

// What CreateService and UpdateService share: deploymentConfiguration and placement, read onto
// `spec` when given (UpdateService leaves what is absent as it was). Features Gantry cannot
// honour go to `unsupported`.
void ReadSettings(Input& in, v1::ServiceSpec& spec, Status& unsupported) {
  auto unsupported_if = [&](bool condition, const std::string& field, const std::string& what) {
    if (condition && unsupported.ok()) unsupported = Status(Code::kUnimplemented, what, field);
  };
  if (auto config = in.Object("deploymentConfiguration")) {
    auto* out = spec.mutable_deployment_configuration();
    if (auto max = config->Int("maximumPercent", 0, 1000)) out->set_maximum_percent(*max);
    if (auto min = config->Int("minimumHealthyPercent", 0, 100))
      out->set_minimum_healthy_percent(*min);
    if (auto breaker = config->Object("deploymentCircuitBreaker")) {
      breaker->Require("enable");
      breaker->Require("rollback");
      auto* cb = out->mutable_deployment_circuit_breaker();
      cb->set_enable(breaker->Bool("enable").value_or(false));
      cb->set_rollback(breaker->Bool("rollback").value_or(false));
      unsupported_if(breaker->Has("thresholdConfiguration"),
                     breaker->Path("thresholdConfiguration"),
                     "the circuit breaker's threshold is ECS's: half the desired count, 3 to 200");
      (void)breaker->Bool("resetOnHealthyTask");
    }
    // ROLLING, CANARY or LINEAR (validation checks the values and ranges).
    if (auto strategy = config->String("strategy")) out->set_strategy(*strategy);
    if (auto bake = config->Int("bakeTimeInMinutes", 0, 1440))
      out->set_bake_time_in_minutes(static_cast<int32_t>(*bake));
    if (auto canary = config->Object("canaryConfiguration")) {
      auto* c = out->mutable_canary_configuration();
      if (auto percent = canary->Number("canaryPercent")) c->set_canary_percent(*percent);
      if (auto bake = canary->Int("canaryBakeTimeInMinutes", 0, 1440))
        c->set_canary_bake_time_in_minutes(static_cast<int32_t>(*bake));
    }
    if (auto linear = config->Object("linearConfiguration")) {
      auto* l = out->mutable_linear_configuration();
      if (auto percent = linear->Number("stepPercent")) l->set_step_percent(*percent);
      if (auto bake = linear->Int("stepBakeTimeInMinutes", 0, 1440))
        l->set_step_bake_time_in_minutes(static_cast<int32_t>(*bake));
    }
    if (auto alarms = config->Object("alarms")) {
      unsupported_if(alarms->Bool("enable").value_or(false), alarms->Path("enable"),
                     "CloudWatch alarms are not supported");
    }
    for (const char* feature : {"lifecycleHooks"}) {
      unsupported_if(config->Count(feature) > 0, config->Path(feature),
                     "deployment lifecycle hooks are not supported");
    }
    if (auto early = config->Object("earlySuccessCriteria")) {
      unsupported_if(early->Bool("enable").value_or(false), early->Path("enable"),
                     "early success criteria are not supported");
    }
  }
  if (in.Has("placementConstraints")) {
    spec.clear_placement_constraints();
    for (auto& c : in.Objects("placementConstraints")) {
      auto* out = spec.add_placement_constraints();
      out->set_type(c.StringOr("type", ""));
      if (auto expression = c.String("expression")) out->set_expression(*expression);
    }
  }
  if (in.Has("placementStrategy")) {
    spec.clear_placement_strategy();
    for (auto& s : in.Objects("placementStrategy")) {
      auto* out = spec.add_placement_strategy();
      out->set_type(s.StringOr("type", ""));
      out->set_field(s.StringOr("field", ""));
    }
  }
  if (auto rebalancing = in.String("availabilityZoneRebalancing"))
    spec.set_availability_zone_rebalancing(*rebalancing);  // validation checks the value
  for (const auto& [member, what] : kUnsupportedLists)
    unsupported_if(in.Count(member) > 0, member, what);
  for (const auto& [member, what] : kUnsupportedMembers)
    unsupported_if(in.Has(member), member, what);
  unsupported_if(in.Bool("enableExecuteCommand").value_or(false), "enableExecuteCommand",
                 "ECS Exec is not supported");
  // tags, propagateTags, enableECSManagedTags, platformVersion, role: accepted, ignored.
}

// The newest-first index of `deployment` in the service's history, or -1.
int RecordIndex(const v1::Service& service, const std::string& deployment) {
  const auto& history = service.status().history();
  for (int i = 0; i < history.size(); ++i)
    if (history[i].id() == deployment) return i;
  return -1;
}

}  // namespace

StatusOr<std::unique_ptr<v1::Service>> EcsOperations::ExistingService(
    const std::string& cluster_given, const std::string& given) {
  auto cluster = clusters_.Existing(cluster_given);
  if (!cluster.ok()) return cluster.status();
  return ServiceOf(*cluster, given);
}

StatusOr<std::unique_ptr<v1::Service>> EcsOperations::ServiceOf(const std::string& cluster,
                                                                const std::string& given) {
  return StoredServiceOf<v1::Service>(objects_, ServiceKind(), cluster, given,
                                      [](const v1::Service& s) { return s.spec().cluster(); });
}

StatusOr<std::unique_ptr<v1::Environment>> EcsOperations::DaemonOf(const std::string& cluster,
                                                                   const std::string& given) {
  return StoredServiceOf<v1::Environment>(
      objects_, *schema::FindKind("Environment"), cluster, given,
      [](const v1::Environment& e) { return e.spec().instance_group().cluster(); });
}

std::unique_ptr<v1::Environment> EcsOperations::DaemonInstead(const api::Status& missing,
                                                              const std::string& cluster_given,
                                                              const std::string& given) {
  if (missing.code() != Code::kNotFound || missing.field() != "service") return nullptr;
  auto daemon = DaemonOf(*clusters_.Existing(cluster_given), given);
  return daemon.ok() ? std::move(*daemon) : nullptr;
}

std::optional<EcsResponse> EcsOperations::MissingTaskDefinition(const std::string& given) {
  auto definition = fleet::ResolveTaskDefinition(objects_, given);
  if (definition.ok()) return std::nullopt;
  if (definition.status().code() == Code::kNotFound)
    return EcsError(400, "InvalidParameterException", "TaskDefinition not found.");
  return EcsErrorFrom(definition.status());
}

EcsResponse EcsOperations::CreateService(Input& in) {
  in.Require("serviceName");
  const std::string name = in.StringOr("serviceName", "");
  const std::string cluster_given = in.StringOr("cluster", "");
  v1::Service service;
  service.set_api_version("gantry.dev/v1");
  service.set_kind("Service");
  service.mutable_metadata()->set_name(name);
  auto* spec = service.mutable_spec();
  const std::string scheduling = in.StringOr("schedulingStrategy", "REPLICA");
  if (scheduling == "REPLICA") in.Require("desiredCount");
  in.Require("taskDefinition");
  spec->set_task_definition(fleet::ShortName(in.StringOr("taskDefinition", "")));
  spec->set_desired_count(static_cast<int32_t>(in.Int("desiredCount", 0, 100'000).value_or(0)));
  Status unsupported;
  ReadSettings(in, *spec, unsupported);
  const std::string launch_type = in.StringOr("launchType", "EC2");
  std::string controller = "ECS";
  if (auto dc = in.Object("deploymentController")) controller = dc->StringOr("type", "ECS");
  (void)in.StringOr("clientToken", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (!unsupported.ok()) return EcsErrorFrom(unsupported);
  if (scheduling != "REPLICA" && scheduling != "DAEMON") {
    return EcsErrorFrom(api::InvalidArgument(
        "schedulingStrategy", "must be REPLICA or DAEMON, got '" + scheduling + "'"));
  }
  if (launch_type != "EC2") {
    return EcsErrorFrom(Status(Code::kUnimplemented,
                               "Gantry runs the EC2 launch type only, got '" + launch_type + "'",
                               "launchType"));
  }
  if (controller != "ECS") {
    return EcsErrorFrom(
        Status(Code::kUnimplemented,
               "only the ECS deployment controller is supported, got '" + controller + "'",
               "deploymentController.type"));
  }
  if (scheduling == "DAEMON")
    return CreateDaemonService(name, cluster_given, *spec, in.Has("desiredCount"));
  auto cluster = clusters_.Existing(cluster_given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  spec->set_cluster(*cluster);
  // One name per Gantry across both kinds of service.
  if (objects_.Get(*schema::FindKind("Environment"), name).ok())
    return EcsError(400, "InvalidParameterException", "Creation of service was not idempotent.");
  if (auto missing = MissingTaskDefinition(spec->task_definition())) return *missing;

  auto created = objects_.Create(service, {.field_manager = std::string(kEcsFieldManager)});
  if (!created.ok()) {
    if (created.status().code() != Code::kAlreadyExists)
      return EcsErrorFrom(AsRequest(created.status()));
    // ECS: the same request again answers with the service; anything else is refused.
    auto existing = objects_.Get(ServiceKind(), name);
    if (!existing.ok()) return EcsErrorFrom(existing.status());
    const auto& was = static_cast<const v1::Service&>(**existing);
    if (!google::protobuf::util::MessageDifferencer::Equals(was.spec(), *spec)) {
      return EcsError(400, "InvalidParameterException", "Creation of service was not idempotent.");
    }
    return Ok("{\"service\":" + ServiceJson(was, names_) + "}");
  }
  const v1::Service observed =
      AwaitObserved(objects_, static_cast<const v1::Service&>(**created), service_observe_wait_);
  return Ok("{\"service\":" + ServiceJson(observed, names_) + "}");
}

EcsResponse EcsOperations::UpdateService(Input& in) {
  in.Require("service");
  const std::string given = in.StringOr("service", "");
  const std::string cluster_given = in.StringOr("cluster", "");
  auto desired = in.Int("desiredCount", 0, 100'000);
  auto definition = in.String("taskDefinition");
  const bool force = in.Bool("forceNewDeployment").value_or(false);
  v1::ServiceSpec changes;  // what ReadSettings read, applied onto the stored spec below
  Status unsupported;
  ReadSettings(in, changes, unsupported);
  if (auto dc = in.Object("deploymentController")) {
    const std::string type = dc->StringOr("type", "ECS");
    if (type != "ECS" && unsupported.ok())
      unsupported = Status(Code::kUnimplemented, "only the ECS deployment controller is supported",
                           "deploymentController.type");
  }
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (!unsupported.ok()) return EcsErrorFrom(unsupported);
  auto current = ExistingService(cluster_given, given);
  if (!current.ok()) {
    if (auto daemon = DaemonInstead(current.status(), cluster_given, given))
      return UpdateDaemonService(*daemon, in, changes);
    return EcsErrorFrom(current.status());
  }
  if (definition) {
    if (auto missing = MissingTaskDefinition(fleet::ShortName(*definition))) return *missing;
  }
  const std::string now = clock::FormatTime(std::chrono::system_clock::now());
  auto updated = objects_.Mutate(
      ServiceKind(), (*current)->metadata().name(),
      [&](google::protobuf::Message& m) -> StatusOr<bool> {
        auto& spec = *static_cast<v1::Service&>(m).mutable_spec();
        if (desired) spec.set_desired_count(static_cast<int32_t>(*desired));
        if (definition) spec.set_task_definition(fleet::ShortName(*definition));
        if (in.Has("deploymentConfiguration")) {
          // Members given replace the stored ones; absent ones stay (ECS's merge).
          const auto& c = changes.deployment_configuration();
          auto* out = spec.mutable_deployment_configuration();
          if (c.has_maximum_percent()) out->set_maximum_percent(c.maximum_percent());
          if (c.has_minimum_healthy_percent())
            out->set_minimum_healthy_percent(c.minimum_healthy_percent());
          if (c.has_deployment_circuit_breaker())
            *out->mutable_deployment_circuit_breaker() = c.deployment_circuit_breaker();
          const auto members = in.Object("deploymentConfiguration");
          if (members->Has("strategy")) out->set_strategy(c.strategy());
          if (members->Has("bakeTimeInMinutes"))
            out->set_bake_time_in_minutes(c.bake_time_in_minutes());
          if (members->Has("canaryConfiguration"))
            *out->mutable_canary_configuration() = c.canary_configuration();
          if (members->Has("linearConfiguration"))
            *out->mutable_linear_configuration() = c.linear_configuration();
        }
        if (in.Has("placementConstraints"))
          *spec.mutable_placement_constraints() = changes.placement_constraints();
        if (in.Has("placementStrategy"))
          *spec.mutable_placement_strategy() = changes.placement_strategy();
        if (in.Has("availabilityZoneRebalancing"))
          spec.set_availability_zone_rebalancing(changes.availability_zone_rebalancing());
        // A new token starts a new deployment of the same revision; unique per request even
        // within one second.
        if (force) spec.set_redeploy_token(now + "/" + api::NewRandomUid().substr(0, 8));
        return true;
      },
      kEcsFieldManager);
  if (!updated.ok()) return EcsErrorFrom(AsRequest(updated.status()));
  const v1::Service observed =
      AwaitObserved(objects_, static_cast<const v1::Service&>(**updated), service_observe_wait_);
  return Ok("{\"service\":" + ServiceJson(observed, names_) + "}");
}

EcsResponse EcsOperations::DeleteService(Input& in) {
  in.Require("service");
  const std::string given = in.StringOr("service", "");
  const std::string cluster_given = in.StringOr("cluster", "");
  const bool force = in.Bool("force").value_or(false);
  if (!in.ok()) return EcsErrorFrom(in.status());
  // Pinned to what was read, so a change in between is not deleted unseen; the controller's
  // status writes are such changes, so a conflict reads and checks again.
  constexpr int kAttempts = 5;
  api::StatusOr<api::ObjectPtr> gone = Status(Code::kAborted, "");
  for (int attempt = 0; attempt < kAttempts && !gone.ok() && gone.status().code() == Code::kAborted;
       ++attempt) {
    auto current = ExistingService(cluster_given, given);
    if (!current.ok()) {
      // A DAEMON service needs no force.
      if (auto daemon = DaemonInstead(current.status(), cluster_given, given))
        return DeleteDaemonService(*daemon);
      return EcsErrorFrom(current.status());
    }
    if (!force && (*current)->spec().desired_count() > 0) {
      return EcsError(400, "InvalidParameterException",
                      "The service cannot be stopped while it is scaled above 0.");
    }
    gone = objects_.Delete(ServiceKind(), (*current)->metadata().name(),
                           (*current)->metadata().resource_version());
  }
  if (!gone.ok()) {
    if (gone.status().code() == Code::kNotFound) return ServiceNotFound();
    return EcsErrorFrom(gone.status());
  }
  // ECS answers DRAINING; the controller stops the tasks.
  return Ok("{\"service\":" +
            ServiceJson(static_cast<const v1::Service&>(**gone), names_, "DRAINING") + "}");
}

EcsResponse EcsOperations::DescribeServices(Input& in) {
  in.Require("services");
  std::vector<std::string> given = in.Strings("services");
  const std::string cluster_given = in.StringOr("cluster", "");
  (void)in.Strings("include");  // TAGS: nothing to add
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (given.empty() || given.size() > kMaxDescribeServices)
    return EcsErrorFrom(api::InvalidArgument("services", "give 1 to 10 services"));
  auto cluster = clusters_.Existing(cluster_given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  std::vector<std::string> services;
  std::vector<Failure> failures;
  for (const auto& g : given) {
    auto service = ServiceOf(*cluster, g);
    if (!service.ok()) {
      if (service.status().code() != Code::kNotFound) return EcsErrorFrom(service.status());
      if (auto daemon = DaemonOf(*cluster, g); daemon.ok()) {
        services.push_back(DaemonServiceJson(**daemon, names_));
        continue;
      }
      failures.push_back({names_.ServiceArn(*cluster, fleet::ShortName(g)), "MISSING", ""});
      continue;
    }
    services.push_back(ServiceJson(**service, names_));
  }
  return Ok(WithFailures("services", services, failures));
}

EcsResponse EcsOperations::ListServices(Input& in) {
  const std::string cluster_given = in.StringOr("cluster", "");
  auto max = in.Int("maxResults", 1, kMaxPage);
  const std::string token = in.StringOr("nextToken", "");
  const std::string launch_type = in.StringOr("launchType", "EC2");
  const std::string scheduling = in.StringOr("schedulingStrategy", "");  // "": both kinds
  (void)in.StringOr("resourceManagementType", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  auto cluster = clusters_.Existing(cluster_given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  std::vector<std::string> names;
  if (launch_type == "EC2" && (scheduling.empty() || scheduling == "REPLICA")) {
    auto listed = objects_.List(ServiceKind());
    if (!listed.ok()) return EcsErrorFrom(listed.status());
    for (const auto& o : listed->items) {
      const auto& s = static_cast<const v1::Service&>(*o);
      if (schema::ClusterNameOf(s.spec().cluster()) == *cluster)
        names.push_back(s.metadata().name());
    }
  }
  if (launch_type == "EC2" && (scheduling.empty() || scheduling == "DAEMON")) {
    auto listed = objects_.List(*schema::FindKind("Environment"));
    if (!listed.ok()) return EcsErrorFrom(listed.status());
    for (const auto& o : listed->items) {
      const auto& e = static_cast<const v1::Environment&>(*o);
      if (schema::ClusterNameOf(e.spec().instance_group().cluster()) == *cluster)
        names.push_back(e.metadata().name());
    }
  }
  std::sort(names.begin(), names.end());
  return Ok(NamePage("serviceArns", std::move(names), token, max.value_or(kMaxPage),
                     [&](const std::string& n) { return names_.ServiceArn(*cluster, n); }));
}

EcsResponse EcsOperations::ListServiceDeployments(Input& in) {
  in.Require("service");
  const std::string given = in.StringOr("service", "");
  const std::string cluster_given = in.StringOr("cluster", "");
  std::vector<std::string> statuses = in.Strings("status");
  std::optional<double> after, before;
  if (auto created = in.Object("createdAt")) {
    for (const char* bound : {"after", "before"}) {
      if (!created->Has(bound)) continue;
      auto v = created->Int(bound, 0, int64_t{1} << 40);  // epoch seconds, as the SDK sends
      if (v) (std::string(bound) == "after" ? after : before) = static_cast<double>(*v);
    }
  }
  auto max = in.Int("maxResults", 1, kMaxPage);
  const std::string token = in.StringOr("nextToken", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  auto service = ExistingService(cluster_given, given);
  if (!service.ok()) return EcsErrorFrom(service.status());
  // Newest first; the token is the position key of the last one returned.
  std::vector<std::string> keys;
  std::map<std::string, const v1::ServiceDeploymentRecord*> by_key;
  const auto& history = (*service)->status().history();
  for (int i = 0; i < history.size(); ++i) {
    const auto& r = history[i];
    const std::string shown = ShownDeploymentStatus(**service, r);
    if (!statuses.empty() && std::find(statuses.begin(), statuses.end(), shown) == statuses.end())
      continue;
    const double created = static_cast<double>(clock::ParseTimeMs(r.created_at())) / 1000.0;
    if ((after && created < *after) || (before && created > *before)) continue;
    // Older records have larger indexes: zero-padded positions counted from the oldest sort
    // newest first when descending, and stay put as newer records arrive.
    char key[16];
    std::snprintf(key, sizeof key, "%08d", static_cast<int>(history.size() - i));
    keys.emplace_back(key);
    by_key[key] = &r;
  }
  std::sort(keys.rbegin(), keys.rend());
  const PageRange page = Paginate(keys, token, max.value_or(kDefaultServiceDeploymentPage), true);
  std::vector<std::string> items;
  for (size_t k = page.begin; k < page.end; ++k)
    items.push_back(ServiceDeploymentBriefJson(**service, *by_key[keys[k]], names_));
  std::string body = "{\"serviceDeployments\":" + JsonArray(items);
  if (!page.next_token.empty()) body += ",\"nextToken\":" + Dump(OutJson(page.next_token));
  return Ok(body + "}");
}

EcsResponse EcsOperations::DescribeServiceDeployments(Input& in) {
  in.Require("serviceDeploymentArns");
  std::vector<std::string> arns = in.Strings("serviceDeploymentArns");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (arns.empty() || arns.size() > kMaxDescribeServiceDeployments) {
    return EcsErrorFrom(
        api::InvalidArgument("serviceDeploymentArns", "give 1 to 20 service deployment ARNs"));
  }
  std::vector<std::string> found;
  std::vector<Failure> failures;
  for (const auto& arn : arns) {
    auto ref = fleet::ParseServiceDeploymentArn(arn);
    if (!ref) {
      failures.push_back({arn, "MISSING", "not a service deployment ARN"});
      continue;
    }
    auto service = ServiceOf(ref->cluster, ref->service);
    int index = service.ok() ? RecordIndex(**service, ref->deployment) : -1;
    if (!service.ok() && service.status().code() != Code::kNotFound)
      return EcsErrorFrom(service.status());
    if (index < 0) {
      failures.push_back({arn, "MISSING", ""});
      continue;
    }
    found.push_back(ServiceDeploymentJson(**service, (*service)->status().history(index), names_));
  }
  return Ok(WithFailures("serviceDeployments", found, failures));
}

EcsResponse EcsOperations::StopServiceDeployment(Input& in) {
  in.Require("serviceDeploymentArn");
  const std::string arn = in.StringOr("serviceDeploymentArn", "");
  const std::string stop_type = in.StringOr("stopType", "ROLLBACK");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (stop_type != "ROLLBACK" && stop_type != "ABORT") {
    return EcsErrorFrom(
        api::InvalidArgument("stopType", "must be ROLLBACK or ABORT, got '" + stop_type + "'"));
  }
  auto ref = fleet::ParseServiceDeploymentArn(arn);
  if (!ref) {
    return EcsErrorFrom(
        api::InvalidArgument("serviceDeploymentArn", "not a service deployment ARN: " + arn));
  }
  auto service = ServiceOf(ref->cluster, ref->service);
  if (!service.ok() && service.status().code() != Code::kNotFound)
    return EcsErrorFrom(service.status());
  if (!service.ok() || RecordIndex(**service, ref->deployment) < 0) {
    return EcsError(400, "ServiceDeploymentNotFoundException",
                    "The service deployment does not exist.");
  }
  auto stopped = objects_.Mutate(
      ServiceKind(), ref->service,
      [&](google::protobuf::Message& m) -> StatusOr<bool> {
        auto& s = static_cast<v1::Service&>(m);
        // Only the deployment in progress can stop (checked on the object as written).
        int index = RecordIndex(s, ref->deployment);
        if (index != 0 || s.status().history(0).status() != "IN_PROGRESS") {
          return Status(Code::kFailedPrecondition,
                        "The service deployment is not in progress; only a deployment in "
                        "progress can be stopped.",
                        "serviceDeploymentArn");
        }
        auto& annotations = *s.mutable_metadata()->mutable_annotations();
        annotations[schema::kStopDeploymentAnnotation] = ref->deployment;
        annotations[schema::kStopTypeAnnotation] = stop_type;
        return true;
      },
      kEcsFieldManager);
  if (!stopped.ok()) {
    if (stopped.status().code() == Code::kFailedPrecondition)
      return EcsError(400, "ConflictException", stopped.status().message());
    return EcsErrorFrom(stopped.status());
  }
  OutJson out = {{"serviceDeploymentArn", arn}};
  return Ok(out);
}

}  // namespace gantry::ecs
