#pragma once

// The indexes the process's informers carry for everyone (client-go's namespace index, Gantry's
// way): tasks by instance, cluster, group and startedBy; instances and Services by cluster. The
// factory adds them when it makes an informer, so controllers and the services that read the
// same informers share one of each instead of each adding its own.

#include "controllers/runtime/informer.h"

namespace gantry::controllers::runtime {

inline constexpr const char* kByCluster = "cluster";      // ContainerInstance, Task, Service
inline constexpr const char* kByInstance = "instance";    // Task: spec.containerInstance
inline constexpr const char* kByGroup = "group";          // Task: spec.group
inline constexpr const char* kByStartedBy = "startedBy";  // Task: spec.startedBy

// Adds the indexes of `informer`'s kind (none for other kinds).
void AddStandardIndexes(Informer& informer);

}  // namespace gantry::controllers::runtime
