#pragma once

// Value types that go into placement: the cluster as callers see it (InstanceSpec), and what a
// caller asks for (TaskRequest). Plain data with no behaviour; ClusterSnapshot turns instances
// into the compact, interned form the engine works on.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gantry::placement {

enum class InstanceStatus : uint8_t { kActive, kDraining, kInactive };

// A non-stopped task already on an instance: it uses resources and counts for its group.
struct TaskSpec {
  std::string group;
  int64_t cpu = 0;
  int64_t memory = 0;
  std::vector<int32_t> ports;
};

struct InstanceSpec {
  std::string id;               // unique; the value of spread(instanceId) and spread(host)
  std::string ec2_instance_id;  // empty means the same as id
  InstanceStatus status = InstanceStatus::kActive;
  bool agent_connected = true;
  std::optional<std::string> agent_version;
  std::optional<int64_t> registered_at_ms;  // milliseconds since the Unix epoch, UTC
  // Name/value pairs; a name appears at most once. A capability attribute has an empty value.
  std::vector<std::pair<std::string, std::string>> attributes;
  int64_t cpu = 0;             // registered cpu units
  int64_t memory = 0;          // registered MiB
  std::vector<int32_t> ports;  // host ports in use besides those of `tasks`
  std::vector<TaskSpec> tasks;
};

struct ConstraintSpec {
  std::string type;                       // memberOf | distinctInstance
  std::optional<std::string> expression;  // present-but-empty is distinct from absent
};

struct StrategySpec {
  std::string type;                  // binpack | spread | random
  std::optional<std::string> field;  // cpu | memory | instanceId | host | attribute:NAME
};

struct TaskRequest {
  int64_t count = 1;
  std::string group;  // the task group; callers resolve the family:<family> default
  int64_t cpu = 0;
  int64_t memory = 0;
  std::vector<int32_t> ports;  // host ports each task needs
  // Both lists apply (ANDed); they are kept apart so errors name the right field.
  std::vector<ConstraintSpec> task_definition_constraints;
  std::vector<ConstraintSpec> constraints;
  std::vector<StrategySpec> strategies;  // empty means random
  uint64_t seed = 0;                     // same seed, same decision
};

}  // namespace gantry::placement
