#include "controllers/instance/lifecycle_plan.h"

#include <algorithm>

namespace gantry::controllers::instance {
namespace {

// Deadlines are "silent for longer than": a look exactly at the limit would find nothing to do.
constexpr Duration kPastTheLimit = std::chrono::milliseconds(1);

}  // namespace

LifecyclePlan PlanLifecycle(const InstanceLiveness& instance, TimePoint now,
                            const LifecycleOptions& options) {
  LifecyclePlan plan;
  const Duration silent = now - instance.last_heard;
  plan.disconnect = instance.connected && silent > options.heartbeat_timeout;
  plan.lose = instance.has_unfinished_tasks && silent > options.lost_after;
  auto recheck_at = [&](Duration limit) {
    const Duration wait = limit - silent + kPastTheLimit;
    plan.recheck_after = plan.recheck_after ? std::min(*plan.recheck_after, wait) : wait;
  };
  // Still connected after this pass: look again when the timeout would pass.
  if (instance.connected && !plan.disconnect) recheck_at(options.heartbeat_timeout);
  // Tasks still unfinished after this pass: look again when they would be lost.
  if (instance.has_unfinished_tasks && !plan.lose) recheck_at(options.lost_after);
  return plan;
}

}  // namespace gantry::controllers::instance
