#pragma once

// Keeps watch history for a retention window: samples the store revision over time and
// compacts everything older than the window, so a client may resume a watch from any revision
// it saw within the window and gets 410 Gone for older ones. Any backend; gantryd runs one.
// Its own thread on the steady clock (the store depends on nothing of ours, api/clock included);
// tests drive Tick with the time they choose.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "store/store.h"

namespace gantry::store {

class RetentionCompactor {
 public:
  RetentionCompactor(Store& store, std::chrono::seconds window,
                     std::chrono::milliseconds interval = std::chrono::seconds(10));
  ~RetentionCompactor();

  // One step, for tests: record `now`'s revision, compact what fell out of the window.
  void Tick(std::chrono::steady_clock::time_point now);

 private:
  void Run();

  Store& store_;
  const std::chrono::seconds window_;
  const std::chrono::milliseconds interval_;
  std::mutex samples_mu_;  // Tick may run on the caller's thread and on the loop's
  std::deque<std::pair<std::chrono::steady_clock::time_point, int64_t>> samples_;
  std::mutex mu_;  // guards stop_
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gantry::store
