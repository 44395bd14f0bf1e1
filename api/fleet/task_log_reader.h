#pragma once

// Reads a task's output for `gantryctl logs TASK [-f]`: every container's stdout and stderr in
// the order they were received per stream, and, when following, new output until the task is
// STOPPED and its agent has shipped everything.

#include <map>
#include <string>

#include "api/fleet/fleet_cache.h"
#include "api/fleet/task_log_store.h"

namespace gantry::fleet {

class TaskLogReader {
 public:
  enum class Poll { kData, kIdle, kEnd };

  // `container` limits the output to one container ("" for all).
  TaskLogReader(const TaskLogStore& store, const FleetCache& cache, std::string task,
                std::string container, bool follow)
      : store_(store),
        cache_(cache),
        task_(std::move(task)),
        container_(std::move(container)),
        follow_(follow) {}

  // Appends what is new to `out`. Without follow: everything, then kEnd.
  Poll Next(std::string& out);

 private:
  const TaskLogStore& store_;
  const FleetCache& cache_;
  const std::string task_;
  const std::string container_;
  const bool follow_;
  std::map<std::string, int64_t> offsets_;  // container.stream -> bytes sent
  int idle_after_stop_ = 0;
};

}  // namespace gantry::fleet
