#pragma once

// The client side of the agent protocol, for gantry-agent (grpcpp stays in agent_client.cc).
// One channel carries everything: the Agent calls, listing tasks and watching them.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/grpc/channel.h"
#include "api/status/status.h"
#include "gantry/v1/agent.pb.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::grpcapi {

struct TaskWatchEvent {
  std::string type;  // ADDED | MODIFIED | DELETED
  v1::Task task;
};

class AgentClient {
 public:
  // `address` is HOST:PORT; `token` (optional) is sent as a bearer token.
  AgentClient(const std::string& address, const std::string& token, const ChannelTls& tls = {});
  ~AgentClient();

  api::StatusOr<v1::RegisterInstancesResponse> Register(const v1::RegisterInstancesRequest& req);
  api::StatusOr<v1::HeartbeatResponse> Heartbeat(const v1::HeartbeatRequest& req);
  api::StatusOr<v1::ReportTaskStatesResponse> Report(const v1::ReportTaskStatesRequest& req);
  api::Status AppendLogs(const v1::AppendTaskLogsRequest& req);
  api::StatusOr<v1::TaskDefinition> GetTaskDefinition(const std::string& name);
  // Tasks matching a label selector, and the revision to watch from.
  api::Status ListTasks(const std::string& label_selector, std::vector<v1::Task>& tasks,
                        std::string& revision);
  // Streams task changes after `revision` to `on_event` until `stop` is set (checked between
  // events and at least every `poll`) or the stream fails; returns why it ended.
  api::Status WatchTasks(const std::string& label_selector, const std::string& revision,
                         const std::function<void(const TaskWatchEvent&)>& on_event,
                         const std::atomic<bool>& stop);

  // Every call fails fast after this deadline.
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::chrono::milliseconds timeout_{10'000};
};

}  // namespace gantry::grpcapi
