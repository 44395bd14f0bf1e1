#pragma once

// cgroup v2 for a container: <root>/gantry/<leaf> with memory.max and cpu.weight. Used only when
// <root> is a cgroup2 mount, we can create directories in it, and the controllers the container
// needs can be enabled below it (memory when a memory limit is asked for; cpu is best effort).
// Anything else is an error the caller answers by falling back to setrlimit.

#include <cstdint>
#include <string>

#include "api/status/status.h"

namespace gantry::agent::internal {

struct Cgroup {
  std::string dir;
  bool cpu_weight_set = false;
};

// Creates the container's cgroup with its limits (a stale empty one of the same name is replaced).
api::StatusOr<Cgroup> CreateCgroup(const std::string& root, const std::string& leaf,
                                   int64_t memory_mib, int64_t cpu_units);

// Removes the cgroup if it exists and is empty; best effort.
void RemoveCgroup(const std::string& dir);

// ECS cpu units (1024 per core) to cgroup v2 cpu.weight (1..10000, default 100): 1024 -> 100.
int CpuWeight(int64_t cpu_units);

}  // namespace gantry::agent::internal
