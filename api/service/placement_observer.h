#pragma once

// What the launcher tells of its decisions (gantryd's /metrics), kept apart from the launcher
// so that the metrics code needs nothing else of it.

#include <cstddef>
#include <string>
#include <vector>

namespace gantry::api {

// Told once per launch that is not a dry run, outside the cluster lock: the time placing took,
// the tasks placed, and ECS's reason for each task that found no instance (StartTask: each
// instance given that received none).
class PlacementObserver {
 public:
  virtual ~PlacementObserver() = default;
  virtual void ObservePlacement(const std::string& cluster, double seconds, size_t placed,
                                const std::vector<std::string>& failure_reasons) = 0;
};

}  // namespace gantry::api
