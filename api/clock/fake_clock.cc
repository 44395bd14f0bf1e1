#include "api/clock/fake_clock.h"

#include <algorithm>

namespace gantry::clock {

FakeClock::FakeClock(TimePoint start) : state_(std::make_shared<State>()) { state_->now = start; }

FakeClock::~FakeClock() {
  std::map<State::Key, std::function<void()>> dropped;  // released after the lock
  std::lock_guard lock(state_->mu);
  dropped.swap(state_->pending);
}

Clock::TimePoint FakeClock::Now() const {
  std::lock_guard lock(state_->mu);
  return state_->now;
}

TimerHandle FakeClock::AfterFunc(Duration delay, std::function<void()> fn) {
  State::Key key;
  {
    std::lock_guard lock(state_->mu);
    key = {state_->now + std::max(delay, Duration::zero()), state_->next_sequence++};
    state_->pending.emplace(key, std::move(fn));
  }
  return TimerHandle([state = state_, key] {
    std::function<void()> stopped;  // declared first so its captures are released unlocked
    std::lock_guard lock(state->mu);
    auto it = state->pending.find(key);
    if (it == state->pending.end()) return false;
    stopped = std::move(it->second);
    state->pending.erase(it);
    return true;
  });
}

void FakeClock::Advance(Duration delta) {
  std::lock_guard advancing(advancing_);
  TimePoint target;
  {
    std::lock_guard lock(state_->mu);
    target = state_->now + delta;
  }
  for (;;) {
    std::function<void()> fn;
    {
      std::lock_guard lock(state_->mu);
      auto earliest = state_->pending.begin();
      if (earliest == state_->pending.end() || earliest->first.first > target) {
        state_->now = std::max(state_->now, target);
        return;
      }
      state_->now = std::max(state_->now, earliest->first.first);
      fn = std::move(earliest->second);
      state_->pending.erase(earliest);
    }
    // Unlocked while it runs, so the callback may read the time and schedule or stop timers.
    fn();
  }
}

size_t FakeClock::PendingTimers() const {
  std::lock_guard lock(state_->mu);
  return state_->pending.size();
}

}  // namespace gantry::clock
