#include "controllers/runtime/task_stops.h"

#include "api/schema/object_state.h"
#include "controllers/runtime/standard_indexes.h"

namespace gantry::controllers::runtime {

api::StatusOr<int64_t> StopTask(client::Client& client, const v1::Task& cached,
                                const std::string& reason) {
  v1::Task stop = cached;  // pinned to the cached resourceVersion
  stop.mutable_spec()->set_desired_status("STOPPED");
  stop.mutable_spec()->set_stopped_reason(reason);
  auto applied = client.Apply(stop);
  if (!applied.ok()) return applied.status();
  return RevisionOf(*applied->object);
}

api::Status StopGroup(client::Client& client, const Informer& tasks, const std::string& group,
                      const std::string& reason) {
  for (const auto& t : tasks.ByIndex(kByGroup, group)) {
    const auto& task = static_cast<const v1::Task&>(*t);
    if (!schema::HoldsResources(task) || task.spec().desired_status() == "STOPPED") continue;
    auto stopped = StopTask(client, task, reason);
    if (!stopped.ok() && stopped.status().code() != api::Code::kNotFound) return stopped.status();
  }
  return {};
}

}  // namespace gantry::controllers::runtime
