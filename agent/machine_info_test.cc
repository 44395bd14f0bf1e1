#include "agent/machine_info.h"

#include <gtest/gtest.h>

namespace gantry::agent {
namespace {

TEST(MachineInfoTest, ReserveIsFivePercentAtLeast256MiB) {
  EXPECT_EQ(MemoryAfterReserve(1024), 768);
  EXPECT_EQ(MemoryAfterReserve(16384), 16384 - 819);
  EXPECT_EQ(MemoryAfterReserve(100), 0);
}

TEST(MachineInfoTest, DetectsThisMachine) {
  MachineInfo m = DetectMachine();
  EXPECT_EQ(m.os_type, "linux");
  EXPECT_FALSE(m.cpu_architecture.empty());
  EXPECT_GE(m.cpu_units, 1024);
  EXPECT_EQ(m.cpu_units % 1024, 0);
  EXPECT_GT(m.memory_mib, 0);
}

}  // namespace
}  // namespace gantry::agent
