#include "placement/decision.h"

namespace gantry::placement {

const char* ReasonText(Stage stage) {
  switch (stage) {
    case Stage::kAgent:
      return "AGENT";
    case Stage::kCpu:
      return "RESOURCE:CPU";
    case Stage::kMemory:
      return "RESOURCE:MEMORY";
    case Stage::kPorts:
      return "RESOURCE:PORTS";
    case Stage::kMemberOf:
      return "MemberOf placement constraint unsatisfied.";
    case Stage::kDistinctInstance:
      return "DistinctInstance placement constraint unsatisfied.";
  }
  return "?";
}

const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kAgent:
      return "agent";
    case Stage::kCpu:
      return "cpu";
    case Stage::kMemory:
      return "memory";
    case Stage::kPorts:
      return "ports";
    case Stage::kMemberOf:
      return "memberOf";
    case Stage::kDistinctInstance:
      return "distinctInstance";
  }
  return "?";
}

std::string RejectionSummary(const StageCounts& counts, const std::vector<std::string>& member_of) {
  std::string out = std::to_string(counts.feasible) + "/" + std::to_string(counts.evaluated) +
                    (counts.evaluated == 1 ? " instance" : " instances");
  const char* separator = ": ";
  for (size_t s = 0; s < kNumStages; ++s) {
    if (counts.rejected[s] == 0) continue;
    std::string what;
    switch (static_cast<Stage>(s)) {
      case Stage::kAgent:
        what = "not ACTIVE or agent disconnected";
        break;
      case Stage::kCpu:
        what = "insufficient cpu";
        break;
      case Stage::kMemory:
        what = "insufficient memory";
        break;
      case Stage::kPorts:
        what = "host port in use";
        break;
      case Stage::kMemberOf:
        what = member_of.size() == 1 ? "memberOf(" + member_of.front() + ")" : "memberOf";
        break;
      case Stage::kDistinctInstance:
        what = "distinctInstance";
        break;
    }
    out += separator + std::to_string(counts.rejected[s]) + " " + what;
    separator = ", ";
  }
  return out;
}

std::optional<Stage> StageCounts::ExhaustedBy() const {
  if (feasible > 0) return std::nullopt;
  uint32_t alive = evaluated;
  for (size_t s = 0; s < kNumStages; ++s) {
    alive -= rejected[s];
    if (alive == 0) return static_cast<Stage>(s);
  }
  return Stage::kAgent;  // unreachable when the counters are consistent
}

}  // namespace gantry::placement
