#pragma once

// --simulate N: N virtual container instances in one process over one connection, as kubemark's
// hollow nodes do for Kubernetes. They register in batches, heartbeat in one call, and their
// tasks go RUNNING as soon as they are assigned and stay until stopped. Instance ids persist in
// the state dir, so a restarted fleet is the same fleet.

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "agent/agent_options.h"
#include "api/grpc/agent_client.h"
#include "api/status/status.h"

namespace gantry::agent {

class SimulatedFleet {
 public:
  SimulatedFleet(AgentOptions options, grpcapi::AgentClient& client)
      : options_(std::move(options)), client_(client) {}

  api::Status Init();
  // Registers everything, then heartbeats and answers task changes until `stop`.
  void Run(const std::atomic<bool>& stop);

  const std::vector<std::string>& instance_ids() const { return ids_; }

 private:
  std::vector<v1::InstanceRegistration> Registrations() const;
  // Registers every instance, or only those in `only`.
  bool RegisterAll(const std::atomic<bool>& stop, const std::set<std::string>* only = nullptr);
  void Answer(const v1::Task& task, std::vector<v1::TaskStateReport>& reports);

  AgentOptions options_;
  grpcapi::AgentClient& client_;
  std::vector<std::string> ids_;
  std::set<std::string> mine_;
};

}  // namespace gantry::agent
