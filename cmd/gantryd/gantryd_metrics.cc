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
#include <mutex>
#include <sstream>

namespace gantry {
namespace {

// Seconds, from 100 µs to 10 s.
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

}  // namespace

struct GantrydMetrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter()
          .Name("gantry_api_requests_total")
          .Help("API requests by verb, resource and HTTP code")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& request_duration =
      prometheus::BuildHistogram()
          .Name("gantry_api_request_duration_seconds")
          .Help("API request latency")
          .Register(*registry);
  prometheus::Histogram& commit_duration =
      prometheus::BuildHistogram()
          .Name("gantry_store_commit_duration_seconds")
          .Help("Store transaction commit latency, fsync included")
          .Register(*registry)
          .Add({}, LatencyBuckets());
  prometheus::Histogram& commit_writes =
      prometheus::BuildHistogram()
          .Name("gantry_store_commit_writes")
          .Help("Writes per committed transaction (group commit)")
          .Register(*registry)
          .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
                                                           1024});
  prometheus::Gauge& revision = prometheus::BuildGauge()
                                    .Name("gantry_store_revision")
                                    .Help("Current store revision")
                                    .Register(*registry)
                                    .Add({});
  prometheus::Gauge& db_size = prometheus::BuildGauge()
                                   .Name("gantry_store_db_size_bytes")
                                   .Help("Size of the SQLite database file")
                                   .Register(*registry)
                                   .Add({});
  prometheus::Gauge& watches = prometheus::BuildGauge()
                                   .Name("gantry_watch_streams")
                                   .Help("Open watch streams")
                                   .Register(*registry)
                                   .Add({});
  // A counter by convention; prometheus-cpp counters only rise, so each scrape adds the delta.
  prometheus::Counter& cpu = prometheus::BuildCounter()
                                 .Name("process_cpu_seconds_total")
                                 .Help("User and system CPU time")
                                 .Register(*registry)
                                 .Add({});
  double cpu_reported = 0;
  prometheus::Gauge& rss = prometheus::BuildGauge()
                               .Name("process_resident_memory_bytes")
                               .Help("Resident memory")
                               .Register(*registry)
                               .Add({});
  prometheus::Gauge& vsize = prometheus::BuildGauge()
                                 .Name("process_virtual_memory_bytes")
                                 .Help("Virtual memory")
                                 .Register(*registry)
                                 .Add({});
  prometheus::Gauge& fds = prometheus::BuildGauge()
                               .Name("process_open_fds")
                               .Help("Open file descriptors")
                               .Register(*registry)
                               .Add({});
  prometheus::Gauge& start_time = prometheus::BuildGauge()
                                      .Name("process_start_time_seconds")
                                      .Help("Start time since the Unix epoch")
                                      .Register(*registry)
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

GantrydMetrics::GantrydMetrics() : impl_(std::make_unique<Impl>()) {}
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

std::string GantrydMetrics::Scrape(int64_t store_revision, int64_t db_size_bytes,
                                   size_t watch_streams) {
  std::lock_guard lock(impl_->scrape_mu);  // scrapes may overlap; the process readings must not
  impl_->revision.Set(static_cast<double>(store_revision));
  impl_->db_size.Set(static_cast<double>(db_size_bytes));
  impl_->watches.Set(static_cast<double>(watch_streams));
  impl_->ReadProcess();
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, impl_->registry->Collect());
  return out.str();
}

}  // namespace gantry
