#pragma once

// Gives memory back to the system after a burst. tcmalloc keeps freed pages in its page heap
// for reuse and returns them only slowly: after twenty concurrent 21 MB lists, gantryd's RSS
// stayed ~145 MB above where it started although the heap was free again (issue 8, finding
// 11). Every `interval`, when more than `threshold` bytes sit free in the page heap, they are
// released. Without tcmalloc (sanitizer builds) glibc's malloc_trim does the same.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

namespace gantry {

class MemoryRelease {
 public:
  explicit MemoryRelease(std::chrono::milliseconds interval = std::chrono::seconds(5),
                         size_t threshold = 16 << 20);
  ~MemoryRelease();
  MemoryRelease(const MemoryRelease&) = delete;
  MemoryRelease& operator=(const MemoryRelease&) = delete;

  // One check: releases the free pages when there are more than the threshold. Returns the
  // bytes that were free before (0 when the allocator cannot say).
  size_t ReleaseIfWorthIt();

 private:
  void Run();

  const std::chrono::milliseconds interval_;
  const size_t threshold_;
  std::mutex mu_;  // guards stop_
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gantry
