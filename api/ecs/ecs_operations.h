#pragma once

// The ECS operations, one file per resource (ecs_clusters.cc, ecs_task_definitions.cc,
// ecs_container_instances.cc, ecs_tasks.cc, ecs_services.cc): each reads its request with Input,
// calls the transport-free services, and answers in ECS's shapes. A friend of EcsHandler, so they
// reach the services without the handler's header naming any JSON type.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/ecs/ecs_handler.h"
#include "api/ecs/ecs_input.h"
#include "api/ecs/ecs_reply.h"
#include "api/fleet/cluster_service.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::ecs {

// The field manager of the objects the ECS API writes (metadata.managedFields).
inline constexpr std::string_view kEcsFieldManager = "ecs";

class EcsOperations {
 public:
  using Op = EcsResponse (EcsOperations::*)(Input&);
  static const std::map<std::string, Op, std::less<>>& Table();

  explicit EcsOperations(const EcsHandler& h)
      : objects_(h.objects_),
        tasks_(h.tasks_),
        instances_(h.instances_),
        fleet_(h.fleet_),
        names_(h.names_),
        service_observe_wait_(h.service_observe_wait),
        clusters_(h.objects_, h.fleet_) {}

  EcsResponse CreateCluster(Input& in);
  EcsResponse DeleteCluster(Input& in);
  EcsResponse ListClusters(Input& in);
  EcsResponse DescribeClusters(Input& in);
  EcsResponse RegisterTaskDefinition(Input& in);
  EcsResponse DeregisterTaskDefinition(Input& in);
  EcsResponse DescribeTaskDefinition(Input& in);
  EcsResponse ListTaskDefinitions(Input& in);
  EcsResponse ListTaskDefinitionFamilies(Input& in);
  EcsResponse RegisterContainerInstance(Input& in);
  EcsResponse ListContainerInstances(Input& in);
  EcsResponse DescribeContainerInstances(Input& in);
  EcsResponse UpdateContainerInstancesState(Input& in);
  EcsResponse DeregisterContainerInstance(Input& in);
  EcsResponse PutAttributes(Input& in);
  EcsResponse DeleteAttributes(Input& in);
  EcsResponse ListAttributes(Input& in);
  EcsResponse RunTask(Input& in);
  EcsResponse StartTask(Input& in);
  EcsResponse StopTask(Input& in);
  EcsResponse ListTasks(Input& in);
  EcsResponse DescribeTasks(Input& in);
  EcsResponse CreateService(Input& in);
  EcsResponse UpdateService(Input& in);
  EcsResponse DeleteService(Input& in);
  EcsResponse DescribeServices(Input& in);
  EcsResponse ListServices(Input& in);
  EcsResponse ListServiceDeployments(Input& in);
  EcsResponse DescribeServiceDeployments(Input& in);
  EcsResponse StopServiceDeployment(Input& in);

 private:
  std::string TaskWithZone(const v1::Task& task);
  // The Service `given` (a name or an ARN) in `cluster`; kNotFound on field service when there is
  // none there.
  api::StatusOr<std::unique_ptr<v1::Service>> ServiceOf(const std::string& cluster,
                                                        const std::string& given);
  // The cluster `cluster_given` names (ClusterNotFoundException) and the service in it
  // (ServiceNotFoundException).
  api::StatusOr<std::unique_ptr<v1::Service>> ExistingService(const std::string& cluster_given,
                                                              const std::string& given);
  // The DAEMON service (a daemon Environment) `given` in `cluster`, as ServiceOf answers.
  api::StatusOr<std::unique_ptr<v1::Environment>> DaemonOf(const std::string& cluster,
                                                           const std::string& given);
  // A service's task definition must exist (ECS checks it when a service is created or
  // updated): InvalidParameterException "TaskDefinition not found.", or the store's error.
  std::optional<EcsResponse> MissingTaskDefinition(const std::string& given);
  // ExistingService found no replica Service `given` (`missing`): the DAEMON service of that
  // name instead, or nullptr (then `missing` is the answer).
  std::unique_ptr<v1::Environment> DaemonInstead(const api::Status& missing,
                                                 const std::string& cluster_given,
                                                 const std::string& given);
  // DAEMON services: daemon Environments (ecs_daemon_services.cc).
  EcsResponse CreateDaemonService(const std::string& name, const std::string& cluster_given,
                                  const v1::ServiceSpec& spec, bool desired_given);
  EcsResponse UpdateDaemonService(const v1::Environment& current, Input& in,
                                  const v1::ServiceSpec& changes);
  EcsResponse DeleteDaemonService(const v1::Environment& current);
  // Reads what RunTask and StartTask share; rejects what Gantry cannot honour.
  fleet::LaunchRequest ReadLaunch(Input& in, api::Status& unsupported);
  // A clientToken conflict answers ConflictException with the token's tasks as resourceIds.
  EcsResponse Launched(const api::StatusOr<fleet::LaunchResult>& result,
                       const std::string& client_token);
  // Attribute changes of Put/DeleteAttributes, checked and resolved against `cluster`.
  api::StatusOr<std::vector<fleet::AttributeChange>> ReadAttributeChanges(Input& in,
                                                                          bool with_values,
                                                                          OutJson& echo,
                                                                          std::string& cluster);

  api::ObjectService& objects_;
  fleet::TaskService& tasks_;
  fleet::InstanceService& instances_;
  const fleet::FleetView& fleet_;
  const fleet::EcsNames& names_;
  const std::chrono::milliseconds service_observe_wait_;
  fleet::ClusterService clusters_;  // the cluster a request names, CreateCluster, DeleteCluster
};

}  // namespace gantry::ecs
