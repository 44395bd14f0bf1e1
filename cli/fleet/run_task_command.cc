// run-task --task-definition TD [--count N] [--cluster C] [--group G] [--started-by S]
//          [--placement-constraints ...] [--placement-strategy ...] [-o json]

#include <charconv>
#include <ostream>

#include "cli/fleet/commands.h"
#include "cli/fleet/internal/ecs_call.h"
#include "cli/fleet/shorthand.h"
#include "cli/objects/printers.h"

namespace gantry::cli {
namespace {

using fleet_internal::Json;
using fleet_internal::StringAt;

constexpr const char* kUsage =
    "usage: gantryctl run-task --task-definition TD [--count N] [--cluster C] [--group G] "
    "[--started-by S] [--placement-constraints type=...,expression=... ...] "
    "[--placement-strategy type=...,field=... ...] [-o json]";

Json StructList(const std::vector<ShorthandStruct>& items) {
  Json out = Json::array();
  for (const auto& item : items) {
    Json object = Json::object();
    for (const auto& [key, value] : item) object[key] = value;
    out.push_back(std::move(object));
  }
  return out;
}

void PrintResult(const Json& response, std::ostream& out) {
  std::vector<std::vector<std::string>> rows{{"TASK", "INSTANCE", "LAST STATUS", "GROUP"}};
  if (auto tasks = response.find("tasks"); tasks != response.end() && tasks->is_array()) {
    for (const auto& t : *tasks) {
      rows.push_back({fleet_internal::IdOf(StringAt(t, "taskArn")),
                      fleet_internal::IdOf(StringAt(t, "containerInstanceArn")),
                      StringAt(t, "lastStatus"), StringAt(t, "group")});
    }
  }
  if (rows.size() > 1) PrintRows(rows, out);
  if (auto failures = response.find("failures");
      failures != response.end() && failures->is_array()) {
    for (const auto& f : *failures) {
      std::string detail = StringAt(f, "detail");
      out << "failure: " << StringAt(f, "arn") << " " << StringAt(f, "reason")
          << (detail.empty() ? "" : " (" + detail + ")") << "\n";
    }
  }
}

size_t CountOf(const Json& response, const char* key) {
  auto it = response.find(key);
  return it != response.end() && it->is_array() ? it->size() : 0;
}

}  // namespace

int RunRunTask(const std::vector<std::string>& args, const CommandContext& ctx) {
  std::string task_definition, count, cluster, group, started_by, output;
  std::vector<std::string> constraint_args, strategy_args;
  bool constraints_given = false, strategy_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    std::string* target = nullptr;
    if (FlagValue(args, i, "--task-definition", "", value, error)) {
      target = &task_definition;
    } else if (FlagValue(args, i, "--count", "", value, error)) {
      target = &count;
    } else if (FlagValue(args, i, "--cluster", "", value, error)) {
      target = &cluster;
    } else if (FlagValue(args, i, "--group", "", value, error)) {
      target = &group;
    } else if (FlagValue(args, i, "--started-by", "", value, error)) {
      target = &started_by;
    } else if (FlagValue(args, i, "--output", "-o", value, error)) {
      target = &output;
    } else if (TakeListFlag(args, i, "--placement-constraints", constraint_args, error)) {
      constraints_given = true;
    } else if (TakeListFlag(args, i, "--placement-strategy", strategy_args, error)) {
      strategy_given = true;
    } else if (args[i].starts_with("-")) {
      return ReportError(ctx, "unknown flag " + args[i] + " (" + kUsage + ")");
    } else {
      return ReportError(ctx, "unexpected argument \"" + args[i] + "\" (" + kUsage + ")");
    }
    if (!error.empty()) return ReportError(ctx, error);
    if (target) *target = value;
  }
  if (task_definition.empty())
    return ReportError(ctx, std::string("--task-definition is required (") + kUsage + ")");
  if (!output.empty() && output != "json") {
    return ReportError(ctx, "unknown output format \"" + output + "\" (use -o json)");
  }

  Json request = Json::object();
  if (!cluster.empty()) request["cluster"] = cluster;
  request["taskDefinition"] = task_definition;
  if (!count.empty()) {
    int n = 0;
    auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
    if (ec != std::errc() || end != count.data() + count.size()) {
      return ReportError(ctx, "--count must be a whole number, got \"" + count + "\"");
    }
    request["count"] = n;
  }
  if (!group.empty()) request["group"] = group;
  if (!started_by.empty()) request["startedBy"] = started_by;
  if (constraints_given) {
    auto parsed =
        ParseStructureList("--placement-constraints", constraint_args, {"type", "expression"});
    if (!parsed.ok()) return fleet_internal::Fail(ctx, parsed.status());
    request["placementConstraints"] = StructList(*parsed);
  }
  if (strategy_given) {
    auto parsed = ParseStructureList("--placement-strategy", strategy_args, {"type", "field"});
    if (!parsed.ok()) return fleet_internal::Fail(ctx, parsed.status());
    request["placementStrategy"] = StructList(*parsed);
  }

  auto response = fleet_internal::CallEcs(ctx.global, "RunTask", request);
  if (!response.ok()) return fleet_internal::Fail(ctx, response.status());
  if (output == "json") {
    ctx.out << fleet_internal::PrettyJson(*response) << "\n";
  } else {
    PrintResult(*response, ctx.out);
  }
  // Partly placed is success, as ECS answers it; nothing placed with failures is not.
  return CountOf(*response, "tasks") == 0 && CountOf(*response, "failures") > 0 ? 1 : 0;
}

}  // namespace gantry::cli
