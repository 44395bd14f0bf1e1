#pragma once

// Typed readings of CQL literals and instance values: ECS timestamps, dotted agent versions and
// numbers. Each returns nullopt (or an invalid result) instead of throwing.

#include <cstdint>
#include <optional>
#include <string_view>

namespace gantry::placement::cql {

// Milliseconds since the Unix epoch for the four ECS formats: `2018-06-18T22:28:28+00:00`,
// `2018-06-18T22:28:28Z`, `2018-06-18T22:28:28` (UTC) and `2018-06-18` (00:00:00Z).
// Fractional seconds and `±hhmm` offsets are accepted too.
std::optional<int64_t> ParseTimestamp(std::string_view text);

// True when `text` is a dotted version: digit-led components separated by dots (`1.14.5`).
bool IsVersion(std::string_view text);

// Compares dotted versions component by component: numerically where both components are digits
// (so 1.9.0 < 1.14.5), as strings otherwise; a missing component counts as 0 (1.14 == 1.14.0).
// Returns <0, 0 or >0.
int CompareVersions(std::string_view a, std::string_view b);

// A finite decimal number (`42`, `-1.5`, `2e3`); nullopt for anything else.
std::optional<double> ParseNumber(std::string_view text);

// A non-negative integer that fits in int64.
std::optional<int64_t> ParseNonNegativeInteger(std::string_view text);

}  // namespace gantry::placement::cql
