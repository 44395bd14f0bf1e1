#include "api/fleet/agent_backend.h"

namespace gantry::fleet {

api::StatusOr<v1::RegisterInstancesResponse> AgentBackend::Register(
    const v1::RegisterInstancesRequest& req) {
  if (req.instances_size() == 0) return api::InvalidArgument("instances", "give at least one");
  for (int i = 0; i < req.instances_size(); ++i) {
    const auto& r = req.instances(i);
    const std::string at = "instances[" + std::to_string(i) + "]";
    if (!SafePathComponent(r.container_instance()))
      return api::InvalidArgument(at + ".containerInstance", "must be a name of [A-Za-z0-9_.-]");
    if (r.registered_resources().cpu() < 0 || r.registered_resources().memory() < 0)
      return api::InvalidArgument(at + ".registeredResources", "must not be negative");
  }
  auto registered = instances_.Register({req.instances().begin(), req.instances().end()});
  if (!registered.ok()) return registered.status();
  v1::RegisterInstancesResponse resp;
  for (const auto& ci : *registered) *resp.add_instances() = *ci;
  return resp;
}

v1::HeartbeatResponse AgentBackend::Heartbeat(const v1::HeartbeatRequest& req) {
  v1::HeartbeatResponse resp;
  for (auto& name :
       instances_.Heartbeat({req.container_instances().begin(), req.container_instances().end()}))
    resp.add_unknown_instances(std::move(name));
  return resp;
}

v1::ReportTaskStatesResponse AgentBackend::Report(const v1::ReportTaskStatesRequest& req) {
  v1::ReportTaskStatesResponse resp;
  std::vector<std::string> failures;
  for (const auto& t : tasks_.Report({req.reports().begin(), req.reports().end()}, failures))
    *resp.add_tasks() = *t;
  for (auto& f : failures) resp.add_failures(std::move(f));
  return resp;
}

api::Status AgentBackend::AppendLogs(const v1::AppendTaskLogsRequest& req) {
  for (const auto& chunk : req.chunks()) {
    auto st =
        logs_.Append(chunk.task(), chunk.container(), chunk.stream(), chunk.offset(), chunk.data());
    if (!st.ok()) return st;
  }
  return {};
}

}  // namespace gantry::fleet
