#pragma once

// How controllers stop tasks: desiredStatus STOPPED with a reason, pinned to the version their
// cache holds (a task that changed meanwhile is left to the next pass, never stopped unseen).

#include <cstdint>
#include <string>

#include "api/client/client.h"
#include "controllers/runtime/informer.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::runtime {

// The store revision of the write.
api::StatusOr<int64_t> StopTask(client::Client& client, const v1::Task& cached,
                                const std::string& reason);

// Every task of `group` in the task informer that still holds resources and was not told to
// stop yet (an owner deleted: its tasks go with it, and stay as STOPPED for their retention).
// Tasks gone meanwhile are skipped.
api::Status StopGroup(client::Client& client, const Informer& tasks, const std::string& group,
                      const std::string& reason);

}  // namespace gantry::controllers::runtime
