#pragma once

// Keeps every Cluster's stored status counts (registered instances, running and pending tasks,
// active services) equal to what its instances, tasks and Services say, within moments of each
// change: the one place they are computed. DescribeClusters, `gantryctl get clusters`, REST and
// watchers all read them from the cluster's status.
//
//   ContainerInstance / Task / Service change ─▶ enqueue its cluster's name
//   reconcile(cluster) ─▶ CountCluster over the informers' indexes ─▶ PlanClusterStatus
//                      ─▶ UpdateStatus (pinned to the cached resourceVersion; at most one per
//                         cluster per kMinStatusWriteInterval) ─▶ expect that write: no pass
//                         plans again until the cluster informer shows it

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/client/client.h"
#include "api/clock/clock.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/expectations.h"
#include "controllers/runtime/informer_factory.h"

namespace gantry::controllers::cluster {

class ClusterController {
 public:
  static constexpr const char* kName = "cluster";

  // Registers its handlers and indexes on `informers`' Cluster, ContainerInstance, Task and
  // Service informers (before they start). Everything given must outlive the controller.
  ClusterController(client::Client& client, clock::Clock& clock,
                    runtime::InformerFactory& informers, runtime::ControllerOptions options);

  runtime::Controller& controller() { return *controller_; }

  // One pass for one cluster (what the workers call; tests call it directly).
  api::StatusOr<runtime::ReconcileOutcome> Reconcile(const std::string& cluster);

 private:
  client::Client& client_;
  clock::Clock& clock_;
  runtime::Expectations expectations_;
  runtime::Informer& clusters_;
  runtime::Informer& instances_;
  runtime::Informer& tasks_;
  runtime::Informer& services_;
  std::unique_ptr<runtime::Controller> controller_;

  std::mutex mu_;
  std::map<std::string, clock::Clock::TimePoint> last_write_;  // by cluster name
};

}  // namespace gantry::controllers::cluster
