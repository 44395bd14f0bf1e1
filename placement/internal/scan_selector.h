#pragma once

// Chooses the best candidate by narrowing: each strategy of the chain keeps only the candidates
// with its lowest key, the next one breaks ties among those, and the seeded tie-break settles the
// rest. Cost is one pass over the candidates per strategy; a spread(attribute) over many
// candidates works a bitset word at a time per attribute value. Used for one-task requests and,
// task by task, as the reference the incremental selector is tested against.

#include <cstdint>
#include <optional>

#include "placement/bitset.h"
#include "placement/internal/request_context.h"

namespace gantry::placement::internal {

std::optional<uint32_t> SelectByScan(const RequestContext& ctx, const Bitset& candidates);

}  // namespace gantry::placement::internal
