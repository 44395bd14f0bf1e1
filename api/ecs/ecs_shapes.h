#pragma once

// Gantry objects in the shapes of Amazon ECS's JSON (botocore's ecs/2014-11-13 model): Cluster,
// ContainerInstance, Task, TaskDefinition. Names become ARNs through EcsNames; counts and
// resources become ECS Resource lists; cpu/memory of tasks are strings as ECS writes them.
//
// The API answers with timestamps as epoch seconds (JSON numbers, 1767225600.5); the event
// stream writes ISO 8601 strings (2026-01-01T00:00:00.500Z) as ECS events do. Unset times are
// left out, as ECS leaves them out.
//
// Each function returns one JSON object as text, so callers need no JSON library.

#include <google/protobuf/struct.pb.h>

#include <string>
#include <string_view>

#include "api/fleet/ecs_names.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::ecs {

enum class TimeStyle { kEpochSeconds, kIso8601 };

// clusterArn, clusterName, status and the counts as stored in the cluster's status (callers that
// count elsewhere put their counts there first).
std::string ClusterJson(const v1::Cluster& cluster, const fleet::EcsNames& names);

// containerInstanceArn, ec2InstanceId, version (the object's resourceVersion), versionInfo,
// registeredResources/remainingResources (CPU, MEMORY, PORTS, PORTS_UDP), status, agentConnected,
// task counts, attributes, registeredAt.
std::string InstanceJson(const v1::ContainerInstance& instance, const fleet::EcsNames& names,
                         TimeStyle style);

// taskArn, clusterArn, containerInstanceArn, taskDefinitionArn, containers, overrides, statuses,
// group, startedBy, timestamps, stoppedReason, stopCode, cpu, memory, version, launchType.
// `instance` (the task's instance, optional) adds availabilityZone from its
// ecs.availability-zone attribute.
std::string TaskJson(const v1::Task& task, const fleet::EcsNames& names, TimeStyle style,
                     const v1::ContainerInstance* instance = nullptr);

// The same shapes as google.protobuf.Struct, for the detail of an ECS event (no JSON text in
// between).
void TaskStruct(const v1::Task& task, const fleet::EcsNames& names, TimeStyle style,
                const v1::ContainerInstance* instance, google::protobuf::Struct* out);
void InstanceStruct(const v1::ContainerInstance& instance, const fleet::EcsNames& names,
                    TimeStyle style, google::protobuf::Struct* out);

// taskDefinitionArn, family, revision, status, containerDefinitions, placementConstraints,
// task-level cpu/memory, compatibilities, registeredAt.
std::string TaskDefinitionJson(const v1::TaskDefinition& definition, const fleet::EcsNames& names,
                               TimeStyle style);

// One stored RFC 3339 time as a JSON value ("1767225600.0" or "\"2026-01-01T00:00:00.000Z\""), or
// "" when it is unset or unreadable.
std::string TimeJson(std::string_view rfc3339, TimeStyle style);

}  // namespace gantry::ecs
