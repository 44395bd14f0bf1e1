#include "agent/machine_info.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

namespace gantry::agent {

int32_t MemoryAfterReserve(int64_t total_mib) {
  int64_t reserve = std::max<int64_t>(256, total_mib / 20);
  return static_cast<int32_t>(std::max<int64_t>(0, total_mib - reserve));
}

MachineInfo DetectMachine() {
  MachineInfo m;
  m.os_type = "linux";
  utsname u{};
  if (uname(&u) == 0) {
    std::string machine = u.machine;
    // ECS reports arm64 for aarch64 machines.
    m.cpu_architecture = machine == "aarch64" ? "arm64" : machine;
  }
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  m.cpu_units = static_cast<int32_t>(std::max<long>(1, cores) * 1024);
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemTotal:") {
      m.memory_mib = MemoryAfterReserve(kib / 1024);
      break;
    }
  }
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) m.hostname = host;
  return m;
}

}  // namespace gantry::agent
