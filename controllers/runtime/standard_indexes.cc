#include "controllers/runtime/standard_indexes.h"

#include <algorithm>
#include <string>
#include <vector>

#include "api/schema/object_state.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::runtime {
namespace {

std::vector<std::string> Nonempty(const std::string& value) {
  if (value.empty()) return {};
  return {value};
}

template <typename T>
IndexFunc ByCluster() {
  return [](const google::protobuf::Message& o) {
    return std::vector<std::string>{
        schema::ClusterNameOf(static_cast<const T&>(o).spec().cluster())};
  };
}

const v1::TaskSpec& TaskSpecOf(const google::protobuf::Message& o) {
  return static_cast<const v1::Task&>(o).spec();
}

}  // namespace

void AddStandardIndexes(Informer& informer) {
  const std::string& kind = informer.kind().kind;
  if (kind == "Task") {
    informer.AddIndex(kByCluster, ByCluster<v1::Task>());
    informer.AddIndex(kByInstance, [](const google::protobuf::Message& o) {
      return Nonempty(TaskSpecOf(o).container_instance());
    });
    informer.AddIndex(kByGroup, [](const google::protobuf::Message& o) {
      return Nonempty(TaskSpecOf(o).group());
    });
    informer.AddIndex(kByStartedBy, [](const google::protobuf::Message& o) {
      return Nonempty(TaskSpecOf(o).started_by());
    });
  } else if (kind == "ContainerInstance") {
    informer.AddIndex(kByCluster, ByCluster<v1::ContainerInstance>());
  } else if (kind == "Service") {
    informer.AddIndex(kByCluster, ByCluster<v1::Service>());
  } else if (kind == "Environment") {
    informer.AddIndex(kByCluster, [](const google::protobuf::Message& o) {
      return std::vector<std::string>{schema::ClusterNameOf(
          static_cast<const v1::Environment&>(o).spec().instance_group().cluster())};
    });
  } else if (kind == "Deployment") {
    informer.AddIndex(kByEnvironment, [](const google::protobuf::Message& o) {
      return Nonempty(static_cast<const v1::Deployment&>(o).spec().environment());
    });
  } else if (kind == "TaskDefinition") {
    informer.AddIndex(kByFamily, [](const google::protobuf::Message& o) {
      return Nonempty(static_cast<const v1::TaskDefinition&>(o).status().family());
    });
  }
}

std::string ResolveRevision(const Informer& definitions, const std::string& reference) {
  std::string name = reference;
  if (auto slash = name.rfind('/'); slash != std::string::npos) name = name.substr(slash + 1);
  if (name.empty()) return "";
  if (name.find(':') != std::string::npos) return definitions.Get(name) ? name : "";
  // A family: its latest ACTIVE revision (revisions are stored as family:N).
  int best = 0;
  for (const auto& d : definitions.ByIndex(kByFamily, name)) {
    const auto& def = static_cast<const v1::TaskDefinition&>(*d);
    if (def.status().status() != "INACTIVE") best = std::max(best, def.status().revision());
  }
  return best > 0 ? name + ":" + std::to_string(best) : "";
}

}  // namespace gantry::controllers::runtime
