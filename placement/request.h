#pragma once

// Checks a TaskRequest against the ECS rules and compiles it: expressions parsed once, strategy
// fields resolved. Errors carry field paths relative to the request
// (`placementConstraints[1].expression: expected an operator after 'attribute:stack' at column
// 17`).

#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "placement/cql/expression.h"
#include "placement/limits.h"
#include "placement/status.h"
#include "placement/types.h"

namespace gantry::placement {

struct Strategy {
  enum class Kind : uint8_t {
    kBinpackCpu,
    kBinpackMemory,
    kSpreadInstance,
    kSpreadAttribute,
    kRandom
  };
  Kind kind = Kind::kRandom;
  std::string attribute;  // for kSpreadAttribute
  std::string name;       // as written: "spread(attribute:ecs.availability-zone)"
};

struct CompiledRequest {
  int64_t count = 1;
  std::string group;
  int64_t cpu = 0;
  int64_t memory = 0;
  std::vector<int32_t> ports;
  std::vector<cql::Expression> member_of;  // task definition's and request's, ANDed
  bool distinct_instance = false;
  std::vector<Strategy> strategies;  // never empty: no strategy means random
  uint64_t seed = 0;
};

Result<CompiledRequest> CompileRequest(const TaskRequest& request);
// One strategy; errors name `path` (`placementStrategy[0]`).
Result<Strategy> CompileStrategy(const StrategySpec& strategy, const std::string& path);

}  // namespace gantry::placement
