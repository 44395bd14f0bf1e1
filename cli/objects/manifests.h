#pragma once

// Reading manifests for apply, delete and diff: -f FILE, -f DIR (.yaml, .yml, .json; -R to
// descend), -f - (stdin). Every document of every file is decoded before anything is sent.

#include <string>
#include <vector>

#include "api/client/apply_options.h"
#include "api/codec/object_codec.h"
#include "api/status/status.h"

namespace gantry::cli {

// The flags of the verbs that read manifests: -f (repeatable), -R, and where an apply is meant
// (apply, diff) --inventory NAME, --prune, --field-manager NAME, --force-conflicts and
// --server-side[=false].
struct ManifestArgs {
  std::vector<std::string> files;
  bool recursive = false;
  std::string inventory;
  bool prune = false;
  std::string field_manager = "gantryctl";
  // Server-side apply (the default): fields a manifest leaves out keep what other writers set.
  // Off: apply replaces spec, labels and annotations.
  bool server_side = true;
  bool force_conflicts = false;
};

// How apply writes one manifest (diff asks the same in a dry run); `fields` are the ones it gives.
client::ApplyOptions ApplyOptionsOf(const ManifestArgs& args, const schema::FieldSet* fields,
                                    bool dry_run);
// True when args[i] is one of those flags (and takes its value); `error` says what is wrong
// with it, if anything.
bool ManifestFlag(const std::vector<std::string>& args, size_t& i, bool applies, ManifestArgs& out,
                  std::string& error);

api::StatusOr<std::vector<codec::Manifest>> ReadManifests(const std::vector<std::string>& paths,
                                                          bool recursive);

}  // namespace gantry::cli
