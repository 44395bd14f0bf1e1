#pragma once

// Helpers for tests that run real processes on loopback: free ports, child processes, running
// a command and capturing its output, polling with a deadline, temporary directories.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "tests/testlib/eventually.h"

namespace gantry::testlib {

// True in AddressSanitizer builds (make test-asan), where a process's memory figures mean little:
// freed memory waits in ASan's quarantine (256 MiB by default), there is shadow memory, and
// gantryd runs without tcmalloc. Memory bounds are product figures of the release build.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int FreePort();
// True when a TCP connection to 127.0.0.1:port succeeds.
bool PortAccepts(int port);

// A file's whole text ("" when it cannot be read).
std::string ReadFile(const std::string& path);

// A child process; killed (SIGKILL) and reaped on destruction unless it already exited.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal);
  // Waits for exit up to `timeout`; returns the exit status (or -1 on timeout).
  int Wait(std::chrono::milliseconds timeout);
  bool running();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv to completion (argv[0] a path, or a name looked up in PATH), feeding `input` on stdin.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& input = "");

// A fresh directory under the test temp dir, removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Where the built binaries are (build/bin), or $GANTRY_TEST_BIN_DIR when set.
std::string BinDir();

}  // namespace gantry::testlib
