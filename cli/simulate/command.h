#pragma once

// `gantryctl simulate -f FILE [--explain]`: the offline front door to placement.
//
// Output (stdout, JSON): filter mode {"instances": [...]}, placement mode
// {"placements": [...], "failures": [{"reason": "..."}]}. Bad input: exit 2, nothing on stdout,
// one line on stderr naming the field path and position. --explain prints a human table instead.

#include <iosfwd>
#include <string>
#include <vector>

namespace gantry::cli {

int RunSimulate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gantry::cli
