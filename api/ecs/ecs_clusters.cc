// ECS clusters: CreateCluster, DeleteCluster, ListClusters, DescribeClusters.

#include "api/ecs/ecs_operations.h"
#include "api/ecs/ecs_shapes.h"

namespace gantry::ecs {
namespace {

using api::Code;
using api::Status;

const schema::KindInfo& ClusterKind() { return *schema::FindKind("Cluster"); }

}  // namespace

EcsResponse EcsOperations::CreateCluster(Input& in) {
  std::string name = in.StringOr("clusterName", fleet::kDefaultCluster);
  // tags, settings, configuration, capacity providers and Service Connect defaults are ignored.
  if (!in.ok()) return EcsErrorFrom(in.status());
  auto cluster = clusters_.Create(name);
  if (!cluster.ok()) {
    return EcsErrorFrom(Renamed(cluster.status(), {{"metadata.name", "clusterName"}}));
  }
  return Ok("{\"cluster\":" + ClusterJson(**cluster, names_) + "}");
}

EcsResponse EcsOperations::DeleteCluster(Input& in) {
  in.Require("cluster");
  std::string given = in.StringOr("cluster", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  auto gone = clusters_.Delete(given);
  if (!gone.ok()) {
    const Status& st = gone.status();
    if (st.code() == Code::kFailedPrecondition) {
      const std::string& why = st.field();
      const char* type = why == fleet::kClusterHasInstances
                             ? "ClusterContainsContainerInstancesException"
                         : why == fleet::kClusterHasTasks    ? "ClusterContainsTasksException"
                         : why == fleet::kClusterHasServices ? "ClusterContainsServicesException"
                                                             : nullptr;
      if (type) return EcsError(400, type, st.message());
    }
    return EcsErrorFrom(st);
  }
  return Ok("{\"cluster\":" + ClusterJson(*gone, names_) + "}");
}

EcsResponse EcsOperations::ListClusters(Input& in) {
  auto max = in.Int("maxResults", 1, kMaxPage);
  std::string token = in.StringOr("nextToken", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  auto list = objects_.List(ClusterKind(), {}, max.value_or(kMaxPage), token);
  if (!list.ok()) return EcsErrorFrom(list.status());
  OutJson out = {{"clusterArns", OutJson::array()}};
  for (const auto& item : list->items) {
    out["clusterArns"].push_back(names_.ClusterArn(schema::MetaOf(*item).name()));
  }
  if (!list->continue_token.empty()) out["nextToken"] = list->continue_token;
  return Ok(out);
}

EcsResponse EcsOperations::DescribeClusters(Input& in) {
  std::vector<std::string> given = in.Strings("clusters");
  (void)in.Strings("include");  // statistics, settings, tags: nothing to add
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (given.size() > kMaxDescribe)
    return EcsErrorFrom(api::InvalidArgument("clusters", "at most 100 clusters per call"));
  if (given.empty()) given.push_back(fleet::kDefaultCluster);
  std::vector<std::string> clusters;
  std::vector<Failure> failures;
  for (const auto& g : given) {
    std::string name = fleet::ShortName(g);
    auto got = objects_.Get(ClusterKind(), name);
    if (!got.ok()) {
      if (got.status().code() != Code::kNotFound) return EcsErrorFrom(got.status());
      failures.push_back({names_.ClusterArn(name), "MISSING", ""});
      continue;
    }
    clusters.push_back(ClusterJson(static_cast<const v1::Cluster&>(**got), names_));
  }
  return Ok(WithFailures("clusters", clusters, failures));
}

}  // namespace gantry::ecs
