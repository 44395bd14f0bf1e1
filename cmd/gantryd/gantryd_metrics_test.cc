#include "cmd/gantryd/gantryd_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/clock/fake_clock.h"
#include "controllers/runtime/controller_metrics.h"
#include "controllers/runtime/work_queue.h"

namespace gantry {
namespace {

using controllers::runtime::ControllerMetrics;
using controllers::runtime::ReconcileResult;
using controllers::runtime::WorkQueue;
using namespace std::chrono_literals;
using ::testing::ElementsAreArray;
using ::testing::IsSupersetOf;
using ::testing::Pair;

constexpr const char* kPromtool = "/usr/bin/promtool";

// Sample lines of a text exposition, by series as printed (name{labels}) → value as printed.
std::map<std::string, std::string> Samples(const std::string& text) {
  std::map<std::string, std::string> samples;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    samples[line.substr(0, space)] = line.substr(space + 1);
  }
  return samples;
}

// `# TYPE` of every family in a text exposition.
std::map<std::string, std::string> Types(const std::string& text) {
  std::map<std::string, std::string> types;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string hash, keyword, name, type;
    if (words >> hash >> keyword >> name >> type && hash == "#" && keyword == "TYPE")
      types[name] = type;
  }
  return types;
}

// The `le` bounds of a histogram series, in the order printed. `series` is the bucket series'
// name and its other labels, e.g. R"(x_bucket{name="q",)".
std::vector<std::string> BucketBounds(const std::string& text, const std::string& series) {
  std::vector<std::string> bounds;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + "le=\"", 0) != 0) continue;
    const size_t start = series.size() + 4;
    bounds.push_back(line.substr(start, line.find('"', start) - start));
  }
  return bounds;
}

struct LintResult {
  int exit_code = -1;
  std::string output;
};

// Prometheus' own linter, as tests/integration/gantryd_test.cc runs it on gantryd's /metrics.
LintResult Promtool(const std::string& text) {
  const std::string path =
      ::testing::TempDir() + "/gantryd_metrics_test." + std::to_string(::getpid()) + ".prom";
  std::ofstream(path) << text;
  LintResult result;
  const std::string command = std::string(kPromtool) + " check metrics < " + path + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::remove(path.c_str());
  return result;
}

double Seconds(clock::Clock::Duration d) { return std::chrono::duration<double>(d).count(); }

// A controller with scripted reconciles, each taking its time on the fake clock, handled the way
// controller-runtime's reconcileHandler handles a result.
class FakeController {
 public:
  struct Reconcile {
    ReconcileResult result;
    clock::Clock::Duration takes;
    clock::Clock::Duration requeue_after{};
  };

  FakeController(clock::FakeClock& clock, WorkQueue& queue,
                 std::unique_ptr<ControllerMetrics> metrics)
      : clock_(clock), queue_(queue), metrics_(std::move(metrics)) {}

  void Script(const std::string& key, std::vector<Reconcile> reconciles) {
    for (Reconcile& r : reconciles) script_[key].push_back(r);
  }
  // Runs inside every reconcile, after its time has passed.
  void WhileReconciling(std::function<void()> fn) { while_reconciling_ = std::move(fn); }

  // What one worker does with one key; false when nothing is ready (Get would block).
  bool ProcessNext() {
    if (queue_.Len() == 0) return false;
    const std::optional<std::string> key = queue_.Get();
    metrics_->ReconcileStarted();
    const auto start = clock_.Now();
    const Reconcile r = script_.at(*key).front();
    script_.at(*key).pop_front();
    clock_.Advance(r.takes);
    if (while_reconciling_) while_reconciling_();
    switch (r.result) {
      case ReconcileResult::kError:
      case ReconcileResult::kRequeue:
        queue_.AddRateLimited(*key);
        break;
      case ReconcileResult::kRequeueAfter:
        queue_.Forget(*key);
        queue_.AddAfter(*key, r.requeue_after);
        break;
      case ReconcileResult::kSuccess:
        queue_.Forget(*key);
        break;
    }
    metrics_->ReconcileFinished(r.result, Seconds(clock_.Now() - start));
    queue_.Done(*key);
    return true;
  }

