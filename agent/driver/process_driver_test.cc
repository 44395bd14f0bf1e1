#include "agent/driver/process_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
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
  // The container's own directory, its default working directory.
  std::string Work(const std::string& task, const std::string& name) {
    return Dir(task, name) + "/work";
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

// `ps` tells a shim from an agent: its name and arguments are its own, not the agent's.
TEST_F(ProcessDriverTest, AShimShowsItsOwnProcessTitle) {
  StartedContainer started = MustStart(Shell("t-title", "web", "sleep 5"));
  const std::string proc = "/proc/" + std::to_string(started.shim_pid);
  EXPECT_EQ(ReadFile(proc + "/comm"), "gantry-shim\n");
  const std::string cmdline = ReadFile(proc + "/cmdline");
  const std::string shown = cmdline.substr(0, cmdline.find('\0'));
  const std::string title = "gantry-shim t-title web";
  // Cut to the agent's own argument area when that is shorter (this test binary's is not).
  EXPECT_TRUE(title.starts_with(shown) && shown.size() >= 11) << shown;
  EXPECT_EQ(shown, title);
  ASSERT_TRUE(driver_->Stop("t-title", "web", std::chrono::seconds(5)).ok());
  WaitEnded("t-title", "web");
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
  fs::create_directories(Work("t1", "relative") + "/sub/dir");
  // Made here as root: the task's user must be able to delete it when the task goes.
  fs::permissions(Work("t1", "relative") + "/sub", fs::perms::all);
  ContainerSpec relative = Shell("t1", "relative", "pwd");
  relative.working_directory = "sub/dir";
  MustStart(relative);
  ContainerSpec absolute = Shell("t1", "absolute", "pwd");
  absolute.working_directory = "/";
  MustStart(absolute);

  for (const char* name : {"default", "relative", "absolute"}) {
    EXPECT_EQ(WaitEnded("t1", name).state, RunState::kExited) << name;
  }
  EXPECT_EQ(ReadFile(driver_->LogPath("t1", "default", "stdout")), Work("t1", "default") + "\n");
  EXPECT_EQ(ReadFile(driver_->LogPath("t1", "relative", "stdout")),
            Work("t1", "relative") + "/sub/dir\n");
  EXPECT_EQ(ReadFile(driver_->LogPath("t1", "absolute", "stdout")), "/\n");
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

  fs::create_directories(Work("t1", "noexec"));
  std::ofstream(Work("t1", "noexec") + "/script.sh") << "echo hi\n";
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
            "chdir \"" + Work("t1", "nodir") + "/does/not/exist\": No such file or directory");
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
  ASSERT_TRUE(WaitFor([&] { return fs::exists(Work("t1", "stubborn") + "/ready"); }));
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
  pid_t grandchild = WaitForPidFile(Work("t1", "tree") + "/child.pid");
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
  pid_t grandchild = WaitForPidFile(Work("t1", "leaver") + "/child.pid");
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

// A fifo in the container's directory that the task (maybe another user) can open.
std::string MakeGate(const std::string& work) {
  fs::create_directories(work);
  const std::string gate = work + "/gate";
  EXPECT_EQ(mkfifo(gate.c_str(), 0600), 0);
  EXPECT_EQ(chmod(gate.c_str(), 0666), 0);
  return gate;
}

TEST_F(ProcessDriverTest, AnExitWhileNoAgentWatchesIsRecorded) {
  const std::string gate = MakeGate(Work("t1", "gated"));
  MustStart(Shell("t1", "gated", "read line < gate; echo \"after the agent left: $line\"; exit 7"));
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
  // The shim kept copying the output with no agent around.
  EXPECT_EQ(ReadFile(restarted.LogPath("t1", "gated", "stdout")), "after the agent left: go\n");
}

TEST_F(ProcessDriverTest, SurvivesTheAgentProcessExiting) {
  const std::string gate = MakeGate(Work("t1", "gated"));
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
  pid_t grandchild = WaitForPidFile(Work("t1", "tree") + "/child.pid");
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

// The task's user owns its work directory and can reshape it while the agent removes it, so a
// root agent deletes its contents with that user's rights only: what the user may not delete
// stays (here a file root put there), where root's own removal would have deleted it.
TEST_F(ProcessDriverTest, RemoveTaskDeletesWorkDirectoriesWithTheirOwnersRights) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: without it tasks run as the agent";
  MustStart(Shell("t1", "maker", "mkdir -p deep/er && touch deep/er/file && ln -s / root-link"));
  ASSERT_EQ(WaitEnded("t1", "maker").state, RunState::kExited);
  // Something the task's user may not delete, placed by root in a root-owned directory.
  const std::string guarded = Work("t1", "maker") + "/guarded";
  ASSERT_TRUE(fs::create_directory(guarded));
  std::ofstream(guarded + "/keep") << "root's\n";

  api::Status removed = driver_->RemoveTask("t1");
  EXPECT_EQ(removed.code(), api::Code::kInternal) << removed.ToString();
  EXPECT_THAT(removed.message(), HasSubstr("/work (emptied as uid "));
  EXPECT_FALSE(fs::exists(root_ + "/t1")) << "moved aside";
  bool kept = false;
  for (const auto& entry : fs::directory_iterator(root_)) {
    const std::string work = entry.path().string() + "/maker/work";
    if (!fs::exists(work)) continue;
    EXPECT_TRUE(fs::exists(work + "/guarded/keep"));
    EXPECT_FALSE(fs::exists(work + "/deep")) << "the task's own files went";
    EXPECT_FALSE(fs::is_symlink(fs::symlink_status(work + "/root-link")));
    kept = true;
    fs::remove_all(work + "/guarded");
  }
  EXPECT_TRUE(kept);
  EXPECT_TRUE(fs::exists("/etc/passwd"));
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
  pid_t escaped = WaitForPidFile(Work("cg1", "web") + "/escaped.pid");
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

// ---- whom tasks run as ----

// The uid, gid and groups a task reports, and whether it can write its directory and read the
// agent's records one level up.
constexpr const char* kWhoAmI =
    "id -u; id -g; id -G; touch mine && echo wrote; "
    "if cat ../state >/dev/null 2>&1; then echo read-the-state; else echo no-state; fi";

std::string Ids(uid_t uid, gid_t gid) {
  return std::to_string(uid) + "\n" + std::to_string(gid) + "\n" + std::to_string(gid) + "\n";
}

// Supplementary groups of this process while a test runs (the agent's groups, which a task must
// not inherit).
class ScopedGroups {
 public:
  explicit ScopedGroups(std::vector<gid_t> groups) {
    saved_.resize(static_cast<size_t>(getgroups(0, nullptr)));
    saved_.resize(static_cast<size_t>(getgroups(static_cast<int>(saved_.size()), saved_.data())));
    ok_ = setgroups(groups.size(), groups.data()) == 0;
  }
  ~ScopedGroups() { setgroups(saved_.size(), saved_.data()); }
  bool ok() const { return ok_; }

 private:
  std::vector<gid_t> saved_;
  bool ok_ = false;
};

TEST_F(ProcessDriverTest, RootRunsTasksWithoutUserAsNobodyWithNoOtherGroups) {
  if (geteuid() != 0)
    GTEST_SKIP() << "needs root: an agent not running as root runs tasks as itself";
  struct passwd* nobody = getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  const uid_t uid = nobody->pw_uid;
  const gid_t gid = nobody->pw_gid;
  {
    ScopedGroups groups({4242, 0});
    ASSERT_TRUE(groups.ok());
    MustStart(Shell("t1", "who", kWhoAmI));
  }
  ContainerState state = WaitEnded("t1", "who");
  EXPECT_EQ(state.state, RunState::kExited) << state.message;
  EXPECT_EQ(ReadFile(driver_->LogPath("t1", "who", "stdout")), Ids(uid, gid) + "wrote\nno-state\n");
  struct stat work {};
  ASSERT_EQ(stat(Work("t1", "who").c_str(), &work), 0);
  EXPECT_EQ(work.st_uid, uid);
  EXPECT_EQ(work.st_gid, gid);
  EXPECT_EQ(work.st_mode & 07777, 0700u);
  struct stat dir {};
  ASSERT_EQ(stat(Dir("t1", "who").c_str(), &dir), 0);
  EXPECT_EQ(dir.st_uid, 0u);
  EXPECT_EQ(dir.st_mode & 077, 0u) << "the records' directory is the agent's alone";
}

TEST_F(ProcessDriverTest, TheDefinitionsUserIsHonoured) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run tasks as another user";
  ContainerSpec spec = Shell("t1", "numeric", kWhoAmI);
  spec.user = "1234:1234";
  MustStart(spec);
  ProcessDriverOptions options;
  options.task_user = "1234:4321";  // the default, for containers without a user
  ProcessDriver other_default(root_, options);
  auto started = other_default.Start(Shell("t1", "default", kWhoAmI));
  ASSERT_TRUE(started.ok()) << started.status().ToString();

  EXPECT_EQ(WaitEnded("t1", "numeric").state, RunState::kExited);
  EXPECT_EQ(ReadFile(driver_->LogPath("t1", "numeric", "stdout")),
            Ids(1234, 1234) + "wrote\nno-state\n");
  EXPECT_EQ(WaitEnded("t1", "default").state, RunState::kExited);
  EXPECT_EQ(ReadFile(driver_->LogPath("t1", "default", "stdout")),
            "1234\n4321\n4321\nwrote\nno-state\n");
}

TEST_F(ProcessDriverTest, RootOnlyWhenTheDefinitionAsksAndTheAgentAllows) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  ContainerSpec spec = Shell("t1", "root", "id -u");
  spec.user = "root";
  auto refused = driver_->Start(spec);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), api::Code::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "container root: user \"root\" is 0:0 (root), and uid or gid 0 is root: the agent "
            "runs tasks as root only when started with --allow-root-tasks");
  EXPECT_FALSE(fs::exists(Dir("t1", "root"))) << "nothing is started";

  ContainerSpec unknown = Shell("t1", "unknown", "id -u");
  unknown.user = "gantry-no-such-user";
  auto not_found = driver_->Start(unknown);
  ASSERT_FALSE(not_found.ok());
  EXPECT_THAT(not_found.status().message(), HasSubstr("no user \"gantry-no-such-user\""));

  ProcessDriverOptions options;
  options.allow_root_tasks = true;
  ProcessDriver allowing(root_, options);
  auto started = allowing.Start(spec);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(WaitEnded(allowing, "t1", "root").state, RunState::kExited);
  EXPECT_EQ(ReadFile(allowing.LogPath("t1", "root", "stdout")), "0\n");
  // Even then, a container without a user does not run as root.
  auto plain = allowing.Start(Shell("t1", "plain", "id -u"));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(WaitEnded(allowing, "t1", "plain").state, RunState::kExited);
  EXPECT_NE(ReadFile(allowing.LogPath("t1", "plain", "stdout")), "0\n");
}

