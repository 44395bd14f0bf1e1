#include "cmd/gantryd/gantryd_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

namespace gantry {
namespace {

// Seconds, from 100 µs to 10 s.
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

// client-go's ExponentialBuckets(10e-9, 10, 10), 10 ns to 10 s, computed by the same repeated
// multiplication so the bounds and their `le` labels (le="9.999999999999999e-06") are the ones
// Kubernetes components expose.
prometheus::Histogram::BucketBoundaries WorkQueueBuckets() {
  prometheus::Histogram::BucketBoundaries buckets;
  double bound = 10e-9;
  for (int i = 0; i < 10; ++i, bound *= 10) buckets.push_back(bound);
  return buckets;
}

// controller-runtime's, fine-grained where reconciles usually end (under a second).
prometheus::Histogram::BucketBoundaries ReconcileBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1,  0.15, 0.2,  0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
          0.7,   0.8,  0.9,   1.0,  1.25, 1.5,  1.75, 2.0,  2.5, 3.0,  3.5, 4.0,  4.5, 5,
          6,     7,    8,     9,    10,   15,   20,   25,   30,  40,   50,  60};
}

}  // namespace

struct MetricsRegistry::Impl {
  // Runs every poller; they set gauges that nothing else keeps current.
  void Poll() {
    std::lock_guard lock(pollers_mu);
    for (const auto& [id, poll] : pollers) poll();
  }
  uint64_t AddPoller(std::function<void()> poll) {
    std::lock_guard lock(pollers_mu);
    pollers.emplace(next_poller, std::move(poll));
    return next_poller++;
  }
  // Once this returns the poller is not running and never runs again.
  void RemovePoller(uint64_t id) {
    std::lock_guard lock(pollers_mu);
    pollers.erase(id);
  }

  prometheus::Registry registry;
  std::mutex pollers_mu;  // held while pollers run, so RemovePoller waits for a running one
  std::map<uint64_t, std::function<void()>> pollers;
  uint64_t next_poller = 0;
};

MetricsRegistry::MetricsRegistry() : impl_(std::make_unique<Impl>()) {}
MetricsRegistry::~MetricsRegistry() = default;

std::string MetricsRegistry::Scrape() {
  impl_->Poll();
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, impl_->registry.Collect());
  return out.str();
}

struct GantrydMetrics::Impl {
  explicit Impl(prometheus::Registry& r) : registry(r) {}

  prometheus::Registry& registry;
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter()
          .Name("gantry_api_requests_total")
          .Help("API requests by verb, resource and HTTP code")
          .Register(registry);
  prometheus::Family<prometheus::Histogram>& request_duration =
      prometheus::BuildHistogram()
          .Name("gantry_api_request_duration_seconds")
          .Help("API request latency")
          .Register(registry);
  prometheus::Histogram& commit_duration =
      prometheus::BuildHistogram()
          .Name("gantry_store_commit_duration_seconds")
          .Help("Store transaction commit latency, fsync included")
          .Register(registry)
          .Add({}, LatencyBuckets());
  prometheus::Histogram& commit_writes =
      prometheus::BuildHistogram()
          .Name("gantry_store_commit_writes")
          .Help("Writes per committed transaction (group commit)")
          .Register(registry)
          .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
                                                           1024});
  prometheus::Gauge& revision = prometheus::BuildGauge()
                                    .Name("gantry_store_revision")
                                    .Help("Current store revision")
                                    .Register(registry)
                                    .Add({});
  prometheus::Gauge& db_size = prometheus::BuildGauge()
                                   .Name("gantry_store_db_size_bytes")
                                   .Help("Size of the SQLite database file")
                                   .Register(registry)
                                   .Add({});
  prometheus::Gauge& watches = prometheus::BuildGauge()
                                   .Name("gantry_watch_streams")
                                   .Help("Open watch streams")
                                   .Register(registry)
                                   .Add({});
  // A counter by convention; prometheus-cpp counters only rise, so each scrape adds the delta.
  prometheus::Counter& cpu = prometheus::BuildCounter()
                                 .Name("process_cpu_seconds_total")
                                 .Help("User and system CPU time")
                                 .Register(registry)
                                 .Add({});
  double cpu_reported = 0;
  prometheus::Gauge& rss = prometheus::BuildGauge()
                               .Name("process_resident_memory_bytes")
                               .Help("Resident memory")
                               .Register(registry)
                               .Add({});
  prometheus::Gauge& vsize = prometheus::BuildGauge()
                                 .Name("process_virtual_memory_bytes")
                                 .Help("Virtual memory")
                                 .Register(registry)
                                 .Add({});
  prometheus::Gauge& fds = prometheus::BuildGauge()
                               .Name("process_open_fds")
                               .Help("Open file descriptors")
                               .Register(registry)
                               .Add({});
  prometheus::Gauge& start_time = prometheus::BuildGauge()
                                      .Name("process_start_time_seconds")
                                      .Help("Start time since the Unix epoch")
                                      .Register(registry)
                                      .Add({});

  std::mutex scrape_mu;

  void ReadProcess() {
    std::ifstream stat("/proc/self/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the command name (which may hold spaces) start after the last ')'.
    std::istringstream rest(content.substr(content.rfind(')') + 2));
    std::string field;
    long ticks = sysconf(_SC_CLK_TCK);
    double utime = 0, stime = 0, starttime = 0, vm = 0, rss_pages = 0;
    for (int i = 3; rest >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
      if (i == 22) starttime = std::stod(field);
      if (i == 23) vm = std::stod(field);
      if (i == 24) rss_pages = std::stod(field);
    }
    double cpu_now = (utime + stime) / static_cast<double>(ticks);
    if (cpu_now > cpu_reported) {
      cpu.Increment(cpu_now - cpu_reported);
      cpu_reported = cpu_now;
    }
    rss.Set(rss_pages * static_cast<double>(sysconf(_SC_PAGESIZE)));
    vsize.Set(vm);
    std::ifstream uptime_file("/proc/uptime");
    double uptime = 0;
    uptime_file >> uptime;
    double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    start_time.Set(now - uptime + starttime / static_cast<double>(ticks));
    std::error_code ec;
    size_t n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); ++it)
      ++n;
    fds.Set(static_cast<double>(n));
  }
};

