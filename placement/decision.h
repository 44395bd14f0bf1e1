#pragma once

// What placement decides: where each task goes, why the rest could not be placed, and how many
// instances each stage of the pipeline rejected (Nomad's AllocMetric is the model).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gantry::placement {

// Pipeline stages in the order they filter. A failure names the stage that removed the last
// candidates.
enum class Stage : uint8_t {
  kAgent,             // not ACTIVE, or agent disconnected
  kCpu,               // not enough cpu units left
  kMemory,            // not enough memory left
  kPorts,             // a needed host port is in use
  kMemberOf,          // a memberOf expression does not hold
  kDistinctInstance,  // already hosts a task of the request's group
};
inline constexpr size_t kNumStages = 6;

// The ECS failure reason for a stage: "AGENT", "RESOURCE:CPU", "RESOURCE:MEMORY",
// "RESOURCE:PORTS", "MemberOf placement constraint unsatisfied.",
// "DistinctInstance placement constraint unsatisfied.".
const char* ReasonText(Stage stage);
// A short stage name for tables and metric labels: agent, cpu, memory, ports, memberOf,
// distinctInstance.
const char* StageName(Stage stage);

struct StageCounts {
  uint32_t evaluated = 0;                       // instances looked at
  std::array<uint32_t, kNumStages> rejected{};  // removed at each stage
  uint32_t feasible = 0;                        // left after every stage

  // The stage that removed the last candidates; nullopt while some remain. With no instances at
  // all the answer is kAgent (no ACTIVE connected instance).
  std::optional<Stage> ExhaustedBy() const;
};

// Why no instance was left, stage by stage, in a sentence: "0/12 instances: 4 not ACTIVE or
// agent disconnected, 6 insufficient memory, 2 memberOf(attribute:stack == prod)". A memberOf
// expression is named when the request has exactly one (`member_of`).
std::string RejectionSummary(const StageCounts& counts, const std::vector<std::string>& member_of);

struct Decision {
  std::vector<uint32_t> placements;          // snapshot index of the instance for each placed task
  std::vector<Stage> failures;               // one per task that could not be placed
  StageCounts first_task;                    // the pipeline's counters for the first task
  std::optional<StageCounts> at_exhaustion;  // counters when the candidates ran out
};

// Per-instance view of the first task's decision, for `gantryctl simulate --explain`.
struct InstanceExplanation {
  uint32_t instance = 0;
  std::optional<Stage> rejected_by;  // nullopt: feasible
  std::vector<int64_t> scores;       // one per strategy (lower is better), then the tie-break
  bool chosen = false;
};

struct Explanation {
  std::vector<std::string>
      score_names;  // "spread(attribute:ecs.availability-zone)", ..., "tie-break"
  std::vector<InstanceExplanation> instances;  // in snapshot order
  StageCounts counts;
};

}  // namespace gantry::placement
