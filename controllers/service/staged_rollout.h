#pragma once

// CANARY and LINEAR deployments and bake times: how many of desiredCount the deployment being
// rolled to may hold at its current step, and when the step moves on.
//
//   ROLLING  one step: all of desired
//   CANARY   step 0: canaryPercent of desired (at least one task) ─▶ bake canaryBakeTime ─▶
//            step 1: all
//   LINEAR   step k: (k + 1) × stepPercent of desired (at least one more task each step),
//            each baked stepBakeTime ─▶ … ─▶ all
//   the last step bakes bakeTimeInMinutes: the old tasks the bounds let run are kept, so a
//   rollback (circuit breaker, StopServiceDeployment) restores them at once
//
//   a step is moved when its share of the target RUNNING and the old tasks are down to the rest
//   of desired (the last step: the target RUNNING); its bake starts then (step_moved_at).

#include <chrono>
#include <optional>
#include <string>

#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::service {

struct StageInput {
  const v1::DeploymentConfiguration* config = nullptr;
  int desired = 0;
  int step = 0;               // the record's
  std::string step_moved_at;  // the record's ("" while moving)
  int target_running = 0;
  int old_tasks = 0;  // the other deployments' tasks still RUNNING or PENDING
  std::string now;
};

struct Stage {
  int cap = 0;                // target tasks this step may hold
  bool hold_old = false;      // the last step's bake: old tasks the bounds let run stay
  int step = 0;               // for the record
  std::string step_moved_at;  // for the record
  // Baking: how long until the bake ends (the controller looks again then).
  std::optional<std::chrono::milliseconds> bake_left;
};

// Whether the configuration stages its roll at all (CANARY, LINEAR or a bake time).
bool Staged(const v1::DeploymentConfiguration& config);

Stage StageOf(const StageInput& in);

}  // namespace gantry::controllers::service
