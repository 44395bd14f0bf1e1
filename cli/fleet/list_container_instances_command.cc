// list-container-instances [--cluster C] [--filter EXPR] [--status S] [-o json|wide]
//
// ListContainerInstances (every page) ─▶ DescribeContainerInstances in batches of 100 ─▶ table.
// -o json prints the ARNs as the AWS CLI prints the paginated call: {"containerInstanceArns": []}.

#include <map>
#include <ostream>

#include "cli/fleet/commands.h"
#include "cli/fleet/internal/ecs_call.h"
#include "cli/objects/printers.h"

namespace gantry::cli {
namespace {

using fleet_internal::Json;
using fleet_internal::StringAt;

constexpr const char* kUsage =
    "usage: gantryctl list-container-instances [--cluster C] [--filter EXPR] [--status S] "
    "[-o json|wide]";
constexpr size_t kBatch = 100;  // the most ECS lists or describes per call

// The integerValue of the named resource in a Resource list, or "?".
std::string ResourceValue(const Json& instance, const char* list, const char* name) {
  auto it = instance.find(list);
  if (it == instance.end() || !it->is_array()) return "?";
  for (const auto& r : *it) {
    if (StringAt(r, "name") != name) continue;
    if (auto v = r.find("integerValue"); v != r.end() && v->is_number()) {
      return std::to_string(v->get<long long>());
    }
    if (auto v = r.find("longValue"); v != r.end() && v->is_number()) {
      return std::to_string(v->get<long long>());
    }
  }
  return "?";
}

std::string Number(const Json& instance, const char* key) {
  auto it = instance.find(key);
  return it != instance.end() && it->is_number() ? std::to_string(it->get<long long>()) : "0";
}

std::string Attributes(const Json& instance) {
  std::string az, type;
  if (auto it = instance.find("attributes"); it != instance.end() && it->is_array()) {
    for (const auto& a : *it) {
      if (StringAt(a, "name") == "ecs.availability-zone") az = StringAt(a, "value");
      if (StringAt(a, "name") == "ecs.instance-type") type = StringAt(a, "value");
    }
  }
  std::string out;
  if (!az.empty()) out = "az=" + az;
  if (!type.empty()) out += (out.empty() ? "" : ",") + std::string("instance-type=") + type;
  return out.empty() ? "<none>" : out;
}

}  // namespace

int RunListContainerInstances(const std::vector<std::string>& args, const CommandContext& ctx) {
  std::string cluster, filter, status, output;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    std::string* target = nullptr;
    if (FlagValue(args, i, "--cluster", "", value, error)) {
      target = &cluster;
    } else if (FlagValue(args, i, "--filter", "", value, error)) {
      target = &filter;
    } else if (FlagValue(args, i, "--status", "", value, error)) {
      target = &status;
    } else if (FlagValue(args, i, "--output", "-o", value, error)) {
      target = &output;
    } else if (args[i].starts_with("-")) {
      return ReportError(ctx, "unknown flag " + args[i] + " (" + kUsage + ")");
    } else {
      return ReportError(ctx, "unexpected argument \"" + args[i] + "\" (" + kUsage + ")");
    }
    if (!error.empty()) return ReportError(ctx, error);
    *target = value;
  }
  if (!output.empty() && output != "json" && output != "wide") {
    return ReportError(ctx, "unknown output format \"" + output + "\" (use json or wide)");
  }

  std::vector<std::string> arns;
  std::string token;
  do {
    Json request = Json::object();
    if (!cluster.empty()) request["cluster"] = cluster;
    if (!filter.empty()) request["filter"] = filter;
    if (!status.empty()) request["status"] = status;
    request["maxResults"] = kBatch;
    if (!token.empty()) request["nextToken"] = token;
    auto page = fleet_internal::CallEcs(ctx.global, "ListContainerInstances", request);
    if (!page.ok()) return fleet_internal::Fail(ctx, page.status());
    if (auto it = page->find("containerInstanceArns"); it != page->end() && it->is_array()) {
      for (const auto& arn : *it)
        if (arn.is_string()) arns.push_back(arn.get<std::string>());
    }
    token = StringAt(*page, "nextToken");
  } while (!token.empty());

  if (output == "json") {
    Json out = Json::object();
    out["containerInstanceArns"] = arns;
    ctx.out << fleet_internal::PrettyJson(out) << "\n";
    return 0;
  }
  if (arns.empty()) {
    ctx.err << "No resources found.\n";
    return 0;
  }

  std::map<std::string, Json> described;
  for (size_t start = 0; start < arns.size(); start += kBatch) {
    Json request = Json::object();
    if (!cluster.empty()) request["cluster"] = cluster;
    request["containerInstances"] = std::vector<std::string>(
        arns.begin() + static_cast<std::ptrdiff_t>(start),
        arns.begin() + static_cast<std::ptrdiff_t>(std::min(arns.size(), start + kBatch)));
    auto batch = fleet_internal::CallEcs(ctx.global, "DescribeContainerInstances", request);
    if (!batch.ok()) return fleet_internal::Fail(ctx, batch.status());
    if (auto it = batch->find("containerInstances"); it != batch->end() && it->is_array()) {
      for (auto& ci : *it) described[StringAt(ci, "containerInstanceArn")] = ci;
    }
  }

  const bool wide = output == "wide";
  std::vector<std::vector<std::string>> rows{
      {"ID", "STATUS", "AGENT", "RUNNING", "PENDING", "CPU", "MEMORY"}};
  if (wide) rows[0].push_back("ATTRIBUTES");
  for (const auto& arn : arns) {
    auto it = described.find(arn);
    if (it == described.end()) continue;  // deregistered between the two calls
    const Json& ci = it->second;
    auto agent = ci.find("agentConnected");
    std::vector<std::string> row{fleet_internal::IdOf(arn),
                                 StringAt(ci, "status"),
                                 agent != ci.end() && agent->is_boolean() && agent->get<bool>()
                                     ? "connected"
                                     : "disconnected",
                                 Number(ci, "runningTasksCount"),
                                 Number(ci, "pendingTasksCount"),
                                 ResourceValue(ci, "remainingResources", "CPU") + "/" +
                                     ResourceValue(ci, "registeredResources", "CPU"),
                                 ResourceValue(ci, "remainingResources", "MEMORY") + "/" +
                                     ResourceValue(ci, "registeredResources", "MEMORY")};
    if (wide) row.push_back(Attributes(ci));
    rows.push_back(std::move(row));
  }
  PrintRows(rows, ctx.out);
  return 0;
}

}  // namespace gantry::cli
