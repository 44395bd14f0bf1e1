#include "api/fleet/cluster_service.h"

#include "api/fleet/ecs_names.h"
#include "api/schema/kinds.h"
#include "api/schema/object_state.h"
#include "api/validation/validate.h"

namespace gantry::fleet {
namespace {

using api::Code;
using api::Status;

const schema::KindInfo& ClusterKind() { return *schema::FindKind("Cluster"); }

Status ClusterNotFound() { return Status(Code::kNotFound, "Cluster not found.", "cluster"); }

}  // namespace

api::StatusOr<std::string> ClusterService::Existing(const std::string& given) const {
  std::string name = given.empty() ? kDefaultCluster : ShortName(given);
  auto got = objects_.Get(ClusterKind(), name);
  if (!got.ok()) {
    if (got.status().code() == Code::kNotFound) return ClusterNotFound();
    return got.status();
  }
  return name;
}

api::StatusOr<std::unique_ptr<v1::Cluster>> ClusterService::Create(const std::string& name) {
  if (auto st = validation::ValidateName(name, "clusterName"); !st.ok()) return st;
  v1::Cluster cluster;
  cluster.set_api_version(std::string(schema::kApiVersion));
  cluster.set_kind("Cluster");
  cluster.mutable_metadata()->set_name(name);
  cluster.mutable_status()->set_status("ACTIVE");
  auto as_cluster = [](api::ObjectPtr object) {
    return std::unique_ptr<v1::Cluster>(static_cast<v1::Cluster*>(object.release()));
  };
  auto created = objects_.Create(cluster, {.keep_status = true});
  if (created.ok()) return as_cluster(std::move(*created));
  if (created.status().code() != Code::kAlreadyExists) return created.status();
  auto got = objects_.Get(ClusterKind(), name);
  if (!got.ok()) return got.status();
  return as_cluster(std::move(*got));
}

bool ClusterService::HasServices(const std::string& cluster) const {
  auto list = objects_.List(*schema::FindKind("Service"));
  if (!list.ok()) return false;  // the delete below then fails on the store as well
  for (const auto& item : list->items) {
    if (schema::ClusterNameOf(static_cast<const v1::Service&>(*item).spec().cluster()) == cluster)
      return true;
  }
  return false;
}

api::StatusOr<v1::Cluster> ClusterService::Delete(const std::string& given) {
  auto cluster = Existing(given);
  if (!cluster.ok()) return cluster.status();
  (void)fleet_.AwaitNotedWrites();  // a task launched just before counts
  for (const auto& ci : fleet_.InstancesIn(*cluster)) {
    if (schema::InstanceStatusOf(*ci) != "INACTIVE") {
      return Status(Code::kFailedPrecondition,
                    "The Cluster cannot be deleted while Container Instances are active or "
                    "draining.",
                    kClusterHasInstances);
    }
  }
  for (const auto& t : fleet_.TasksIn(*cluster)) {
    if (schema::HoldsResources(*t)) {
      return Status(Code::kFailedPrecondition,
                    "The Cluster cannot be deleted while Tasks are active.", kClusterHasTasks);
    }
  }
  if (HasServices(*cluster)) {
    return Status(Code::kFailedPrecondition,
                  "The Cluster cannot be deleted while Services are active.", kClusterHasServices);
  }
  auto deleted = objects_.Delete(ClusterKind(), *cluster);
  if (!deleted.ok()) {
    if (deleted.status().code() == Code::kNotFound) return ClusterNotFound();
    return deleted.status();
  }
  v1::Cluster gone = static_cast<const v1::Cluster&>(**deleted);
  gone.mutable_status()->set_status("INACTIVE");
  return gone;
}

}  // namespace gantry::fleet
