#include "controllers/runtime/standard_indexes.h"

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
  }
}

}  // namespace gantry::controllers::runtime
