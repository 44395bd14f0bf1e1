#pragma once

// Random identifiers: object uids, task and instance ids, event ids.

#include <string>

namespace gantry::uid {

// A random version 4 UUID ("3f2b...-4...-8..."). Thread-safe.
std::string NewRandomUuid();

}  // namespace gantry::uid
