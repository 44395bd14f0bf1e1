#pragma once

// Durations as users write them in flags and specs: 500ms, 30s, 5m, 2h (a bare number is
// seconds), at most 9 digits.

#include <chrono>
#include <string_view>

namespace gantry::clock {

bool ParseDuration(std::string_view text, std::chrono::milliseconds& out);

}  // namespace gantry::clock
