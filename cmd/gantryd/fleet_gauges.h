#pragma once

// The point-in-time cluster and scheduling series /metrics shows (FleetMetrics), as read from the
// informers at scrape time by FleetGaugesOf (fleet_observations.h). Labels stay bounded:
// clusters, zones, statuses, and the names of Services and Environments, never a task or an
// instance.

#include <cstdint>
#include <string>
#include <vector>

namespace gantry {

struct FleetGauges {
  struct Instances {
    std::string cluster, status;
    bool connected = false;
    int64_t count = 0;
  };
  struct Zone {
    std::string cluster, zone;
    int64_t cpu_registered = 0, cpu_reserved = 0;        // ECS cpu units
    int64_t memory_registered = 0, memory_reserved = 0;  // bytes
  };
  struct Workload {
    std::string cluster, name;
    int64_t desired = 0, running = 0, pending = 0;
  };
  struct Deployments {
    std::string kind, state;  // service | environment; the record's status or the phase
    int64_t count = 0;
  };
  std::vector<Instances> instances;
  std::vector<Zone> zones;
  std::vector<Workload> services, environments;
  std::vector<Deployments> deployments;
};

}  // namespace gantry
