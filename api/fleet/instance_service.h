#pragma once

// Container instances: registration by agents (creating the cluster when needed), heartbeats
// as soft state, ACTIVE/DRAINING, attributes and the ECS ListContainerInstances filter. Noticing
// silent agents is the instance controller's (controllers/instance), which reads the heartbeats
// kept here through client::HeartbeatSource.
//
// Heartbeats live in memory only: a heartbeat writes nothing unless it changes agentConnected,
// so thousands of instances do not mean thousands of durable writes a second. After a restart
// gantryd counts every instance as heard from at start, giving agents a full timeout to return.

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "api/client/heartbeats.h"
#include "api/fleet/fleet_view.h"
#include "api/fleet/snapshot_input.h"
#include "api/fleet/task_service.h"
#include "api/service/clock.h"
#include "api/service/object_service.h"
#include "gantry/v1/agent.pb.h"

namespace gantry::fleet {

struct AttributeChange {
  std::string instance;  // id or ARN
  std::string name;
  std::optional<std::string> value;
};

// The label naming the agent user that registered an instance.
inline constexpr const char* kAgentLabel = "gantry.dev/agent";

// Whether an agent identity may act for the instance: "" (not an agent: an admin or editor) may
// act for any; an agent only for instances labelled gantry.dev/agent=<its user>, which it
// registered. An unlabelled instance (registered through the ECS API or by an admin) belongs to
// no agent.
bool OwnedBy(const v1::ContainerInstance& instance, const std::string& agent_user);

class InstanceService : public client::HeartbeatSource {
 public:
  InstanceService(api::ObjectService& objects, const FleetView& fleet, TaskService& tasks,
                  const api::Clock& clock);

  // Creates the cluster if needed; an instance registering again keeps its status (DRAINING
  // stays DRAINING), its registration time and the attributes put on it through the API.
  // `agent_user` (the token's user for the agent role, "" otherwise) is recorded on new
  // instances as the label gantry.dev/agent; see OwnedBy.
  api::StatusOr<std::vector<InstancePtr>> Register(
      const std::vector<v1::InstanceRegistration>& registrations,
      const std::string& agent_user = "");
  // Returns the names that are not registered; those deregistered (INACTIVE) go to
  // `deregistered` when given. A heartbeat from a disconnected instance reconnects it at once.
  std::vector<std::string> Heartbeat(const std::vector<std::string>& names,
                                     std::vector<std::string>* deregistered = nullptr);
  // ACTIVE or DRAINING. `cluster` may be empty (any).
  api::StatusOr<InstancePtr> SetState(const std::string& cluster, const std::string& instance,
                                      const std::string& status);
  // ECS ListContainerInstances: `filter` in the cluster query language, `status` one of ACTIVE,
  // DRAINING, ... (empty: every status but INACTIVE).
  api::StatusOr<std::vector<InstancePtr>> List(const std::string& cluster,
                                               const std::string& filter,
                                               const std::string& status) const;
  api::StatusOr<InstancePtr> Get(const std::string& cluster, const std::string& instance) const;
  // ECS DeregisterContainerInstance: the instance becomes INACTIVE (no tasks, not listed by
  // default). With tasks still on it, kFailedPrecondition unless `force`, which stops them
  // (rather than orphaning them as ECS does: Gantry keeps accounting for every process). An
  // agent that comes back registers again and is ACTIVE.
  api::StatusOr<InstancePtr> Deregister(const std::string& cluster, const std::string& instance,
                                        bool force);
  // PutAttributes (value set) and DeleteAttributes (value ignored) on container instances.
  api::Status PutAttributes(const std::string& cluster,
                            const std::vector<AttributeChange>& changes);
  api::Status DeleteAttributes(const std::string& cluster,
                               const std::vector<AttributeChange>& changes);

  TimePoint LastHeard(std::string_view instance) const override;

 private:
  api::Status EnsureCluster(const std::string& cluster);
  api::StatusOr<InstancePtr> RegisterOne(const v1::InstanceRegistration& registration,
                                         const std::string& agent_user);
  api::StatusOr<InstancePtr> SetConnected(const std::string& instance, bool connected);
  // agentConnected=true on each, a transaction per store::kMaxTxnOps: a simulated fleet's
  // heartbeat names thousands, and its answer is due before the agent's deadline.
  void Reconnect(const std::vector<std::string>& instances);
  api::Status ChangeAttributes(const std::string& cluster,
                               const std::vector<AttributeChange>& changes, bool put);
  api::StatusOr<InstancePtr> Resolve(const std::string& cluster, const std::string& instance) const;

  api::ObjectService& objects_;
  const FleetView& fleet_;
  TaskService& tasks_;
  const api::Clock& clock_;
  const std::chrono::system_clock::time_point started_;
  mutable std::mutex mu_;
  std::map<std::string, std::chrono::system_clock::time_point, std::less<>> last_heartbeat_;
  mutable SkipReporter skips_;  // List is const; reporting changes only the reporter
};

}  // namespace gantry::fleet
