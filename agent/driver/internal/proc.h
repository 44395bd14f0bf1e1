#pragma once

// Reading /proc and errno texts, for the agent side of the driver (never after fork).

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "agent/driver/internal/records.h"

namespace gantry::agent::internal {

std::optional<ProcStat> ReadProcStat(pid_t pid);

// /proc/sys/kernel/random/boot_id without the newline; "" if unreadable.
std::string ReadBootId();

// Every live (not zombie) process whose session id is `session`.
std::vector<pid_t> SessionMembers(pid_t session);

// strerror, thread-safe.
std::string ErrnoText(int error);

// strerror for every errno below the returned size, built once; the shim indexes it after fork.
const std::vector<const char*>& ErrnoTexts();

// Where this process's argument strings lie (/proc/self/stat's arg_start and arg_end), the
// area `ps` reads; nullopt if unreadable.
struct ArgumentArea {
  char* start = nullptr;
  size_t size = 0;
};
std::optional<ArgumentArea> OwnArgumentArea();

// Whole small file; nullopt if it cannot be opened.
std::optional<std::string> ReadSmallFile(const std::string& path);

}  // namespace gantry::agent::internal
