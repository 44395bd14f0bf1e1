#pragma once

// A Sync's status after one pass, as a pure function of what the pass found; and when the next
// pass is due.
//
//   pass: fetched revision ─▶ manifests read ─▶ apply set applied (and pruned)
//   ─▶ applied in full: lastAppliedRevision, Ready True; what changed on a revision applied
//      before is drift (put back)
//   ─▶ the Sync's own error (no such ref or path, a bad manifest, a refused object): Stalled
//      until the repository or the spec changes; what the last good revision applied stays
//   ─▶ a passing error (the repository unreachable, the store busy): Reconciling, tried again

#include <chrono>
#include <string>
#include <vector>

#include "api/status/status.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::sync {

inline constexpr std::chrono::minutes kDefaultInterval{1};
inline constexpr const char* kDefaultRef = "main";
// `gantryctl sync NAME` asks for a pass now by setting this annotation to the time it asked.
inline constexpr const char* kRequestedAtAnnotation = "gantry.dev/sync-requested-at";

struct SyncPass {
  std::string revision;    // the commit fetched; "" when the fetch failed
  api::Status error;       // what stopped the pass; ok when it applied in full
  bool own_error = false;  // the error is the Sync's (ref, path, a manifest): Stalled
  std::string reason;      // CamelCase, for the conditions (GitFetchFailed, InvalidManifest, ...)
  std::vector<std::string> changed;  // kind/name of objects the pass created or changed
  std::vector<std::string> pruned;   // kind/name
  int members = 0;                   // the inventory after the pass
};

std::chrono::milliseconds IntervalOf(const v1::SyncSpec& spec);

// The status after `pass` (`handled_request`: the request annotation the pass answered).
v1::SyncStatus StatusAfter(const v1::Sync& sync, const SyncPass& pass, const std::string& now,
                           const std::string& handled_request);

// The status of a suspended Sync: its last pass as it was, the spec seen.
v1::SyncStatus SuspendedStatus(const v1::Sync& sync, const std::string& now);

}  // namespace gantry::controllers::sync
