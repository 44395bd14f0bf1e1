#include "api/ecs/ecs_handler.h"

#include "api/ecs/ecs_operations.h"

namespace gantry::ecs {

using api::Code;
using api::Status;

EcsResponse EcsError(int status, std::string_view type, std::string_view message) {
  OutJson j = {{"__type", type}, {"message", message}};
  return EcsResponse{status, Dump(j)};
}

EcsResponse EcsErrorFrom(const Status& status) {
  switch (status.code()) {
    case Code::kOk:
      return EcsError(500, "ServerException", "an error without a cause");
    case Code::kInvalidArgument:
      return EcsError(400, "InvalidParameterException", status.ToString());
    case Code::kNotFound:
      if (status.field() == "cluster") {
        return EcsError(400, "ClusterNotFoundException", "Cluster not found.");
      }
      if (status.field() == "service") {
        return EcsError(400, "ServiceNotFoundException", "Service not found.");
      }
      return EcsError(400, "ClientException", status.ToString());
    case Code::kPermissionDenied:
    case Code::kUnauthenticated:
      return EcsError(400, "AccessDeniedException", status.ToString());
    case Code::kUnimplemented:
      return EcsError(400, "UnsupportedFeatureException", status.ToString());
    case Code::kUnknown:
    case Code::kInternal:
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
      return EcsError(500, "ServerException", status.ToString());
    case Code::kCancelled:
    case Code::kAlreadyExists:
    case Code::kResourceExhausted:
    case Code::kFailedPrecondition:
    case Code::kAborted:
    case Code::kOutOfRange:
      break;
  }
  return EcsError(400, "ClientException", status.ToString());
}

std::optional<std::string_view> EcsOperationOf(std::string_view target) {
  if (!target.starts_with(kEcsTargetPrefix) || target.size() == kEcsTargetPrefix.size()) {
    return std::nullopt;
  }
  return target.substr(kEcsTargetPrefix.size());
}

const std::map<std::string, EcsOperations::Op, std::less<>>& EcsOperations::Table() {
  static const std::map<std::string, Op, std::less<>> table = {
      {"CreateCluster", &EcsOperations::CreateCluster},
      {"DeleteCluster", &EcsOperations::DeleteCluster},
      {"ListClusters", &EcsOperations::ListClusters},
      {"DescribeClusters", &EcsOperations::DescribeClusters},
      {"RegisterTaskDefinition", &EcsOperations::RegisterTaskDefinition},
      {"DeregisterTaskDefinition", &EcsOperations::DeregisterTaskDefinition},
      {"DescribeTaskDefinition", &EcsOperations::DescribeTaskDefinition},
      {"ListTaskDefinitions", &EcsOperations::ListTaskDefinitions},
      {"ListTaskDefinitionFamilies", &EcsOperations::ListTaskDefinitionFamilies},
      {"RegisterContainerInstance", &EcsOperations::RegisterContainerInstance},
      {"ListContainerInstances", &EcsOperations::ListContainerInstances},
      {"DescribeContainerInstances", &EcsOperations::DescribeContainerInstances},
      {"UpdateContainerInstancesState", &EcsOperations::UpdateContainerInstancesState},
      {"DeregisterContainerInstance", &EcsOperations::DeregisterContainerInstance},
      {"PutAttributes", &EcsOperations::PutAttributes},
      {"DeleteAttributes", &EcsOperations::DeleteAttributes},
      {"ListAttributes", &EcsOperations::ListAttributes},
      {"RunTask", &EcsOperations::RunTask},
      {"StartTask", &EcsOperations::StartTask},
      {"StopTask", &EcsOperations::StopTask},
      {"ListTasks", &EcsOperations::ListTasks},
      {"DescribeTasks", &EcsOperations::DescribeTasks},
      {"CreateService", &EcsOperations::CreateService},
      {"UpdateService", &EcsOperations::UpdateService},
      {"DeleteService", &EcsOperations::DeleteService},
      {"DescribeServices", &EcsOperations::DescribeServices},
      {"ListServices", &EcsOperations::ListServices},
      {"ListServiceDeployments", &EcsOperations::ListServiceDeployments},
      {"DescribeServiceDeployments", &EcsOperations::DescribeServiceDeployments},
      {"StopServiceDeployment", &EcsOperations::StopServiceDeployment},
  };
  return table;
}

EcsHandler::EcsHandler(api::ObjectService& objects, fleet::TaskService& tasks,
                       fleet::InstanceService& instances, const fleet::FleetView& fleet,
                       const fleet::EcsNames& names)
    : objects_(objects), tasks_(tasks), instances_(instances), fleet_(fleet), names_(names) {}

std::vector<std::string> EcsHandler::Operations() {
  std::vector<std::string> out;
  for (const auto& [name, op] : EcsOperations::Table()) out.push_back(name);
  return out;
}

EcsResponse EcsHandler::Handle(std::string_view operation, std::string_view body) const {
  const auto& table = EcsOperations::Table();
  auto it = table.find(operation);
  if (it == table.end()) {
    return EcsError(400, "UnknownOperationException",
                    "Unknown or unsupported operation " + std::string(operation));
  }
  Json request = Json::object();
  if (body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    try {
      request = Json::parse(body);
    } catch (const Json::parse_error& e) {
      // "[json.exception.parse_error.101] parse error at line 1, column 9: ..." without the tag.
      std::string what = e.what();
      if (size_t tag = what.find("] "); tag != std::string::npos) what = what.substr(tag + 2);
      return EcsError(400, "SerializationException", "Unable to parse request body: " + what);
    }
    if (!request.is_object()) {
      return EcsError(400, "SerializationException",
                      std::string("Unable to parse request body: expected a JSON object, got ") +
                          request.type_name());
    }
  }
  // A read sees every task and instance write gantryd answered before it (RunTask answers
  // before the informers show its tasks; fleet_view.h).
  if (operation.starts_with("Describe") || operation.starts_with("List"))
    (void)fleet_.AwaitNotedWrites();
  try {
    EcsOperations ops(*this);
    Input in(request, "", std::make_shared<Status>());
    return (ops.*(it->second))(in);
  } catch (const std::exception& e) {
    // Library exceptions (nlohmann, protobuf, std) stop here: the caller gets AWS's 500 shape.
    return EcsError(500, "ServerException", std::string(operation) + " failed: " + e.what());
  }
}

}  // namespace gantry::ecs
