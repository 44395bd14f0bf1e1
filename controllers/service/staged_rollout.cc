#include "controllers/service/staged_rollout.h"

#include <algorithm>
#include <cmath>

#include "api/clock/format_time.h"

namespace gantry::controllers::service {
namespace {

// Target tasks step `step` may hold: at least one more each step, never more than desired.
int CapOf(const v1::DeploymentConfiguration& c, int desired, int step) {
  double percent = 100;
  if (c.strategy() == "CANARY" && step == 0) percent = c.canary_configuration().canary_percent();
  if (c.strategy() == "LINEAR") percent = c.linear_configuration().step_percent() * (step + 1);
  const int share = static_cast<int>(std::ceil(desired * std::min(percent, 100.0) / 100 - 1e-9));
  return std::clamp(std::max(share, step + 1), 0, desired);
}

std::chrono::milliseconds BakeOf(const v1::DeploymentConfiguration& c, bool last) {
  int minutes = c.bake_time_in_minutes();
  if (!last && c.strategy() == "CANARY")
    minutes = c.canary_configuration().canary_bake_time_in_minutes();
  if (!last && c.strategy() == "LINEAR")
    minutes = c.linear_configuration().step_bake_time_in_minutes();
  return std::chrono::minutes(std::max(minutes, 0));
}

}  // namespace

bool Staged(const v1::DeploymentConfiguration& config) {
  return config.strategy() == "CANARY" || config.strategy() == "LINEAR" ||
         config.bake_time_in_minutes() > 0;
}

Stage StageOf(const StageInput& in) {
  const auto& c = *in.config;
  Stage s;
  s.step = std::max(in.step, 0);
  s.step_moved_at = in.step_moved_at;
  for (;;) {
    s.cap = CapOf(c, in.desired, s.step);
    const bool last = s.cap >= in.desired;
    const bool moved = in.target_running >= s.cap && (last || in.old_tasks <= in.desired - s.cap);
    if (!moved) {
      s.step_moved_at.clear();
      return s;
    }
    if (s.step_moved_at.empty()) s.step_moved_at = in.now;
    const auto baked =
        std::chrono::milliseconds(clock::ParseTimeMs(in.now) - clock::ParseTimeMs(s.step_moved_at));
    const auto bake = BakeOf(c, last);
    if (baked < bake) {
      s.bake_left = bake - baked;
      s.hold_old = last;
      return s;
    }
    if (last) return s;  // moved and baked: the old tasks may go
    ++s.step;            // the next step moves
    s.step_moved_at.clear();
  }
}

}  // namespace gantry::controllers::service