// An agent not running as root (as root, a forked "agent" first becomes nobody).
TEST_F(ProcessDriverTest, AnAgentNotRunningAsRootRunsTasksOnlyAsItself) {
  // Its own root, outside root_ (which only root may enter).
  std::string pattern = ::testing::TempDir() + "gantry-unprivileged-XXXXXX";
  ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "mkdtemp: " << errno;
  const std::string root = pattern;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{root};
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (uid == 0) {
    struct passwd* nobody = getpwnam("nobody");
    ASSERT_NE(nobody, nullptr);
    uid = nobody->pw_uid;
    gid = nobody->pw_gid;
    ASSERT_EQ(chown(root.c_str(), uid, gid), 0);
  }
  pid_t agent = fork();
  ASSERT_GE(agent, 0);
  if (agent == 0) {
    if (geteuid() == 0 && (setgroups(0, nullptr) != 0 || setresgid(gid, gid, gid) != 0 ||
                           setresuid(uid, uid, uid) != 0)) {
      _exit(10);
    }
    ProcessDriver driver(root);
    ContainerSpec other = Shell("t1", "other", "true");
    other.user = std::to_string(uid + 1);
    auto refused = driver.Start(other);
    if (refused.ok() || refused.status().code() != api::Code::kFailedPrecondition ||
        refused.status().message().find("can run tasks only as itself") == std::string::npos) {
      _exit(11);
    }
    ContainerSpec self = Shell("t1", "self", "id -u; id -g");
    self.user = std::to_string(uid);
    auto started = driver.Start(self);
    if (!started.ok()) _exit(12);
    auto plain = driver.Start(Shell("t1", "plain", "id -u; id -g"));
    if (!plain.ok()) _exit(13);
    bool ended = WaitFor([&] {
      auto a = driver.Poll("t1", "self");
      auto b = driver.Poll("t1", "plain");
      return a.ok() && b.ok() && a->state == RunState::kExited && b->state == RunState::kExited;
    });
    _exit(ended ? 0 : 14);
  }
  int status = 0;
  ASSERT_EQ(waitpid(agent, &status, 0), agent);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_EQ(WEXITSTATUS(status), 0);
  const std::string expected = std::to_string(uid) + "\n" + std::to_string(gid) + "\n";
  EXPECT_EQ(ReadFile(root + "/t1/self/stdout.log"), expected);
  EXPECT_EQ(ReadFile(root + "/t1/plain/stdout.log"), expected);
}

