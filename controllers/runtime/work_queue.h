#pragma once

// The queue between a controller's event handlers and its workers, with client-go's workqueue
// contract over string keys (usually an object's name):
//
//   - fair: keys are handed out in the order they were added;
//   - stingy: a key added again while it waits is queued once, and a key is never handed to two
//     workers at once; one added while a worker holds it is handed out again after that worker
//     calls Done, so the last change is never missed;
//   - delays: AddAfter adds a key once a delay has passed on the injected clock, and
//     AddRateLimited picks the delay from a RateLimiter (per-key backoff and an overall bucket);
//   - shutdown: Get returns nullopt once the queue is shut down and empty, so workers exit.
//
// A worker's loop:
//
//   while (std::optional<std::string> key = queue.Get()) {
//     if (Reconcile(*key).ok()) queue.Forget(*key); else queue.AddRateLimited(*key);
//     queue.Done(*key);
//   }
//
// Thread-safety: every method may be called from any thread. Workers must have returned from the
// queue before it is destroyed; the clock must outlive it.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "api/clock/clock.h"
#include "controllers/runtime/queue_metrics.h"
#include "controllers/runtime/rate_limiter.h"

namespace gantry::controllers::runtime {

class WorkQueue {
 public:
  using Duration = clock::Clock::Duration;

  // A null `rate_limiter` means DefaultControllerRateLimiter(clock); null `metrics` report nothing.
  explicit WorkQueue(clock::Clock& clock, std::unique_ptr<RateLimiter> rate_limiter = nullptr,
                     std::unique_ptr<QueueMetrics> metrics = nullptr);
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;
  // Shuts down without draining and drops keys still waiting on a delay.
  ~WorkQueue();

  // Ignored once shutting down.
  void Add(const std::string& key);
  // Blocks until a key is ready and hands it to the caller, who must call Done with it. Keys
  // queued before shutdown are still handed out; nullopt once shut down and empty.
  std::optional<std::string> Get();
  // Ends the caller's processing of `key`; queues it again if it was added meanwhile.
  void Done(const std::string& key);
  // Keys ready to be handed out (not those being processed or waiting on a delay).
  size_t Len() const;

  // Adds `key` once `delay` has passed (at once for delay ≤ 0). A key already waiting keeps the
  // earlier of its two times; when the time comes it is added like Add, so it is not queued twice.
  void AddAfter(const std::string& key, Duration delay);
  // AddAfter with the rate limiter's delay for `key`; call it when processing `key` failed.
  void AddRateLimited(const std::string& key);
  // Resets the rate limiter's memory of `key`; call it when processing `key` succeeded.
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key) const;

  // Stops accepting keys, drops the delayed ones, and wakes workers blocked in Get.
  void ShutDown();
  // ShutDown, then waits until every key handed out has been Done. Workers must keep calling Done
  // (and may keep calling Get); a concurrent ShutDown ends the wait.
  void ShutDownWithDrain();
  bool ShuttingDown() const;

 private:
  struct State;  // shared with delayed-add callbacks, which may run after the queue is gone

  std::unique_ptr<QueueMetrics> metrics_;
  std::unique_ptr<RateLimiter> rate_limiter_;
  std::shared_ptr<State> state_;
};

}  // namespace gantry::controllers::runtime
