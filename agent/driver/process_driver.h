#pragma once

// The process driver of gantry-agent: runs each container of a task as a Linux process under a
// small per-container shim (containerd-shim style), so the exit code is recorded even while the
// agent is down and a restarted agent re-adopts what is running. Everything the driver knows lives
// in files under root_dir; a ProcessDriver object holds no container state, so a new one over the
// same directory (an agent restart) sees exactly what the old one saw. Pipeline and decisions:
// agent/driver/README.md.
//
// Thread safety: every method may be called from any thread. Starts are serialized process-wide
// (they fork); the other methods only read files and send signals.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/status/status.h"

namespace gantry::agent {

struct ContainerSpec {
  // [A-Za-z0-9_.-], 1..200 characters, not starting with '.': they name directories.
  std::string task_id;
  std::string name;
  // argv. command[0] without a '/' is looked up in the task's PATH (or the default PATH) before
  // the process is started, as execvp would.
  std::vector<std::string> command;
  // The process's whole environment (nothing of the agent's is inherited); a later entry wins
  // over an earlier one of the same name. PATH=/usr/local/bin:/usr/bin:/bin is added if missing.
  std::vector<std::pair<std::string, std::string>> environment;
  // "" runs in the container's own directory (<root>/<task>/<container>/work, owned by the task's
  // user); a relative path is relative to it. Entered as the task's user.
  std::string working_directory;
  // The container definition's `user` ("name", "uid", "uid:gid", "name:group", ...); "" for the
  // driver's default task user. See task_user.h for who may run as whom.
  std::string user;
  int64_t memory_mib = 0;  // hard limit; 0 means none
  int64_t cpu_units = 0;   // 1024 per core, a relative weight; 0 means the default weight
};

enum class RunState { kRunning, kExited, kSignaled, kExecFailed, kLost };
const char* RunStateName(RunState state);

struct ContainerState {
  RunState state = RunState::kLost;
  // kExited: the process's exit code; kSignaled: 128 + signal, as docker reports it.
  int exit_code = 0;
  int signal = 0;  // kSignaled
  // kExecFailed: what failed, e.g. `exec "nosuch": No such file or directory`; kLost: why the
  // driver cannot tell what happened.
  std::string message;
  // When the shim recorded the end (kExited, kSignaled, kExecFailed).
  std::optional<std::chrono::system_clock::time_point> finished_at;
};

struct StartedContainer {
  int shim_pid = 0;
  int pid = 0;  // the container's main process, also its process group id
  // How memory_mib / cpu_units are enforced: "cgroup v2" (the container runs in `cgroup`),
  // "rlimit" (RLIMIT_DATA; no cpu weight) or "none" (no limit was asked for and no cgroup v2).
  std::string limits;
  std::string cgroup;
  // kRunning once execve succeeded, or kExecFailed; the same value Poll reports at that moment.
  ContainerState state;
};

struct RecordedContainer {
  std::string task_id;
  std::string name;
  ContainerState state;
  int shim_pid = 0;  // 0 if the container was never recorded (the agent stopped mid-Start)
  int pid = 0;
  std::string limits;
  std::string cgroup;
  std::optional<std::chrono::system_clock::time_point> launched_at;
};

struct ProcessDriverOptions {
  // Where cgroup v2 is mounted; containers get <cgroup_root>/gantry/<task>-<container> when it is
  // a writable cgroup2 mount with the controllers a container needs. "" disables cgroups.
  std::string cgroup_root = "/sys/fs/cgroup";
  // How long Start waits for the shim's reports (the fork and the exec) before giving up.
  std::chrono::seconds start_timeout{30};
  // Whom containers without a `user` run as when the driver runs as root (--task-user), and
  // whether a container may ask for root (--allow-root-tasks).
  std::string task_user = "nobody";
  bool allow_root_tasks = false;
  // Each output stream is rotated at log_max_size bytes into log_max_files files in all
  // (stdout.log, stdout.log.1, ...), as Docker's json-file driver does with max-size/max-file.
  int64_t log_max_size = int64_t{10} << 20;
  int log_max_files = 2;
};

inline constexpr int64_t kMinLogMaxSize = 1024;
inline constexpr int64_t kMaxLogMaxSize = int64_t{1} << 40;
inline constexpr int kMaxLogMaxFiles = 64;

// A piece of a container's output stream, by offset in the stream (every byte the container
// wrote to it since it started, rotated files included).
struct LogRead {
  // Where `data` starts: the offset asked for, or a later one when the bytes from there on were
  // rotated away before anyone read them (they are lost).
  int64_t offset = 0;
  std::string data;  // empty when there is nothing new
};

class ProcessDriver {
 public:
  explicit ProcessDriver(std::string root_dir);
  ProcessDriver(std::string root_dir, ProcessDriverOptions options);

  // Starts the container and returns once execve has succeeded or failed. The error statuses are
  // about the driver (kInvalidArgument with the field, kAlreadyExists for a container started
  // before, kInternal/kUnavailable for I/O and fork failures); an exec failure is an outcome of
  // the container, reported in StartedContainer::state and by Poll.
  api::StatusOr<StartedContainer> Start(const ContainerSpec& spec);

  // The container's state, read from its directory: kNotFound if it was never started.
  api::StatusOr<ContainerState> Poll(std::string_view task_id, std::string_view name) const;

  // Sends `sig` to the container's process group. The shim delivers it, so it never reaches a
  // recycled pid. kFailedPrecondition once the container has ended.
  api::Status Signal(std::string_view task_id, std::string_view name, int sig) const;

  // SIGTERM to the process group now and SIGKILL stop_timeout later if the main process is still
  // alive. Never blocks: the shim owns the deadline (so it holds across an agent restart); poll
  // until the state is no longer kRunning. A timeout <= 0 sends SIGKILL at once. OK (and nothing
  // sent) if the container has already ended.
  api::Status Stop(std::string_view task_id, std::string_view name,
                   std::chrono::seconds stop_timeout) const;

  // SIGKILL to every process still recorded for the task, including those of a container whose
  // shim is lost. Does not wait. kNotFound if the task has no directory.
  api::Status KillTask(std::string_view task_id) const;

  // KillTask, then deletes the task directory (logs included) and any cgroup left behind. Does
  // not wait for the processes to be reaped; a shim that ends later finds its directory gone and
  // records nothing. OK if the task does not exist.
  api::Status RemoveTask(std::string_view task_id) const;

  // Every container found under root_dir with its state, ordered by task then name: what a
  // restarted agent re-adopts.
  api::StatusOr<std::vector<RecordedContainer>> Recorded() const;

  // Up to `max` bytes of the container's stdout or stderr from stream offset `from` on, from the
  // current log file or a rotated one; never more than one file's worth per call. kNotFound if
  // the container was never started.
  api::StatusOr<LogRead> ReadLog(std::string_view task_id, std::string_view name,
                                 std::string_view stream, int64_t from, size_t max) const;

  // <root>/<task>/<container>/stdout.log or stderr.log (stream is "stdout" or "stderr"), the
  // current file of the stream; "" for an invalid id or stream.
  std::string LogPath(std::string_view task_id, std::string_view name,
                      std::string_view stream) const;

  const std::string& root_dir() const { return root_dir_; }

 private:
  std::string root_dir_;
  ProcessDriverOptions options_;
  std::string boot_id_;
};

}  // namespace gantry::agent
