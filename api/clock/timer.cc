#include "api/clock/timer.h"

namespace gantry::clock {

bool Timer::Wait() const {
  std::unique_lock lock(state_->mu);
  state_->changed.wait(lock, [this] { return state_->fired || state_->stopped; });
  return state_->fired;
}

bool Timer::Fired() const {
  std::lock_guard lock(state_->mu);
  return state_->fired;
}

bool Timer::Stop() const {
  if (!handle_.Stop()) return false;
  std::lock_guard lock(state_->mu);
  state_->stopped = true;
  state_->changed.notify_all();
  return true;
}

}  // namespace gantry::clock
