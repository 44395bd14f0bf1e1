#pragma once

// One pass of a replica Service's rolling deployment: how many tasks of the revision being
// rolled to start now and how many others stop, within ECS's bounds (ecs-blox-spec §4.9):
//
//   ceiling  = floor(desired × maximumPercent / 100)   tasks RUNNING or PENDING, all revisions
//   floor    = ceil(desired × minimumHealthyPercent / 100)   tasks RUNNING, all revisions
//
//   counts ──▶ old PENDING stop (they serve nobody yet)
//          ──▶ the target's tasks beyond desired stop (a scale-in)
//          ──▶ old RUNNING stop while the RUNNING stay ≥ floor
//          ──▶ target tasks start up to desired, while all stay ≤ ceiling
//          ──▶ complete (desired RUNNING, nothing else) · waiting (PENDING or STOPPING tasks
//              will move it) · stuck (nothing may start or stop: min 100 / max 100 with old
//              tasks left)
//
// A task told to stop still counts towards the ceiling until it has stopped, so a pass that
// stops old tasks starts their replacements on a later pass.
//
// Which tasks stop and where new ones go are placement's (ChooseToStop, the launcher); this
// decides only how many, so tables test it.

#include <cstdint>

namespace gantry::controllers::service {

inline constexpr int kDefaultMaximumPercent = 200;
inline constexpr int kDefaultMinimumHealthyPercent = 100;

struct RolloutBounds {
  int desired = 0;
  int minimum_healthy_percent = kDefaultMinimumHealthyPercent;
  int maximum_percent = kDefaultMaximumPercent;

  int Ceiling() const;  // most tasks RUNNING or PENDING at once
  int Floor() const;    // fewest RUNNING while old tasks are replaced
};

// The service's tasks that hold resources, by deployment: the target is the one rolled to (or
// the only one, in a steady state); old is every other.
struct RolloutCounts {
  int target_running = 0;
  int target_pending = 0;
  int old_running = 0;
  int old_pending = 0;
  // Told to stop and not stopped yet, of any deployment: they count towards the ceiling (ECS:
  // RUNNING, STOPPING or PENDING) and not towards the floor.
  int stopping = 0;

  int Total() const { return target_running + target_pending + old_running + old_pending; }
};

enum class RolloutState : uint8_t {
  kProgressing,  // this step starts or stops something
  kWaiting,      // nothing to do until PENDING tasks run (or fail) or STOPPING ones stop
  kComplete,     // desired tasks of the target RUNNING, no other task left
  kStuck,        // nothing may start or stop and it is not complete: a condition and an event
};

struct RolloutStep {
  int start = 0;             // target tasks to launch
  int stop_old_pending = 0;  // of the old deployments' PENDING tasks
  int stop_old_running = 0;  // of the old deployments' RUNNING tasks
  int stop_target = 0;       // of the target's own, beyond desired (PENDING first)
  RolloutState state = RolloutState::kProgressing;

  bool operator==(const RolloutStep&) const = default;
};

RolloutStep PlanRollout(const RolloutBounds& bounds, const RolloutCounts& counts);

}  // namespace gantry::controllers::service
