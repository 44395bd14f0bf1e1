#pragma once

// gantry-agent on a real machine: registers one container instance, heartbeats, watches the
// tasks assigned to it, runs them through the process driver and reports every change.
//
//   register ─▶ heartbeat every 5 s (re-register when gantryd forgot us)
//   list + watch Tasks{container-instance=me} ─▶ desired tasks
//   loop: desired ⨯ local (driver records) ─▶ TaskRunner.Step ─▶ reports (retried until sent)
//         local tasks gantryd does not know ─▶ killed and removed (no orphans)
//         task output ─▶ AppendTaskLogs (by offset, so resending is harmless)
//
// On start the agent re-adopts the containers its driver still runs; the first list tells which
// of them gantryd still wants.

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/agent_options.h"
#include "agent/driver/process_driver.h"
#include "agent/task_runner.h"
#include "api/grpc/agent_client.h"
#include "api/status/status.h"

namespace gantry::agent {

// Makes the state dir the agent's alone (created 0700, a wider existing one tightened to 0700):
// tasks never read the identity, the records or the logs. Refuses a directory another user owns
// and a shared one (sticky or world-writable, such as /tmp).
api::Status SecureStateDir(const std::string& state_dir);

// The instance id kept in DIR/instance-id (0600), created on first start: a restart is the same
// instance. Secures DIR first.
api::StatusOr<std::string> LoadOrCreateIdentity(const std::string& state_dir);

class Agent {
 public:
  Agent(AgentOptions options, grpcapi::AgentClient& client);
  ~Agent();

  // Identity, driver and the containers to re-adopt; fails on an unusable state dir.
  api::Status Init();
  // Until `stop` is set. Tasks keep running after the agent stops and the next start adopts
  // them, unless AgentOptions::stop_tasks_on_exit.
  void Run(const std::atomic<bool>& stop);

  const std::string& instance_id() const { return instance_id_; }

 private:
  v1::InstanceRegistration Registration() const;
  bool RegisterNow();
  void HeartbeatLoop(const std::atomic<bool>& stop);
  void WatchLoop(const std::atomic<bool>& stop);
  void Reconcile();
  const v1::TaskDefinition* Definition(const std::string& name);
  void SendReports();
  // stop_tasks_on_exit: every task stopped as if gantryd had asked, and reported.
  void StopEveryTask();
  void ShipLogs();

  AgentOptions options_;
  grpcapi::AgentClient& client_;
  std::string instance_id_;
  std::unique_ptr<ProcessDriver> driver_;

  std::mutex mu_;  // guards desired_, synced_, wake_
  std::condition_variable wake_cv_;
  bool wake_ = false;
  std::map<std::string, v1::Task> desired_;  // the tasks gantryd assigns to us
  bool synced_ = false;                      // desired_ came from a successful list
  std::atomic<bool> relist_{false};          // the heartbeat saw gantryd come back

  // Loop thread only.
  std::map<std::string, std::unique_ptr<TaskRunner>> runners_;
  std::map<std::string, v1::TaskDefinition> definitions_;
  std::map<std::string, v1::TaskStateReport> unsent_;  // latest report per task
  std::map<std::string, int64_t> log_offsets_;         // task/container/stream -> bytes sent
  std::chrono::steady_clock::time_point last_log_ship_{};
};

}  // namespace gantry::agent
