#include "controllers/service/rollout_plan.h"

#include <algorithm>

namespace gantry::controllers::service {

int RolloutBounds::Ceiling() const {
  return static_cast<int>(int64_t{desired} * maximum_percent / 100);
}

int RolloutBounds::Floor() const {
  return static_cast<int>((int64_t{desired} * minimum_healthy_percent + 99) / 100);
}

RolloutStep PlanRollout(const RolloutBounds& bounds, const RolloutCounts& c) {
  RolloutStep step;
  const int desired = std::max(bounds.desired, 0);
  if (c.target_running == desired && c.target_pending == 0 && c.old_running == 0 &&
      c.old_pending == 0 && c.stopping == 0) {
    step.state = RolloutState::kComplete;
    return step;
  }
  // Old PENDING tasks serve nobody yet: they go at once.
  step.stop_old_pending = c.old_pending;
  // A scale-in of the target itself: its PENDING first, as the apply picks them.
  step.stop_target = std::max(0, c.target_running + c.target_pending - desired);
  // Old RUNNING tasks go while the RUNNING stay at or above the floor.
  const int target_running_after =
      c.target_running - std::max(0, step.stop_target - c.target_pending);
  const int running_after = target_running_after + c.old_running;
  step.stop_old_running =
      std::clamp(running_after - std::min(bounds.Floor(), desired), 0, c.old_running);
  // The target grows to desired while everything stays under the ceiling; what this pass stops
  // still counts until it has stopped.
  const int want = desired - (c.target_running + c.target_pending - step.stop_target);
  const int ceiling = std::max(bounds.Ceiling(), desired);
  step.start = std::max(0, std::min(want, ceiling - c.Total() - c.stopping));

  if (step.start + step.stop_old_pending + step.stop_old_running + step.stop_target > 0) {
    step.state = RolloutState::kProgressing;
  } else if (c.target_pending > 0 || c.old_pending > 0 || c.stopping > 0) {
    step.state = RolloutState::kWaiting;
  } else {
    step.state = RolloutState::kStuck;
  }
  return step;
}

}  // namespace gantry::controllers::service
