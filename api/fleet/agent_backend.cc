#include "api/fleet/agent_backend.h"

#include <algorithm>
#include <map>

namespace gantry::fleet {

api::Status AgentBackend::CheckOwner(const std::string& instance,
                                     const std::string& agent_user) const {
  if (agent_user.empty()) return {};
  auto ci = instances_.Get("", instance);
  if (ci.ok() && !OwnedBy(**ci, agent_user)) {
    return api::Status(api::Code::kPermissionDenied,
                       "agent user \"" + agent_user + "\" may not act for container instance " +
                           instance + ", which another agent user registered");
  }
  return {};
}

api::StatusOr<v1::RegisterInstancesResponse> AgentBackend::Register(
    const v1::RegisterInstancesRequest& req, const std::string& agent_user) {
  if (req.instances_size() == 0) return api::InvalidArgument("instances", "give at least one");
  for (int i = 0; i < req.instances_size(); ++i) {
    const auto& r = req.instances(i);
    const std::string at = "instances[" + std::to_string(i) + "]";
    if (!SafePathComponent(r.container_instance()))
      return api::InvalidArgument(at + ".containerInstance", "must be a name of [A-Za-z0-9_.-]");
    if (r.registered_resources().cpu() < 0 || r.registered_resources().memory() < 0)
      return api::InvalidArgument(at + ".registeredResources", "must not be negative");
  }
  auto registered =
      instances_.Register({req.instances().begin(), req.instances().end()}, agent_user);
  if (!registered.ok()) return registered.status();
  v1::RegisterInstancesResponse resp;
  for (const auto& ci : *registered) *resp.add_instances() = *ci;
  return resp;
}

api::StatusOr<v1::HeartbeatResponse> AgentBackend::Heartbeat(const v1::HeartbeatRequest& req,
                                                             const std::string& agent_user) {
  for (const auto& name : req.container_instances()) {
    if (auto st = CheckOwner(name, agent_user); !st.ok()) return st;
  }
  v1::HeartbeatResponse resp;
  for (auto& name :
       instances_.Heartbeat({req.container_instances().begin(), req.container_instances().end()}))
    resp.add_unknown_instances(std::move(name));
  return resp;
}

api::StatusOr<v1::ReportTaskStatesResponse> AgentBackend::Report(
    const v1::ReportTaskStatesRequest& req, const std::string& agent_user) {
  for (const auto& r : req.reports()) {
    if (auto st = CheckOwner(r.container_instance(), agent_user); !st.ok()) return st;
  }
  v1::ReportTaskStatesResponse resp;
  std::vector<v1::ReportFailure> failures;
  for (const auto& t : tasks_.Report({req.reports().begin(), req.reports().end()}, failures))
    *resp.add_tasks() = *t;
  for (auto& f : failures) *resp.add_failures() = std::move(f);
  return resp;
}

api::Status AgentBackend::AppendLogs(const v1::AppendTaskLogsRequest& req,
                                     const std::string& agent_user) {
  if (auto st = CheckOwner(req.container_instance(), agent_user); !st.ok()) return st;
  // Every chunk is checked before any is written, so a refused batch leaves nothing behind.
  std::vector<bool> keep(static_cast<size_t>(req.chunks_size()), false);
  std::map<std::string, std::vector<std::string>> containers_of;  // by task
  for (int i = 0; i < req.chunks_size(); ++i) {
    const auto& chunk = req.chunks(i);
    // Output only for tasks on the sending instance (the store keeps logs of known tasks).
    TaskPtr task = tasks_.Find(chunk.task());
    // Output of a task gantryd has already collected has nowhere to go: dropped, not an error,
    // so one late chunk does not hold back the batch.
    if (!task) continue;
    if (task->spec().container_instance() != req.container_instance()) {
      return api::Status(api::Code::kPermissionDenied, "task " + chunk.task() +
                                                           " does not run on container instance " +
                                                           req.container_instance());
    }
    auto known = containers_of.find(chunk.task());
    if (known == containers_of.end()) {
      auto names = tasks_.ContainerNames(*task);
      if (!names.ok()) return names.status();
      known = containers_of.emplace(chunk.task(), std::move(*names)).first;
    }
    // Only the definition's containers have output: any other name would be one more file
    // per name for an agent to fill.
    const auto& names = known->second;
    if (std::find(names.begin(), names.end(), chunk.container()) == names.end()) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      return api::InvalidArgument("chunks[" + std::to_string(i) + "].container",
                                  "task " + chunk.task() + " has no container '" +
                                      chunk.container() + "' (its task definition " +
                                      task->spec().task_definition() + " has " + list + ")");
    }
    keep[static_cast<size_t>(i)] = true;
  }
  for (int i = 0; i < req.chunks_size(); ++i) {
    if (!keep[static_cast<size_t>(i)]) continue;
    const auto& chunk = req.chunks(i);
    auto st =
        logs_.Append(chunk.task(), chunk.container(), chunk.stream(), chunk.offset(), chunk.data());
    if (!st.ok()) return st;
  }
  return {};
}

}  // namespace gantry::fleet
