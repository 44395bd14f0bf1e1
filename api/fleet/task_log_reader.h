#pragma once

// Reads a task's output for `gantryctl logs TASK [-f]`: every container's stdout and stderr in
// the order they were received per stream, and, when following, new output until the task is
// STOPPED and its agent has shipped everything.

#include <map>
#include <string>

#include "api/fleet/fleet_view.h"
#include "api/fleet/task_log_store.h"

namespace gantry::fleet {

class TaskLogReader {
 public:
  enum class Poll { kData, kIdle, kEnd };

  // `container` limits the output to one container ("" for all).
  TaskLogReader(const TaskLogStore& store, const FleetView& fleet, std::string task,
                std::string container, bool follow)
      : store_(store),
        fleet_(fleet),
        task_(std::move(task)),
        container_(std::move(container)),
        follow_(follow) {}

  // Appends what is new to `out`. Without follow: everything, then kEnd. Following ends once
  // the task has stopped and its last output arrived, or after kMaxSilentPolls polls without
  // output: the server cannot tell that a client of a quiet stream has gone, so an abandoned
  // `logs -f` would otherwise hold its stream forever.
  Poll Next(std::string& out);

  static constexpr int kMaxSilentPolls = 30 * 60 * 5;  // 30 minutes of 200 ms polls

 private:
  const TaskLogStore& store_;
  const FleetView& fleet_;
  const std::string task_;
  const std::string container_;
  const bool follow_;
  std::map<std::string, int64_t> offsets_;  // container.stream -> bytes sent
  int idle_after_stop_ = 0;
  int silent_polls_ = 0;
};

}  // namespace gantry::fleet
