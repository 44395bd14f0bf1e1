#pragma once

// What a work queue reports, kept free of any metrics library: prometheus-cpp lives only in
// cmd/gantryd/gantryd_metrics.cc, which implements this once per queue with the client-go names
// (label name=<queue>):
//
//   SetDepth                workqueue_depth                              gauge
//   CountAdd                workqueue_adds_total                         counter
//   ObserveQueueDuration    workqueue_queue_duration_seconds             histogram
//   ObserveWorkDuration     workqueue_work_duration_seconds              histogram
//   CountRetry              workqueue_retries_total                      counter
//   PollInFlightWith        workqueue_unfinished_work_seconds            gauge, polled
//                           workqueue_longest_running_processor_seconds  gauge, polled
//
// The queue calls these while holding its lock, so they must be quick and must not call back into
// the queue; the poll function it registers takes that lock and must not be called from inside
// any of them.

#include <cstddef>
#include <functional>

namespace gantry::controllers::runtime {

// Work handed out by Get and not yet Done, measured when polled.
struct InFlightWork {
  double unfinished_work_seconds = 0;            // summed over every key being processed
  double longest_running_processor_seconds = 0;  // the key processed for the longest so far
};

class QueueMetrics {
 public:
  virtual ~QueueMetrics() = default;

  // Keys waiting to be handed out, including ones re-added while being processed.
  virtual void SetDepth(size_t depth) = 0;
  // A key became waiting (an Add that was not already pending).
  virtual void CountAdd() = 0;
  // From a key's Add to the Get that handed it out.
  virtual void ObserveQueueDuration(double seconds) = 0;
  // From a key's Get to its Done.
  virtual void ObserveWorkDuration(double seconds) = 0;
  // An AddAfter, whether direct or from AddRateLimited.
  virtual void CountRetry() = 0;
  // Called once by the queue's constructor. Time spent on in-flight work grows without any event,
  // so the exporter reads it when it publishes (client-go updates these gauges on a timer).
  // `poll` stays safe to call after the queue is gone and then reports nothing in flight.
  virtual void PollInFlightWith(std::function<InFlightWork()> poll) = 0;
};

class NoopQueueMetrics final : public QueueMetrics {
 public:
  void SetDepth(size_t) override {}
  void CountAdd() override {}
  void ObserveQueueDuration(double) override {}
  void ObserveWorkDuration(double) override {}
  void CountRetry() override {}
  void PollInFlightWith(std::function<InFlightWork()>) override {}
};

}  // namespace gantry::controllers::runtime
