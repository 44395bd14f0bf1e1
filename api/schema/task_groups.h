#pragma once

// The task group a workload's tasks carry (ECS's `service:<name>`, and `environment:<name>` for
// a daemon Environment's). Placement counts tasks by group (distinctInstance, spread), listings
// filter on it, and the launcher reserves a daemon's room on every instance of its group.

#include <string>
#include <string_view>

namespace gantry::schema {

inline constexpr std::string_view kServiceGroupPrefix = "service:";
inline constexpr std::string_view kEnvironmentGroupPrefix = "environment:";

inline std::string ServiceGroup(std::string_view service) {
  return std::string(kServiceGroupPrefix) + std::string(service);
}
inline std::string EnvironmentGroup(std::string_view environment) {
  return std::string(kEnvironmentGroupPrefix) + std::string(environment);
}

// The Service (or Environment) a task of `group` belongs to; empty for a group of another kind.
inline std::string ServiceOfGroup(std::string_view group) {
  return group.starts_with(kServiceGroupPrefix)
             ? std::string(group.substr(kServiceGroupPrefix.size()))
             : std::string();
}
inline std::string EnvironmentOfGroup(std::string_view group) {
  return group.starts_with(kEnvironmentGroupPrefix)
             ? std::string(group.substr(kEnvironmentGroupPrefix.size()))
             : std::string();
}

}  // namespace gantry::schema