  void ProcessAll() {
    while (ProcessNext()) {
    }
  }

 private:
  clock::FakeClock& clock_;
  WorkQueue& queue_;
  std::unique_ptr<ControllerMetrics> metrics_;
  std::map<std::string, std::deque<Reconcile>> script_;
  std::function<void()> while_reconciling_;
};

TEST(GantrydMetricsTest, WorkQueueReportsClientGoSeries) {
  MetricsRegistry registry;
  ControllerMetricsFactory factory(registry);
  clock::FakeClock clock;
  WorkQueue queue(clock, nullptr, factory.ForQueue("widgets"));

  queue.Add("a");
  queue.Add("b");
  queue.Add("a");  // already waiting: not an add
  EXPECT_THAT(Samples(registry.Scrape()), IsSupersetOf({
                                              Pair(R"(workqueue_depth{name="widgets"})", "2"),
                                              Pair(R"(workqueue_adds_total{name="widgets"})", "2"),
                                          }));

  clock.Advance(250ms);
  ASSERT_EQ(queue.Get(), "a");  // waited 0.25 s
  clock.Advance(500ms);
  ASSERT_EQ(queue.Get(), "b");  // waited 0.75 s
  clock.Advance(2s);            // a has been worked on for 2.5 s, b for 2 s
  std::string text = registry.Scrape();
  EXPECT_THAT(Samples(text),
              IsSupersetOf({
                  Pair(R"(workqueue_depth{name="widgets"})", "0"),
                  Pair(R"(workqueue_unfinished_work_seconds{name="widgets"})", "4.5"),
                  Pair(R"(workqueue_longest_running_processor_seconds{name="widgets"})", "2.5"),
                  Pair(R"(workqueue_queue_duration_seconds_count{name="widgets"})", "2"),
                  Pair(R"(workqueue_queue_duration_seconds_sum{name="widgets"})", "1"),
                  Pair(R"(workqueue_queue_duration_seconds_bucket{name="widgets",le="0.1"})", "0"),
                  Pair(R"(workqueue_queue_duration_seconds_bucket{name="widgets",le="1"})", "2"),
                  Pair(R"(workqueue_queue_duration_seconds_bucket{name="widgets",le="+Inf"})", "2"),
                  Pair(R"(workqueue_work_duration_seconds_count{name="widgets"})", "0"),
              }));
  // client-go's bounds, 10 ns to 10 s, down to the float rounding of its ExponentialBuckets.
  const std::vector<std::string> client_go_bounds = {"1e-08",
                                                     "1e-07",
                                                     "1e-06",
                                                     "9.999999999999999e-06",
                                                     "9.999999999999999e-05",
                                                     "0.001",
                                                     "0.01",
                                                     "0.1",
                                                     "1",
                                                     "10",
                                                     "+Inf"};
  EXPECT_THAT(BucketBounds(text, R"(workqueue_queue_duration_seconds_bucket{name="widgets",)"),
              ElementsAreArray(client_go_bounds));
  EXPECT_THAT(BucketBounds(text, R"(workqueue_work_duration_seconds_bucket{name="widgets",)"),
              ElementsAreArray(client_go_bounds));

  queue.Done("a");          // worked 2.5 s
  queue.AddAfter("a", 1s);  // a retry
  queue.Add("b");           // while b is worked on: queued again after its Done
  clock.Advance(1s);        // a is added back
  queue.Done("b");          // worked 3 s
  EXPECT_THAT(Samples(registry.Scrape()),
              IsSupersetOf({
                  Pair(R"(workqueue_depth{name="widgets"})", "2"),
                  Pair(R"(workqueue_adds_total{name="widgets"})", "4"),
                  Pair(R"(workqueue_retries_total{name="widgets"})", "1"),
                  Pair(R"(workqueue_unfinished_work_seconds{name="widgets"})", "0"),
                  Pair(R"(workqueue_longest_running_processor_seconds{name="widgets"})", "0"),
                  Pair(R"(workqueue_work_duration_seconds_count{name="widgets"})", "2"),
                  Pair(R"(workqueue_work_duration_seconds_sum{name="widgets"})", "5.5"),
                  Pair(R"(workqueue_work_duration_seconds_bucket{name="widgets",le="1"})", "0"),
                  Pair(R"(workqueue_work_duration_seconds_bucket{name="widgets",le="10"})", "2"),
              }));

  const std::map<std::string, std::string> types = Types(text);
  EXPECT_THAT(types, IsSupersetOf({
                         Pair("workqueue_depth", "gauge"),
                         Pair("workqueue_adds_total", "counter"),
                         Pair("workqueue_queue_duration_seconds", "histogram"),
                         Pair("workqueue_work_duration_seconds", "histogram"),
                         Pair("workqueue_retries_total", "counter"),
                         Pair("workqueue_unfinished_work_seconds", "gauge"),
                         Pair("workqueue_longest_running_processor_seconds", "gauge"),
                     }));
}

