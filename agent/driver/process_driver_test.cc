#include "agent/driver/process_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "agent/driver/internal/proc.h"

namespace gantry::agent {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

// Polls `done` until it holds or the deadline passes; no fixed sleeps.
bool WaitFor(const std::function<bool()>& done, std::chrono::seconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// A pid that no longer runs: gone, or a zombie nobody reaps (this machine's init may not).
bool Gone(pid_t pid) {
  auto stat = internal::ReadProcStat(pid);
  return !stat || stat->state == 'Z' || stat->state == 'X';
}

// The pid a container wrote into a file once it is complete (ends with a newline).
pid_t WaitForPidFile(const std::string& path) {
  std::string text;
  bool ok = WaitFor([&] {
    text = ReadFile(path);
    return !text.empty() && text.back() == '\n';
  });
  return ok ? std::atoi(text.c_str()) : 0;
}

ContainerSpec Spec(std::string task, std::string name, std::vector<std::string> command) {
  ContainerSpec spec;
  spec.task_id = std::move(task);
  spec.name = std::move(name);
  spec.command = std::move(command);
  return spec;
}

ContainerSpec Shell(std::string task, std::string name, std::string script) {
  return Spec(std::move(task), std::move(name), {"/bin/sh", "-c", std::move(script)});
}

class ProcessDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "gantry-driver-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "mkdtemp: " << errno;
    root_ = fs::canonical(pattern).string();
    driver_ = std::make_unique<ProcessDriver>(root_);
  }