GantrydMetrics::GantrydMetrics(MetricsRegistry& registry)
    : impl_(std::make_unique<Impl>(registry.impl_->registry)) {}
GantrydMetrics::~GantrydMetrics() = default;

void GantrydMetrics::ObserveRequest(const std::string& verb, const std::string& resource, int code,
                                    double seconds) {
  impl_->requests.Add({{"verb", verb}, {"resource", resource}, {"code", std::to_string(code)}})
      .Increment();
  impl_->request_duration.Add({{"verb", verb}, {"resource", resource}}, LatencyBuckets())
      .Observe(seconds);
}

void GantrydMetrics::ObserveCommit(double seconds, size_t writes) {
  impl_->commit_duration.Observe(seconds);
  impl_->commit_writes.Observe(static_cast<double>(writes));
}

void GantrydMetrics::Refresh(int64_t store_revision, int64_t db_size_bytes, size_t watch_streams) {
  std::lock_guard lock(impl_->scrape_mu);  // scrapes may overlap; the process readings must not
  impl_->revision.Set(static_cast<double>(store_revision));
  impl_->db_size.Set(static_cast<double>(db_size_bytes));
  impl_->watches.Set(static_cast<double>(watch_streams));
  impl_->ReadProcess();
}

// A family of gauges whose label sets come and go with the fleet: each refresh replaces them.
class GaugeSet {
 public:
  GaugeSet(prometheus::Registry& registry, const std::string& name, const std::string& help)
      : family_(prometheus::BuildGauge().Name(name).Help(help).Register(registry)) {}
  void Clear() {
    for (prometheus::Gauge* g : live_) family_.Remove(g);
    live_.clear();
  }
  void Set(const std::map<std::string, std::string>& labels, double value) {
    prometheus::Gauge& g = family_.Add(labels);
    g.Set(value);
    live_.push_back(&g);
  }

 private:
  prometheus::Family<prometheus::Gauge>& family_;
  std::vector<prometheus::Gauge*> live_;
};

struct FleetMetrics::Impl {
  explicit Impl(prometheus::Registry& r) : registry(r) {
    // Rollbacks are rare: their series exist at zero from the start, so an alert's increase()
    // sees the first one.
    for (const char* kind : {"service", "environment"}) rollbacks.Add({{"kind", kind}});
  }