TEST(GantrydMetricsTest, ControllerReportsControllerRuntimeSeries) {
  MetricsRegistry registry;
  ControllerMetricsFactory factory(registry);
  clock::FakeClock clock;
  WorkQueue queue(clock, nullptr, factory.ForQueue("widget"));
  FakeController controller(clock, queue, factory.ForController("widget"));
  controller.Script("a", {{ReconcileResult::kSuccess, 250ms}});
  controller.Script("b", {{ReconcileResult::kError, 500ms}, {ReconcileResult::kSuccess, 125ms}});
  controller.Script("c", {{ReconcileResult::kRequeue, 2s}, {ReconcileResult::kSuccess, 125ms}});
  controller.Script(
      "d", {{ReconcileResult::kRequeueAfter, 62500us, 30s}, {ReconcileResult::kSuccess, 125ms}});
  std::vector<std::string> active_while_reconciling;
  controller.WhileReconciling([&] {
    active_while_reconciling.push_back(
        Samples(registry.Scrape())[R"(controller_runtime_active_workers{controller="widget"})"]);
  });

  for (const char* key : {"a", "b", "c", "d"}) queue.Add(key);
  // b's and c's first backoff (5 ms) passes during the reconciles after theirs.
  controller.ProcessAll();
  clock.Advance(30s);  // d's requested delay
  controller.ProcessAll();

  const std::string text = registry.Scrape();
  EXPECT_THAT(
      Samples(text),
      IsSupersetOf({
          Pair(R"(controller_runtime_reconcile_total{controller="widget",result="success"})", "4"),
          Pair(R"(controller_runtime_reconcile_total{controller="widget",result="error"})", "1"),
          Pair(R"(controller_runtime_reconcile_total{controller="widget",result="requeue"})", "1"),
          Pair(R"(controller_runtime_reconcile_total{controller="widget",result="requeue_after"})",
               "1"),
          Pair(R"(controller_runtime_reconcile_errors_total{controller="widget"})", "1"),
          Pair(R"(controller_runtime_reconcile_time_seconds_count{controller="widget"})", "7"),
          Pair(R"(controller_runtime_reconcile_time_seconds_sum{controller="widget"})", "3.1875"),
          Pair(
              R"(controller_runtime_reconcile_time_seconds_bucket{controller="widget",le="0.005"})",
              "0"),
          Pair(R"(controller_runtime_reconcile_time_seconds_bucket{controller="widget",le="0.1"})",
               "1"),
          Pair(R"(controller_runtime_reconcile_time_seconds_bucket{controller="widget",le="0.25"})",
               "5"),
          Pair(R"(controller_runtime_reconcile_time_seconds_bucket{controller="widget",le="0.5"})",
               "6"),
          Pair(R"(controller_runtime_reconcile_time_seconds_bucket{controller="widget",le="2"})",
               "7"),
          Pair(R"(controller_runtime_active_workers{controller="widget"})", "0"),
          // Two AddRateLimited and one AddAfter; four first adds and three re-adds.
          Pair(R"(workqueue_retries_total{name="widget"})", "3"),
          Pair(R"(workqueue_adds_total{name="widget"})", "7"),
          Pair(R"(workqueue_depth{name="widget"})", "0"),
      }));
  EXPECT_EQ(active_while_reconciling, std::vector<std::string>(7, "1"));
  EXPECT_THAT(
      BucketBounds(text,
                   R"(controller_runtime_reconcile_time_seconds_bucket{controller="widget",)"),
      ElementsAreArray({"0.005", "0.01", "0.025", "0.05", "0.1", "0.15", "0.2", "0.25", "0.3",
                        "0.35",  "0.4",  "0.45",  "0.5",  "0.6", "0.7",  "0.8", "0.9",  "1",
                        "1.25",  "1.5",  "1.75",  "2",    "2.5", "3",    "3.5", "4",    "4.5",
                        "5",     "6",    "7",     "8",    "9",   "10",   "15",  "20",   "25",
                        "30",    "40",   "50",    "60",   "+Inf"}));
  EXPECT_THAT(Types(text), IsSupersetOf({
                               Pair("controller_runtime_reconcile_total", "counter"),
                               Pair("controller_runtime_reconcile_errors_total", "counter"),
                               Pair("controller_runtime_reconcile_time_seconds", "histogram"),
                               Pair("controller_runtime_active_workers", "gauge"),
                           }));
}