  void TearDown() override {
    ProcessDriver cleanup(root_);
    auto recorded = cleanup.Recorded();
    if (recorded.ok()) {
      std::set<std::string> tasks;
      for (const auto& r : *recorded) tasks.insert(r.task_id);
      for (const auto& task : tasks) {
        api::Status removed = cleanup.RemoveTask(task);
        EXPECT_TRUE(removed.ok()) << removed.ToString();
      }
    }
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string Dir(const std::string& task, const std::string& name) {
    return root_ + "/" + task + "/" + name;
  }

  StartedContainer MustStart(const ContainerSpec& spec) {
    auto started = driver_->Start(spec);
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    return started.ok() ? *started : StartedContainer();
  }

  // Polls until the container is no longer running.
  ContainerState WaitEnded(ProcessDriver& driver, const std::string& task, const std::string& name,
                           std::chrono::seconds timeout = 10s) {
    ContainerState last;
    WaitFor(
        [&] {
          auto state = driver.Poll(task, name);
          if (!state.ok()) return false;
          last = *state;
          return last.state != RunState::kRunning;
        },
        timeout);
    return last;
  }
  ContainerState WaitEnded(const std::string& task, const std::string& name) {
    return WaitEnded(*driver_, task, name);
  }

  std::string root_;
  std::unique_ptr<ProcessDriver> driver_;
};

TEST_F(ProcessDriverTest, ExitCodeAndLogs) {
  StartedContainer started = MustStart(Shell("t1", "web", "echo hi; echo err >&2; exit 3"));
  EXPECT_GT(started.shim_pid, 0);
  EXPECT_GT(started.pid, 0);
  EXPECT_NE(started.state.state, RunState::kExecFailed);

  ContainerState state = WaitEnded("t1", "web");
  EXPECT_EQ(state.state, RunState::kExited) << RunStateName(state.state) << " " << state.message;
  EXPECT_EQ(state.exit_code, 3);
  EXPECT_TRUE(state.finished_at.has_value());
  EXPECT_EQ(driver_->LogPath("t1", "web", "stdout"), Dir("t1", "web") + "/stdout.log");
  EXPECT_EQ(ReadFile(driver_->LogPath("t1", "web", "stdout")), "hi\n");
  EXPECT_EQ(ReadFile(driver_->LogPath("t1", "web", "stderr")), "err\n");
  EXPECT_EQ(driver_->LogPath("t1", "web", "stdin"), "");
  EXPECT_THAT(ReadFile(Dir("t1", "web") + "/exit"), HasSubstr("exit-code: 3\n"));
}

TEST_F(ProcessDriverTest, EnvironmentIsExactlyTheTasks) {
  ASSERT_EQ(setenv("GANTRY_DRIVER_TEST_AGENT_ONLY", "1", 1), 0);
  ContainerSpec spec = Shell("t1", "env", "echo \"$GREETING|$PATH\"; env");
  spec.environment = {{"GREETING", "first"}, {"OTHER", "x y"}, {"GREETING", "hello"}};
  MustStart(spec);
  ContainerState state = WaitEnded("t1", "env");
  EXPECT_EQ(state.state, RunState::kExited);
  std::string out = ReadFile(driver_->LogPath("t1", "env", "stdout"));
  EXPECT_THAT(out, testing::StartsWith("hello|/usr/local/bin:/usr/bin:/bin\n"));
  EXPECT_THAT(out, HasSubstr("OTHER=x y\n"));
  EXPECT_THAT(out, Not(HasSubstr("GANTRY_DRIVER_TEST_AGENT_ONLY")));
  unsetenv("GANTRY_DRIVER_TEST_AGENT_ONLY");
}

TEST_F(ProcessDriverTest, CommandIsLookedUpInTheTasksPath) {
  ContainerSpec spec = Spec("t1", "path", {"sh", "-c", "echo \"$PATH\""});
  spec.environment = {{"PATH", "/nonexistent:/bin"}};
  MustStart(spec);
  EXPECT_EQ(WaitEnded("t1", "path").state, RunState::kExited);
  EXPECT_EQ(ReadFile(driver_->LogPath("t1", "path", "stdout")), "/nonexistent:/bin\n");
}

TEST_F(ProcessDriverTest, WorkingDirectory) {
  MustStart(Shell("t1", "default", "pwd"));
  fs::create_directories(Dir("t1", "relative") + "/work/sub");
  ContainerSpec relative = Shell("t1", "relative", "pwd");
  relative.working_directory = "work/sub";
  MustStart(relative);
  ContainerSpec absolute = Shell("t1", "absolute", "pwd");
  absolute.working_directory = root_;
  MustStart(absolute);

  for (const char* name : {"default", "relative", "absolute"}) {
    EXPECT_EQ(WaitEnded("t1", name).state, RunState::kExited) << name;
  }
  EXPECT_EQ(ReadFile(driver_->LogPath("t1", "default", "stdout")), Dir("t1", "default") + "\n");
  EXPECT_EQ(ReadFile(driver_->LogPath("t1", "relative", "stdout")),
            Dir("t1", "relative") + "/work/sub\n");
  EXPECT_EQ(ReadFile(driver_->LogPath("t1", "absolute", "stdout")), root_ + "\n");
}

TEST_F(ProcessDriverTest, MissingBinaryIsAnExecFailure) {
  StartedContainer started = MustStart(Spec("t1", "missing", {"gantry-no-such-binary", "-x"}));
  EXPECT_EQ(started.state.state, RunState::kExecFailed);
  EXPECT_EQ(started.state.message,
            "exec \"gantry-no-such-binary\" (not found in PATH=/usr/local/bin:/usr/bin:/bin): "
            "No such file or directory");

  auto polled = driver_->Poll("t1", "missing");
  ASSERT_TRUE(polled.ok());
  EXPECT_EQ(polled->state, RunState::kExecFailed);
  EXPECT_EQ(polled->message, started.state.message);
  EXPECT_THAT(ReadFile(Dir("t1", "missing") + "/exit"),
              testing::StartsWith("exec-error: No such file or directory\nerrno: 2\n"));

  StartedContainer absolute = MustStart(Spec("t1", "absolute", {"/nonexistent/prog"}));
  EXPECT_EQ(absolute.state.state, RunState::kExecFailed);
  EXPECT_EQ(absolute.state.message, "exec \"/nonexistent/prog\": No such file or directory");

  fs::create_directories(Dir("t1", "noexec"));
  std::ofstream(Dir("t1", "noexec") + "/script.sh") << "echo hi\n";
  StartedContainer denied = MustStart(Spec("t1", "noexec", {"./script.sh"}));
  EXPECT_EQ(denied.state.state, RunState::kExecFailed);
  EXPECT_EQ(denied.state.message, "exec \"./script.sh\": Permission denied");
}

TEST_F(ProcessDriverTest, MissingWorkingDirectoryIsAnExecFailure) {
  ContainerSpec spec = Shell("t1", "nodir", "pwd");
  spec.working_directory = "does/not/exist";
  StartedContainer started = MustStart(spec);
  EXPECT_EQ(started.state.state, RunState::kExecFailed);
  EXPECT_EQ(started.state.message,
            "chdir \"" + Dir("t1", "nodir") + "/does/not/exist\": No such file or directory");
}

TEST_F(ProcessDriverTest, StopSendsSigterm) {
  StartedContainer started = MustStart(Spec("t1", "sleep", {"sleep", "1000"}));
  ASSERT_EQ(started.state.state, RunState::kRunning);
  auto running = driver_->Poll("t1", "sleep");
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->state, RunState::kRunning);

