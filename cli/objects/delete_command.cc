#include <ostream>

#include "cli/objects/commands.h"
#include "cli/objects/manifests.h"
#include "cli/objects/printers.h"

namespace gantry::cli {

// delete -f FILE|DIR|- [-R] | delete KIND NAME... [--ignore-not-found]
int RunDelete(const std::vector<std::string>& args, const CommandContext& ctx) {
  std::vector<std::string> files, positional;
  bool recursive = false, ignore_not_found = false, dry_run = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    if (FlagValue(args, i, "--filename", "-f", value, error)) {
      if (!error.empty()) return ReportError(ctx, error);
      files.push_back(value);
    } else if (args[i] == "-R" || args[i] == "--recursive") {
      recursive = true;
    } else if (args[i] == "--ignore-not-found") {
      ignore_not_found = true;
    } else if (args[i] == "--dry-run=server" || args[i] == "--dry-run") {
      dry_run = true;
    } else if (!args[i].empty() && args[i][0] == '-') {
      return ReportError(ctx, "unknown flag " + args[i]);
    } else {
      positional.push_back(args[i]);
    }
  }
  std::vector<std::pair<const schema::KindInfo*, std::string>> targets;
  if (!files.empty()) {
    if (!positional.empty()) return ReportError(ctx, "give either -f or KIND NAME, not both");
    auto manifests = ReadManifests(files, recursive);
    if (!manifests.ok()) return ReportError(ctx, manifests.status().ToString());
    for (const auto& m : *manifests)
      targets.emplace_back(m.kind, FieldText(*m.object, "metadata.name"));
  } else {
    if (positional.size() == 1 && positional[0].find('/') != std::string::npos) {
      std::string kn = positional[0];
      positional = {kn.substr(0, kn.find('/')), kn.substr(kn.find('/') + 1)};
    }
    if (positional.size() < 2)
      return ReportError(ctx, "usage: gantryctl delete KIND NAME... | delete -f FILE");
    const schema::KindInfo* kind = schema::ResolveKind(positional[0]);
    if (!kind)
      return ReportError(ctx, "the server doesn't have a resource type \"" + positional[0] + "\"");
    for (size_t k = 1; k < positional.size(); ++k) targets.emplace_back(kind, positional[k]);
  }
  auto client = ctx.Client();
  if (!client.ok()) return ReportError(ctx, client.status());
  int exit_code = 0;
  for (const auto& [kind, name] : targets) {
    auto deleted = client->Delete(*kind, name, dry_run);
    if (!deleted.ok()) {
      if (ignore_not_found && deleted.status().code() == api::Code::kNotFound) continue;
      exit_code = ReportError(ctx, deleted.status());
      if (deleted.status().code() == api::Code::kUnavailable) return exit_code;
      continue;
    }
    ctx.out << kind->singular << " \"" << name << "\" deleted"
            << (dry_run ? " (server dry run)" : "") << "\n";
  }
  return exit_code;
}

}  // namespace gantry::cli