TEST_F(ProcessDriverTest, EnvironmentNamesWithEqualsOrNulNeverReachExecve) {
  for (const std::string& name :
       {std::string("A=B"), std::string("=A"), std::string("A\0B", 3), std::string()}) {
    ContainerSpec spec = Shell("t1", "env", "env");
    spec.environment = {{"OK", "1"}, {name, "x"}};
    auto started = driver_->Start(spec);
    ASSERT_FALSE(started.ok()) << name;
    EXPECT_EQ(started.status().code(), api::Code::kInvalidArgument);
    EXPECT_EQ(started.status().ToString(),
              "environment[1].name: must be non-empty without '=' or NUL");
    EXPECT_FALSE(fs::exists(Dir("t1", "env")));
  }
}

// ---- output rotation ----

std::vector<std::string> LogFiles(const std::string& dir, const std::string& stream) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(stream + ".")) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Reads the stream from `from` to its end as ReadLog hands it out; `skipped` counts the bytes
// that were rotated away before they were read.
std::string ReadToEnd(const ProcessDriver& driver, const std::string& task, const std::string& name,
                      const std::string& stream, int64_t& from, int64_t* skipped = nullptr) {
  std::string all;
  for (;;) {
    auto read = driver.ReadLog(task, name, stream, from, 256 << 10);
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    if (!read.ok()) break;
    EXPECT_GE(read->offset, from);
    if (skipped) *skipped += read->offset - from;
    if (read->data.empty()) break;
    all += read->data;
    from = read->offset + static_cast<int64_t>(read->data.size());
  }
  return all;
}