  prometheus::Registry& registry;
  std::mutex mu;  // the gauge sets, between overlapping scrapes
  GaugeSet instances{registry, "gantry_container_instances",
                     "Container instances by cluster, status and agent connection"};
  GaugeSet cpu_registered{registry, "gantry_cluster_cpu_registered_units",
                          "CPU units registered by the instances of a zone (not INACTIVE)"};
  GaugeSet cpu_reserved{registry, "gantry_cluster_cpu_reserved_units",
                        "CPU units the tasks on a zone's instances reserve"};
  GaugeSet memory_registered{registry, "gantry_cluster_memory_registered_bytes",
                             "Memory registered by the instances of a zone (not INACTIVE)"};
  GaugeSet memory_reserved{registry, "gantry_cluster_memory_reserved_bytes",
                           "Memory the tasks on a zone's instances reserve"};
  GaugeSet service_desired{registry, "gantry_service_desired_tasks", "A Service's desiredCount"};
  GaugeSet service_running{registry, "gantry_service_running_tasks", "A Service's tasks RUNNING"};
  GaugeSet service_pending{registry, "gantry_service_pending_tasks",
                           "A Service's tasks not yet RUNNING"};
  GaugeSet environment_desired{registry, "gantry_environment_desired_tasks",
                               "An Environment's eligible instances: one task each"};
  GaugeSet environment_running{registry, "gantry_environment_running_tasks",
                               "An Environment's tasks RUNNING"};
  GaugeSet environment_pending{registry, "gantry_environment_pending_tasks",
                               "An Environment's tasks not yet RUNNING"};
  GaugeSet deployments{registry, "gantry_deployments",
                       "Service deployment records and Environment Deployments by state"};
  prometheus::Family<prometheus::Counter>& rollbacks =
      prometheus::BuildCounter()
          .Name("gantry_deployment_rollbacks_total")
          .Help("Deployments rolled back by their circuit breaker or by a user")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& decisions =
      prometheus::BuildCounter()
          .Name("gantry_placement_decisions_total")
          .Help("Tasks placement was asked to place, by result (placed or failed)")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& failures =
      prometheus::BuildCounter()
          .Name("gantry_placement_failures_total")
          .Help("Tasks that found no instance, by ECS reason")
          .Register(registry);
  prometheus::Histogram& decision_duration =
      prometheus::BuildHistogram()
          .Name("gantry_placement_decision_duration_seconds")
          .Help("Time a launch spent placing its tasks, under its cluster's lock")
          .Register(registry)
          .Add({}, LatencyBuckets());
  prometheus::Family<prometheus::Counter>& events =
      prometheus::BuildCounter()
          .Name("gantry_events_total")
          .Help("Event occurrences by type (Normal, Warning) and reason")
          .Register(registry);
};

FleetMetrics::FleetMetrics(MetricsRegistry& registry)
    : impl_(std::make_unique<Impl>(registry.impl_->registry)) {}
FleetMetrics::~FleetMetrics() = default;

void FleetMetrics::Refresh(const FleetGauges& gauges) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  for (GaugeSet* set :
       {&m.instances, &m.cpu_registered, &m.cpu_reserved, &m.memory_registered, &m.memory_reserved,
        &m.service_desired, &m.service_running, &m.service_pending, &m.environment_desired,
        &m.environment_running, &m.environment_pending, &m.deployments})
    set->Clear();
  for (const auto& i : gauges.instances) {
    m.instances.Set({{"cluster", i.cluster},
                     {"status", i.status},
                     {"connected", i.connected ? "true" : "false"}},
                    static_cast<double>(i.count));
  }
  for (const auto& z : gauges.zones) {
    const std::map<std::string, std::string> labels{{"cluster", z.cluster}, {"zone", z.zone}};
    m.cpu_registered.Set(labels, static_cast<double>(z.cpu_registered));
    m.cpu_reserved.Set(labels, static_cast<double>(z.cpu_reserved));
    m.memory_registered.Set(labels, static_cast<double>(z.memory_registered));
    m.memory_reserved.Set(labels, static_cast<double>(z.memory_reserved));
  }
  for (const auto& w : gauges.services) {
    const std::map<std::string, std::string> labels{{"cluster", w.cluster}, {"service", w.name}};
    m.service_desired.Set(labels, static_cast<double>(w.desired));
    m.service_running.Set(labels, static_cast<double>(w.running));
    m.service_pending.Set(labels, static_cast<double>(w.pending));
  }
  for (const auto& w : gauges.environments) {
    const std::map<std::string, std::string> labels{{"cluster", w.cluster},
                                                    {"environment", w.name}};
    m.environment_desired.Set(labels, static_cast<double>(w.desired));
    m.environment_running.Set(labels, static_cast<double>(w.running));
    m.environment_pending.Set(labels, static_cast<double>(w.pending));
  }
  for (const auto& d : gauges.deployments)
    m.deployments.Set({{"kind", d.kind}, {"state", d.state}}, static_cast<double>(d.count));
}

