#include <ostream>

#include "cli/objects/commands.h"
#include "cli/objects/manifests.h"
#include "cli/objects/terminal_progress.h"
#include "cli/services/commands.h"

namespace gantry::cli {
namespace {

const std::string& ManifestName(const google::protobuf::Message& m) {
  const auto& meta =
      m.GetReflection()->GetMessage(m, m.GetDescriptor()->FindFieldByName("metadata"));
  return meta.GetReflection()->GetStringReference(
      meta, meta.GetDescriptor()->FindFieldByName("name"), nullptr);
}

}  // namespace

// apply -f FILE|DIR|- [-R] [--dry-run=server]
int RunApply(const std::vector<std::string>& args, const CommandContext& ctx) {
  std::vector<std::string> files;
  bool recursive = false, dry_run = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    if (FlagValue(args, i, "--filename", "-f", value, error)) {
      if (!error.empty()) return ReportError(ctx, error);
      files.push_back(value);
    } else if (args[i] == "-R" || args[i] == "--recursive") {
      recursive = true;
    } else if (args[i] == "--dry-run=server" || args[i] == "--dry-run") {
      dry_run = true;
    } else if (args[i].rfind("--dry-run=", 0) == 0) {
      return ReportError(
          ctx, "--dry-run must be server (client-side dry runs are not supported), got " + args[i]);
    } else {
      return ReportError(ctx,
                         "unexpected argument '" + args[i] +
                             "' (usage: gantryctl apply -f FILE|DIR|- [-R] [--dry-run=server])");
    }
  }
  if (files.empty()) return ReportError(ctx, "apply needs -f FILE|DIR|-");
  auto manifests = ReadManifests(files, recursive);
  if (!manifests.ok()) return ReportError(ctx, manifests.status().ToString());
  auto client = ctx.Client();
  if (!client.ok()) return ReportError(ctx, client.status());
  int exit_code = 0;
  // A big apply counts on the terminal (stderr), between the lines it prints.
  constexpr size_t kProgressFrom = 20;
  TerminalProgress progress(ctx.err);
  const size_t total = manifests->size();
  size_t done = 0;
  for (const auto& m : *manifests) {
    if (total >= kProgressFrom)
      progress.Show("applying " + std::to_string(done + 1) + " of " + std::to_string(total) +
                    "...");
    auto reply = client->Apply(*m.kind, *m.object, dry_run);
    progress.Clear();
    ++done;
    if (!reply.ok()) {
      exit_code = ReportError(ctx, reply.status());
      if (reply.status().code() == api::Code::kUnavailable) return exit_code;
      continue;
    }
    ctx.out << m.kind->singular << "/" << ManifestName(*m.object) << " " << reply->outcome
            << (dry_run ? " (server dry run)" : "") << "\n";
    if (progress.live()) ctx.out << std::flush;
  }
  if (!dry_run) return exit_code;
  // A server dry run also says what the Service controller would do: 0 when every task would
  // place, 1 when some would not, 2 on an error (as gantryctl plan).
  const int planned = PlanManifests(*manifests, *client, ctx, /*note_others=*/false);
  return exit_code != 0 ? 2 : planned;
}

}  // namespace gantry::cli
