#pragma once

// The code that runs after the agent forks: the intermediate child, the shim and the container
// process before its execve. The agent is multi-threaded and the shim never execs, so everything
// here is limited to async-signal-safe calls (plus raw system calls that take no libc lock:
// pipe2, prctl, waitid, close_range, setgroups, setresgid, setresuid) on memory the agent
// prepared in a LaunchPlan before fork(): no allocation, no stdio, no locale, no strerror.
//
//   agent ──fork──▶ intermediate: setsid(), _Fork(), _exit(0)      (the agent reaps it at once)
//                      └──_Fork──▶ shim: subreaper, stdio on /dev/null, closes every other fd
//                                   └──_Fork──▶ container: setpgid(0,0), parent-death SIGKILL,
//                                              waits for the agent's "go", cgroup/rlimit,
//                                              stdio to the output pipes, drops to the task's
//                                              user, chdir, execve
//
// Messages on the report pipe (shim → agent), fixed-size ShimMessage records:
//   1. kPids: the shim's and the container's pids (or a fork error)
//   2. kExecResult: kStageNone once execve succeeded (the CLOEXEC pipe closed), or the failing
//      stage and errno; on failure the exit file is written before this message is sent.
// The agent writes the state file between the two and then one byte on the go socket; a container
// whose agent vanished before that (EOF on go) is never exec'ed.
//
// Output: the container's stdout and stderr are pipes the shim drains into <stream>.log, which it
// rotates at log_max_size into <stream>.log.1 ... (log_max_files files per stream in all), so a
// chatty task cannot fill the disk and rotation needs no agent. <stream>.index says where each
// file starts in the stream (records.h); the shim rewrites it before it renames or deletes a file.

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
  kStageUser,     // setgroups, setresgid or setresuid
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

// One output stream of the container. The shim's copy of the plan updates `size` and the file
// list as it writes and rotates.
struct LogStream {
  int read_fd = -1;   // the shim's end of the pipe
  int write_fd = -1;  // the container's stdout or stderr
  int file_fd = -1;   // <stream>.log, created by the agent
  int64_t size = 0;   // bytes in the current file
  // names[i] is the i-th newest file: "stdout.log", "stdout.log.1", ... (log_max_files names).
  const char* const* names = nullptr;
  const char* new_name = nullptr;    // "stdout.log.new": the next file until it becomes names[0]
  const char* index_name = nullptr;  // "stdout.index"
  const char* index_tmp = nullptr;   // "stdout.index.tmp"
  // Newest first, `files` of them in use: each file's inode and where it starts in the stream.
  uint64_t* inodes = nullptr;
  int64_t* offsets = nullptr;
  int files = 0;
  char* index_buffer = nullptr;
  size_t index_buffer_size = 0;
};

// Everything the forked code reads. Pointers point into storage the agent keeps alive across
// fork() (the child has its own copy of it).
struct LaunchPlan {
  const char* exec_path = nullptr;  // nullptr: not found on PATH, reported as ENOENT
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* cgroup_dir = nullptr;    // nullptr: no cgroup
  const char* cgroup_procs = nullptr;  // <cgroup_dir>/cgroup.procs
  const char* cgroup_kill = nullptr;   // <cgroup_dir>/cgroup.kill
  rlim_t data_limit = 0;               // RLIMIT_DATA in bytes; 0: none

  // The task's user: when change_user, the container drops supplementary groups, then sets its
  // gid and uid, after joining the cgroup and before chdir and execve.
  bool change_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  int work_fd = -1;                  // the container's own directory, entered with fchdir
  const char* chdir_path = nullptr;  // then this (relative to it, or absolute); nullptr: stay

  int dir_fd = -1;  // the container directory; the exit file is written relative to it
  int devnull_fd = -1;
  LogStream streams[2];  // stdout, stderr
  int64_t log_max_size = 0;
  int log_max_files = 1;
  char* pump_buffer = nullptr;  // what one read from a pipe carries
  size_t pump_buffer_size = 0;
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

  // The shim's process title (`gantry-shim TASK CONTAINER`), written over the agent's argument
  // area it inherited (what `ps` shows), cut to fit; no area: only its name (comm) changes.
  const char* title = nullptr;
  char* title_area = nullptr;
  size_t title_area_size = 0;
};

// Runs in the agent's child right after fork(); never returns.
[[noreturn]] void RunIntermediate(const LaunchPlan& plan);

}  // namespace gantry::agent::internal
