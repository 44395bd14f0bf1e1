#pragma once

// gantryd's Prometheus metrics: one registry per process that every component registers into
// and /metrics serves, and per component one struct built from it (no singletons). prometheus-cpp
// stays inside gantryd_metrics.cc (scripts/check-deps.sh), so this header only names it.
//
// GantrydMetrics; labels are bounded: verb, resource (a kind's plural), code.
//
//   gantry_api_requests_total{verb,resource,code}
//   gantry_api_request_duration_seconds{verb,resource}
//   gantry_store_commit_duration_seconds, gantry_store_commit_writes
//   gantry_store_revision, gantry_store_db_size_bytes, gantry_watch_streams
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_start_time_seconds
//
// FleetMetrics, the cluster and scheduling series (cmd/gantryd/fleet_gauges.h), read from the
// informers at scrape time or counted as things happen:
//
//   gantry_container_instances{cluster,status,connected}
//   gantry_cluster_cpu_registered_units, gantry_cluster_cpu_reserved_units,
//   gantry_cluster_memory_registered_bytes, gantry_cluster_memory_reserved_bytes  {cluster,zone}
//   gantry_service_{desired,running,pending}_tasks{cluster,service}
//   gantry_environment_{desired,running,pending}_tasks{cluster,environment}
//   gantry_deployments{kind,state}, gantry_deployment_rollbacks_total{kind}
//   gantry_placement_decisions_total{cluster,result},
//   gantry_placement_failures_total{cluster,reason}, gantry_placement_decision_duration_seconds
//   gantry_events_total{type,reason}
//
// ControllerMetricsFactory, with the client-go and controller-runtime names so that existing
// dashboards work; labels are a queue's or a controller's name, fixed in code:
//
//   workqueue_depth, workqueue_adds_total, workqueue_queue_duration_seconds,
//   workqueue_work_duration_seconds, workqueue_retries_total, workqueue_unfinished_work_seconds,
//   workqueue_longest_running_processor_seconds  {name}
//   controller_runtime_reconcile_total{controller,result},
//   controller_runtime_reconcile_errors_total, controller_runtime_reconcile_time_seconds,
//   controller_runtime_active_workers  {controller}

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/service/placement_observer.h"
#include "cmd/gantryd/fleet_gauges.h"
#include "controllers/runtime/controller_metrics.h"
#include "controllers/runtime/queue_metrics.h"

namespace gantry {

// The process's one registry. It must outlive every metrics object built from it.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Every registered series in the text exposition format (version 0.0.4). The work-queue gauges
  // that time in-flight work are read from their queues here, so they are exact at scrape time.
  std::string Scrape();

  struct Impl;

 private:
  friend class GantrydMetrics;
  friend class FleetMetrics;
  friend class ControllerMetricsFactory;

  std::unique_ptr<Impl> impl_;
};

class FleetMetrics : public api::PlacementObserver {
 public:
  explicit FleetMetrics(MetricsRegistry& registry);
  ~FleetMetrics() override;

  // Replaces the point-in-time series with `gauges` (call it just before MetricsRegistry::
  // Scrape); series whose labels are gone go with them.
  void Refresh(const FleetGauges& gauges);
  void ObservePlacement(const std::string& cluster, double seconds, size_t placed,
                        const std::vector<std::string>& failure_reasons) override;
  void CountEvents(const std::string& type, const std::string& reason, int64_t occurrences);
  void CountRollbacks(const std::string& kind, int count);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

class GantrydMetrics {
 public:
  explicit GantrydMetrics(MetricsRegistry& registry);
  ~GantrydMetrics();

  void ObserveRequest(const std::string& verb, const std::string& resource, int code,
                      double seconds);
  void ObserveCommit(double seconds, size_t writes);
  // Sets the point-in-time gauges (the store, watch streams, /proc/self); call it just before
  // MetricsRegistry::Scrape.
  void Refresh(int64_t store_revision, int64_t db_size_bytes, size_t watch_streams);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// What controllers are given their metrics by. Series are created, at zero, when asked for (as
// controller-runtime does when a controller starts), so rates are defined before the first event.
// Names are fixed in code and unique in the process: two live queues, or two controllers, with
// one name would share its series.
class ControllerMetricsFactory {
 public:
  explicit ControllerMetricsFactory(MetricsRegistry& registry);
  ~ControllerMetricsFactory();

  // For WorkQueue's constructor; label name=<name>, usually the controller's name.
  std::unique_ptr<controllers::runtime::QueueMetrics> ForQueue(const std::string& name);
  // Label controller=<name>.
  std::unique_ptr<controllers::runtime::ControllerMetrics> ForController(const std::string& name);

  struct Families;

 private:
  MetricsRegistry::Impl& registry_;
  std::unique_ptr<Families> families_;
};

}  // namespace gantry