  ASSERT_TRUE(driver_->Stop("t1", "sleep", 30s).ok());
  ContainerState state = WaitEnded("t1", "sleep");
  EXPECT_EQ(state.state, RunState::kSignaled);
  EXPECT_EQ(state.signal, SIGTERM);
  EXPECT_EQ(state.exit_code, 143);
  EXPECT_TRUE(Gone(started.pid));
  // Stopping what has ended is a no-op; signalling it is an error.
  EXPECT_TRUE(driver_->Stop("t1", "sleep", 30s).ok());
  EXPECT_EQ(driver_->Signal("t1", "sleep", SIGTERM).code(), api::Code::kFailedPrecondition);
}

TEST_F(ProcessDriverTest, StopEscalatesToSigkillAfterTheTimeout) {
  // TERM is ignored by the shell and, through exec, by sleep.
  MustStart(Shell("t1", "stubborn", "trap '' TERM; echo > ready; exec sleep 1000"));
  ASSERT_TRUE(WaitFor([&] { return fs::exists(Dir("t1", "stubborn") + "/ready"); }));
  ASSERT_TRUE(driver_->Stop("t1", "stubborn", 1s).ok());  // returns at once
  ContainerState state = WaitEnded("t1", "stubborn");
  EXPECT_EQ(state.state, RunState::kSignaled);
  EXPECT_EQ(state.signal, SIGKILL);
  EXPECT_EQ(state.exit_code, 137);
}

TEST_F(ProcessDriverTest, SignalReachesTheProcessGroup) {
  MustStart(Spec("t1", "sleep", {"sleep", "1000"}));
  ASSERT_TRUE(driver_->Signal("t1", "sleep", SIGINT).ok());
  ContainerState state = WaitEnded("t1", "sleep");
  EXPECT_EQ(state.state, RunState::kSignaled);
  EXPECT_EQ(state.exit_code, 130);
  EXPECT_EQ(driver_->Signal("t1", "sleep", 0).code(), api::Code::kInvalidArgument);
}

