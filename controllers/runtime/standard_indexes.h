#pragma once

// The indexes the process's informers carry for everyone (client-go's namespace index, Gantry's
// way): tasks by instance, cluster, group and startedBy; instances, Services and Environments by
// cluster; task definitions by family. The
// factory adds them when it makes an informer, so controllers and the services that read the
// same informers share one of each instead of each adding its own.

#include <string>

#include "controllers/runtime/informer.h"

namespace gantry::controllers::runtime {

inline constexpr const char* kByCluster = "cluster";          // ContainerInstance, Task, Service
inline constexpr const char* kByInstance = "instance";        // Task: spec.containerInstance
inline constexpr const char* kByGroup = "group";              // Task: spec.group
inline constexpr const char* kByStartedBy = "startedBy";      // Task: spec.startedBy
inline constexpr const char* kByFamily = "family";            // TaskDefinition: status.family
inline constexpr const char* kByEnvironment = "environment";  // Deployment: spec.environment

// Adds the indexes of `informer`'s kind (none for other kinds).
void AddStandardIndexes(Informer& informer);

// The revision `reference` (family, family:N, or an ARN) names in a TaskDefinition informer:
// family:N of a family's latest ACTIVE revision; "" when there is none.
std::string ResolveRevision(const Informer& definitions, const std::string& reference);

}  // namespace gantry::controllers::runtime
