#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace gantry::clock {

// RFC 3339 in UTC with second precision: 2026-11-25T07:54:26Z.
std::string FormatTime(std::chrono::system_clock::time_point t);

// Milliseconds since the epoch of an RFC 3339 UTC time ("2026-11-25T07:54:26Z", fractions kept to
// the millisecond), or -1 when it is not one.
int64_t ParseTimeMs(const std::string& rfc3339);

}  // namespace gantry::clock