void FleetMetrics::ObservePlacement(const std::string& cluster, double seconds, size_t placed,
                                    const std::vector<std::string>& failure_reasons) {
  Impl& m = *impl_;
  m.decision_duration.Observe(seconds);
  if (placed > 0)
    m.decisions.Add({{"cluster", cluster}, {"result", "placed"}})
        .Increment(static_cast<double>(placed));
  if (failure_reasons.empty()) return;
  m.decisions.Add({{"cluster", cluster}, {"result", "failed"}})
      .Increment(static_cast<double>(failure_reasons.size()));
  for (const std::string& reason : failure_reasons)
    m.failures.Add({{"cluster", cluster}, {"reason", reason}}).Increment();
}

void FleetMetrics::CountEvents(const std::string& type, const std::string& reason,
                               int64_t occurrences) {
  if (occurrences <= 0) return;
  impl_->events.Add({{"type", type}, {"reason", reason}})
      .Increment(static_cast<double>(occurrences));
}

void FleetMetrics::CountRollbacks(const std::string& kind, int count) {
  if (count <= 0) return;
  impl_->rollbacks.Add({{"kind", kind}}).Increment(count);
}

// Help texts are client-go's and controller-runtime's.
struct ControllerMetricsFactory::Families {
  explicit Families(prometheus::Registry& r) : registry(r) {}

  prometheus::Registry& registry;
  prometheus::Family<prometheus::Gauge>& depth = prometheus::BuildGauge()
                                                     .Name("workqueue_depth")
                                                     .Help("Current depth of workqueue")
                                                     .Register(registry);
  prometheus::Family<prometheus::Counter>& adds =
      prometheus::BuildCounter()
          .Name("workqueue_adds_total")
          .Help("Total number of adds handled by workqueue")
          .Register(registry);
  prometheus::Family<prometheus::Histogram>& queue_duration =
      prometheus::BuildHistogram()
          .Name("workqueue_queue_duration_seconds")
          .Help("How long in seconds an item stays in workqueue before being requested")
          .Register(registry);
  prometheus::Family<prometheus::Histogram>& work_duration =
      prometheus::BuildHistogram()
          .Name("workqueue_work_duration_seconds")
          .Help("How long in seconds processing an item from workqueue takes")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& retries =
      prometheus::BuildCounter()
          .Name("workqueue_retries_total")
          .Help("Total number of retries handled by workqueue")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& unfinished_work =
      prometheus::BuildGauge()
          .Name("workqueue_unfinished_work_seconds")
          .Help(
              "How many seconds of work has been done that is in progress and hasn't been "
              "observed by work_duration. Large values indicate stuck threads. One can deduce "
              "the number of stuck threads by observing the rate at which this increases.")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& longest_running =
      prometheus::BuildGauge()
          .Name("workqueue_longest_running_processor_seconds")
          .Help("How many seconds has the longest running processor for workqueue been running.")
          .Register(registry);

  prometheus::Family<prometheus::Counter>& reconcile_total =
      prometheus::BuildCounter()
          .Name("controller_runtime_reconcile_total")
          .Help("Total number of reconciliations per controller")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& reconcile_errors =
      prometheus::BuildCounter()
          .Name("controller_runtime_reconcile_errors_total")
          .Help("Total number of reconciliation errors per controller")
          .Register(registry);
  prometheus::Family<prometheus::Histogram>& reconcile_time =
      prometheus::BuildHistogram()
          .Name("controller_runtime_reconcile_time_seconds")
          .Help("Length of time per reconciliation per controller")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& active_workers =
      prometheus::BuildGauge()
          .Name("controller_runtime_active_workers")
          .Help("Number of currently used workers per controller")
          .Register(registry);
};

namespace {

using controllers::runtime::InFlightWork;
using controllers::runtime::ReconcileResult;

class PrometheusQueueMetrics final : public controllers::runtime::QueueMetrics {
 public:
  PrometheusQueueMetrics(MetricsRegistry::Impl& registry, ControllerMetricsFactory::Families& f,
                         const std::string& name)
      : registry_(registry),
        depth_(f.depth.Add({{"name", name}})),
        adds_(f.adds.Add({{"name", name}})),
        queue_duration_(f.queue_duration.Add({{"name", name}}, WorkQueueBuckets())),
        work_duration_(f.work_duration.Add({{"name", name}}, WorkQueueBuckets())),
        retries_(f.retries.Add({{"name", name}})),
        unfinished_work_(f.unfinished_work.Add({{"name", name}})),
        longest_running_(f.longest_running.Add({{"name", name}})) {}

