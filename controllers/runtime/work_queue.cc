#include "controllers/runtime/work_queue.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace gantry::controllers::runtime {
namespace {

double Seconds(clock::Clock::Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

struct WorkQueue::State {
  State(clock::Clock& c, QueueMetrics& m) : clock(c), metrics(m) {}

  void AddLocked(const std::string& key);
  void StopDelayedLocked();
  void OnDelayElapsed(const std::string& key, uint64_t delay_id);
  InFlightWork InFlight() const;

  clock::Clock& clock;
  // Owned by the WorkQueue. Only touched before shutdown or by the queue's own methods, so a
  // delayed-add callback that outlives the queue never reaches it.
  QueueMetrics& metrics;

  mutable std::mutex mu;
  std::condition_variable key_ready;  // a key was queued, or shutdown began
  std::condition_variable idle;       // nothing is being processed, or a drain was cancelled
  std::deque<std::string> queue;
  // Keys to be processed, with when each was added: every key in `queue`, plus keys added while
  // being processed. Its size is the depth client-go reports.
  std::unordered_map<std::string, clock::Clock::TimePoint> dirty;
  std::unordered_map<std::string, clock::Clock::TimePoint> processing;  // key → when handed out
  struct Delayed {
    clock::Clock::TimePoint ready_at;
    uint64_t id;  // tells a superseded timer's late callback from the current one
    clock::TimerHandle timer;
  };
  std::unordered_map<std::string, Delayed> delayed;
  uint64_t next_delay_id = 0;
  bool shutting_down = false;
  bool draining = false;
};

void WorkQueue::State::AddLocked(const std::string& key) {
  if (shutting_down || dirty.contains(key)) return;
  dirty.emplace(key, clock.Now());
  metrics.CountAdd();
  metrics.SetDepth(dirty.size());
  // Done queues it again; handing it out now would give one key to two workers.
  if (processing.contains(key)) return;
  queue.push_back(key);
  key_ready.notify_one();
}

void WorkQueue::State::StopDelayedLocked() {
  for (auto& [key, waiting] : delayed) waiting.timer.Stop();
  delayed.clear();
}

void WorkQueue::State::OnDelayElapsed(const std::string& key, uint64_t delay_id) {
  std::lock_guard lock(mu);
  auto it = delayed.find(key);
  if (it == delayed.end() || it->second.id != delay_id) return;
  delayed.erase(it);
  AddLocked(key);
}

InFlightWork WorkQueue::State::InFlight() const {
  InFlightWork work;
  std::lock_guard lock(mu);
  const auto now = clock.Now();
  for (const auto& [key, started] : processing) {
    const double seconds = Seconds(now - started);
    work.unfinished_work_seconds += seconds;
    work.longest_running_processor_seconds =
        std::max(work.longest_running_processor_seconds, seconds);
  }
  return work;
}

WorkQueue::WorkQueue(clock::Clock& clock, std::unique_ptr<RateLimiter> rate_limiter,
                     std::unique_ptr<QueueMetrics> metrics)
    : metrics_(metrics ? std::move(metrics) : std::make_unique<NoopQueueMetrics>()),
      rate_limiter_(rate_limiter ? std::move(rate_limiter) : DefaultControllerRateLimiter(clock)),
      state_(std::make_shared<State>(clock, *metrics_)) {
  metrics_->PollInFlightWith([weak = std::weak_ptr<State>(state_)] {
    auto state = weak.lock();
    return state ? state->InFlight() : InFlightWork{};
  });
}

WorkQueue::~WorkQueue() { ShutDown(); }

void WorkQueue::Add(const std::string& key) {
  std::lock_guard lock(state_->mu);
  state_->AddLocked(key);
}

std::optional<std::string> WorkQueue::Get() {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  s.key_ready.wait(lock, [&s] { return !s.queue.empty() || s.shutting_down; });
  if (s.queue.empty()) return std::nullopt;
  std::string key = std::move(s.queue.front());
  s.queue.pop_front();
  const auto now = s.clock.Now();
  auto added = s.dirty.find(key);
  s.metrics.ObserveQueueDuration(Seconds(now - added->second));
  s.dirty.erase(added);
  s.metrics.SetDepth(s.dirty.size());
  s.processing.emplace(key, now);
  return key;
}

void WorkQueue::Done(const std::string& key) {
  State& s = *state_;
  std::lock_guard lock(s.mu);
  auto it = s.processing.find(key);
  if (it == s.processing.end()) return;
  s.metrics.ObserveWorkDuration(Seconds(s.clock.Now() - it->second));
  s.processing.erase(it);
  if (s.dirty.contains(key)) {
    s.queue.push_back(key);
    s.key_ready.notify_one();
  }
  if (s.processing.empty()) s.idle.notify_all();
}

size_t WorkQueue::Len() const {
  std::lock_guard lock(state_->mu);
  return state_->queue.size();
}

void WorkQueue::AddAfter(const std::string& key, Duration delay) {
  State& s = *state_;
  std::lock_guard lock(s.mu);
  if (s.shutting_down) return;
  s.metrics.CountRetry();
  if (delay <= Duration::zero()) {
    s.AddLocked(key);
    return;
  }
  const auto ready_at = s.clock.Now() + delay;
  auto it = s.delayed.find(key);
  if (it != s.delayed.end()) {
    if (it->second.ready_at <= ready_at) return;
    it->second.timer.Stop();
  }
  const uint64_t id = s.next_delay_id++;
  clock::TimerHandle timer =
      s.clock.AfterFunc(delay, [weak = std::weak_ptr<State>(state_), key, id] {
        if (auto state = weak.lock()) state->OnDelayElapsed(key, id);
      });
  s.delayed.insert_or_assign(key, State::Delayed{ready_at, id, std::move(timer)});
}

void WorkQueue::AddRateLimited(const std::string& key) { AddAfter(key, rate_limiter_->When(key)); }

void WorkQueue::Forget(const std::string& key) { rate_limiter_->Forget(key); }

int WorkQueue::NumRequeues(const std::string& key) const { return rate_limiter_->NumRequeues(key); }

void WorkQueue::ShutDown() {
  State& s = *state_;
  std::lock_guard lock(s.mu);
  s.shutting_down = true;
  s.draining = false;
  s.StopDelayedLocked();
  s.key_ready.notify_all();
  s.idle.notify_all();
}

void WorkQueue::ShutDownWithDrain() {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  s.shutting_down = true;
  s.draining = true;
  s.StopDelayedLocked();
  s.key_ready.notify_all();
  s.idle.wait(lock, [&s] { return s.processing.empty() || !s.draining; });
}

bool WorkQueue::ShuttingDown() const {
  std::lock_guard lock(state_->mu);
  return state_->shutting_down;
}

}  // namespace gantry::controllers::runtime
