#include "api/fleet/lifecycle_plan.h"

namespace gantry::fleet {

LifecycleActions PlanLifecycle(const std::vector<InstanceLiveness>& instances,
                               std::chrono::system_clock::time_point now,
                               const LifecycleOptions& options) {
  LifecycleActions actions;
  for (const auto& i : instances) {
    auto silent = now - i.last_heartbeat;
    if (i.connected && silent > options.heartbeat_timeout) actions.disconnect.push_back(i.name);
    if (i.has_unfinished_tasks && silent > options.lost_after) actions.lose.push_back(i.name);
  }
  return actions;
}

}  // namespace gantry::fleet
