// describe-tasks TASK... [--cluster C]: ECS DescribeTasks, printed as the AWS CLI prints it. A
// task ECS cannot find is a failure in the JSON, repeated on stderr, and the exit code is 1.

#include <ostream>

#include "cli/fleet/commands.h"
#include "cli/fleet/internal/ecs_call.h"

namespace gantry::cli {

int RunDescribeTasks(const std::vector<std::string>& args, const CommandContext& ctx) {
  constexpr const char* kUsage = "usage: gantryctl describe-tasks TASK... [--cluster C]";
  constexpr size_t kMaxTasks = 100;  // DescribeTasks takes 1..100
  std::string cluster;
  std::vector<std::string> tasks;
  if (auto error = fleet_internal::ParseNamesAndCluster(args, "describe-tasks", kUsage, kMaxTasks,
                                                        "tasks", tasks, cluster);
      !error.empty()) {
    return ReportError(ctx, error);
  }
  fleet_internal::Json request = fleet_internal::Json::object();
  if (!cluster.empty()) request["cluster"] = cluster;
  request["tasks"] = tasks;
  auto response = fleet_internal::CallEcs(ctx.global, "DescribeTasks", request);
  if (!response.ok()) return fleet_internal::Fail(ctx, response.status());
  ctx.out << fleet_internal::PrettyJson(*response) << "\n";
  int code = 0;
  if (auto it = response->find("failures"); it != response->end() && it->is_array()) {
    for (const auto& f : *it) {
      code = ReportError(ctx, "task/" + fleet_internal::IdOf(fleet_internal::StringAt(f, "arn")) +
                                  ": " + fleet_internal::StringAt(f, "reason"));
    }
  }
  return code;
}

}  // namespace gantry::cli
