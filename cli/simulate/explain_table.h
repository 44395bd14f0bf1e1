#pragma once

// Human-readable tables for `gantryctl simulate --explain`.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "placement/decision.h"
#include "placement/snapshot.h"

namespace gantry::cli {

// Per instance: whether the filter matched (INACTIVE instances are listed but never returned).
void WriteFilterTable(const placement::ClusterSnapshot& snapshot, const std::string& expression,
                      const std::vector<uint32_t>& matched, std::ostream& out);

// Per instance: the stage that rejected it for the first task, or its strategy scores; then the
// pipeline counters and the placements and failures of the whole request.
void WriteExplainTable(const placement::ClusterSnapshot& snapshot,
                       const placement::Explanation& explanation,
                       const placement::Decision& decision, std::ostream& out);

}  // namespace gantry::cli
