#include <ostream>

#include "cli/objects/commands.h"
#include "cli/objects/manifests.h"
#include "cli/objects/rest_apply_set_target.h"
#include "cli/objects/terminal_progress.h"
#include "cli/services/commands.h"
#include "gantry/v1/meta.pb.h"

namespace gantry::cli {
namespace {

const std::string& ManifestName(const google::protobuf::Message& m) {
  const auto& meta =
      m.GetReflection()->GetMessage(m, m.GetDescriptor()->FindFieldByName("metadata"));
  return meta.GetReflection()->GetStringReference(
      meta, meta.GetDescriptor()->FindFieldByName("name"), nullptr);
}

constexpr const char* kApplyUsage =
    "gantryctl apply -f FILE|DIR|- [-R] [--prune --inventory NAME] [--dry-run=server] "
    "[--field-manager NAME] [--force-conflicts] [--server-side=false]";

// A conflict names the fields and their managers; say how to take them over.
int ReportApplyError(const CommandContext& ctx, const api::Status& status) {
  const int exit_code = ReportError(ctx, status);
  if (status.code() == api::Code::kAborted &&
      status.message().find("conflict with \"") != std::string::npos) {
    ctx.err << "hint: --force-conflicts makes this apply the fields' manager\n";
  }
  return exit_code;
}

// apply --prune --inventory NAME: the objects of the manifests as one apply set
// (api/client/apply_set.h): one line per object, then one per pruned object.
int ApplyWithPrune(const std::vector<codec::Manifest>& manifests, const ManifestArgs& given,
                   bool dry_run, client::GantryClient& client, const CommandContext& ctx) {
  const std::string& inventory = given.inventory;
  const auto objects = client::ApplySetObjectsOf(manifests);
  RestApplySetTarget target(client);
  int exit_code = 0;
  auto print = [&](const client::ApplySetLine& line) {
    if (!line.error.ok()) {
      exit_code = ReportApplyError(ctx, line.error);
      return;
    }
    ctx.out << client::Describe(line.key) << " " << line.outcome
            << (dry_run ? " (server dry run)" : "")
            << (line.note.empty() ? "" : " (" + line.note + ")") << "\n";
  };
  auto result = client::RunApplySet(target, objects,
                                    {.inventory = inventory,
                                     .dry_run = dry_run,
                                     .prune = true,
                                     .field_manager = given.server_side ? given.field_manager : "",
                                     .force_conflicts = given.force_conflicts},
                                    print);
  if (!result.error.ok()) return ReportError(ctx, result.error);
  if (!result.ok()) {
    ctx.err << "nothing was pruned: the inventory \"" << inventory
            << "\" keeps its members until every manifest applies\n";
  }
  return exit_code;
}

// What a dry run plans for manifest `m`: the object as the apply would store it (`merged`, the
// server dry run's answer: fields the manifest leaves out keep their live values), or the
// manifest as written when the dry run refused it (already reported).
codec::Manifest PlannedAs(const codec::Manifest& m, client::ObjectPtr merged) {
  codec::Manifest planned{m.kind, std::move(merged), m.document, m.mark, m.source, {}};
  if (planned.object) {
    schema::MutableMetaOf(*planned.object)->clear_resource_version();  // plan, not a precondition
  } else {
    planned.object.reset(m.object->New());
    planned.object->CopyFrom(*m.object);
  }
  return planned;
}

// The Services of an apply --prune dry run as it would store them (the apply set reports
// outcomes, not objects, so each is asked again, labelled as the set labels it).
std::vector<codec::Manifest> AsApplied(const std::vector<codec::Manifest>& manifests,
                                       const ManifestArgs& given, client::GantryClient& client) {
  std::vector<codec::Manifest> out;
  for (const auto& m : manifests) {
    if (m.kind->kind != "Service") continue;
    schema::FieldSet fields = m.fields;
    fields.insert(schema::MapKeyPath("metadata.labels", client::kInventoryLabel));
    auto merged = client.Apply(*m.kind, *client::Labelled(*m.object, given.inventory),
                               ApplyOptionsOf(given, &fields, /*dry_run=*/true));
    out.push_back(PlannedAs(m, merged.ok() ? std::move(merged->object) : nullptr));
  }
  return out;
}

}  // namespace

// apply -f FILE|DIR|- [-R] [--prune --inventory NAME] [--dry-run=server]
int RunApply(const std::vector<std::string>& args, const CommandContext& ctx) {
  ManifestArgs given;
  bool dry_run = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string error;
    if (ManifestFlag(args, i, /*applies=*/true, given, error)) {
      if (!error.empty()) return ReportError(ctx, error);
    } else if (args[i] == "--dry-run=server" || args[i] == "--dry-run") {
      dry_run = true;
    } else if (args[i].rfind("--dry-run=", 0) == 0) {
      return ReportError(
          ctx, "--dry-run must be server (client-side dry runs are not supported), got " + args[i]);
    } else {
      return ReportError(ctx, "unexpected argument '" + args[i] + "' (usage: " + kApplyUsage + ")");
    }
  }
  if (given.files.empty()) return ReportError(ctx, "apply needs -f FILE|DIR|-");
  const std::string& inventory = given.inventory;
  const bool prune = given.prune;
  if (prune && inventory.empty()) {
    return ReportError(ctx,
                       "--prune needs --inventory NAME: gantryctl prunes only what an inventory "
                       "recorded it applied (no selector pruning)");
  }
  if (!inventory.empty() && !prune)
    return ReportError(ctx, "--inventory is for --prune (usage: " + std::string(kApplyUsage) + ")");
  auto manifests = ReadManifests(given.files, given.recursive);
  if (!manifests.ok()) return ReportError(ctx, manifests.status().ToString());
  auto client = ctx.Client();
  if (!client.ok()) return ReportError(ctx, client.status());
  if (prune) {
    const int applied = ApplyWithPrune(*manifests, given, dry_run, *client, ctx);
    if (!dry_run || applied != 0) return applied;
    return PlanManifests(AsApplied(*manifests, given, *client), *client, ctx,
                         /*note_others=*/false);
  }
  int exit_code = 0;
  // A big apply counts on the terminal (stderr), between the lines it prints.
  constexpr size_t kProgressFrom = 20;
  TerminalProgress progress(ctx.err);
  const size_t total = manifests->size();
  size_t done = 0;
  std::vector<codec::Manifest> to_plan;  // a dry run's Services, as it would store them
  for (const auto& m : *manifests) {
    if (total >= kProgressFrom)
      progress.Show("applying " + std::to_string(done + 1) + " of " + std::to_string(total) +
                    "...");
    auto reply = client->Apply(*m.kind, *m.object, ApplyOptionsOf(given, &m.fields, dry_run));
    progress.Clear();
    ++done;
    if (dry_run && m.kind->kind == "Service") {
      to_plan.push_back(PlannedAs(m, reply.ok() ? std::move(reply->object) : nullptr));
    }
    if (!reply.ok()) {
      exit_code = ReportApplyError(ctx, reply.status());
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
  const int planned = PlanManifests(to_plan, *client, ctx, /*note_others=*/false);
  return exit_code != 0 ? 2 : planned;
}

}  // namespace gantry::cli