  // The queue is gone, so nothing of it is in flight; without the poller the gauges would keep
  // their last reading.
  ~PrometheusQueueMetrics() override {
    StopPolling();
    unfinished_work_.Set(0);
    longest_running_.Set(0);
  }

  void SetDepth(size_t depth) override { depth_.Set(static_cast<double>(depth)); }
  void CountAdd() override { adds_.Increment(); }
  void ObserveQueueDuration(double seconds) override { queue_duration_.Observe(seconds); }
  void ObserveWorkDuration(double seconds) override { work_duration_.Observe(seconds); }
  void CountRetry() override { retries_.Increment(); }

  // Polled on each scrape rather than on a timer as client-go does: the reading is exact when
  // served, needs no thread or timer, and costs one short hold of the queue's lock per scrape.
  void PollInFlightWith(std::function<InFlightWork()> poll) override {
    StopPolling();
    poller_ = registry_.AddPoller([this, poll = std::move(poll)] {
      const InFlightWork work = poll();
      unfinished_work_.Set(work.unfinished_work_seconds);
      longest_running_.Set(work.longest_running_processor_seconds);
    });
  }

 private:
  void StopPolling() {
    if (poller_) registry_.RemovePoller(*poller_);
    poller_.reset();
  }

  MetricsRegistry::Impl& registry_;
  prometheus::Gauge& depth_;
  prometheus::Counter& adds_;
  prometheus::Histogram& queue_duration_;
  prometheus::Histogram& work_duration_;
  prometheus::Counter& retries_;
  prometheus::Gauge& unfinished_work_;
  prometheus::Gauge& longest_running_;
  std::optional<uint64_t> poller_;
};

class PrometheusControllerMetrics final : public controllers::runtime::ControllerMetrics {
 public:
  PrometheusControllerMetrics(ControllerMetricsFactory::Families& f, const std::string& name)
      : success_(Total(f, name, ReconcileResult::kSuccess)),
        error_(Total(f, name, ReconcileResult::kError)),
        requeue_(Total(f, name, ReconcileResult::kRequeue)),
        requeue_after_(Total(f, name, ReconcileResult::kRequeueAfter)),
        errors_(f.reconcile_errors.Add({{"controller", name}})),
        time_(f.reconcile_time.Add({{"controller", name}}, ReconcileBuckets())),
        active_workers_(f.active_workers.Add({{"controller", name}})) {}

  void ReconcileStarted() override { active_workers_.Increment(); }

  void ReconcileFinished(ReconcileResult result, double seconds) override {
    time_.Observe(seconds);
    switch (result) {
      case ReconcileResult::kSuccess:
        success_.Increment();
        break;
      case ReconcileResult::kError:
        error_.Increment();
        errors_.Increment();
        break;
      case ReconcileResult::kRequeue:
        requeue_.Increment();
        break;
      case ReconcileResult::kRequeueAfter:
        requeue_after_.Increment();
        break;
    }
    active_workers_.Decrement();
  }

 private:
  static prometheus::Counter& Total(ControllerMetricsFactory::Families& f, const std::string& name,
                                    ReconcileResult result) {
    return f.reconcile_total.Add(
        {{"controller", name}, {"result", std::string(ReconcileResultLabel(result))}});
  }

  prometheus::Counter& success_;
  prometheus::Counter& error_;
  prometheus::Counter& requeue_;
  prometheus::Counter& requeue_after_;
  prometheus::Counter& errors_;
  prometheus::Histogram& time_;
  prometheus::Gauge& active_workers_;
};

}  // namespace

ControllerMetricsFactory::ControllerMetricsFactory(MetricsRegistry& registry)
    : registry_(*registry.impl_), families_(std::make_unique<Families>(registry_.registry)) {}
ControllerMetricsFactory::~ControllerMetricsFactory() = default;

std::unique_ptr<controllers::runtime::QueueMetrics> ControllerMetricsFactory::ForQueue(
    const std::string& name) {
  return std::make_unique<PrometheusQueueMetrics>(registry_, *families_, name);
}

std::unique_ptr<controllers::runtime::ControllerMetrics> ControllerMetricsFactory::ForController(
    const std::string& name) {
  return std::make_unique<PrometheusControllerMetrics>(*families_, name);
}

}  // namespace gantry
