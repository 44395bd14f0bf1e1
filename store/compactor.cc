#include "store/compactor.h"

#include <iostream>

namespace gantry::store {

RetentionCompactor::RetentionCompactor(Store& store, std::chrono::seconds window,
                                       std::chrono::milliseconds interval)
    : store_(store), window_(window), interval_(interval), thread_([this] { Run(); }) {}

RetentionCompactor::~RetentionCompactor() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void RetentionCompactor::Tick(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(samples_mu_);
  samples_.emplace_back(now, store_.CurrentRevision());
  // The newest sample older than the window marks what may go.
  int64_t compact_to = 0;
  while (!samples_.empty() && now - samples_.front().first >= window_) {
    compact_to = samples_.front().second;
    samples_.pop_front();
  }
  if (compact_to > store_.CompactedRevision()) {
    auto r = store_.Compact(compact_to);
    if (!r.ok())
      std::cerr << "store: compaction to " << compact_to << " failed: " << r.error().message
                << std::endl;
  }
}

void RetentionCompactor::Run() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval_, [&] { return stop_; })) {
    lock.unlock();
    Tick(std::chrono::steady_clock::now());
    lock.lock();
  }
}

}  // namespace gantry::store
