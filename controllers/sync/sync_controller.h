#pragma once

// Keeps the cluster equal to a directory of a Git repository, one Sync object each.
//
//   Sync added, spec changed, `gantryctl sync` asked ─▶ enqueue its name
//   reconcile(name) ─▶ suspended? status only
//                   ─▶ GitSource::Fetch(url, ref, path) ─▶ decode every manifest (file, line,
//                      field on error; only declarative kinds)
//                   ─▶ RunApplySet(inventory = the Sync's name, prune = spec.prune)
//                   ─▶ StatusAfter(pass) written when it changed; Events for what changed
//                   ─▶ again after spec.interval (drift made by hand is put back then)
//
// A bad commit applies nothing and prunes nothing: the cluster keeps what the last good commit
// applied (the apply set checks every manifest before writing any). Deleting a Sync leaves its
// objects as they are.

#include <memory>
#include <string>

#include "api/client/client.h"
#include "api/clock/clock.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/event_recorder.h"
#include "controllers/runtime/informer_factory.h"
#include "controllers/sync/git_source.h"
#include "controllers/sync/sync_plan.h"

namespace gantry::controllers::sync {

// The field manager of what a Sync applies (metadata.managedFields).
inline constexpr const char* kSyncFieldManager = "gantry-sync";

class SyncController {
 public:
  static constexpr const char* kName = "sync";

  // Registers its handlers on `informers`' Sync informer (before it starts). Everything given
  // must outlive the controller.
  SyncController(client::Client& client, clock::Clock& clock, runtime::InformerFactory& informers,
                 GitSource& source, runtime::ControllerOptions options);

  runtime::Controller& controller() { return *controller_; }

  api::StatusOr<runtime::ReconcileOutcome> Reconcile(const std::string& name);

 private:
  // Fetch, read and apply: what the pass found.
  SyncPass Pass(const v1::Sync& sync);

  client::Client& client_;
  clock::Clock& clock_;
  runtime::Informer& syncs_;
  GitSource& source_;
  runtime::EventRecorder recorder_;
  std::unique_ptr<runtime::Controller> controller_;
};

}  // namespace gantry::controllers::sync
