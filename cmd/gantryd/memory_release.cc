#include "cmd/gantryd/memory_release.h"

#if GANTRY_TCMALLOC
#include <gperftools/malloc_extension_c.h>
#else
#include <malloc.h>
#endif

namespace gantry {

MemoryRelease::MemoryRelease(std::chrono::milliseconds interval, size_t threshold)
    : interval_(interval), threshold_(threshold), thread_([this] { Run(); }) {}

MemoryRelease::~MemoryRelease() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

size_t MemoryRelease::ReleaseIfWorthIt() {
#if GANTRY_TCMALLOC
  size_t free_bytes = 0;
  if (!MallocExtension_GetNumericProperty("tcmalloc.pageheap_free_bytes", &free_bytes)) return 0;
  if (free_bytes > threshold_) MallocExtension_ReleaseFreeMemory();
  return free_bytes;
#else
  // glibc cannot say cheaply how much is free; trimming an already trim heap costs little.
  ::malloc_trim(threshold_);
  return 0;
#endif
}

void MemoryRelease::Run() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) {
    lock.unlock();
    ReleaseIfWorthIt();
    lock.lock();
  }
}

}  // namespace gantry
