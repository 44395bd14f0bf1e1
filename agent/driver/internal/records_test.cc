#include "agent/driver/internal/records.h"

#include <gtest/gtest.h>

#include "agent/driver/internal/cgroup.h"

namespace gantry::agent::internal {
namespace {

TEST(RecordsTest, StateRoundTrips) {
  StateRecord r;
  r.boot_id = "5b0c6d0e";
  r.shim_pid = 4242;
  r.shim_start_time = 946975;
  r.session_id = 4241;
  r.pid = 4243;
  r.launched_unix_ms = 1700000000000;
  r.control_signal = 37;
  r.limits = "cgroup v2";
  r.cgroup = "/sys/fs/cgroup/gantry/t1-web";
  r.command = "/odd\npath\\x";
  auto parsed = ParseState(FormatState(r));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->shim_pid, 4242);
  EXPECT_EQ(parsed->shim_start_time, 946975u);
  EXPECT_EQ(parsed->session_id, 4241);
  EXPECT_EQ(parsed->pid, 4243);
  EXPECT_EQ(parsed->launched_unix_ms, 1700000000000);
  EXPECT_EQ(parsed->control_signal, 37);
  EXPECT_EQ(parsed->limits, "cgroup v2");
  EXPECT_EQ(parsed->cgroup, "/sys/fs/cgroup/gantry/t1-web");
  EXPECT_EQ(parsed->command, "/odd\npath\\x");
  EXPECT_EQ(parsed->boot_id, "5b0c6d0e");
}

TEST(RecordsTest, StateErrorsNameTheLine) {
  auto bad = ParseState("format: 1\nshim-pid: x\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "state line 2: \"shim-pid\" is not a number");
  auto garbage = ParseState("format: 1\nnonsense\n");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().message(), "state line 2: expected \"key: value\"");
  auto newer = ParseState(
      "format: 2\nshim-pid: 1\nshim-start-time: 1\nsession-id: 1\npid: 2\ncontrol-signal: 37\n");
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), api::Code::kFailedPrecondition);
}

TEST(RecordsTest, ParsesEachExitKind) {
  auto exited = ParseExit("exit-code: 3\nfinished-unix-ms: 17\n");
  ASSERT_TRUE(exited.ok());
  EXPECT_EQ(exited->kind, ExitRecord::Kind::kExited);
  EXPECT_EQ(exited->exit_code, 3);
  EXPECT_EQ(exited->finished_unix_ms, 17);

  auto signaled = ParseExit("signal: 15\n");
  ASSERT_TRUE(signaled.ok());
  EXPECT_EQ(signaled->kind, ExitRecord::Kind::kSignaled);
  EXPECT_EQ(signaled->signal, 15);

  auto exec =
      ParseExit("exec-error: No such file or directory\nerrno: 2\nduring: exec \"nosuch\"\n");
  ASSERT_TRUE(exec.ok());
  EXPECT_EQ(exec->kind, ExitRecord::Kind::kExecError);
  EXPECT_EQ(exec->error_number, 2);
  EXPECT_EQ(ExecFailureMessage(exec->during, exec->error),
            "exec \"nosuch\": No such file or directory");

  EXPECT_FALSE(ParseExit("finished-unix-ms: 17\n").ok());
}

TEST(RecordsTest, ProcStatCountsFieldsAfterTheLastParenthesis) {
  // A command name with spaces and parentheses, as a process may choose.
  auto stat = ParseProcStat(
      "19887 (a) (b c) S 1 19884 17790 0 -1 4227084 99 0 0 0 0 0 0 0 20 0 1 0 946975 3133440 "
      "397 18446744073709551615\n");
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->ppid, 1);
  EXPECT_EQ(stat->pgrp, 19884);
  EXPECT_EQ(stat->session, 17790);
  EXPECT_EQ(stat->start_time, 946975u);
  EXPECT_FALSE(ParseProcStat("19887 (sleep) Z 1 2").has_value());
}

TEST(RecordsTest, CpuUnitsToWeight) {
  EXPECT_EQ(CpuWeight(1024), 100);
  EXPECT_EQ(CpuWeight(2048), 200);
  EXPECT_EQ(CpuWeight(512), 50);
  EXPECT_EQ(CpuWeight(1), 1);
  EXPECT_EQ(CpuWeight(0), 100);
  EXPECT_EQ(CpuWeight(int64_t{1} << 30), 10000);
}

}  // namespace
}  // namespace gantry::agent::internal
