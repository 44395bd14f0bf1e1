#pragma once

// gantryctl's Service verbs, over gantryd's REST API: `scale`, and `rollout status | history |
// undo`. Each returns the process exit code: 0 success, 1 an error (one line on stderr) or, for
// `rollout status`, a rollout that failed or did not finish in time.

#include <string>
#include <vector>

#include "cli/objects/context.h"

namespace gantry::cli {

int RunScale(const std::vector<std::string>& args, const CommandContext& ctx);
int RunRollout(const std::vector<std::string>& args, const CommandContext& ctx);

}  // namespace gantry::cli
