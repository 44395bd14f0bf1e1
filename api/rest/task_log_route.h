#pragma once

// GET /apis/gantry.dev/v1/tasks/{id}/log[?container=NAME][&follow=true] on gantryd's REST port:
// a task's output as plain text, with follow streamed until the task has stopped. Agents ship
// output and never read it (403). The id and NAME become path components of the log store, so
// anything but a plain name ("..", "a/b", "") is refused (400), as is a container the task's
// definition does not have.

#include "api/fleet/fleet_view.h"
#include "api/fleet/task_log_store.h"
#include "api/fleet/task_service.h"
#include "api/rest/http_types.h"
#include "api/service/authorizer.h"

namespace gantry::rest {

// False when `r` is not this route's; otherwise `out` is the answer.
bool TaskLogRoute(const HttpRequest& r, const api::Principal* who, HttpResponse& out,
                  const fleet::TaskLogStore& logs, const fleet::FleetView& fleet,
                  const fleet::TaskService& tasks);

}  // namespace gantry::rest
