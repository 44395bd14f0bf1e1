#include "api/clock/clock.h"

#include <memory>

namespace gantry::clock {

Timer Clock::After(Duration delay) {
  auto state = std::make_shared<Timer::State>();
  TimerHandle handle = AfterFunc(delay, [state] {
    std::lock_guard lock(state->mu);
    state->fired = true;
    state->changed.notify_all();
  });
  return Timer(std::move(state), std::move(handle));
}

}  // namespace gantry::clock
