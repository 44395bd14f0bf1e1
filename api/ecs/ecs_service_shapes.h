#pragma once

// Services in ECS's shapes (the AWS SDK's current model): Service with its deployments and
// events, ServiceDeployment and ServiceDeploymentBrief from the deployment history. Times as
// epoch seconds, as every ECS API answer writes them.

#include <string>

#include "api/fleet/ecs_names.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::ecs {

// `status` is ACTIVE, or DRAINING for a service being deleted.
std::string ServiceJson(const v1::Service& service, const fleet::EcsNames& names,
                        const std::string& status = "ACTIVE");

// A daemon Environment as ECS shows a DAEMON service: desiredCount the instances of its group,
// runningCount those running its revision, one PRIMARY deployment of that revision, its filter
// as a memberOf constraint. `status` as for ServiceJson.
std::string DaemonServiceJson(const v1::Environment& environment, const fleet::EcsNames& names,
                              const std::string& status = "ACTIVE");

// The record as ECS's ServiceDeployment; a stop asked for and not yet acted on shows as
// STOP_REQUESTED or ROLLBACK_REQUESTED.
std::string ServiceDeploymentJson(const v1::Service& service,
                                  const v1::ServiceDeploymentRecord& record,
                                  const fleet::EcsNames& names);
std::string ServiceDeploymentBriefJson(const v1::Service& service,
                                       const v1::ServiceDeploymentRecord& record,
                                       const fleet::EcsNames& names);

// The record's status as ECS shows it (see ServiceDeploymentJson).
std::string ShownDeploymentStatus(const v1::Service& service,
                                  const v1::ServiceDeploymentRecord& record);

}  // namespace gantry::ecs
