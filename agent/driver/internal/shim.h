#pragma once

// The code that runs after the agent forks: the intermediate child, the shim and the container
// process before its execve. The agent is multi-threaded and the shim never execs, so everything
// here is limited to async-signal-safe calls (plus raw system calls that take no libc lock:
// pipe2, prctl, waitid, close_range) on memory the agent prepared in a LaunchPlan before fork():
// no allocation, no stdio, no locale, no strerror.
//
//   agent ──fork──▶ intermediate: setsid(), _Fork(), _exit(0)      (the agent reaps it at once)
//                      └──_Fork──▶ shim: subreaper, stdio on /dev/null, closes every other fd
//                                   └──_Fork──▶ container: setpgid(0,0), parent-death SIGKILL,
//                                              waits for the agent's "go", chdir, cgroup/rlimit,
//                                              stdio to the logs, execve
//
// Messages on the report pipe (shim → agent), fixed-size ShimMessage records:
//   1. kPids: the shim's and the container's pids (or a fork error)
//   2. kExecResult: kStageNone once execve succeeded (the CLOEXEC pipe closed), or the failing
//      stage and errno; on failure the exit file is written before this message is sent.
// The agent writes the state file between the two and then one byte on the go socket; a container
// whose agent vanished before that (EOF on go) is never exec'ed.

#include <sys/resource.h>
#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace gantry::agent::internal {

enum Stage : int32_t {
  kStageNone = 0,
  kStageExec,
  kStageChdir,
  kStageCgroup,
  kStageRlimit,
  kStageStdio,
  kStageAborted,  // the agent went away before recording the container
  kStageFork,     // the shim could not fork the container process
  kStageCount,
};

enum MessageKind : int32_t { kPids = 1, kExecResult = 2 };

struct ShimMessage {
  int32_t kind = 0;
  int32_t shim_pid = 0;
  int32_t child_pid = 0;
  int32_t stage = kStageNone;
  int32_t error = 0;  // errno
};

// Everything the forked code reads. Pointers point into storage the agent keeps alive across
// fork() (the child has its own copy of it).
struct LaunchPlan {
  const char* exec_path = nullptr;  // nullptr: not found on PATH, reported as ENOENT
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* work_dir = nullptr;
  const char* cgroup_dir = nullptr;    // nullptr: no cgroup
  const char* cgroup_procs = nullptr;  // <cgroup_dir>/cgroup.procs
  const char* cgroup_kill = nullptr;   // <cgroup_dir>/cgroup.kill
  rlim_t data_limit = 0;               // RLIMIT_DATA in bytes; 0: none

  int dir_fd = -1;  // the container directory; the exit file is written relative to it
  int devnull_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  int report_fd = -1;  // write end, shim → agent
  int go_fd = -1;      // read end of the go socket, agent → container
  int control_signal = 0;
  int fd_limit = 1024;  // upper bound for closing fds when close_range is missing

  // What each stage was doing, for the exit file's "during" line (already escaped).
  std::array<const char*, kStageCount> during{};
  // strerror texts indexed by errno (nullptr beyond errno_text_size).
  const char* const* errno_text = nullptr;
  int errno_text_size = 0;
  // Where the shim formats the exit file.
  char* exit_buffer = nullptr;
  size_t exit_buffer_size = 0;
};

// Runs in the agent's child right after fork(); never returns.
[[noreturn]] void RunIntermediate(const LaunchPlan& plan);

}  // namespace gantry::agent::internal
