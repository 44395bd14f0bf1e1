#pragma once

// One line of progress for a long operation, rewritten in place on a terminal and never written
// anywhere else: a pipe or a file gets only the operation's real output.

#include <unistd.h>

#include <iostream>
#include <ostream>
#include <string>

namespace gantry::cli {

class TerminalProgress {
 public:
  // Live only when `stream` is the process's stdout or stderr and that is a terminal.
  explicit TerminalProgress(std::ostream& stream)
      : stream_(stream),
        live_((&stream == &std::cout && isatty(STDOUT_FILENO) == 1) ||
              (&stream == &std::cerr && isatty(STDERR_FILENO) == 1)) {}
  ~TerminalProgress() { Clear(); }
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;

  bool live() const { return live_; }
  void Show(const std::string& line) {
    if (!live_ || line == shown_) return;
    stream_ << "\r\033[K" << line << std::flush;
    shown_ = line;
  }
  // Before a regular line goes to the same terminal.
  void Clear() {
    if (!live_ || shown_.empty()) return;
    stream_ << "\r\033[K" << std::flush;
    shown_.clear();
  }

 private:
  std::ostream& stream_;
  const bool live_;
  std::string shown_;
};

}  // namespace gantry::cli
