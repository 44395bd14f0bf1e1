#pragma once

// The service side of the agent protocol (gantry.v1.Agent), transport-free: the gRPC server
// only translates. Registration and heartbeats go to InstanceService, task reports to
// TaskService, output chunks to the TaskLogStore.

#include "api/fleet/instance_service.h"
#include "api/fleet/task_log_store.h"
#include "api/fleet/task_service.h"
#include "gantry/v1/agent.pb.h"

namespace gantry::fleet {

class AgentBackend {
 public:
  AgentBackend(InstanceService& instances, TaskService& tasks, TaskLogStore& logs)
      : instances_(instances), tasks_(tasks), logs_(logs) {}

  // `agent_user` is the token's user when it has the agent role ("" for admins, editors and a
  // gantryd without tokens): such a caller acts only for the instances it registered
  // (kPermissionDenied otherwise).
  api::StatusOr<v1::RegisterInstancesResponse> Register(const v1::RegisterInstancesRequest& req,
                                                        const std::string& agent_user = "");
  api::StatusOr<v1::HeartbeatResponse> Heartbeat(const v1::HeartbeatRequest& req,
                                                 const std::string& agent_user = "");
  api::StatusOr<v1::ReportTaskStatesResponse> Report(const v1::ReportTaskStatesRequest& req,
                                                     const std::string& agent_user = "");
  api::Status AppendLogs(const v1::AppendTaskLogsRequest& req, const std::string& agent_user = "");

 private:
  // kPermissionDenied unless `agent_user` may act for the (registered) instance.
  api::Status CheckOwner(const std::string& instance, const std::string& agent_user) const;

  InstanceService& instances_;
  TaskService& tasks_;
  TaskLogStore& logs_;
};

}  // namespace gantry::fleet
