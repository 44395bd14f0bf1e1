// ECS tasks: RunTask, StartTask (both through TaskService and so the one launcher), StopTask,
// ListTasks, DescribeTasks.

#include "api/ecs/ecs_operations.h"
#include "api/ecs/ecs_shapes.h"
#include "api/schema/task_groups.h"

namespace gantry::ecs {
namespace {

using api::Code;
using api::Status;
using api::StatusOr;

constexpr size_t kMaxStoppedReason = 255;

}  // namespace

std::string EcsOperations::TaskWithZone(const v1::Task& task) {
  fleet::InstancePtr instance = fleet_.Instance(task.spec().container_instance());
  return TaskJson(task, names_, TimeStyle::kEpochSeconds, instance.get());
}

fleet::LaunchRequest EcsOperations::ReadLaunch(Input& in, Status& unsupported) {
  fleet::LaunchRequest request;
  in.Require("taskDefinition");
  request.cluster = in.StringOr("cluster", "");
  request.task_definition = in.StringOr("taskDefinition", "");
  request.group = in.StringOr("group", "");
  request.started_by = in.StringOr("startedBy", "");
  for (auto& c : in.Objects("placementConstraints")) {
    request.constraints.push_back(
        fleet::Constraint(c.StringOr("type", ""), c.String("expression")));
  }
  for (auto& s : in.Objects("placementStrategy")) {
    request.strategies.push_back(fleet::Strategy(s.StringOr("type", ""), s.StringOr("field", "")));
  }
  auto unsupported_if = [&](bool condition, const std::string& field, const std::string& what) {
    if (condition && unsupported.ok()) unsupported = Status(Code::kUnimplemented, what, field);
  };
  std::string launch_type = in.StringOr("launchType", "EC2");
  unsupported_if(launch_type != "EC2", "launchType",
                 "Gantry runs the EC2 launch type only, got '" + launch_type + "'");
  unsupported_if(in.Count("capacityProviderStrategy") > 0, "capacityProviderStrategy",
                 "capacity providers are not supported");
  unsupported_if(in.Has("networkConfiguration"), "networkConfiguration",
                 "awsvpc networking is not supported");
  unsupported_if(in.Count("volumeConfigurations") > 0, "volumeConfigurations",
                 "volume configurations are not supported");
  unsupported_if(in.Bool("enableExecuteCommand").value_or(false), "enableExecuteCommand",
                 "ECS Exec is not supported");
  if (auto overrides = in.Object("overrides")) {
    // The CLI may send container overrides that only name the container; anything that would
    // change what runs is refused rather than ignored.
    for (const auto& key : overrides->Keys()) {
      if (key == "containerOverrides") {
        for (auto& c : overrides->Objects("containerOverrides")) {
          for (const auto& k : c.Keys()) {
            unsupported_if(k != "name", c.Path(k), "task overrides are not supported");
          }
        }
      } else if (key != "inferenceAcceleratorOverrides" || overrides->Count(key) > 0) {
        unsupported_if(true, overrides->Path(key), "task overrides are not supported");
      }
    }
  }
  // RunTask's clientToken (botocore fills in a UUID when the caller gives none); StartTask has
  // none in ECS's model, but takes one here too, checked the same way.
  request.client_token = in.StringOr("clientToken", "");
  // tags, propagateTags, enableECSManagedTags, referenceId, platformVersion: ignored.
  return request;
}

EcsResponse EcsOperations::Launched(const StatusOr<fleet::LaunchResult>& result,
                                    const std::string& client_token) {
  if (!result.ok()) {
    if (result.status().code() == Code::kAlreadyExists &&
        result.status().field() == "clientToken") {
      // ECS: the token is in use by another request; resourceIds are that request's tasks.
      OutJson body = {{"__type", "ConflictException"},
                      {"message", result.status().ToString()},
                      {"resourceIds", tasks_.ClientTokenTaskArns(client_token)}};
      return EcsResponse{400, Dump(body)};
    }
    return EcsErrorFrom(result.status());
  }
  std::vector<std::string> tasks;
  for (const auto& t : result->tasks) tasks.push_back(TaskWithZone(*t));
  std::vector<Failure> failures;
  for (const auto& f : result->failures) failures.push_back({f.arn, f.reason, f.detail});
  return Ok(WithFailures("tasks", tasks, failures));
}

EcsResponse EcsOperations::RunTask(Input& in) {
  Status unsupported;
  fleet::LaunchRequest request = ReadLaunch(in, unsupported);
  // TaskService checks the range (1..10) and names the member.
  auto count =
      in.Int("count", std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
  request.count = static_cast<int>(count.value_or(1));
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (!unsupported.ok()) return EcsErrorFrom(unsupported);
  auto cluster = clusters_.Existing(request.cluster);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  request.cluster = *cluster;
  // TaskService runs a bare family's latest ACTIVE revision, as ECS does; the reference stays as
  // given, which is what a clientToken repeat is compared by.
  return Launched(tasks_.RunTask(request), request.client_token);
}

EcsResponse EcsOperations::StartTask(Input& in) {
  Status unsupported;
  fleet::LaunchRequest request = ReadLaunch(in, unsupported);
  in.Require("containerInstances");
  request.container_instances = in.Strings("containerInstances");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (!unsupported.ok()) return EcsErrorFrom(unsupported);
  auto cluster = clusters_.Existing(request.cluster);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  request.cluster = *cluster;
  return Launched(tasks_.StartTask(request), request.client_token);
}

EcsResponse EcsOperations::StopTask(Input& in) {
  std::string given = in.StringOr("cluster", "");
  in.Require("task");
  std::string task = in.StringOr("task", "");
  std::string reason = in.StringOr("reason", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (reason.size() > kMaxStoppedReason) {
    return EcsErrorFrom(api::InvalidArgument("reason", "must be at most 255 characters"));
  }
  auto cluster = clusters_.Existing(given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  auto stopped = tasks_.StopTask(*cluster, task, reason);
  if (!stopped.ok()) return EcsErrorFrom(stopped.status());
  return Ok("{\"task\":" + TaskWithZone(**stopped) + "}");
}

EcsResponse EcsOperations::ListTasks(Input& in) {
  std::string given = in.StringOr("cluster", "");
  fleet::TaskFilter filter;
  filter.container_instance = in.StringOr("containerInstance", "");
  filter.family = in.StringOr("family", "");
  filter.started_by = in.StringOr("startedBy", "");
  filter.desired_status = in.StringOr("desiredStatus", "RUNNING");
  std::string service = in.StringOr("serviceName", "");
  std::string launch_type = in.StringOr("launchType", "");
  (void)in.StringOr("daemonName", "");
  auto max = in.Int("maxResults", 1, kMaxPage);
  std::string token = in.StringOr("nextToken", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (filter.desired_status != "RUNNING" && filter.desired_status != "PENDING" &&
      filter.desired_status != "STOPPED") {
    return EcsErrorFrom(api::InvalidArgument(
        "desiredStatus",
        "must be RUNNING, PENDING or STOPPED, got '" + filter.desired_status + "'"));
  }
  auto cluster = clusters_.Existing(given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  filter.cluster = *cluster;
  std::vector<std::string> ids;
  if (launch_type.empty() || launch_type == "EC2") {
    for (const auto& t : tasks_.ListTasks(filter)) {
      // Service tasks are in the group service:<name>, as in ECS; a DAEMON service's are its
      // Environment's, environment:<name>.
      if (!service.empty() &&
          t->spec().group() != schema::ServiceGroup(fleet::ShortName(service)) &&
          t->spec().group() != schema::EnvironmentGroup(fleet::ShortName(service)))
        continue;
      ids.push_back(t->metadata().name());
    }
  }
  return Ok(NamePage("taskArns", std::move(ids), token, max.value_or(kMaxPage),
                     [&](const std::string& id) { return names_.TaskArn(*cluster, id); }));
}

EcsResponse EcsOperations::DescribeTasks(Input& in) {
  std::string given = in.StringOr("cluster", "");
  in.Require("tasks");
  std::vector<std::string> refs = in.Strings("tasks");
  (void)in.Strings("include");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (refs.empty() || refs.size() > kMaxDescribe)
    return EcsErrorFrom(api::InvalidArgument("tasks", "give between 1 and 100 tasks"));
  auto cluster = clusters_.Existing(given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  std::vector<std::string> found;
  std::vector<Failure> failures;
  for (const auto& ref : refs) {
    fleet::TaskPtr t = fleet_.Task(fleet::ShortName(ref));
    if (!t || t->spec().cluster() != *cluster) {
      failures.push_back(
          {ref.starts_with("arn:") ? ref : names_.TaskArn(*cluster, ref), "MISSING", ""});
      continue;
    }
    found.push_back(TaskWithZone(*t));
  }
  return Ok(WithFailures("tasks", found, failures));
}

}  // namespace gantry::ecs
