// drain INSTANCE... [--cluster C] and undrain INSTANCE... [--cluster C]: ECS
// UpdateContainerInstancesState to DRAINING (no new tasks; the service scheduler moves its tasks
// off) or back to ACTIVE.

#include <ostream>

#include "cli/fleet/commands.h"
#include "cli/fleet/internal/ecs_call.h"

namespace gantry::cli {
namespace {

using fleet_internal::Json;
using fleet_internal::StringAt;

constexpr size_t kMaxInstances = 10;  // UpdateContainerInstancesState takes 1..10

int SetState(const std::vector<std::string>& args, const CommandContext& ctx, const char* verb,
             const char* state, const char* done) {
  const std::string usage = std::string("usage: gantryctl ") + verb + " INSTANCE... [--cluster C]";
  std::string cluster;
  std::vector<std::string> instances;
  if (auto error = fleet_internal::ParseNamesAndCluster(args, verb, usage, kMaxInstances,
                                                        "instances", instances, cluster);
      !error.empty()) {
    return ReportError(ctx, error);
  }
  Json request = Json::object();
  if (!cluster.empty()) request["cluster"] = cluster;
  request["containerInstances"] = instances;
  request["status"] = state;
  auto response = fleet_internal::CallEcs(ctx.global, "UpdateContainerInstancesState", request);
  if (!response.ok()) return fleet_internal::Fail(ctx, response.status());
  if (auto it = response->find("containerInstances"); it != response->end() && it->is_array()) {
    for (const auto& ci : *it) {
      ctx.out << "containerinstance/" << fleet_internal::IdOf(StringAt(ci, "containerInstanceArn"))
              << " " << done << "\n";
    }
  }
  int code = 0;
  if (auto it = response->find("failures"); it != response->end() && it->is_array()) {
    for (const auto& f : *it) {
      std::string detail = StringAt(f, "detail");
      code =
          ReportError(ctx, "containerinstance/" + fleet_internal::IdOf(StringAt(f, "arn")) + ": " +
                               StringAt(f, "reason") + (detail.empty() ? "" : " (" + detail + ")"));
    }
  }
  return code;
}

}  // namespace

int RunDrain(const std::vector<std::string>& args, const CommandContext& ctx) {
  return SetState(args, ctx, "drain", "DRAINING", "drained");
}

int RunUndrain(const std::vector<std::string>& args, const CommandContext& ctx) {
  return SetState(args, ctx, "undrain", "ACTIVE", "undrained");
}

}  // namespace gantry::cli
