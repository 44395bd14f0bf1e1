#pragma once

// Reading manifests for apply, delete and diff: -f FILE, -f DIR (.yaml, .yml, .json; -R to
// descend), -f - (stdin). Every document of every file is decoded before anything is sent.

#include <string>
#include <vector>

#include "api/codec/object_codec.h"
#include "api/status/status.h"

namespace gantry::cli {

// The flags of the verbs that read manifests: -f (repeatable), -R, and where an apply set is
// meant (apply, diff) --inventory NAME and --prune.
struct ManifestArgs {
  std::vector<std::string> files;
  bool recursive = false;
  std::string inventory;
  bool prune = false;
};
// True when args[i] is one of those flags (and takes its value); `error` says what is wrong
// with it, if anything.
bool ManifestFlag(const std::vector<std::string>& args, size_t& i, bool apply_set,
                  ManifestArgs& out, std::string& error);

api::StatusOr<std::vector<codec::Manifest>> ReadManifests(const std::vector<std::string>& paths,
                                                          bool recursive);

}  // namespace gantry::cli
