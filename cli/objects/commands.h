#pragma once

// gantryctl's object verbs. Each returns the process exit code: 0 success, 1 an error (one line
// on stderr), and for diff 1 means "differences" and 2 an error.

#include <string>
#include <vector>

#include "cli/objects/context.h"

namespace gantry::cli {

int RunApply(const std::vector<std::string>& args, const CommandContext& ctx);
int RunGet(const std::vector<std::string>& args, const CommandContext& ctx);
int RunDescribe(const std::vector<std::string>& args, const CommandContext& ctx);
int RunDelete(const std::vector<std::string>& args, const CommandContext& ctx);
int RunDiff(const std::vector<std::string>& args, const CommandContext& ctx);
int RunWait(const std::vector<std::string>& args, const CommandContext& ctx);
// status -f FILE|DIR|- [-R] [--wait] [--timeout=D]: kstatus health of what the manifests name.
int RunStatus(const std::vector<std::string>& args, const CommandContext& ctx);
// sync NAME [--timeout=D] [--no-wait]: a Sync's pass now; exit 0 when it applied, 1 when not.
int RunSync(const std::vector<std::string>& args, const CommandContext& ctx);

}  // namespace gantry::cli
