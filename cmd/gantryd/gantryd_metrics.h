#pragma once

// gantryd's Prometheus metrics, declared in one place and built from an explicitly passed
// registry (no singletons). Labels are bounded: verb, resource (a kind's plural), code.
//
//   gantry_api_requests_total{verb,resource,code}
//   gantry_api_request_duration_seconds{verb,resource}
//   gantry_store_commit_duration_seconds, gantry_store_commit_writes
//   gantry_store_revision, gantry_store_db_size_bytes, gantry_watch_streams
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_start_time_seconds

#include <cstdint>
#include <memory>
#include <string>

namespace prometheus {
class Registry;
}

namespace gantry {

class GantrydMetrics {
 public:
  GantrydMetrics();
  ~GantrydMetrics();

  void ObserveRequest(const std::string& verb, const std::string& resource, int code,
                      double seconds);
  void ObserveCommit(double seconds, size_t writes);
  // Sets the point-in-time gauges and renders the text exposition format.
  std::string Scrape(int64_t store_revision, int64_t db_size_bytes, size_t watch_streams);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry
