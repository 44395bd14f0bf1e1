#pragma once

// What the API accepts, field by field, for every entry point (REST, gRPC, the ECS endpoint, the
// agent protocol): ECS's documented limits where ECS has them (botocore's ecs/2014-11-13 model;
// ../shared/reference/ecs-blox-spec.md §4), placement's own otherwise. Each one is asserted
// below to lie within placement's limit (placement/limits.h), so an object the API accepts never
// makes placement refuse a cluster snapshot.

#include <cstddef>
#include <cstdint>

#include "placement/limits.h"

namespace gantry::validation {

inline constexpr size_t kMaxNameLength = 255;            // object, container and family names
inline constexpr size_t kMaxAttributeNameLength = 128;   // ECS Attribute.name
inline constexpr size_t kMaxAttributeValueLength = 128;  // ECS Attribute.value
inline constexpr size_t kMaxEc2InstanceIdLength = 255;
inline constexpr size_t kMaxTaskGroupLength = 255;    // ECS task groups
inline constexpr size_t kMaxStartedByLength = 36;     // ECS StartTask startedBy (a UUID fits)
inline constexpr size_t kMaxVersionInfoLength = 255;  // agentVersion, agentHash, dockerVersion
inline constexpr int64_t kMaxResource = placement::kMaxResource;  // cpu units or MiB
inline constexpr int32_t kMinPort = placement::kMinPort;
inline constexpr int32_t kMaxPort = placement::kMaxPort;

// Container instance names are placement's instance ids.
static_assert(kMaxNameLength <= placement::kMaxIdLength);
static_assert(kMaxEc2InstanceIdLength <= placement::kMaxIdLength);
static_assert(kMaxAttributeNameLength <= placement::kMaxAttributeNameLength);
static_assert(kMaxAttributeValueLength <= placement::kMaxAttributeValueLength);
static_assert(kMaxTaskGroupLength <= placement::kMaxGroupLength);

}  // namespace gantry::validation
