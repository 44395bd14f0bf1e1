#pragma once

// What gantry-agent registers about the machine it runs on: the built-in ECS attributes it can
// detect and the resources it offers.

#include <cstdint>
#include <string>

namespace gantry::agent {

struct MachineInfo {
  std::string os_type;           // ecs.os-type: "linux"
  std::string cpu_architecture;  // ecs.cpu-architecture: "x86_64", "arm64", ...
  int32_t cpu_units = 0;         // 1024 per online core
  int32_t memory_mib = 0;        // physical memory less the agent's reserve
  std::string hostname;
};

// Reserve for the agent and the operating system: 5 % of memory, at least 256 MiB.
int32_t MemoryAfterReserve(int64_t total_mib);

MachineInfo DetectMachine();

}  // namespace gantry::agent
