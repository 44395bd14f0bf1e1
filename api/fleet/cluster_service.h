#pragma once

// Clusters as ECS has them, transport-free: the cluster a request names, CreateCluster answering
// an existing name with the existing cluster, and DeleteCluster's preconditions (no ACTIVE or
// DRAINING instance, no task holding resources, no Service). The ECS handler maps the refusals to
// ECS's exceptions by field; the counts DescribeClusters shows are the cluster controller's.

#include <memory>
#include <string>

#include "api/fleet/fleet_view.h"
#include "api/service/object_service.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::fleet {

// The field of DeleteCluster's refusals (kFailedPrecondition), one per precondition.
inline constexpr const char* kClusterHasInstances = "containerInstances";
inline constexpr const char* kClusterHasTasks = "tasks";
inline constexpr const char* kClusterHasServices = "services";

class ClusterService {
 public:
  // Both must outlive the service.
  ClusterService(api::ObjectService& objects, const FleetView& fleet)
      : objects_(objects), fleet_(fleet) {}

  // The cluster `given` names (a name or an ARN; "" is "default"), which must exist: kNotFound
  // "Cluster not found." on field cluster otherwise.
  api::StatusOr<std::string> Existing(const std::string& given) const;
  // A new ACTIVE cluster, or the existing one of that name (as ECS answers a repeat).
  api::StatusOr<std::unique_ptr<v1::Cluster>> Create(const std::string& name);
  // Deletes the cluster and returns it as it was, marked INACTIVE (ECS keeps deleted clusters
  // visible as INACTIVE; Gantry deletes the object). Refused with kFailedPrecondition on field
  // kClusterHasInstances, kClusterHasTasks or kClusterHasServices, with ECS's message.
  api::StatusOr<v1::Cluster> Delete(const std::string& given);

 private:
  bool HasServices(const std::string& cluster) const;

  api::ObjectService& objects_;
  const FleetView& fleet_;
};

}  // namespace gantry::fleet