TEST_F(ProcessDriverTest, LogsRotateWithinTheLimit) {
  ProcessDriverOptions options;
  options.log_max_size = 1 << 20;
  options.log_max_files = 2;
  ProcessDriver driver(root_, options);
  // 60 MB on stdout, 3 MB on stderr, then a last line on each.
  auto started = driver.Start(Shell("t1", "chatty",
                                    "head -c 60000000 /dev/zero; echo LAST-OUT; "
                                    "head -c 3000000 /dev/zero >&2; echo LAST-ERR >&2"));
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  ContainerState state = WaitEnded(driver, "t1", "chatty", 60s);
  ASSERT_EQ(state.state, RunState::kExited) << state.message;

  const std::string dir = Dir("t1", "chatty");
  for (const char* stream : {"stdout", "stderr"}) {
    const std::string s = stream;
    EXPECT_EQ(LogFiles(dir, s), (std::vector<std::string>{s + ".index", s + ".log", s + ".log.1"}));
    int64_t total = 0;
    for (const char* file : {".log", ".log.1"}) {
      int64_t size = static_cast<int64_t>(fs::file_size(dir + "/" + s + file));
      EXPECT_LE(size, 1 << 20) << s << file;
      total += size;
    }
    EXPECT_EQ(fs::file_size(dir + "/" + s + ".log.1"), 1u << 20) << "rotated when full";

    // What is left is the end of the stream, at its offsets in the stream.
    const int64_t length = s == "stdout" ? 60000000 + 9 : 3000000 + 9;
    int64_t from = 0, skipped = 0;
    std::string tail = ReadToEnd(driver, "t1", "chatty", s, from, &skipped);
    EXPECT_EQ(from, length);
    EXPECT_EQ(skipped, length - total);
    EXPECT_EQ(static_cast<int64_t>(tail.size()), total);
    EXPECT_TRUE(tail.ends_with(s == "stdout" ? "LAST-OUT\n" : "LAST-ERR\n"));
    EXPECT_EQ(tail.find_first_not_of('\0'), tail.size() - 9);
  }
}

