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

  api::StatusOr<v1::RegisterInstancesResponse> Register(const v1::RegisterInstancesRequest& req);
  v1::HeartbeatResponse Heartbeat(const v1::HeartbeatRequest& req);
  v1::ReportTaskStatesResponse Report(const v1::ReportTaskStatesRequest& req);
  api::Status AppendLogs(const v1::AppendTaskLogsRequest& req);

 private:
  InstanceService& instances_;
  TaskService& tasks_;
  TaskLogStore& logs_;
};

}  // namespace gantry::fleet
