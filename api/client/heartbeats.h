#pragma once

// When each container instance's agent last spoke. Heartbeats are soft state kept in gantryd's
// memory, not objects: a durable write per heartbeat would cost thousands of writes a second at
// fleet scale and tell a restarted gantryd nothing it could trust. The instance controller reads
// them through this interface, as it reads objects through client::Client; in gantryd the
// InstanceService that receives the heartbeats answers.

#include <chrono>
#include <string_view>

namespace gantry::client {

class HeartbeatSource {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~HeartbeatSource() = default;
  // The last heartbeat or registration of `instance`'s agent; when none came since gantryd
  // started, its start, so every agent gets a full timeout to return after a restart.
  virtual TimePoint LastHeard(std::string_view instance) const = 0;
};

}  // namespace gantry::client
