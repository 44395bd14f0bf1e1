#pragma once

// Object-level read access, for principals whose role lets them read a kind only in part (the
// agent role: its own container instances, the tasks placed on them, the task definitions those
// tasks name). The transports ask it after Authorizer::Authorize allowed reading the kind: a Get
// of an object out of scope is 403, lists and watches leave such objects out.

#include "api/schema/kinds.h"
#include "api/service/authorizer.h"
#include "api/service/object_service.h"

namespace gantry::api {

class ReadScope {
 public:
  virtual ~ReadScope() = default;
  // nullptr when `who` sees every object of `kind` it may read at all; otherwise a filter that
  // says which. The filter may be called from any thread for as long as the caller keeps it.
  virtual ObjectFilter FilterFor(const Principal& who, const schema::KindInfo& kind) const = 0;
};

}  // namespace gantry::api
