#pragma once

// Random identifiers: object uids, task and instance ids, event ids.

#include <cstdint>
#include <string>

namespace gantry::uid {

// A random version 4 UUID ("3f2b...-4...-8..."). Thread-safe.
std::string NewRandomUuid();

// 128 bits in the UUID's text form (8-4-4-4-12 hex digits), as they are: an id that must be the
// same for the same inputs hashes them into `high` and `low`.
std::string FormatUuid(uint64_t high, uint64_t low);

}  // namespace gantry::uid
