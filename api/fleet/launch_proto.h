#pragma once

// gantry.v1.LaunchRequest (the gRPC Launcher service, client::Client::Launch) onto
// TaskService::LaunchTasks, and its answer as a gantry.v1.LaunchResponse: the one launch path
// for controllers and API clients, as RunTask and StartTask are for ECS callers.

#include "api/fleet/task_service.h"
#include "api/status/status.h"
#include "gantry/v1/launch.pb.h"

namespace gantry::fleet {

api::StatusOr<v1::LaunchResponse> LaunchThrough(TaskService& tasks,
                                                const v1::LaunchRequest& request);

}  // namespace gantry::fleet
