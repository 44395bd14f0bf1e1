#pragma once

// What a controller's workers report, kept free of any metrics library like QueueMetrics:
// cmd/gantryd/gantryd_metrics.cc implements this once per controller with controller-runtime's
// names (label controller=<name>), so its dashboards and alerts work unchanged:
//
//   ReconcileStarted/Finished  controller_runtime_active_workers                gauge
//   ReconcileFinished          controller_runtime_reconcile_total{result}       counter
//                              controller_runtime_reconcile_errors_total        counter (kError)
//                              controller_runtime_reconcile_time_seconds        histogram
//
// A worker's loop, as controller-runtime's reconcileHandler runs it (durations come from the
// injected clock, never from the metrics):
//
//   while (std::optional<std::string> key = queue.Get()) {
//     metrics.ReconcileStarted();
//     const auto start = clock.Now();
//     ... Reconcile(*key); then Forget, AddRateLimited or AddAfter by its outcome ...
//     metrics.ReconcileFinished(result, Seconds(clock.Now() - start));
//     queue.Done(*key);
//   }
//
// Thread-safety: every method may be called from any worker at once.

#include <string_view>

namespace gantry::controllers::runtime {

// How one Reconcile ended, in controller-runtime's order of precedence: an error wins over a
// requested delay, which wins over a plain requeue.
enum class ReconcileResult {
  kSuccess,       // done; the key's backoff is forgotten
  kError,         // failed; re-queued with backoff (AddRateLimited)
  kRequeue,       // asked to run again with backoff (AddRateLimited)
  kRequeueAfter,  // asked to run again after a fixed delay (Forget, then AddAfter)
};

// The `result` label value controller-runtime uses.
constexpr std::string_view ReconcileResultLabel(ReconcileResult result) {
  switch (result) {
    case ReconcileResult::kSuccess:
      return "success";
    case ReconcileResult::kError:
      return "error";
    case ReconcileResult::kRequeue:
      return "requeue";
    case ReconcileResult::kRequeueAfter:
      return "requeue_after";
  }
  return "unknown";
}

class ControllerMetrics {
 public:
  virtual ~ControllerMetrics() = default;

  // A worker took a key from the queue and is about to reconcile it.
  virtual void ReconcileStarted() = 0;
  // Ends what ReconcileStarted began: one call per started reconcile, with how it ended and how
  // long Reconcile itself took.
  virtual void ReconcileFinished(ReconcileResult result, double seconds) = 0;
};

class NoopControllerMetrics final : public ControllerMetrics {
 public:
  void ReconcileStarted() override {}
  void ReconcileFinished(ReconcileResult, double) override {}
};

}  // namespace gantry::controllers::runtime
