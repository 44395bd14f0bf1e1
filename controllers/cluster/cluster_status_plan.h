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
#include "api/schema/object_state.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::cluster {

struct ClusterCounts {
  int registered_instances = 0;
  int running_tasks = 0;
  int pending_tasks = 0;
  int active_services = 0;

  bool operator==(const ClusterCounts&) const = default;
};

using schema::ClusterNameOf;

ClusterCounts CountCluster(const std::vector<const v1::ContainerInstance*>& instances,
                           const std::vector<const v1::Task*>& tasks,
                           const std::vector<const v1::Service*>& services);

// Status writes for one cluster are at least this far apart: under a burst of task changes the
// counts lag by at most this much, and the cluster is recounted (O(its tasks)) and written at
// most once per interval rather than once per change.
inline constexpr std::chrono::milliseconds kMinStatusWriteInterval{500};

// How long to wait before recounting a cluster last written at `last_write`: zero when it may be
// recounted (and written) now.
clock::Clock::Duration RecountWait(std::optional<clock::Clock::TimePoint> last_write,
                                   clock::Clock::TimePoint now);

// The cluster with its status recounted, or nothing when the stored status already says so.
std::optional<v1::Cluster> PlanClusterStatus(const v1::Cluster& cluster,
                                             const ClusterCounts& counts);

}  // namespace gantry::controllers::cluster
