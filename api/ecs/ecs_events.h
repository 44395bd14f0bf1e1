#pragma once

// A Task or ContainerInstance change as an ECS CloudWatch event, in an Event object:
//
//   Event{name: <task|containerinstance>.<id>.<revision>,
//         detail: {version "0", id, detail-type, source "gantry", account, time, region,
//                  resources [arn], detail {<ECS shape>}}}
//
// detail.version is what DescribeTasks and DescribeContainerInstances show: a task's
// status.version (raised by every state change TaskService makes), an instance's revision. The
// name is fixed by the change, so recording the same change twice finds the first.
// controllers/events decides which changes are recorded; this says how they read.

#include <chrono>
#include <memory>

#include "api/fleet/ecs_names.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::ecs {

// nullptr for an object that is neither a Task nor a ContainerInstance. `task_instance` is the
// task's container instance when known (its ARN and attributes go into the detail).
std::unique_ptr<v1::Event> EcsEventFor(const google::protobuf::Message& object,
                                       const v1::ContainerInstance* task_instance,
                                       const fleet::EcsNames& names,
                                       std::chrono::system_clock::time_point now);

}  // namespace gantry::ecs
