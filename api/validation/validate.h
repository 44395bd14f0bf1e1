#pragma once

// Field-path validation of objects, kind by kind, and of what the fleet entry points take (agent
// registrations, attribute changes, launches). Every entry point calls these, so there is one set
// of rules; the limits are in limits.h, kept within placement's. Every cluster query language
// expression is checked with placement's own parser, so what the API accepts is exactly what
// placement runs.
// Errors: InvalidArgument with Status::field() set, e.g.
//   spec.placementConstraints[1].expression: expected an operator after 'attribute:stack' at column
//   17

#include <google/protobuf/message.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/schema/kinds.h"
#include "api/status/status.h"
#include "api/validation/limits.h"
#include "gantry/v1/agent.pb.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::validation {

// Names: 1-255 of letters, digits, '-', '_', '.', starting with a letter or digit.
api::Status ValidateName(std::string_view name, std::string_view field = "metadata.name");

// Everything a client may set: metadata.name, labels, annotations and the spec.
api::Status ValidateObject(const schema::KindInfo& kind, const google::protobuf::Message& object);

// A container instance attribute, by ECS's rules: the name 1-128 of letters, digits, '-', '_',
// '/', '\' and '.'; the value, when there is one, 1-128 of those and '@', ':' and spaces (not
// first or last). `field` is the attribute's path; errors name `field.name` or `field.value`.
api::Status ValidateAttribute(std::string_view name, const std::optional<std::string>& value,
                              const std::string& field);

// What an agent (gRPC RegisterInstances) or an ECS client (RegisterContainerInstance) registers.
// Paths are relative to the registration: containerInstance, ec2InstanceId, attributes[2].value,
// registeredResources.ports[0], versionInfo.agentVersion.
api::Status ValidateRegistration(const v1::InstanceRegistration& registration);

// A task group (RunTask's group, a Task's spec.group): at most 255 characters.
api::Status ValidateTaskGroup(std::string_view group, const std::string& field);

// The cpu units and MiB one task of a definition reserves: the task-level values when given
// (decimal integers, as stored), else the sums over the containers. Errors name the field:
// spec.cpu for "abc", spec.containers[1].cpu when the sum would pass 2^31-1.
struct TaskSize {
  int32_t cpu = 0;
  int32_t memory = 0;
};
api::StatusOr<TaskSize> TaskDefinitionSize(const v1::TaskDefinitionSpec& spec);

}  // namespace gantry::validation
