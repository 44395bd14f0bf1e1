#pragma once

#include <chrono>
#include <string>

namespace gantry::clock {

// RFC 3339 in UTC with second precision: 2026-11-25T07:54:26Z.
std::string FormatTime(std::chrono::system_clock::time_point t);

}  // namespace gantry::clock
