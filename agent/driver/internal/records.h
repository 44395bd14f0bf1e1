#pragma once

// The record files of a container directory and the /proc line the pid-reuse guard reads. They
// are "key: value" lines, one fact per line, so a person can read them and an older agent skips
// keys it does not know. Values are escaped (\\ and \n) so a path cannot break a line.
//
//   state (written by the agent once the shim has forked the container, before it may exec):
//     format: 1
//     boot-id: 5b0c...            /proc/sys/kernel/random/boot_id when started
//     shim-pid: 4242
//     shim-start-time: 946975     /proc/<shim>/stat field 22 (clock ticks since boot)
//     session-id: 4241            the intermediate child's pid: the session of every process
//     pid: 4243                   the main process, also its process group id
//     launched-unix-ms: 1700000000000
//     control-signal: 37          the real-time signal the shim takes requests on
//     limits: cgroup v2
//     cgroup: /sys/fs/cgroup/gantry/t1-web
//     command: /usr/bin/sleep
//
//   exit (written by the shim, temp file + rename, when the main process has ended):
//     exit-code: 3        |  signal: 15      |  exec-error: No such file or directory
//                                            |  errno: 2
//                                            |  during: exec "nosuch"
//     finished-unix-ms: 1700000000123
//
//   stdout.index, stderr.index (written by the agent before the container starts, then by the shim
//   at each rotation, temp file + rename, before any file is renamed or deleted): where each log
//   file of the stream starts in the stream, newest first. A file is known by its inode, not its
//   name, because names shift at each rotation while a file's start never changes:
//     stdout.log: inode=1839 offset=62914560
//     stdout.log.1: inode=1838 offset=52428800

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/status/status.h"

namespace gantry::agent::internal {

struct StateRecord {
  int format = 1;
  std::string boot_id;
  int shim_pid = 0;
  uint64_t shim_start_time = 0;
  int session_id = 0;
  int pid = 0;
  int64_t launched_unix_ms = 0;
  int control_signal = 0;
  std::string limits;
  std::string cgroup;
  std::string command;
};

std::string FormatState(const StateRecord& record);
api::StatusOr<StateRecord> ParseState(std::string_view text);

struct ExitRecord {
  enum class Kind { kExited, kSignaled, kExecError };
  Kind kind = Kind::kExited;
  int exit_code = 0;  // kExited
  int signal = 0;     // kSignaled
  // kExecError: the errno text (or the reason when there is no errno), the errno and the step
  // that failed, e.g. `exec "nosuch"` or `chdir "/srv/app"`.
  std::string error;
  int error_number = 0;
  std::string during;
  int64_t finished_unix_ms = 0;
};

api::StatusOr<ExitRecord> ParseExit(std::string_view text);

struct LogSegment {
  std::string name;  // when the index was written
  uint64_t inode = 0;
  int64_t offset = 0;  // where the file's first byte is in the stream
};

std::string FormatLogIndex(const std::vector<LogSegment>& segments);
api::StatusOr<std::vector<LogSegment>> ParseLogIndex(std::string_view text);

// The message ContainerState carries for an exec error: `exec "nosuch": No such file or
// directory`.
std::string ExecFailureMessage(std::string_view during, std::string_view error);

// The fields of /proc/<pid>/stat the driver uses; the command name in parentheses may hold spaces
// and parentheses, so fields are counted after the last ')'.
struct ProcStat {
  char state = '?';
  int ppid = 0;
  int pgrp = 0;
  int session = 0;
  uint64_t start_time = 0;  // field 22
};

std::optional<ProcStat> ParseProcStat(std::string_view text);

// Escapes \ and newline so a value stays on its line.
std::string EscapeValue(std::string_view value);
std::string UnescapeValue(std::string_view value);

}  // namespace gantry::agent::internal
