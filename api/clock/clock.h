#pragma once

// Injected time. Production code reads and schedules through a Clock; tests hand it a FakeClock
// and move time with Advance, so nothing waits on the wall clock.
//
// Thread-safety: every method may be called from any thread, including from inside a timer's
// callback. Callbacks run one at a time on a thread the clock chooses (SystemClock: its timer
// thread; FakeClock: the thread calling Advance) and must not block for long: a slow callback
// delays every timer due after it.

#include <chrono>
#include <functional>

#include "api/clock/timer.h"

namespace gantry::clock {

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  using Duration = std::chrono::system_clock::duration;

  virtual ~Clock() = default;

  virtual TimePoint Now() const = 0;

  // Runs `fn` once, `delay` from now (at once for a delay ≤ 0), unless stopped first. Scheduling
  // mutates the clock's timer set, hence non-const: holders of a `const Clock&` can only read.
  virtual TimerHandle AfterFunc(Duration delay, std::function<void()> fn) = 0;

  // A timer to wait on, fired `delay` from now.
  Timer After(Duration delay);
};

}  // namespace gantry::clock
