#pragma once

// Which task definition a reference names, as ECS reads one: family:revision or its ARN exactly,
// a bare family its latest ACTIVE revision. RunTask, StartTask, Launch and
// DescribeTaskDefinition all resolve through here.

#include <memory>
#include <string>

#include "api/service/object_service.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::fleet {

// What a bare family with no ACTIVE revision resolves to.
enum class WhenNoneActive {
  kLatest,    // its latest revision, which a launch then refuses as inactive
  kNotFound,  // kNotFound on field taskDefinition (DescribeTaskDefinition)
};

// kNotFound when the reference names nothing.
api::StatusOr<std::unique_ptr<v1::TaskDefinition>> ResolveTaskDefinition(
    api::ObjectService& objects, const std::string& reference,
    WhenNoneActive none_active = WhenNoneActive::kLatest);

}  // namespace gantry::fleet
