#pragma once

// The wall clock, with timers measured on the monotonic clock so that setting the system time
// neither fires nor delays them.
//
// One timer thread serves every timer: pending calls wait in a set ordered by due time (the
// earliest first, as in a min-heap, but with removal so a stopped timer frees its callback at
// once) and the thread sleeps on a condition variable until the earliest is due or an earlier one
// arrives. The thread starts with the first AfterFunc, so a SystemClock used only for Now() costs
// nothing. Destroying the clock drops timers that have not fired and joins the thread; it must not
// be destroyed from inside one of its own callbacks.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "api/clock/clock.h"

namespace gantry::clock {

class SystemClock : public Clock {
 public:
  SystemClock();
  SystemClock(const SystemClock&) = delete;
  SystemClock& operator=(const SystemClock&) = delete;
  ~SystemClock() override;

  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  TimerHandle AfterFunc(Duration delay, std::function<void()> fn) override;

 private:
  // Shared with the TimerHandles so that Stop stays safe after the clock is gone.
  struct Timers {
    using Key = std::pair<std::chrono::steady_clock::time_point, uint64_t>;  // due, then FIFO
    std::mutex mu;
    std::condition_variable changed;
    std::map<Key, std::function<void()>> pending;
    uint64_t next_sequence = 0;
    bool closing = false;
  };

  void RunTimerThread();

  std::shared_ptr<Timers> timers_;
  std::thread thread_;  // started under timers_->mu by the first AfterFunc
};

}  // namespace gantry::clock
