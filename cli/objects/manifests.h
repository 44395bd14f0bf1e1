#pragma once

// Reading manifests for apply, delete and diff: -f FILE, -f DIR (.yaml, .yml, .json; -R to
// descend), -f - (stdin). Every document of every file is decoded before anything is sent.

#include <string>
#include <vector>

#include "api/codec/object_codec.h"
#include "api/status/status.h"

namespace gantry::cli {

api::StatusOr<std::vector<codec::Manifest>> ReadManifests(const std::vector<std::string>& paths,
                                                          bool recursive);

}  // namespace gantry::cli
