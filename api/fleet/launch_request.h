#pragma once

// What RunTask and StartTask ask for and what they answer: the launcher's request and result,
// shared by TaskService and the clientToken records (launch_tokens.h).

#include <optional>
#include <string>
#include <vector>

#include "api/fleet/ecs_names.h"
#include "api/fleet/fleet_view.h"
#include "gantry/v1/meta.pb.h"

namespace gantry::fleet {

struct LaunchRequest {
  std::string cluster = kDefaultCluster;
  std::string task_definition;  // family (its latest ACTIVE revision), family:revision or ARN
  int count = 1;
  std::string group;  // default family:<family>
  std::string started_by;
  // As the API carries them; TaskService makes placement's specs of them, so the transports
  // that fill them in never use placement.
  std::vector<v1::PlacementConstraint> constraints;
  std::vector<v1::PlacementStrategy> strategies;
  std::vector<std::string> container_instances;  // StartTask: ids or ARNs, at most 10
  // ECS clientToken: a repeat with the same token within 24 hours answers with the first
  // call's tasks and failures instead of launching again ("" launches every time).
  std::string client_token;
  // Where the tasks would go, nothing reserved or written (a plan's preview); no clientToken.
  bool dry_run = false;
};

// A constraint or strategy as a request states it: `expression` absent is not the same as empty
// (distinctInstance refuses any expression); a strategy's empty field is an absent one.
v1::PlacementConstraint Constraint(std::string type,
                                   std::optional<std::string> expression = std::nullopt);
v1::PlacementStrategy Strategy(std::string type, std::string field = "");

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