// The byte at offset `q` of `seq -f %015.0f 0 16 N`: each line holds its own offset.
char SeqByte(int64_t q) {
  if (q % 16 == 15) return '\n';
  char line[32];
  std::snprintf(line, sizeof line, "%015lld", static_cast<long long>(q - q % 16));
  return line[q % 16];
}

TEST_F(ProcessDriverTest, ReadLogFollowsRotationsWhileTheTaskWrites) {
  ProcessDriverOptions options;
  options.log_max_size = 64 << 10;
  options.log_max_files = 3;
  ProcessDriver driver(root_, options);
  constexpr int64_t kLength = 16 * 1'000'000;
  auto started = driver.Start(Spec("t1", "seq", {"seq", "-f", "%015.0f", "0", "16", "15999984"}));
  ASSERT_TRUE(started.ok()) << started.status().ToString();

  int64_t from = 0, read = 0, skipped = 0;
  auto check = [&](const LogRead& r) {
    for (size_t i = 0; i < r.data.size(); ++i) {
      if (r.data[i] != SeqByte(r.offset + static_cast<int64_t>(i))) {
        ADD_FAILURE() << "byte " << r.offset + static_cast<int64_t>(i) << " is wrong";
        return false;
      }
    }
    return true;
  };
  bool consistent = true;
  bool ended = false;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (consistent && std::chrono::steady_clock::now() < deadline) {
    // Whether it had ended before this read: then the read sees everything.
    if (!ended) {
      auto state = driver.Poll("t1", "seq");
      ended = state.ok() && state->state != RunState::kRunning;
    }
    auto r = driver.ReadLog("t1", "seq", "stdout", from, 64 << 10);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_GE(r->offset, from);
    skipped += r->offset - from;
    consistent = check(*r);
    read += static_cast<int64_t>(r->data.size());
    from = r->offset + static_cast<int64_t>(r->data.size());
    if (r->data.empty() && ended) break;
  }
  EXPECT_EQ(driver.Poll("t1", "seq")->exit_code, 0);
  EXPECT_EQ(from, kLength);
  EXPECT_EQ(read + skipped, kLength);
  EXPECT_GE(read, 3 * (64 << 10) - 16) << "at least what was left on disk";
}

TEST_F(ProcessDriverTest, ReadLogOfAContainerWithoutIndexStartsAtZero) {
  MustStart(Shell("t1", "old", "echo one; echo two"));
  EXPECT_EQ(WaitEnded("t1", "old").state, RunState::kExited);
  // As a container started by an agent that did not rotate.
  ASSERT_TRUE(fs::remove(Dir("t1", "old") + "/stdout.index"));
  auto r = driver_->ReadLog("t1", "old", "stdout", 4, 100);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->offset, 4);
  EXPECT_EQ(r->data, "two\n");
  EXPECT_EQ(driver_->ReadLog("t1", "old", "stdin", 0, 100).status().code(),
            api::Code::kInvalidArgument);
  EXPECT_EQ(driver_->ReadLog("t1", "nothing", "stdout", 0, 100).status().code(),
            api::Code::kNotFound);
}

}  // namespace
}  // namespace gantry::agent
