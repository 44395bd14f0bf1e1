#pragma once

// A Service's own event list (status.events), as ECS's DescribeServices shows it: newest first,
// the last kServiceEventLimit, worded as ECS words them ("(service web) has reached a steady
// state."). The controller adds them as it acts; the cluster's Event objects carry the same
// messages for `gantryctl events` and the event stream.

#include <string>
#include <vector>

#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::service {

inline constexpr int kServiceEventLimit = 50;

// Adds `message` as the newest event, unless the newest already says the same (a placement
// that keeps failing is told once until something else happens).
void AddServiceEvent(v1::ServiceStatus& status, const std::string& message, const std::string& now);

// "(service web) has started 2 tasks: (task a) (task b)." and its "stopped" twin; names past
// the tenth are counted, not listed.
std::string TasksMessage(const std::string& service, const std::string& verb,
                         const std::vector<std::string>& tasks);

struct DeploymentMessage {
  bool warning = false;  // a failure (Warning), else Normal
  std::string reason;    // the Event's: DeploymentStarted, DeploymentCompleted, DeploymentFailed,
                         // RollingBack, RollbackCompleted
  std::string text;
};

// What the newest deployment record's change between `before` and `after` tells: a deployment
// started, completed, failed, rolled back.
std::vector<DeploymentMessage> DeploymentMessages(
    const std::string& service,
    const google::protobuf::RepeatedPtrField<v1::ServiceDeploymentRecord>& before,
    const google::protobuf::RepeatedPtrField<v1::ServiceDeploymentRecord>& after);

}  // namespace gantry::controllers::service
