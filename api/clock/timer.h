#pragma once

// What a Clock hands back for a scheduled call. Both are cheap, copyable handles onto state the
// clock shares with them, so they may outlive the clock: once it is gone nothing fires and Stop
// returns false.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

namespace gantry::clock {

// A call scheduled with Clock::AfterFunc.
class TimerHandle {
 public:
  TimerHandle() = default;
  explicit TimerHandle(std::function<bool()> stop) : stop_(std::move(stop)) {}

  // Prevents the call if it has not started yet (Go's Timer.Stop): true when this call stopped it,
  // false when it already ran, is running, was stopped before, or the clock is gone. Does not wait
  // for a running call to finish.
  bool Stop() const { return stop_ ? stop_() : false; }

 private:
  std::function<bool()> stop_;
};

// A timer made by Clock::After that a thread can block on (Go's time.After channel).
class Timer {
 public:
  // Blocks until the timer fires (true) or is stopped (false); forever if the clock is destroyed
  // first, which drops the timer.
  bool Wait() const;
  bool Fired() const;
  // As TimerHandle::Stop; a successful Stop releases threads blocked in Wait with false.
  bool Stop() const;

 private:
  friend class Clock;
  struct State {
    std::mutex mu;
    std::condition_variable changed;
    bool fired = false;
    bool stopped = false;
  };
  Timer(std::shared_ptr<State> state, TimerHandle handle)
      : state_(std::move(state)), handle_(std::move(handle)) {}

  std::shared_ptr<State> state_;
  TimerHandle handle_;
};

}  // namespace gantry::clock
