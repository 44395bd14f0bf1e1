#pragma once

// ECS-style names: ARNs for what Gantry stores by plain name, and the reverse, so every API
// accepts either a name or an ARN as ECS does.
//   arn:aws:ecs:REGION:ACCOUNT:cluster/NAME
//   arn:aws:ecs:REGION:ACCOUNT:container-instance/CLUSTER/ID
//   arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID
//   arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION
//   arn:aws:ecs:REGION:ACCOUNT:container/CLUSTER/TASK/NAME

#include <optional>
#include <string>
#include <string_view>

namespace gantry::fleet {

inline constexpr const char* kDefaultCluster = "default";

struct EcsNames {
  std::string region = "us-east-1";
  std::string account = "000000000000";

  std::string ClusterArn(std::string_view cluster) const;
  std::string InstanceArn(std::string_view cluster, std::string_view id) const;
  std::string TaskArn(std::string_view cluster, std::string_view id) const;
  std::string TaskDefinitionArn(std::string_view family_revision) const;
  std::string ContainerArn(std::string_view cluster, std::string_view task,
                           std::string_view container) const;
  std::string ServiceArn(std::string_view cluster, std::string_view service) const;
  // A deployment "ecs-svc/<digits>" of a service: service-deployment/<cluster>/<service>/<digits>,
  // and the service revision it rolled to: service-revision/<cluster>/<service>/<digits>.
  std::string ServiceDeploymentArn(std::string_view cluster, std::string_view service,
                                   std::string_view deployment) const;
  std::string ServiceRevisionArn(std::string_view cluster, std::string_view service,
                                 std::string_view deployment) const;
};

// What a service-deployment ARN names; nullopt when it is not one.
struct ServiceDeploymentRef {
  std::string cluster;
  std::string service;
  std::string deployment;  // ecs-svc/<digits>
};
std::optional<ServiceDeploymentRef> ParseServiceDeploymentArn(std::string_view arn);

// The name inside an ARN (the last path segment: a cluster name, an instance or task id, a
// task definition's family:revision), or the argument itself when it is not an ARN.
std::string ShortName(std::string_view name_or_arn);
// The cluster named by a container-instance or task ARN ("" for a plain id or another ARN).
std::string ClusterOfArn(std::string_view arn);

}  // namespace gantry::fleet
