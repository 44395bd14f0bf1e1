// stop-task TASK [--cluster C] [--reason R] [-o json]: ECS StopTask. The task is told to stop; its
// containers get their stop timeout, so lastStatus reaches STOPPED a little later.

#include <ostream>

#include "cli/fleet/commands.h"
#include "cli/fleet/internal/ecs_call.h"

namespace gantry::cli {

int RunStopTask(const std::vector<std::string>& args, const CommandContext& ctx) {
  constexpr const char* kUsage =
      "usage: gantryctl stop-task TASK [--cluster C] [--reason R] [-o json]";
  std::string cluster, reason, output;
  bool reason_given = false;
  std::vector<std::string> tasks;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    if (FlagValue(args, i, "--cluster", "", value, error)) {
      cluster = value;
    } else if (FlagValue(args, i, "--reason", "", value, error)) {
      reason = value;
      reason_given = true;
    } else if (FlagValue(args, i, "--output", "-o", value, error)) {
      output = value;
    } else if (args[i].starts_with("-")) {
      return ReportError(ctx, "unknown flag " + args[i] + " (" + kUsage + ")");
    } else {
      tasks.push_back(args[i]);
    }
    if (!error.empty()) return ReportError(ctx, error);
  }
  if (tasks.size() != 1) return ReportError(ctx, kUsage);
  if (!output.empty() && output != "json") {
    return ReportError(ctx, "unknown output format \"" + output + "\" (use -o json)");
  }
  fleet_internal::Json request = fleet_internal::Json::object();
  if (!cluster.empty()) request["cluster"] = cluster;
  request["task"] = tasks[0];
  if (reason_given) request["reason"] = reason;
  auto response = fleet_internal::CallEcs(ctx.global, "StopTask", request);
  if (!response.ok()) return fleet_internal::Fail(ctx, response.status());
  if (output == "json") {
    ctx.out << fleet_internal::PrettyJson(*response) << "\n";
    return 0;
  }
  std::string arn;
  if (auto it = response->find("task"); it != response->end())
    arn = fleet_internal::StringAt(*it, "taskArn");
  ctx.out << "task/" << fleet_internal::IdOf(arn.empty() ? tasks[0] : arn) << " stopped\n";
  return 0;
}

}  // namespace gantry::cli
