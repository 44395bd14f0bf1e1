#include "controllers/runtime/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/clock/fake_clock.h"

namespace gantry::controllers::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Generous: only a hung queue takes this long, a slow machine does not.
constexpr auto kDeadline = seconds(30);

// Polls with a deadline (no sleeping) for another thread to reach a state the test can observe.
bool PollUntil(const std::function<bool()>& reached) {
  const auto give_up = std::chrono::steady_clock::now() + kDeadline;
  while (!reached()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

// Records what the queue reports, for tests that read it back.
class RecordingQueueMetrics : public QueueMetrics {
 public:
  struct Recorded {
    size_t depth = 0;
    int adds = 0;
    int retries = 0;
    std::vector<double> queue_durations;
    std::vector<double> work_durations;
    std::function<InFlightWork()> poll;
  };
  explicit RecordingQueueMetrics(std::shared_ptr<Recorded> recorded)
      : recorded_(std::move(recorded)) {}

  void SetDepth(size_t depth) override { recorded_->depth = depth; }
  void CountAdd() override { ++recorded_->adds; }
  void ObserveQueueDuration(double s) override { recorded_->queue_durations.push_back(s); }
  void ObserveWorkDuration(double s) override { recorded_->work_durations.push_back(s); }
  void CountRetry() override { ++recorded_->retries; }
  void PollInFlightWith(std::function<InFlightWork()> poll) override {
    recorded_->poll = std::move(poll);
  }

 private:
  std::shared_ptr<Recorded> recorded_;
};

class WorkQueueTest : public ::testing::Test {
 protected:
  clock::FakeClock clock_;
  WorkQueue queue_{clock_};
};

TEST_F(WorkQueueTest, HandsOutKeysInTheOrderAdded) {
  for (const char* key : {"c", "a", "b"}) queue_.Add(key);
  EXPECT_EQ(queue_.Len(), 3u);
  EXPECT_EQ(queue_.Get(), "c");
  EXPECT_EQ(queue_.Get(), "a");
  EXPECT_EQ(queue_.Get(), "b");
  EXPECT_EQ(queue_.Len(), 0u);
}

TEST_F(WorkQueueTest, AddDeduplicatesWhileQueued) {
  queue_.Add("a");
  queue_.Add("b");
  queue_.Add("a");
  EXPECT_EQ(queue_.Len(), 2u);
  EXPECT_EQ(queue_.Get(), "a");
  EXPECT_EQ(queue_.Get(), "b");
  EXPECT_EQ(queue_.Len(), 0u);
}

TEST_F(WorkQueueTest, KeyAddedWhileProcessingIsHandedOutAgainOnlyAfterDone) {
  queue_.Add("a");
  ASSERT_EQ(queue_.Get(), "a");
  queue_.Add("a");
  queue_.Add("a");
  EXPECT_EQ(queue_.Len(), 0u) << "a second worker must not get a key that is being processed";
  queue_.Add("b");
  EXPECT_EQ(queue_.Get(), "b");
  queue_.Done("b");
  queue_.Done("a");
  EXPECT_EQ(queue_.Len(), 1u) << "re-added while processing: queued once more";
  EXPECT_EQ(queue_.Get(), "a");
  queue_.Done("a");
  EXPECT_EQ(queue_.Len(), 0u);
}

TEST_F(WorkQueueTest, DoneWithoutAReAddLeavesNothingQueued) {
  queue_.Add("a");
  ASSERT_EQ(queue_.Get(), "a");
  queue_.Done("a");
  queue_.Done("never-handed-out");
  EXPECT_EQ(queue_.Len(), 0u);
}

TEST_F(WorkQueueTest, GetAfterShutDownReturnsNulloptOnceEmpty) {
  queue_.Add("queued-before");
  queue_.ShutDown();
  EXPECT_TRUE(queue_.ShuttingDown());
  queue_.Add("added-after");
  EXPECT_EQ(queue_.Get(), "queued-before") << "client-go hands out what was queued before";
  EXPECT_EQ(queue_.Get(), std::nullopt);
  EXPECT_EQ(queue_.Get(), std::nullopt);
}

TEST_F(WorkQueueTest, ShutDownWakesAWorkerBlockedInGet) {
  auto worker = std::async(std::launch::async, [this] { return queue_.Get(); });
  queue_.ShutDown();
  ASSERT_EQ(worker.wait_for(kDeadline), std::future_status::ready);
  EXPECT_EQ(worker.get(), std::nullopt);
}

TEST_F(WorkQueueTest, ABlockedGetReceivesAKeyAddedLater) {
  auto worker = std::async(std::launch::async, [this] { return queue_.Get(); });
  queue_.Add("a");
  ASSERT_EQ(worker.wait_for(kDeadline), std::future_status::ready);
  EXPECT_EQ(worker.get(), "a");
}

TEST_F(WorkQueueTest, ShutDownWithDrainWaitsForInFlightKeys) {
  queue_.Add("a");
  queue_.Add("b");
  ASSERT_EQ(queue_.Get(), "a");
  ASSERT_EQ(queue_.Get(), "b");
  auto drain = std::async(std::launch::async, [this] { queue_.ShutDownWithDrain(); });
  // The drain marks the queue shut down and starts waiting in one step under the queue's lock.
  ASSERT_TRUE(PollUntil([this] { return queue_.ShuttingDown(); }));
  queue_.Done("a");
  EXPECT_EQ(drain.wait_for(milliseconds(0)), std::future_status::timeout) << "b is in flight";
  queue_.Done("b");
  ASSERT_EQ(drain.wait_for(kDeadline), std::future_status::ready);
  EXPECT_EQ(queue_.Get(), std::nullopt);
}

TEST_F(WorkQueueTest, ShutDownEndsADrain) {
  queue_.Add("a");
  ASSERT_EQ(queue_.Get(), "a");
  auto drain = std::async(std::launch::async, [this] { queue_.ShutDownWithDrain(); });
  ASSERT_TRUE(PollUntil([this] { return queue_.ShuttingDown(); })) << "the drain has begun";
  queue_.ShutDown();
  ASSERT_EQ(drain.wait_for(kDeadline), std::future_status::ready);
}

TEST_F(WorkQueueTest, ShutDownWithDrainReturnsAtOnceWhenIdle) {
  queue_.ShutDownWithDrain();
  EXPECT_EQ(queue_.Get(), std::nullopt);
}

TEST_F(WorkQueueTest, AddAfterAddsAtTheRightFakeTime) {
  queue_.AddAfter("a", seconds(1));
  EXPECT_EQ(queue_.Len(), 0u);
  EXPECT_TRUE(clock_.HasWaiters());
  clock_.Advance(milliseconds(999));
  EXPECT_EQ(queue_.Len(), 0u);
  clock_.Advance(milliseconds(1));
  EXPECT_EQ(queue_.Len(), 1u);
  EXPECT_EQ(queue_.Get(), "a");
  EXPECT_FALSE(clock_.HasWaiters());
}

TEST_F(WorkQueueTest, AddAfterWithoutADelayAddsAtOnce) {
  queue_.AddAfter("a", seconds(0));
  queue_.AddAfter("b", -seconds(1));
  EXPECT_EQ(queue_.Len(), 2u);
  EXPECT_FALSE(clock_.HasWaiters());
}

TEST_F(WorkQueueTest, AddAfterDeduplicatesWithAdd) {
  queue_.Add("a");
  queue_.AddAfter("a", seconds(1));
  clock_.Advance(seconds(1));
  EXPECT_EQ(queue_.Len(), 1u) << "already queued when the delay ran out";
  EXPECT_EQ(queue_.Get(), "a");
  EXPECT_EQ(queue_.Len(), 0u);
}

TEST_F(WorkQueueTest, AddAfterKeepsTheEarlierTimeForAKeyAlreadyWaiting) {
  queue_.AddAfter("later-first", seconds(10));
  queue_.AddAfter("later-first", seconds(1));
  queue_.AddAfter("sooner-first", seconds(1));
  queue_.AddAfter("sooner-first", seconds(10));
  EXPECT_EQ(clock_.PendingTimers(), 2u) << "the superseded 10 s timer was stopped";
  clock_.Advance(seconds(1));
  EXPECT_EQ(queue_.Len(), 2u);
  EXPECT_EQ(queue_.Get(), "later-first");
  EXPECT_EQ(queue_.Get(), "sooner-first");
  queue_.Done("later-first");
  queue_.Done("sooner-first");
  clock_.Advance(seconds(20));
  EXPECT_EQ(queue_.Len(), 0u) << "each key was added once";
}

TEST_F(WorkQueueTest, ShutDownDropsDelayedKeys) {
  queue_.AddAfter("a", seconds(1));
  queue_.ShutDown();
  EXPECT_FALSE(clock_.HasWaiters());
  clock_.Advance(seconds(1));
  queue_.AddAfter("b", seconds(1));
  EXPECT_FALSE(clock_.HasWaiters());
  EXPECT_EQ(queue_.Get(), std::nullopt);
}

TEST(WorkQueueLifetimeTest, DestroyingTheQueueStopsItsTimers) {
  clock::FakeClock clock;
  {
    WorkQueue queue(clock);
    queue.AddAfter("a", seconds(1));
    queue.AddRateLimited("b");
  }
  EXPECT_FALSE(clock.HasWaiters());
  clock.Advance(seconds(2));  // nothing left to reach the destroyed queue
}

TEST_F(WorkQueueTest, AddRateLimitedBacksOffPerKeyUntilForgotten) {
  const milliseconds expected[] = {milliseconds(5), milliseconds(10), milliseconds(20),
                                   milliseconds(40)};
  for (milliseconds delay : expected) {
    queue_.AddRateLimited("a");
    clock_.Advance(delay - milliseconds(1));
    EXPECT_EQ(queue_.Len(), 0u) << delay.count() << " ms";
    clock_.Advance(milliseconds(1));
    ASSERT_EQ(queue_.Get(), "a") << delay.count() << " ms";
    queue_.Done("a");
  }
  EXPECT_EQ(queue_.NumRequeues("a"), 4);
  queue_.Forget("a");
  EXPECT_EQ(queue_.NumRequeues("a"), 0);
  queue_.AddRateLimited("a");
  clock_.Advance(milliseconds(5));
  EXPECT_EQ(queue_.Get(), "a");
}

TEST(WorkQueueRateLimitTest, UsesTheRateLimiterItIsGiven) {
  clock::FakeClock clock;
  WorkQueue queue(clock, std::make_unique<TokenBucketRateLimiter>(clock, 1, 2));
  for (const char* key : {"a", "b", "c", "d"}) queue.AddRateLimited(key);
  EXPECT_EQ(queue.Len(), 2u) << "the burst goes straight in";
  clock.Advance(seconds(1));
  EXPECT_EQ(queue.Len(), 3u);
  clock.Advance(seconds(1));
  EXPECT_EQ(queue.Len(), 4u);
}

TEST(WorkQueueMetricsTest, ReportsAddsDepthDurationsRetriesAndInFlightWork) {
  clock::FakeClock clock;
  auto recorded = std::make_shared<RecordingQueueMetrics::Recorded>();
  auto queue = std::make_unique<WorkQueue>(clock, nullptr,
                                           std::make_unique<RecordingQueueMetrics>(recorded));
  ASSERT_TRUE(recorded->poll);
  queue->Add("a");
  queue->Add("a");
  queue->Add("b");
  EXPECT_EQ(recorded->adds, 2);
  EXPECT_EQ(recorded->depth, 2u);

  clock.Advance(seconds(3));
  ASSERT_EQ(queue->Get(), "a");
  EXPECT_EQ(recorded->depth, 1u);
  EXPECT_EQ(recorded->queue_durations, std::vector<double>{3.0});
  clock.Advance(seconds(2));
  ASSERT_EQ(queue->Get(), "b");
  clock.Advance(seconds(1));
  InFlightWork work = recorded->poll();
  EXPECT_DOUBLE_EQ(work.unfinished_work_seconds, 3.0 + 1.0);
  EXPECT_DOUBLE_EQ(work.longest_running_processor_seconds, 3.0);

  queue->Done("a");
  EXPECT_EQ(recorded->work_durations, std::vector<double>{3.0});
  queue->AddAfter("c", seconds(1));
  queue->AddRateLimited("b");
  EXPECT_EQ(recorded->retries, 2);

  // The poll function may outlive the queue; it then reports nothing in flight.
  std::function<InFlightWork()> poll = recorded->poll;
  queue.reset();
  work = poll();
  EXPECT_EQ(work.unfinished_work_seconds, 0);
  EXPECT_EQ(work.longest_running_processor_seconds, 0);
}

// Several workers drain a queue that producers keep adding a few hot keys to. A checker counts the
// workers holding each key: it must never exceed one. Every key must be processed after its last
// Add, so no change is lost to deduplication.
TEST(WorkQueueStressTest, NoKeyIsProcessedByTwoWorkersAtOnceAndNoAddIsLost) {
  clock::FakeClock clock;
  WorkQueue queue(clock);
  constexpr int kKeys = 8;
  constexpr int kWorkers = 4;
  constexpr int kProducers = 2;
  constexpr int kAddsPerProducer = 20'000;

  std::vector<std::atomic<int>> holders(kKeys);
  // Per key: adds issued so far, and the number of adds a worker had seen when it last started
  // processing the key. Processing that starts after an Add covers it.
  std::vector<std::atomic<int>> adds(kKeys);
  std::vector<std::atomic<int>> covered(kKeys);
  std::atomic<int> overlaps = 0;
  std::atomic<int> processed = 0;

  auto work = [&] {
    while (std::optional<std::string> key = queue.Get()) {
      const int k = std::stoi(*key);
      if (holders[k].fetch_add(1) != 0) ++overlaps;
      covered[k].store(adds[k].load());
      std::this_thread::yield();  // widen the window in which a second worker could slip in
      holders[k].fetch_sub(1);
      ++processed;
      queue.Done(*key);
    }
  };
  auto produce = [&](int seed) {
    for (int i = 0; i < kAddsPerProducer; ++i) {
      const int k = (i * 7 + seed) % kKeys;
      adds[k].fetch_add(1);
      queue.Add(std::to_string(k));
      std::this_thread::yield();  // let workers in between adds, or dedup swallows most of them
    }
  };

  std::vector<std::future<void>> workers;
  for (int w = 0; w < kWorkers; ++w) workers.push_back(std::async(std::launch::async, work));
  std::vector<std::future<void>> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.push_back(std::async(std::launch::async, produce, p));
  }
  for (auto& producer : producers) {
    ASSERT_EQ(producer.wait_for(kDeadline), std::future_status::ready);
  }
  // Workers keep taking keys while the drain waits, and exit once the queue is empty.
  auto drain = std::async(std::launch::async, [&] { queue.ShutDownWithDrain(); });
  bool finished = drain.wait_for(kDeadline) == std::future_status::ready;
  for (auto& worker : workers) {
    finished = finished && worker.wait_for(kDeadline) == std::future_status::ready;
  }
  if (!finished) queue.ShutDown();  // let the futures' destructors join before failing
  ASSERT_TRUE(finished);

  EXPECT_EQ(overlaps.load(), 0);
  for (int k = 0; k < kKeys; ++k) {
    EXPECT_EQ(covered[k].load(), adds[k].load()) << "key " << k << " missed its last add";
  }
  EXPECT_GT(processed.load(), 0);
  EXPECT_LE(processed.load(), kProducers * kAddsPerProducer);
}

}  // namespace
}  // namespace gantry::controllers::runtime
