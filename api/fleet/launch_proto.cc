#include "api/fleet/launch_proto.h"

namespace gantry::fleet {

api::StatusOr<v1::LaunchResponse> LaunchThrough(TaskService& tasks,
                                                const v1::LaunchRequest& request) {
  LaunchRequest launch;
  if (!request.cluster().empty()) launch.cluster = request.cluster();
  launch.task_definition = request.task_definition();
  launch.count = request.count();
  launch.group = request.group();
  launch.started_by = request.started_by();
  launch.client_token = request.client_token();
  launch.dry_run = request.dry_run();
  launch.constraints.assign(request.placement_constraints().begin(),
                            request.placement_constraints().end());
  launch.strategies.assign(request.placement_strategy().begin(),
                           request.placement_strategy().end());
  launch.container_instances.assign(request.container_instances().begin(),
                                    request.container_instances().end());
  auto launched = tasks.LaunchTasks(launch);
  if (!launched.ok()) return launched.status();
  v1::LaunchResponse response;
  for (const auto& task : launched->tasks) *response.add_tasks() = *task;
  for (const auto& f : launched->failures) {
    auto* failure = response.add_failures();
    failure->set_arn(f.arn);
    failure->set_reason(f.reason);
    failure->set_detail(f.detail);
  }
  return response;
}

}  // namespace gantry::fleet
