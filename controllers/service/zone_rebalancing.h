#pragma once

// ECS's availability zone rebalancing: a steady service whose tasks are spread unevenly over
// the zones (an instance drained or joined, a roll placed its tasks beside the old ones) moves
// one task at a time from the fullest zone to the emptiest, within the deployment's bounds.
//
//   applies when spec.availabilityZoneRebalancing is ENABLED, or unset and no strategy is
//   binpack (ECS's default), and the service spreads by zone first (its own strategies, or
//   ECS's default ones)
//   uneven: the counts of zones with an ACTIVE, connected instance differ by more than one
//     room above desired (maximumPercent) ─▶ start one in the emptiest zone; when it runs, the
//                                           surplus stops from the fullest (ChooseToStop)
//     else room below (minimumHealthyPercent) ─▶ stop one from the fullest; its replacement
//                                           goes where the spread puts it, the emptiest zone
//     neither (100 / 100)                  ─▶ left as it is

#include <map>
#include <optional>
#include <string>

#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::service {

inline constexpr const char* kZoneAttribute = "ecs.availability-zone";

bool RebalancingApplies(const v1::ServiceSpec& spec);

// The emptiest zone (the first by name among equals) when the fullest holds more than one task
// more; nullopt when the zones are even.
std::optional<std::string> EmptiestIfUneven(const std::map<std::string, int>& tasks_by_zone);

// A zone name a memberOf expression can carry as it is (letters, digits, '-', '_', '.').
bool PlainZoneName(const std::string& zone);

}  // namespace gantry::controllers::service
