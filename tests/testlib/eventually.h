#pragma once

// Waiting for something another thread or process does, bounded by a deadline: the one way
// tests wait (never a bare sleep for a fixed time). Header-only and dependency-free, so unit
// tests of any module may use it.

#include <chrono>
#include <functional>
#include <thread>

namespace gantry::testlib {

// Polls `condition` every `poll` until it holds (true) or `timeout` passes (false).
inline bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds poll = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace gantry::testlib
