#include "controllers/runtime/controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "api/clock/fake_clock.h"

namespace gantry::controllers::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class RecordingMetrics : public ControllerMetrics {
 public:
  explicit RecordingMetrics(std::vector<ReconcileResult>& results) : results_(results) {}
  void ReconcileStarted() override { ++active; }
  void ReconcileFinished(ReconcileResult result, double) override {
    --active;
    std::lock_guard lock(mu_);
    results_.push_back(result);
  }
  std::atomic<int> active{0};

 private:
  std::mutex mu_;
  std::vector<ReconcileResult>& results_;
};

class ControllerTest : public ::testing::Test {
 protected:
  // A controller whose reconcile answers from `script_` (by key, in order; then done).
  std::unique_ptr<Controller> Make(int workers = 1) {
    ControllerOptions options;
    options.name = "test";
    options.workers = workers;
    options.metrics = std::make_unique<RecordingMetrics>(results_);
    return std::make_unique<Controller>(
        clock_,
        [this](const std::string& key) -> api::StatusOr<ReconcileOutcome> {
          std::lock_guard lock(mu_);
          calls_.push_back(key);
          auto& answers = script_[key];
          if (answers.empty()) return ReconcileOutcome{};
          auto next = answers.front();
          answers.erase(answers.begin());
          return next;
        },
        std::move(options));
  }

  clock::FakeClock clock_;
  std::mutex mu_;
  std::map<std::string, std::vector<api::StatusOr<ReconcileOutcome>>> script_;
  std::vector<std::string> calls_;
  std::vector<ReconcileResult> results_;
};

TEST_F(ControllerTest, ErrorsBackOffAndSuccessForgets) {
  auto c = Make();
  script_["web"] = {api::Status(api::Code::kUnavailable, "store down"),
                    api::Status(api::Code::kUnavailable, "store down")};
  c->queue().Add("web");
  ASSERT_TRUE(c->ProcessNextItem());
  EXPECT_EQ(c->queue().Len(), 0u) << "waiting out its backoff";
  EXPECT_EQ(c->queue().NumRequeues("web"), 1);
  clock_.Advance(milliseconds(5));
  ASSERT_EQ(c->queue().Len(), 1u);
  ASSERT_TRUE(c->ProcessNextItem());
  clock_.Advance(milliseconds(9));
  EXPECT_EQ(c->queue().Len(), 0u) << "the second backoff is 10 ms";
  clock_.Advance(milliseconds(1));
  ASSERT_EQ(c->queue().Len(), 1u);
  ASSERT_TRUE(c->ProcessNextItem());
  EXPECT_EQ(c->queue().NumRequeues("web"), 0) << "success forgets the backoff";
  EXPECT_EQ(results_,
            (std::vector<ReconcileResult>{ReconcileResult::kError, ReconcileResult::kError,
                                          ReconcileResult::kSuccess}));
}

TEST_F(ControllerTest, RequeueAfterComesBackAtItsTimeAndRequeueBacksOff) {
  auto c = Make();
  script_["bake"] = {ReconcileOutcome{false, seconds(30)}};
  script_["again"] = {ReconcileOutcome{true, {}}};
  c->queue().Add("bake");
  c->queue().Add("again");
  ASSERT_TRUE(c->ProcessNextItem());
  ASSERT_TRUE(c->ProcessNextItem());
  EXPECT_EQ(c->queue().NumRequeues("bake"), 0) << "a requested delay is not a failure";
  EXPECT_EQ(c->queue().NumRequeues("again"), 1);
  clock_.Advance(milliseconds(5));
  ASSERT_EQ(c->queue().Len(), 1u);
  ASSERT_TRUE(c->ProcessNextItem());  // "again", now done
  clock_.Advance(seconds(29));
  EXPECT_EQ(c->queue().Len(), 0u);
  clock_.Advance(seconds(1));
  ASSERT_EQ(c->queue().Len(), 1u);
  ASSERT_TRUE(c->ProcessNextItem());
  EXPECT_EQ(calls_, (std::vector<std::string>{"bake", "again", "again", "bake"}));
  EXPECT_EQ(results_,
            (std::vector<ReconcileResult>{ReconcileResult::kRequeueAfter, ReconcileResult::kRequeue,
                                          ReconcileResult::kSuccess, ReconcileResult::kSuccess}));
}

// Stop lets workers finish the keys they hold and hand out no more: with a backlog queued, it
// returns after at most one reconcile per worker.
TEST_F(ControllerTest, StopDoesNotWorkThroughTheBacklog) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  int started = 0;
  ControllerOptions options;
  options.name = "backlog";
  options.workers = 2;
  Controller c(
      clock_,
      [&](const std::string&) -> api::StatusOr<ReconcileOutcome> {
        std::unique_lock lock(mu);
        ++started;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
        return ReconcileOutcome{};
      },
      std::move(options));
  c.Start();
  for (int i = 0; i < 100; ++i) c.queue().Add("k" + std::to_string(i));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, seconds(10), [&] { return started == 2; }));
  }
  std::thread stop([&] { c.Stop(); });
  while (!c.queue().ShuttingDown()) std::this_thread::yield();
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  stop.join();
  std::lock_guard lock(mu);
  EXPECT_EQ(started, 2) << "Stop reconciled keys still waiting in the queue";
}

TEST_F(ControllerTest, WorkersReconcileEveryKeyAndStopDrains) {
  std::mutex mu;
  std::condition_variable cv;
  std::set<std::string> busy, done;
  bool overlap = false;
  ControllerOptions options;
  options.name = "workers";
  options.workers = 4;
  Controller c(
      clock_,
      [&](const std::string& key) -> api::StatusOr<ReconcileOutcome> {
        {
          std::lock_guard lock(mu);
          if (!busy.insert(key).second) overlap = true;
        }
        std::lock_guard lock(mu);
        busy.erase(key);
        done.insert(key);
        cv.notify_all();
        return ReconcileOutcome{};
      },
      std::move(options));
  c.Start();
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 100; ++i) c.queue().Add("k" + std::to_string(i));
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, seconds(10), [&] { return done.size() == 100; }));
  }
  c.Stop();  // joins; a hang fails by the test's timeout
  EXPECT_FALSE(overlap) << "a key went to two workers at once";
  EXPECT_FALSE(c.ProcessNextItem()) << "stopped";
}

}  // namespace
}  // namespace gantry::controllers::runtime
