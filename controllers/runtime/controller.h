#pragma once

// A controller's work loop (controller-runtime's Controller): event handlers put keys on the
// queue; N workers take them one at a time and call the reconcile function; its outcome decides
// what happens to the key:
//
//   error                 AddRateLimited (5 ms, 10 ms, ... up to 1000 s)     result=error
//   requeue_after > 0     Forget, then AddAfter(requeue_after)               result=requeue_after
//   requeue               AddRateLimited                                     result=requeue
//   done                  Forget                                             result=success
//
// and every reconcile is counted and timed in controller_runtime_* metrics. A key is never
// reconciled by two workers at once (the queue's contract), so a reconcile function needs no
// lock of its own for one object.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/clock/clock.h"
#include "api/status/status.h"
#include "controllers/runtime/controller_metrics.h"
#include "controllers/runtime/queue_metrics.h"
#include "controllers/runtime/rate_limiter.h"
#include "controllers/runtime/work_queue.h"

namespace gantry::controllers::runtime {

struct ReconcileOutcome {
  bool requeue = false;
  clock::Clock::Duration requeue_after{0};
};

using ReconcileFunc = std::function<api::StatusOr<ReconcileOutcome>(const std::string& key)>;

struct ControllerOptions {
  std::string name;  // the `controller` and `name` labels of its metrics
  int workers = 1;
  std::unique_ptr<RateLimiter> rate_limiter;    // null: DefaultControllerRateLimiter
  std::unique_ptr<QueueMetrics> queue_metrics;  // null: none
  std::unique_ptr<ControllerMetrics> metrics;   // null: none
};

class Controller {
 public:
  // `clock` must outlive the controller.
  Controller(clock::Clock& clock, ReconcileFunc reconcile, ControllerOptions options);
  ~Controller();  // Stop
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  const std::string& name() const { return name_; }
  // Where event handlers put keys.
  WorkQueue& queue() { return queue_; }

  // Starts the workers.
  void Start();
  // Stops taking keys, lets reconciles in progress finish, and joins the workers.
  void Stop();
  // Takes one key (blocking until there is one) and reconciles it on the caller's thread; false
  // once the queue is shut down. What each worker loops on; tests call it directly.
  bool ProcessNextItem();

 private:
  clock::Clock& clock_;
  ReconcileFunc reconcile_;
  const std::string name_;
  const int workers_;
  std::unique_ptr<ControllerMetrics> metrics_;
  WorkQueue queue_;
  std::atomic<bool> stopping_{false};  // Stop() was called
  std::vector<std::thread> threads_;
};

}  // namespace gantry::controllers::runtime