TEST_F(ProcessDriverTest, StopKillsTheWholeGroup) {
  MustStart(Shell("t1", "tree", "sleep 1000 & echo $! > child.pid; wait"));
  pid_t grandchild = WaitForPidFile(Dir("t1", "tree") + "/child.pid");
  ASSERT_GT(grandchild, 0);
  ASSERT_EQ(kill(grandchild, 0), 0);
  ASSERT_TRUE(driver_->Stop("t1", "tree", 30s).ok());
  ContainerState state = WaitEnded("t1", "tree");
  EXPECT_EQ(state.state, RunState::kSignaled);
  EXPECT_EQ(state.exit_code, 143);
  // The shim reaps the group before it records the exit, so nothing is left, not even a zombie.
  EXPECT_EQ(kill(grandchild, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST_F(ProcessDriverTest, WhatTheMainProcessLeavesBehindDiesWithIt) {
  // The grandchild ignores TERM and outlives its parent, which exits 0 at once.
  MustStart(Shell("t1", "leaver", "sh -c 'trap \"\" TERM; exec sleep 1000' & echo $! > child.pid"));
  pid_t grandchild = WaitForPidFile(Dir("t1", "leaver") + "/child.pid");
  ASSERT_GT(grandchild, 0);
  ContainerState state = WaitEnded("t1", "leaver");
  EXPECT_EQ(state.state, RunState::kExited);
  EXPECT_EQ(state.exit_code, 0);
  EXPECT_EQ(kill(grandchild, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST_F(ProcessDriverTest, ANewDriverReadoptsWhatRuns) {
  StartedContainer started = MustStart(Spec("t1", "sleep", {"sleep", "1000"}));
  driver_.reset();  // the agent goes away

  ProcessDriver restarted(root_);
  auto state = restarted.Poll("t1", "sleep");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->state, RunState::kRunning);
  auto recorded = restarted.Recorded();
  ASSERT_TRUE(recorded.ok());
  ASSERT_EQ(recorded->size(), 1u);
  EXPECT_EQ((*recorded)[0].task_id, "t1");
  EXPECT_EQ((*recorded)[0].name, "sleep");
  EXPECT_EQ((*recorded)[0].state.state, RunState::kRunning);
  EXPECT_EQ((*recorded)[0].pid, started.pid);
  EXPECT_EQ((*recorded)[0].shim_pid, started.shim_pid);
  EXPECT_TRUE((*recorded)[0].launched_at.has_value());

  ASSERT_TRUE(restarted.Stop("t1", "sleep", 30s).ok());
  EXPECT_EQ(WaitEnded(restarted, "t1", "sleep").exit_code, 143);
}

TEST_F(ProcessDriverTest, AnExitWhileNoAgentWatchesIsRecorded) {
  fs::create_directories(Dir("t1", "gated"));
  const std::string gate = Dir("t1", "gated") + "/gate";
  ASSERT_EQ(mkfifo(gate.c_str(), 0600), 0);
  MustStart(Shell("t1", "gated", "read line < gate; exit 7"));
  driver_.reset();

  int fd = open(gate.c_str(), O_WRONLY);  // the container opens its end
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "go\n", 3), 3);
  close(fd);
  ASSERT_TRUE(WaitFor([&] { return fs::exists(Dir("t1", "gated") + "/exit"); }));

  ProcessDriver restarted(root_);
  auto state = restarted.Poll("t1", "gated");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->state, RunState::kExited);
  EXPECT_EQ(state->exit_code, 7);
}

TEST_F(ProcessDriverTest, SurvivesTheAgentProcessExiting) {
  fs::create_directories(Dir("t1", "gated"));
  const std::string gate = Dir("t1", "gated") + "/gate";
  ASSERT_EQ(mkfifo(gate.c_str(), 0600), 0);
  // A real agent process starts the container and exits.
  pid_t agent = fork();
  ASSERT_GE(agent, 0);
  if (agent == 0) {
    ProcessDriver driver(root_);
    auto started = driver.Start(Shell("t1", "gated", "read line < gate; exit 5"));
    _exit(started.ok() && started->state.state == RunState::kRunning ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(agent, &status, 0), agent);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  ProcessDriver restarted(root_);
  auto state = restarted.Poll("t1", "gated");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->state, RunState::kRunning);
  int fd = open(gate.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "go\n", 3), 3);
  close(fd);
  ContainerState ended = WaitEnded(restarted, "t1", "gated");
  EXPECT_EQ(ended.state, RunState::kExited);
  EXPECT_EQ(ended.exit_code, 5);
}

TEST_F(ProcessDriverTest, KilledShimIsLostAndTakesTheContainerWithIt) {
  StartedContainer started = MustStart(Spec("t1", "sleep", {"sleep", "1000"}));
  ASSERT_EQ(kill(started.shim_pid, SIGKILL), 0);
  ContainerState state = WaitEnded("t1", "sleep");
  EXPECT_EQ(state.state, RunState::kLost);
  EXPECT_THAT(state.message, HasSubstr("shim " + std::to_string(started.shim_pid)));
  // Parent-death SIGKILL: the main process does not outlive its shim.
  EXPECT_TRUE(WaitFor([&] { return Gone(started.pid); }));
  EXPECT_TRUE(driver_->KillTask("t1").ok());
}

TEST_F(ProcessDriverTest, KillTaskReachesWhatALostShimLeftBehind) {
  StartedContainer started =
      MustStart(Shell("t1", "tree", "sleep 1000 & echo $! > child.pid; wait"));
  pid_t grandchild = WaitForPidFile(Dir("t1", "tree") + "/child.pid");
  ASSERT_GT(grandchild, 0);
  ASSERT_EQ(kill(started.shim_pid, SIGKILL), 0);
  EXPECT_EQ(WaitEnded("t1", "tree").state, RunState::kLost);
  EXPECT_FALSE(Gone(grandchild));  // orphaned: only its session ties it to the container

  ASSERT_TRUE(driver_->KillTask("t1").ok());
  EXPECT_TRUE(WaitFor([&] { return Gone(grandchild); }));
}

TEST_F(ProcessDriverTest, MemoryLimit) {
  const std::string script = "x=$(head -c 67108864 /dev/zero | tr '\\0' a); echo ${#x}";
  ContainerSpec unlimited = Shell("t1", "unlimited", script);
  MustStart(unlimited);
  ContainerSpec limited = Shell("t1", "limited", script);
  limited.memory_mib = 16;
  StartedContainer started = MustStart(limited);
  EXPECT_TRUE(started.limits == "cgroup v2" || started.limits == "rlimit") << started.limits;

  ContainerState free_state = WaitEnded("t1", "unlimited");
  EXPECT_EQ(free_state.state, RunState::kExited);
  EXPECT_EQ(free_state.exit_code, 0);
  EXPECT_EQ(ReadFile(driver_->LogPath("t1", "unlimited", "stdout")), "67108864\n");

  ContainerState state = WaitEnded("t1", "limited");
  EXPECT_TRUE(state.state == RunState::kSignaled ||
              (state.state == RunState::kExited && state.exit_code != 0))
      << RunStateName(state.state) << " " << state.exit_code;
  EXPECT_THAT(ReadFile(driver_->LogPath("t1", "limited", "stdout")), Not(HasSubstr("67108864")));
}

TEST_F(ProcessDriverTest, RemoveTaskKillsAndDeletes) {
  StartedContainer a = MustStart(Spec("t1", "a", {"sleep", "1000"}));
  StartedContainer b = MustStart(Shell("t1", "b", "exit 0"));
  ASSERT_TRUE(driver_->RemoveTask("t1").ok());
  EXPECT_FALSE(fs::exists(root_ + "/t1"));
  EXPECT_EQ(driver_->Poll("t1", "a").status().code(), api::Code::kNotFound);
  EXPECT_TRUE(WaitFor([&] { return Gone(a.pid) && Gone(a.shim_pid); }));
  EXPECT_TRUE(driver_->RemoveTask("t1").ok());  // idempotent
  EXPECT_EQ(driver_->KillTask("t1").code(), api::Code::kNotFound);
}

TEST_F(ProcessDriverTest, RecordedListsEveryContainer) {
  MustStart(Shell("t2", "done", "exit 4"));
  MustStart(Spec("t1", "sleep", {"sleep", "1000"}));
  MustStart(Spec("t1", "broken", {"/nonexistent"}));
  EXPECT_EQ(WaitEnded("t2", "done").state, RunState::kExited);

  auto recorded = driver_->Recorded();
  ASSERT_TRUE(recorded.ok());
  ASSERT_EQ(recorded->size(), 3u);
  EXPECT_EQ((*recorded)[0].name, "broken");
  EXPECT_EQ((*recorded)[0].state.state, RunState::kExecFailed);
  EXPECT_EQ((*recorded)[1].name, "sleep");
  EXPECT_EQ((*recorded)[1].state.state, RunState::kRunning);
  EXPECT_EQ((*recorded)[2].task_id, "t2");
  EXPECT_EQ((*recorded)[2].state.exit_code, 4);
}

TEST_F(ProcessDriverTest, RejectsBadSpecs) {
  auto bad_task = driver_->Start(Shell("a/escape", "c", "true"));
  ASSERT_FALSE(bad_task.ok());
  EXPECT_EQ(bad_task.status().code(), api::Code::kInvalidArgument);
  EXPECT_EQ(bad_task.status().ToString(),
            "task_id: character '/' is not allowed (letters, digits, '_', '-', '.')");
  EXPECT_EQ(driver_->Start(Spec("t1", "c", {})).status().field(), "command");
  ContainerSpec bad_env = Shell("t1", "c", "true");
  bad_env.environment = {{"A=B", "x"}};
  EXPECT_EQ(driver_->Start(bad_env).status().field(), "environment[0].name");
  ContainerSpec negative = Shell("t1", "c", "true");
  negative.memory_mib = -1;
  EXPECT_EQ(driver_->Start(negative).status().field(), "memory_mib");
  EXPECT_EQ(driver_->Poll("t1", "nothing").status().code(), api::Code::kNotFound);
  EXPECT_EQ(driver_->Poll(".hidden", "c").status().code(), api::Code::kInvalidArgument);

  MustStart(Shell("t1", "once", "exit 0"));
  EXPECT_EQ(driver_->Start(Shell("t1", "once", "exit 0")).status().code(),
            api::Code::kAlreadyExists);
}

// The cgroup v2 path, where this machine has a writable cgroup2 mount (the default
// /sys/fs/cgroup, or the hybrid layout's /sys/fs/cgroup/unified without controllers; no limit is
// asked for so none is needed).
TEST_F(ProcessDriverTest, CgroupContainsEscapedProcesses) {
  std::string cgroup_root;
  for (const char* candidate : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    struct statfs fs_info {};
    if (statfs(candidate, &fs_info) == 0 && fs_info.f_type == 0x63677270) {
      cgroup_root = candidate;
      break;
    }
  }
  if (cgroup_root.empty()) GTEST_SKIP() << "no cgroup2 mount";
  ProcessDriverOptions options;
  options.cgroup_root = cgroup_root;
  ProcessDriver driver(root_, options);
  // The background process leaves the session and the process group; only the cgroup holds it.
  auto started = driver.Start(
      Shell("cg1", "web",
            "cat /proc/self/cgroup; setsid sh -c 'echo $$ > escaped.pid; exec sleep 1000' & wait"));
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  if (started->limits != "cgroup v2") {
    EXPECT_TRUE(driver.RemoveTask("cg1").ok());
    GTEST_SKIP() << cgroup_root << " is not writable for containers";
  }
  EXPECT_EQ(started->cgroup, cgroup_root + "/gantry/cg1-web");
  pid_t escaped = WaitForPidFile(Dir("cg1", "web") + "/escaped.pid");
  ASSERT_GT(escaped, 0);
  EXPECT_THAT(ReadFile(driver.LogPath("cg1", "web", "stdout")), HasSubstr("::/gantry/cg1-web\n"));
  auto stat = internal::ReadProcStat(escaped);
  ASSERT_TRUE(stat.has_value());
  EXPECT_NE(stat->pgrp, started->pid);

  const bool has_kill = fs::exists(started->cgroup + "/cgroup.kill");  // Linux >= 5.14

  ASSERT_TRUE(driver.Stop("cg1", "web", 30s).ok());
  EXPECT_EQ(WaitEnded(driver, "cg1", "web").exit_code, 143);
  if (!has_kill) {
    kill(escaped, SIGKILL);
    GTEST_SKIP() << "no cgroup.kill: escaped processes are not contained";
  }
  EXPECT_TRUE(Gone(escaped));
  EXPECT_FALSE(fs::exists(started->cgroup));  // removed before the exit was recorded
}

}  // namespace
}  // namespace gantry::agent
