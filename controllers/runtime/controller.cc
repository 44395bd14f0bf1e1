#include "controllers/runtime/controller.h"

#include <utility>

namespace gantry::controllers::runtime {

Controller::Controller(clock::Clock& clock, ReconcileFunc reconcile, ControllerOptions options)
    : clock_(clock),
      reconcile_(std::move(reconcile)),
      name_(std::move(options.name)),
      workers_(options.workers < 1 ? 1 : options.workers),
      metrics_(options.metrics ? std::move(options.metrics)
                               : std::make_unique<NoopControllerMetrics>()),
      queue_(clock, std::move(options.rate_limiter), std::move(options.queue_metrics)) {}

Controller::~Controller() { Stop(); }

void Controller::Start() {
  if (!threads_.empty()) return;
  for (int i = 0; i < workers_; ++i) {
    threads_.emplace_back([this] {
      while (ProcessNextItem()) {
      }
    });
  }
}

void Controller::Stop() {
  // Workers finish the keys they hold and take no more: a backlog (a controller behind on
  // 100,000 objects) would otherwise keep the process from stopping for minutes.
  stopping_ = true;
  queue_.ShutDownWithDrain();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

bool Controller::ProcessNextItem() {
  std::optional<std::string> key = queue_.Get();
  if (!key) return false;
  if (stopping_) {
    queue_.Done(*key);
    return false;
  }
  metrics_->ReconcileStarted();
  const auto started = clock_.Now();
  auto outcome = reconcile_(*key);
  ReconcileResult result;
  if (!outcome.ok()) {
    queue_.AddRateLimited(*key);
    result = ReconcileResult::kError;
  } else if (outcome->requeue_after > clock::Clock::Duration::zero()) {
    queue_.Forget(*key);
    queue_.AddAfter(*key, outcome->requeue_after);
    result = ReconcileResult::kRequeueAfter;
  } else if (outcome->requeue) {
    queue_.AddRateLimited(*key);
    result = ReconcileResult::kRequeue;
  } else {
    queue_.Forget(*key);
    result = ReconcileResult::kSuccess;
  }
  metrics_->ReconcileFinished(result,
                              std::chrono::duration<double>(clock_.Now() - started).count());
  queue_.Done(*key);
  return true;
}

}  // namespace gantry::controllers::runtime
