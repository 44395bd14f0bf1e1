#pragma once

// How a request reaches the Service controller about one of its deployments without writing
// the status the controller owns: annotations on the Service (they leave its generation alone).
// ECS's StopServiceDeployment sets them; the controller acts on them once, on the deployment
// in progress they name.

namespace gantry::schema {

// The deployment to stop ("ecs-svc/…").
inline constexpr const char* kStopDeploymentAnnotation = "gantry.dev/stop-deployment";
// ROLLBACK (the default: the last completed deployment is restored) or ABORT (it stops where
// it stands), as StopServiceDeployment's stopType.
inline constexpr const char* kStopTypeAnnotation = "gantry.dev/stop-type";

}  // namespace gantry::schema
