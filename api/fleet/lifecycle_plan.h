#pragma once

// The container instance lifecycle as a pure plan: from what is known about each instance (its
// stored connection state, when its agent last spoke, whether it still has unfinished tasks)
// and the time, decide which instances to mark disconnected and which to declare lost. Time is
// an input, so the table tests need no clock.
//
//   heartbeat older than heartbeat_timeout           ─▶ agentConnected: false
//   disconnected and silent for longer than lost_after ─▶ its tasks STOPPED ("Container instance
//   lost")

#include <chrono>
#include <string>
#include <vector>

namespace gantry::fleet {

struct LifecycleOptions {
  std::chrono::milliseconds heartbeat_timeout{15'000};
  std::chrono::milliseconds lost_after{60'000};
};

struct InstanceLiveness {
  std::string name;
  bool connected = false;  // as stored
  bool has_unfinished_tasks = false;
  std::chrono::system_clock::time_point last_heartbeat;
};

struct LifecycleActions {
  std::vector<std::string> disconnect;
  std::vector<std::string> lose;  // stop their tasks
};

LifecycleActions PlanLifecycle(const std::vector<InstanceLiveness>& instances,
                               std::chrono::system_clock::time_point now,
                               const LifecycleOptions& options);

}  // namespace gantry::fleet
