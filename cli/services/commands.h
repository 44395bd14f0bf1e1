#pragma once

// gantryctl's Service verbs, over gantryd's REST API: `scale`, `plan`, and `rollout status |
// history | undo`. Each returns the process exit code: 0 success, 1 an error (one line on stderr)
// or, for `rollout status`, a rollout that failed or did not finish in time.

#include <string>
#include <vector>

#include "api/codec/object_codec.h"
#include "cli/objects/context.h"

namespace gantry::cli {

int RunScale(const std::vector<std::string>& args, const CommandContext& ctx);
int RunPlan(const std::vector<std::string>& args, const CommandContext& ctx);

// The plans of the Services among `manifests`, printed (`note_others`: a line for each other
// object, which is not planned). 0 when every task to start would place, 1 when some would not,
// 2 when a plan could not be made.
int PlanManifests(const std::vector<codec::Manifest>& manifests, const client::GantryClient& client,
                  const CommandContext& ctx, bool note_others);
int RunRollout(const std::vector<std::string>& args, const CommandContext& ctx);

}  // namespace gantry::cli