TEST(GantrydMetricsTest, SeriesStartAtZeroWhenAskedFor) {
  MetricsRegistry registry;
  ControllerMetricsFactory factory(registry);
  const std::string before = registry.Scrape();
  EXPECT_EQ(before.find("workqueue_"), std::string::npos) << before;
  EXPECT_EQ(before.find("controller_runtime_"), std::string::npos) << before;

  clock::FakeClock clock;
  WorkQueue queue(clock, nullptr, factory.ForQueue("widget"));
  std::unique_ptr<ControllerMetrics> controller = factory.ForController("widget");
  // As controller-runtime initialises them when a controller starts, so rate() and absent()
  // behave from the first scrape.
  EXPECT_THAT(
      Samples(registry.Scrape()),
      IsSupersetOf({
          Pair(R"(controller_runtime_reconcile_total{controller="widget",result="success"})", "0"),
          Pair(R"(controller_runtime_reconcile_total{controller="widget",result="error"})", "0"),
          Pair(R"(controller_runtime_reconcile_total{controller="widget",result="requeue"})", "0"),
          Pair(R"(controller_runtime_reconcile_total{controller="widget",result="requeue_after"})",
               "0"),
          Pair(R"(controller_runtime_reconcile_errors_total{controller="widget"})", "0"),
          Pair(R"(controller_runtime_reconcile_time_seconds_count{controller="widget"})", "0"),
          Pair(R"(controller_runtime_active_workers{controller="widget"})", "0"),
          Pair(R"(workqueue_depth{name="widget"})", "0"),
          Pair(R"(workqueue_adds_total{name="widget"})", "0"),
          Pair(R"(workqueue_queue_duration_seconds_count{name="widget"})", "0"),
          Pair(R"(workqueue_work_duration_seconds_count{name="widget"})", "0"),
          Pair(R"(workqueue_retries_total{name="widget"})", "0"),
          Pair(R"(workqueue_unfinished_work_seconds{name="widget"})", "0"),
          Pair(R"(workqueue_longest_running_processor_seconds{name="widget"})", "0"),
      }));
}

