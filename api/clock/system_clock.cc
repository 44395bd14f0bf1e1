#include "api/clock/system_clock.h"

#include <algorithm>

namespace gantry::clock {

SystemClock::SystemClock() : timers_(std::make_shared<Timers>()) {}

SystemClock::~SystemClock() {
  std::map<Timers::Key, std::function<void()>> dropped;
  {
    std::lock_guard lock(timers_->mu);
    timers_->closing = true;
    dropped.swap(timers_->pending);
  }
  timers_->changed.notify_all();
  if (thread_.joinable()) thread_.join();
  // `dropped` is destroyed here, outside the lock: a callback's captures may take locks of their
  // own when released.
}

TimerHandle SystemClock::AfterFunc(Duration delay, std::function<void()> fn) {
  const auto due = std::chrono::steady_clock::now() +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                       std::max(delay, Duration::zero()));
  Timers::Key key;
  bool earliest = false;
  {
    std::lock_guard lock(timers_->mu);
    if (timers_->closing) return TimerHandle();
    if (!thread_.joinable()) thread_ = std::thread([this] { RunTimerThread(); });
    key = {due, timers_->next_sequence++};
    earliest = timers_->pending.empty() || key < timers_->pending.begin()->first;
    timers_->pending.emplace(key, std::move(fn));
  }
  if (earliest) timers_->changed.notify_one();
  return TimerHandle([timers = timers_, key] {
    std::function<void()> stopped;  // declared first so its captures are released unlocked
    std::lock_guard lock(timers->mu);
    auto it = timers->pending.find(key);
    if (it == timers->pending.end()) return false;
    stopped = std::move(it->second);
    timers->pending.erase(it);
    return true;
  });
}

void SystemClock::RunTimerThread() {
  std::unique_lock lock(timers_->mu);
  while (!timers_->closing) {
    if (timers_->pending.empty()) {
      timers_->changed.wait(lock);
      continue;
    }
    auto earliest = timers_->pending.begin();
    // A copy: wait_until reads its deadline again on waking, when a Stop may have erased the
    // timer it came from.
    const auto due = earliest->first.first;
    if (std::chrono::steady_clock::now() < due) {
      timers_->changed.wait_until(lock, due);
      continue;
    }
    std::function<void()> fn = std::move(earliest->second);
    timers_->pending.erase(earliest);
    // Unlocked while it runs, so the callback may schedule or stop timers.
    lock.unlock();
    fn();
    fn = nullptr;
    lock.lock();
  }
}

}  // namespace gantry::clock
