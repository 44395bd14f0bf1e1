#pragma once

// `gantryctl version [--client]`: gantryctl's version, and the server's (GET /version).

#include <string>
#include <vector>

#include "cli/objects/context.h"

namespace gantry::cli {

int RunVersion(const std::vector<std::string>& args, const CommandContext& ctx);

}  // namespace gantry::cli
