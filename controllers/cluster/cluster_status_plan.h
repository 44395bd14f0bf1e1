#pragma once

// A cluster's counts as ECS shows them on DescribeClusters, derived from the objects that refer
// to it: registered (not deregistered) instances, tasks holding resources by whether they run
// yet, and Services. A pure function of those objects, so tables test it without a store.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/clock/clock.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::cluster {

struct ClusterCounts {
  int registered_instances = 0;
  int running_tasks = 0;
  int pending_tasks = 0;
  int active_services = 0;

  bool operator==(const ClusterCounts&) const = default;
};

// The cluster an object's spec.cluster names: "default" when empty, the name when an ARN.
std::string ClusterNameOf(std::string_view spec_cluster);

ClusterCounts CountCluster(const std::vector<const v1::ContainerInstance*>& instances,
                           const std::vector<const v1::Task*>& tasks,
                           const std::vector<const v1::Service*>& services);

// Status writes for one cluster are at least this far apart: under a burst of task changes the
// counts lag by at most this much, and the store sees one write per cluster per interval rather
// than one per change.
inline constexpr std::chrono::milliseconds kMinStatusWriteInterval{500};

struct ClusterStatusAction {
  std::optional<v1::Cluster> write = std::nullopt;  // the cluster, recounted, to write now
  clock::Clock::Duration wait{0};  // counts differ, but the last write was too recent
};

// Nothing when the stored status already says `counts`; otherwise a write, or how long to wait
// for one when the previous write (`last_write`) was less than kMinStatusWriteInterval ago.
ClusterStatusAction PlanClusterStatus(const v1::Cluster& cluster, const ClusterCounts& counts,
                                      std::optional<clock::Clock::TimePoint> last_write,
                                      clock::Clock::TimePoint now);

}  // namespace gantry::controllers::cluster
