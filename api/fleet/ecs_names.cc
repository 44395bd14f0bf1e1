#include "api/fleet/ecs_names.h"

namespace gantry::fleet {
namespace {

std::string Arn(const EcsNames& n, std::string_view resource) {
  std::string out = "arn:aws:ecs:" + n.region + ":" + n.account + ":";
  out += resource;
  return out;
}

std::string Join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

}  // namespace

std::string EcsNames::ClusterArn(std::string_view cluster) const {
  return Arn(*this, Join({"cluster", cluster}));
}
std::string EcsNames::InstanceArn(std::string_view cluster, std::string_view id) const {
  return Arn(*this, Join({"container-instance", cluster, id}));
}
std::string EcsNames::TaskArn(std::string_view cluster, std::string_view id) const {
  return Arn(*this, Join({"task", cluster, id}));
}
std::string EcsNames::TaskDefinitionArn(std::string_view family_revision) const {
  return Arn(*this, Join({"task-definition", family_revision}));
}
std::string EcsNames::ContainerArn(std::string_view cluster, std::string_view task,
                                   std::string_view container) const {
  return Arn(*this, Join({"container", cluster, task, container}));
}

std::string EcsNames::ServiceArn(std::string_view cluster, std::string_view service) const {
  return Arn(*this, Join({"service", cluster, service}));
}

namespace {
constexpr std::string_view kDeploymentPrefix = "ecs-svc/";
std::string_view DeploymentKey(std::string_view deployment) {
  return deployment.starts_with(kDeploymentPrefix) ? deployment.substr(kDeploymentPrefix.size())
                                                   : deployment;
}
}  // namespace

std::string EcsNames::ServiceDeploymentArn(std::string_view cluster, std::string_view service,
                                           std::string_view deployment) const {
  return Arn(*this, Join({"service-deployment", cluster, service, DeploymentKey(deployment)}));
}
std::string EcsNames::ServiceRevisionArn(std::string_view cluster, std::string_view service,
                                         std::string_view deployment) const {
  return Arn(*this, Join({"service-revision", cluster, service, DeploymentKey(deployment)}));
}

std::optional<ServiceDeploymentRef> ParseServiceDeploymentArn(std::string_view arn) {
  // arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<digits>
  size_t colon = 0;
  for (int i = 0; i < 5 && colon != std::string_view::npos; ++i) colon = arn.find(':', colon + 1);
  if (!arn.starts_with("arn:") || colon == std::string_view::npos) return std::nullopt;
  std::string_view resource = arn.substr(colon + 1);
  constexpr std::string_view kType = "service-deployment/";
  if (!resource.starts_with(kType)) return std::nullopt;
  resource.remove_prefix(kType.size());
  size_t a = resource.find('/');
  size_t b = a == std::string_view::npos ? a : resource.find('/', a + 1);
  if (b == std::string_view::npos || resource.find('/', b + 1) != std::string_view::npos)
    return std::nullopt;
  ServiceDeploymentRef ref{std::string(resource.substr(0, a)),
                           std::string(resource.substr(a + 1, b - a - 1)),
                           std::string(kDeploymentPrefix) + std::string(resource.substr(b + 1))};
  if (ref.cluster.empty() || ref.service.empty() || resource.size() == b + 1) return std::nullopt;
  return ref;
}

std::string ShortName(std::string_view name_or_arn) {
  if (!name_or_arn.starts_with("arn:")) return std::string(name_or_arn);
  size_t slash = name_or_arn.rfind('/');
  if (slash != std::string_view::npos) return std::string(name_or_arn.substr(slash + 1));
  size_t colon = name_or_arn.rfind(':');
  return std::string(name_or_arn.substr(colon + 1));
}

std::string ClusterOfArn(std::string_view arn) {
  if (!arn.starts_with("arn:")) return "";
  size_t first = arn.find('/');
  size_t last = arn.rfind('/');
  if (first == std::string_view::npos || first == last) return "";
  return std::string(arn.substr(first + 1, last - first - 1));
}

}  // namespace gantry::fleet
