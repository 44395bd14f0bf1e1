#pragma once

// gantryctl's fleet verbs: the ECS calls (run-task, list-container-instances, drain, undrain,
// stop-task, describe-tasks) made on gantryd's ECS endpoint, a task's output (logs) and the event
// stream (events). Each returns the process exit code: 0 success, 1 an error (one line on stderr,
// "error: ...") or, for run-task, drain, undrain and describe-tasks, a failure ECS reported.

#include <string>
#include <vector>

#include "cli/objects/context.h"

namespace gantry::cli {

int RunRunTask(const std::vector<std::string>& args, const CommandContext& ctx);
int RunListContainerInstances(const std::vector<std::string>& args, const CommandContext& ctx);
int RunDrain(const std::vector<std::string>& args, const CommandContext& ctx);
int RunUndrain(const std::vector<std::string>& args, const CommandContext& ctx);
int RunStopTask(const std::vector<std::string>& args, const CommandContext& ctx);
int RunDescribeTasks(const std::vector<std::string>& args, const CommandContext& ctx);
int RunLogs(const std::vector<std::string>& args, const CommandContext& ctx);
int RunEvents(const std::vector<std::string>& args, const CommandContext& ctx);

}  // namespace gantry::cli
