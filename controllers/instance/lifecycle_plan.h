#pragma once

// The container instance lifecycle as a pure plan: from what is known about one instance (its
// stored connection state, when its agent last spoke, whether it still has unfinished tasks) and
// the time, decide whether to mark it disconnected, whether to declare it lost, and when it next
// needs a look if nothing else changes. Time is an input, so the table tests need no clock.
//
//   heartbeat older than heartbeat_timeout            ─▶ agentConnected: false
//   silent for longer than lost_after, tasks unfinished ─▶ its tasks STOPPED ("Container instance
//                                                         lost")

#include <chrono>
#include <optional>

namespace gantry::controllers::instance {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::system_clock::duration;

struct LifecycleOptions {
  std::chrono::milliseconds heartbeat_timeout{15'000};
  std::chrono::milliseconds lost_after{60'000};
};

struct InstanceLiveness {
  bool connected = false;  // as stored
  bool has_unfinished_tasks = false;
  TimePoint last_heard;
};

struct LifecyclePlan {
  bool disconnect = false;
  bool lose = false;  // stop its unfinished tasks
  // When the next deadline passes, counted from now, if no heartbeat comes meanwhile; none when
  // only a change (a reconnect, a new task) can give it one.
  std::optional<Duration> recheck_after;
};

LifecyclePlan PlanLifecycle(const InstanceLiveness& instance, TimePoint now,
                            const LifecycleOptions& options);

}  // namespace gantry::controllers::instance
