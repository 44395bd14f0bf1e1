#pragma once

// The Blox v0.3 daemon scheduler's REST API (ecs-blox-spec §1.2) on gantryd's port, over
// daemon Environments: transport-free, as the ECS handler is.
//
//   GET    /v1/ping                                  200, empty
//   POST   /v1/environments                          {name, instanceGroup{cluster}, taskDefinition}
//   GET    /v1/environments[?cluster=NAME|ARN]       {items: [...]}
//   GET    /v1/environments/{name}                   Environment, or 404
//   DELETE /v1/environments/{name}                   200, empty, also when there is none
//   POST   /v1/environments/{name}/deployments?deploymentToken=UUID   Deployment (pending)
//   GET    /v1/environments/{name}/deployments[/{id}]                 newest first / one
//
// Shapes as Blox writes them: the cluster and task definition as ARNs, deploymentToken, health.
// Errors are plain text, as Go's http.Error writes them: 400 a bad request (a name outside
// ^[a-zA-Z0-9-_]{1,30}$, a duplicate, a filter Blox does not know), 404 a missing cluster, task
// definition or environment; any other /v1 path is 404 "404 page not found".
//
// A deployment is a Deployment object (<environment>-<n>; its Blox id is the object's uid) of
// the revision the environment runs; controllers/environment moves it from pending to running
// and completed, one at a time (a newer one waits; one still pending is replaced by a newer).
// Unlike Blox v0.3, whose token never changed (an environment could be deployed
// once), the token rotates after each deployment; a stale one is a 400.

#include <optional>
#include <string>
#include <vector>

#include "api/fleet/ecs_names.h"
#include "api/service/object_service.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::blox {

struct BloxResponse {
  int status = 200;
  std::string content_type = "application/json; charset=UTF-8";
  std::string body;
};

class BloxHandler {
 public:
  // Both must outlive the handler.
  BloxHandler(api::ObjectService& objects, const fleet::EcsNames& names)
      : objects_(objects), names_(names) {}

  // nullopt when `path` is not under /v1/ (another handler's request).
  std::optional<BloxResponse> Handle(const std::string& method, const std::string& path,
                                     const std::string& raw_query, const std::string& body) const;

 private:
  BloxResponse CreateEnvironment(const std::string& body) const;
  BloxResponse ListEnvironments(const std::string& raw_query) const;
  BloxResponse GetEnvironment(const std::string& name) const;
  BloxResponse DeleteEnvironment(const std::string& name) const;
  BloxResponse CreateDeployment(const std::string& environment, const std::string& raw_query) const;
  BloxResponse ListDeployments(const std::string& environment) const;
  BloxResponse GetDeployment(const std::string& environment, const std::string& id) const;
  std::string EnvironmentJson(const v1::Environment& environment) const;
  std::string DeploymentJson(const v1::Deployment& deployment) const;
  // The environment's Deployment objects, newest first.
  api::StatusOr<std::vector<v1::Deployment>> DeploymentsOf(const std::string& environment) const;

  api::ObjectService& objects_;
  const fleet::EcsNames& names_;
};

// The annotation holding an Environment's Blox deploymentToken.
inline constexpr const char* kDeploymentTokenAnnotation = "gantry.dev/deployment-token";

}  // namespace gantry::blox
