#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "api/codec/object_codec.h"
#include "cli/objects/commands.h"
#include "cli/objects/manifests.h"
#include "cli/objects/printers.h"
#include "cli/objects/rest_apply_set_target.h"

namespace gantry::cli {
namespace {

namespace fs = std::filesystem;

// A temporary directory removed with its contents when it goes out of scope.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "gantryctl-diff-XXXXXX").string();
    if (char* p = mkdtemp(tmpl.data())) path = p;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// An object as diff shows it: without metadata.managedFields, whose times change on every apply
// and which say who owns a field, not what it holds (as kubectl diff).
std::string ForDiff(const google::protobuf::Message& object) {
  return codec::ToYaml(*WithoutManagedFields(object));
}

// diff's exit code for an error is 2 (1 means "differences"), after the usual one-line report.
template <typename What>
int DiffError(const CommandContext& ctx, const What& what) {
  ReportError(ctx, what);
  return 2;
}

}  // namespace

// diff -f FILE|DIR|- [-R] [--inventory NAME [--prune]]: the unified diff of live objects
// against what apply would make them; with an inventory, as apply --prune --inventory NAME would
// (its label on every object), and with --prune the members it would delete as removed.
// Exit 0: no differences; 1: differences; 2 or more: an error.
int RunDiff(const std::vector<std::string>& args, const CommandContext& ctx) {
  ManifestArgs given;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string error;
    if (ManifestFlag(args, i, /*applies=*/true, given, error)) {
      if (!error.empty()) return DiffError(ctx, error);
    } else {
      return DiffError(ctx, "unexpected argument '" + args[i] +
                                "' (usage: gantryctl diff -f FILE|DIR|- [-R] [--inventory NAME "
                                "[--prune]] [--field-manager NAME] [--force-conflicts] "
                                "[--server-side=false])");
    }
  }
  if (given.files.empty()) return DiffError(ctx, "diff needs -f FILE|DIR|-");
  const std::string& inventory = given.inventory;
  const bool prune = given.prune;
  if (prune && inventory.empty())
    return DiffError(ctx, "--prune needs --inventory NAME (the inventory apply --prune used)");
  auto manifests = ReadManifests(given.files, given.recursive);
  if (!manifests.ok()) return DiffError(ctx, manifests.status().ToString());
  auto client = ctx.Client();
  if (!client.ok()) return DiffError(ctx, client.status());

  TempDir tmp;
  if (tmp.path.empty()) return DiffError(ctx, "cannot create a temporary directory");
  fs::path live_dir = tmp.path / "LIVE", merged_dir = tmp.path / "MERGED";
  fs::create_directories(live_dir);
  fs::create_directories(merged_dir);
  std::vector<client::ObjectKey> current;
  for (const auto& m : *manifests) {
    std::string name = FieldText(*m.object, "metadata.name");
    std::string file = m.kind->singular + "." + name;
    current.push_back({m.kind->kind, name});
    auto live = client->Get(*m.kind, name);
    if (!live.ok() && live.status().code() != api::Code::kNotFound)
      return DiffError(ctx, live.status());
    if (live.ok() && !inventory.empty()) {
      if (auto st = client::MayOwn(inventory, current.back(), live->get()); !st.ok())
        return DiffError(ctx, codec::PlaceOf(m) + ": " + st.ToString());
    }
    schema::FieldSet fields = m.fields;
    if (!inventory.empty()) {
      fields.insert(schema::MapKeyPath("metadata.labels", client::kInventoryLabel));
    }
    auto merged = client->Apply(
        *m.kind, inventory.empty() ? *m.object : *client::Labelled(*m.object, inventory),
        ApplyOptionsOf(given, &fields, /*dry_run=*/true));
    if (!merged.ok()) return DiffError(ctx, codec::PlaceOf(m) + ": " + merged.status().ToString());
    if (live.ok()) std::ofstream(live_dir / file) << ForDiff(**live);
    std::ofstream(merged_dir / file) << ForDiff(*merged->object);
  }
  if (prune) {
    RestApplySetTarget target(*client);
    auto gone = client::WouldPrune(target, inventory, current);
    if (!gone.ok()) return DiffError(ctx, gone.status());
    for (const auto& c : *gone) {
      const schema::KindInfo* kind = schema::FindKind(c.key.kind);
      std::ofstream(live_dir / (kind->singular + "." + c.key.name)) << ForDiff(*c.live);
    }
  }

  const char* external = std::getenv("GANTRY_EXTERNAL_DIFF");
  std::string program = external && *external ? external : "diff -u -N";
  std::string command = program + " " + ShellQuote(live_dir.string()) + " " +
                        ShellQuote(merged_dir.string()) + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return DiffError(ctx, "cannot run " + program);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0)
    ctx.out.write(buf, static_cast<std::streamsize>(n));
  int status = pclose(pipe);
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
    return DiffError(ctx, program + " failed");
  }
  return WEXITSTATUS(status);
}

}  // namespace gantry::cli
