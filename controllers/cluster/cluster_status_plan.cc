#include "controllers/cluster/cluster_status_plan.h"

#include "api/schema/object_state.h"

namespace gantry::controllers::cluster {

ClusterCounts CountCluster(const std::vector<const v1::ContainerInstance*>& instances,
                           const std::vector<const v1::Task*>& tasks,
                           const std::vector<const v1::Service*>& services) {
  ClusterCounts counts;
  for (const auto* ci : instances) {
    if (schema::InstanceStatusOf(*ci) != "INACTIVE") ++counts.registered_instances;
  }
  for (const auto* t : tasks) {
    if (!schema::HoldsResources(*t)) continue;
    (t->status().last_status() == "RUNNING" ? counts.running_tasks : counts.pending_tasks) += 1;
  }
  counts.active_services = static_cast<int>(services.size());
  return counts;
}

clock::Clock::Duration RecountWait(std::optional<clock::Clock::TimePoint> last_write,
                                   clock::Clock::TimePoint now) {
  if (!last_write || now - *last_write >= kMinStatusWriteInterval) return {};
  return kMinStatusWriteInterval - (now - *last_write);
}

std::optional<v1::Cluster> PlanClusterStatus(const v1::Cluster& cluster,
                                             const ClusterCounts& counts) {
  const auto& st = cluster.status();
  const ClusterCounts stored{st.registered_container_instances_count(), st.running_tasks_count(),
                             st.pending_tasks_count(), st.active_services_count()};
  if (stored == counts) return std::nullopt;
  v1::Cluster next = cluster;
  auto* out = next.mutable_status();
  out->set_registered_container_instances_count(counts.registered_instances);
  out->set_running_tasks_count(counts.running_tasks);
  out->set_pending_tasks_count(counts.pending_tasks);
  out->set_active_services_count(counts.active_services);
  return next;
}

}  // namespace gantry::controllers::cluster
