// gantryctl plan -f FILE|DIR|- [-R]: what the Service controller would do now for each Service
// in the manifests, against the live cluster, writing nothing (Nomad's `job plan`). Exit 0 when
// every task to start would place, 1 when some would not, 2 on an error.

#include <ostream>

#include "api/schema/kinds.h"
#include "cli/objects/manifests.h"
#include "cli/services/commands.h"
#include "cli/services/service_plans.h"

namespace gantry::cli {
namespace {

constexpr int kUnplaced = 1;
constexpr int kError = 2;

}  // namespace

int RunPlan(const std::vector<std::string>& args, const CommandContext& ctx) {
  std::vector<std::string> files;
  bool recursive = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    if (FlagValue(args, i, "--filename", "-f", value, error)) {
      if (!error.empty()) {
        ReportError(ctx, error);
        return kError;
      }
      files.push_back(value);
    } else if (args[i] == "-R" || args[i] == "--recursive") {
      recursive = true;
    } else {
      ReportError(
          ctx, "unexpected argument '" + args[i] + "' (usage: gantryctl plan -f FILE|DIR|- [-R])");
      return kError;
    }
  }
  if (files.empty()) {
    ReportError(ctx, "plan needs -f FILE|DIR|-");
    return kError;
  }
  auto manifests = ReadManifests(files, recursive);
  if (!manifests.ok()) {
    ReportError(ctx, manifests.status().ToString());
    return kError;
  }
  auto client = ctx.Client();
  if (!client.ok()) {
    ReportError(ctx, client.status());
    return kError;
  }
  return PlanManifests(*manifests, *client, ctx, /*note_others=*/true);
}

int PlanManifests(const std::vector<codec::Manifest>& manifests, const client::GantryClient& client,
                  const CommandContext& ctx, bool note_others) {
  int exit_code = 0;
  for (const auto& m : manifests) {
    if (m.kind->kind != "Service") {
      if (note_others)
        ctx.out << m.kind->singular << "/" << schema::MetaOf(*m.object).name()
                << ": not planned (plans are for Services)\n";
      continue;
    }
    auto plan = RequestServicePlan(client, *m.object);
    if (!plan.ok()) {
      ReportError(ctx, plan.status());
      exit_code = kError;
      continue;
    }
    PrintServicePlan(*plan, ctx.out);
    if (plan->unplaced() > 0 && exit_code == 0) exit_code = kUnplaced;
  }
  return exit_code;
}

}  // namespace gantry::cli
