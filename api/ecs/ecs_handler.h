#pragma once

// The Amazon ECS JSON protocol (awsJson1_1), transport-free: the AWS CLI and SDKs send
// `POST /` with `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>` and a JSON body
// shaped as botocore's ecs/2014-11-13 model; the HTTP layer (which also checks SigV4) hands the
// operation and the body here and sends back status, content type and body as returned.
//
//   body ─▶ JSON (malformed: SerializationException naming line and column)
//        ─▶ members read as the model types them (wrong type: InvalidParameterException naming
//           the member path; unknown members ignored, null means absent, as AWS does)
//        ─▶ ClusterService / ObjectService / TaskService / InstanceService / FleetView
//        ─▶ ECS shapes (ecs_shapes.h), errors as {"__type": ..., "message": ...}
//
// Stateless and thread-safe: every call reads the services, which serialize their own writes.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/fleet/ecs_names.h"
#include "api/fleet/fleet_view.h"
#include "api/fleet/instance_service.h"
#include "api/fleet/task_service.h"
#include "api/service/object_service.h"
#include "api/status/status.h"

namespace gantry::ecs {

inline constexpr std::string_view kEcsTargetPrefix = "AmazonEC2ContainerServiceV20141113.";
inline constexpr std::string_view kEcsContentType = "application/x-amz-json-1.1";

struct EcsResponse {
  int status = 200;
  std::string body;
  std::string content_type = std::string(kEcsContentType);
};

// An error in the JSON protocol's shape: {"__type": type, "message": message}.
EcsResponse EcsError(int status, std::string_view type, std::string_view message);

// The ECS error for a service-layer status: InvalidArgument → InvalidParameterException with the
// member path in the message, a missing cluster → ClusterNotFoundException ("Cluster not found."),
// PermissionDenied → AccessDeniedException, Unimplemented → UnsupportedFeatureException,
// Internal/Unavailable/Unknown/DeadlineExceeded → ServerException (500), the rest →
// ClientException.
EcsResponse EcsErrorFrom(const api::Status& status);

// "ListTasks" from "AmazonEC2ContainerServiceV20141113.ListTasks"; nullopt for another target.
std::optional<std::string_view> EcsOperationOf(std::string_view x_amz_target);

class EcsHandler {
 public:
  // Every reference must outlive the handler.
  EcsHandler(api::ObjectService& objects, fleet::TaskService& tasks,
             fleet::InstanceService& instances, const fleet::FleetView& fleet,
             const fleet::EcsNames& names);

  // `operation` is the part of X-Amz-Target after the dot. An unknown one answers 400
  // UnknownOperationException.
  EcsResponse Handle(std::string_view operation, std::string_view body) const;

  // The operations Handle serves, sorted.
  static std::vector<std::string> Operations();

  // CreateService and UpdateService answer once the Service controller has taken in the change
  // (status.observedGeneration), as ECS answers with the new deployment listed, so a waiter
  // started right after (`aws ecs wait services-stable`) sees it; at most this long.
  std::chrono::milliseconds service_observe_wait{2000};

 private:
  friend class EcsOperations;  // the operations: ecs_operations.h, one .cc per resource

  api::ObjectService& objects_;
  fleet::TaskService& tasks_;
  fleet::InstanceService& instances_;
  const fleet::FleetView& fleet_;
  const fleet::EcsNames names_;
};

}  // namespace gantry::ecs