TEST(GantrydMetricsTest, InFlightGaugesFallToZeroWhenTheQueueIsGone) {
  MetricsRegistry registry;
  ControllerMetricsFactory factory(registry);
  clock::FakeClock clock;
  auto queue = std::make_unique<WorkQueue>(clock, nullptr, factory.ForQueue("widget"));
  queue->Add("a");
  ASSERT_EQ(queue->Get(), "a");
  clock.Advance(1s);
  EXPECT_THAT(Samples(registry.Scrape()),
              IsSupersetOf({
                  Pair(R"(workqueue_unfinished_work_seconds{name="widget"})", "1"),
                  Pair(R"(workqueue_longest_running_processor_seconds{name="widget"})", "1"),
              }));

  queue.reset();
  EXPECT_THAT(Samples(registry.Scrape()),
              IsSupersetOf({
                  Pair(R"(workqueue_unfinished_work_seconds{name="widget"})", "0"),
                  Pair(R"(workqueue_longest_running_processor_seconds{name="widget"})", "0"),
                  Pair(R"(workqueue_adds_total{name="widget"})", "1"),  // counters never reset
              }));
}

TEST(GantrydMetricsTest, GantrydAndControllersShareOneRegistry) {
  MetricsRegistry registry;
  GantrydMetrics gantryd(registry);
  ControllerMetricsFactory factory(registry);
  clock::FakeClock clock;
  WorkQueue queue(clock, nullptr, factory.ForQueue("widget"));
  FakeController controller(clock, queue, factory.ForController("widget"));
  controller.Script("a", {{ReconcileResult::kError, 10ms}, {ReconcileResult::kSuccess, 10ms}});

  gantryd.ObserveRequest("PUT", "services", 201, 0.002);
  gantryd.ObserveCommit(0.001, 3);
  queue.Add("a");
  controller.ProcessAll();
  clock.Advance(5ms);
  controller.ProcessAll();
  gantryd.Refresh(2, 4096, 1);
  const std::string text = registry.Scrape();

  EXPECT_THAT(
      Samples(text),
      IsSupersetOf({
          Pair(R"(gantry_api_requests_total{code="201",resource="services",verb="PUT"})", "1"),
          Pair(R"(gantry_api_request_duration_seconds_count{resource="services",verb="PUT"})", "1"),
          Pair("gantry_store_commit_duration_seconds_count", "1"),
          Pair("gantry_store_commit_writes_sum", "3"),
          Pair("gantry_store_revision", "2"),
          Pair("gantry_store_db_size_bytes", "4096"),
          Pair("gantry_watch_streams", "1"),
          Pair(R"(controller_runtime_reconcile_total{controller="widget",result="success"})", "1"),
          Pair(R"(controller_runtime_reconcile_errors_total{controller="widget"})", "1"),
          Pair(R"(workqueue_retries_total{name="widget"})", "1"),
      }));
  EXPECT_THAT(Types(text), IsSupersetOf({
                               Pair("process_cpu_seconds_total", "counter"),
                               Pair("process_resident_memory_bytes", "gauge"),
                               Pair("process_virtual_memory_bytes", "gauge"),
                               Pair("process_open_fds", "gauge"),
                               Pair("process_start_time_seconds", "gauge"),
                           }));

  if (::access(kPromtool, X_OK) != 0)
    GTEST_SKIP() << kPromtool << " not installed (scripts/install-deps.sh installs prometheus)";
  const LintResult lint = Promtool(text);
  EXPECT_EQ(lint.exit_code, 0) << lint.output << "\n" << text;
}

