#pragma once

// What a Service's status says about its rollout, for `gantryctl rollout status`: finished,
// failed, or still going, with one line to show (kubectl's rollout status wording).
//
//   status of an older generation          ─▶ waiting for the spec to be observed
//   Stalled: DeploymentFailed / RolledBack ─▶ failed
//   PRIMARY runs another revision than the
//   one the spec resolves to now            ─▶ waiting for the new deployment (a family that
//                                             gained a revision leaves the spec as it was)
//   Ready and the newest deployment done   ─▶ done
//   otherwise                              ─▶ "R of D new tasks running, O old tasks left" (a
//                                             stall such as Unplaceable is shown, and waited on)

#include <string>

#include "gantry/v1/objects.pb.h"

namespace gantry::cli {

struct RolloutProgress {
  enum class State { kWaiting, kDone, kFailed };
  State state = State::kWaiting;
  std::string line;
};

// `revision`: what spec.taskDefinition resolves to now (family:N), or "" when unknown.
RolloutProgress ProgressOf(const v1::Service& service, const std::string& revision);

// A daemon Environment: waiting for its generation and revision, "C of E instances run R",
// failed when it is Stalled (instances without room, a missing revision, a bad filter), done
// when Ready.
RolloutProgress ProgressOf(const v1::Environment& environment, const std::string& revision);

}  // namespace gantry::cli
