#pragma once

// What RunTask and StartTask ask for and what they answer: the launcher's request and result,
// shared by TaskService and the clientToken records (launch_tokens.h).

#include <string>
#include <vector>

#include "api/fleet/ecs_names.h"
#include "api/fleet/fleet_view.h"
#include "placement/types.h"

namespace gantry::fleet {

struct LaunchRequest {
  std::string cluster = kDefaultCluster;
  std::string task_definition;  // family (its latest ACTIVE revision), family:revision or ARN
  int count = 1;
  std::string group;  // default family:<family>
  std::string started_by;
  std::vector<placement::ConstraintSpec> constraints;
  std::vector<placement::StrategySpec> strategies;
  std::vector<std::string> container_instances;  // StartTask: ids or ARNs, at most 10
  // ECS clientToken: a repeat with the same token within 24 hours answers with the first
  // call's tasks and failures instead of launching again ("" launches every time).
  std::string client_token;
};

struct LaunchFailure {
  std::string arn;
  std::string reason;
  std::string detail;
};

struct LaunchResult {
  std::vector<TaskPtr> tasks;
  std::vector<LaunchFailure> failures;
};

}  // namespace gantry::fleet