// The fleet's series: what a refresh sets replaces the last one (a deleted Service's series go),
// placements and events count up, rollbacks start at zero, and promtool accepts the lot.
TEST(GantrydMetricsTest, FleetSeriesFollowTheFleetAndCountDecisions) {
  MetricsRegistry registry;
  FleetMetrics fleet(registry);
  FleetGauges gauges;
  gauges.instances.push_back({"default", "ACTIVE", true, 3});
  gauges.zones.push_back({"default", "us-east-1a", 4096, 1024, 8LL << 30, 1LL << 30});
  gauges.services.push_back({"default", "web", 3, 2, 1});
  gauges.services.push_back({"default", "old", 1, 1, 0});
  gauges.environments.push_back({"default", "logs", 3, 3, 0});
  gauges.deployments.push_back({"service", "IN_PROGRESS", 1});
  fleet.Refresh(gauges);
  fleet.ObservePlacement("default", 0.0004, 2, {"RESOURCE:MEMORY"});
  fleet.ObservePlacement("default", 0.0002, 0, {"RESOURCE:MEMORY", "MISSING"});
  fleet.CountEvents("Warning", "FailedPlacement", 2);
  fleet.CountRollbacks("environment", 1);
  std::string text = registry.Scrape();
  EXPECT_THAT(
      Samples(text),
      IsSupersetOf({
          Pair(R"(gantry_container_instances{cluster="default",connected="true",status="ACTIVE"})",
               "3"),
          Pair(R"(gantry_cluster_cpu_reserved_units{cluster="default",zone="us-east-1a"})", "1024"),
          Pair(R"(gantry_cluster_memory_registered_bytes{cluster="default",zone="us-east-1a"})",
               "8589934592"),
          Pair(R"(gantry_service_running_tasks{cluster="default",service="web"})", "2"),
          Pair(R"(gantry_service_desired_tasks{cluster="default",service="old"})", "1"),
          Pair(R"(gantry_environment_desired_tasks{cluster="default",environment="logs"})", "3"),
          Pair(R"(gantry_deployments{kind="service",state="IN_PROGRESS"})", "1"),
          Pair(R"(gantry_placement_decisions_total{cluster="default",result="placed"})", "2"),
          Pair(R"(gantry_placement_decisions_total{cluster="default",result="failed"})", "3"),
          Pair(R"(gantry_placement_failures_total{cluster="default",reason="RESOURCE:MEMORY"})",
               "2"),
          Pair(R"(gantry_placement_failures_total{cluster="default",reason="MISSING"})", "1"),
          Pair("gantry_placement_decision_duration_seconds_count", "2"),
          Pair(R"(gantry_events_total{reason="FailedPlacement",type="Warning"})", "2"),
          Pair(R"(gantry_deployment_rollbacks_total{kind="service"})", "0"),
          Pair(R"(gantry_deployment_rollbacks_total{kind="environment"})", "1"),
      }));
  gauges.services.pop_back();  // `old` was deleted
  fleet.Refresh(gauges);
  text = registry.Scrape();
  EXPECT_EQ(Samples(text).count(R"(gantry_service_desired_tasks{cluster="default",service="old"})"),
            0u);
  EXPECT_EQ(Samples(text).count(R"(gantry_service_desired_tasks{cluster="default",service="web"})"),
            1u);

  if (::access(kPromtool, X_OK) != 0)
    GTEST_SKIP() << kPromtool << " not installed (scripts/install-deps.sh installs prometheus)";
  const LintResult lint = Promtool(text);
  EXPECT_EQ(lint.exit_code, 0) << lint.output << "\n" << text;
}

// The poller takes the queue's lock and the queue reports under it: scrapes racing queue work
// and queues coming and going must neither deadlock nor touch a queue that is gone (run it under
// the sanitizers).
TEST(GantrydMetricsTest, ScrapesRaceQueueWorkAndQueueTeardown) {
  MetricsRegistry registry;
  ControllerMetricsFactory factory(registry);
  clock::FakeClock clock;
  WorkQueue steady(clock, nullptr, factory.ForQueue("steady"));
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    while (!stop) {
      steady.Add("k");
      if (auto key = steady.Get()) steady.Done(*key);
    }
  });
  std::thread churn([&] {
    while (!stop) {
      WorkQueue queue(clock, nullptr, factory.ForQueue("churn"));
      queue.Add("k");
      (void)queue.Get();
    }
  });
  for (int i = 0; i < 200; ++i) {
    const std::string text = registry.Scrape();
    ASSERT_NE(text.find("workqueue_adds_total{name=\"steady\"}"), std::string::npos);
  }
  stop = true;
  worker.join();
  churn.join();
}

}  // namespace
}  // namespace gantry
