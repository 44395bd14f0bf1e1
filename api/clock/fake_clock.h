#pragma once

// A clock that moves only when told to. Advance(d) walks time forward and fires, on the calling
// thread and before it returns, every timer that falls due on the way, earliest first (equal due
// times in the order they were scheduled). While a callback runs, Now() is its due time, so a
// timer scheduled from inside a callback is measured from there and fires in the same Advance if
// it falls due within it. Tests are therefore deterministic and never sleep.
//
// A timer with a delay ≤ 0 is due at once but, like every fake timer, fires only inside Advance
// (Advance(0) will do). Advance calls are serialised; a callback must not call Advance itself.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "api/clock/clock.h"

namespace gantry::clock {

class FakeClock : public Clock {
 public:
  // 2026-01-01T00:00:00Z, so fixtures can spell out the times they expect.
  static constexpr TimePoint kDefaultStart{std::chrono::seconds(1'767'225'600)};

  explicit FakeClock(TimePoint start = kDefaultStart);
  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;
  ~FakeClock() override;  // drops the timers that have not fired

  TimePoint Now() const override;
  TimerHandle AfterFunc(Duration delay, std::function<void()> fn) override;

  // Time never goes backwards: a negative delta fires what is already due and moves nothing.
  void Advance(Duration delta);

  // Whether any timer is waiting to fire: lets a test see that another thread has reached the
  // point where it waits on this clock before advancing it (client-go's FakeClock.HasWaiters).
  bool HasWaiters() const { return PendingTimers() > 0; }
  size_t PendingTimers() const;

 private:
  struct State {
    using Key = std::pair<TimePoint, uint64_t>;  // due, then FIFO
    mutable std::mutex mu;
    TimePoint now;
    std::map<Key, std::function<void()>> pending;
    uint64_t next_sequence = 0;
  };

  std::mutex advancing_;  // serialises Advance so timers fire in one global order
  std::shared_ptr<State> state_;
};

}  // namespace gantry::clock
