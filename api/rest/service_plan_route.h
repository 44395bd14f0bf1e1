#pragma once

// POST /apis/gantry.dev/v1/services/{name}/plan on gantryd's REST port: what the Service
// controller would do now for the Service in the body (JSON or YAML), writing nothing: `gantryctl
// plan -f` and `apply --dry-run=server` ask it. The body goes through the same checks as an
// apply (a dry run, so defaults and the generation are as a write would make them); the answer
// is a gantry.v1.ServicePlanPreview as JSON. Authorized as a write of that service, as a dry-run
// apply is.

#include <functional>

#include "api/rest/http_types.h"
#include "api/service/object_service.h"
#include "api/status/status.h"
#include "gantry/v1/launch.pb.h"

namespace gantry::rest {

using ServicePlanner =
    std::function<api::StatusOr<v1::ServicePlanPreview>(const v1::Service& service)>;

// False when `r` is not this route's; otherwise `out` is the answer.
bool ServicePlanRoute(const HttpRequest& r, HttpResponse& out, api::ObjectService& objects,
                      const ServicePlanner& planner);

}  // namespace gantry::rest
