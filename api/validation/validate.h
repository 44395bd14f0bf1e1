#pragma once

// Field-path validation of objects, kind by kind. Every cluster query language expression is
// checked with placement's own parser, so what the API accepts is exactly what placement runs.
// Errors: InvalidArgument with Status::field() set, e.g.
//   spec.placementConstraints[1].expression: expected an operator after 'attribute:stack' at column
//   17

#include <google/protobuf/message.h>

#include <string_view>

#include "api/schema/kinds.h"
#include "api/status/status.h"

namespace gantry::validation {

// Names: 1-255 of letters, digits, '-', '_', '.', starting with a letter or digit.
api::Status ValidateName(std::string_view name, std::string_view field = "metadata.name");

// Everything a client may set: metadata.name, labels, annotations and the spec.
api::Status ValidateObject(const schema::KindInfo& kind, const google::protobuf::Message& object);

}  // namespace gantry::validation
