#pragma once

// How an apply writes, for every client (REST, gRPC, in-process) and the apply set.

#include <string>

#include "api/schema/field_paths.h"

namespace gantry::client {

struct ApplyOptions {
  bool dry_run = false;  // what the apply would make, checked and stored nowhere
  // Who writes, for field ownership (api/service/field_managers.h); empty: "unknown".
  std::string field_manager = {};
  // A server-side apply sets `fields` of the manifest and keeps what it leaves out; a plain
  // apply replaces spec, labels and annotations.
  bool server_side = false;
  // The fields the manifest sets (codec::Manifest::fields); null: those it sets to non-default
  // values.
  const schema::FieldSet* fields = nullptr;
  bool force_conflicts = false;  // take fields other managers own instead of failing
};

}  // namespace gantry::client
