#pragma once

// The circuit breaker of a daemon Environment's roll (spec.deploymentConfiguration.
// circuitBreaker): which revision a pass runs, given the environment's Deployments.
//
//   the newest Deployment of the revision the spec resolves to:
//     ROLLED_BACK ─▶ run the revision of the newest COMPLETED deployment before it
//     FAILED      ─▶ halted: nothing of it starts, nothing old is replaced
//     open, and `threshold` (> 0) of its tasks failed on their own since it started
//                 ─▶ it trips now: ROLLED_BACK (rollback and an earlier completed revision) or
//                    FAILED
//   else          ─▶ run it
//
// A new revision, or the same one registered again, starts a new Deployment and so a new try.

#include <string>
#include <vector>

#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::environment {

// The reason of the Stalled condition a deployment the breaker failed carries.
inline constexpr const char* kCircuitBreaker = "CircuitBreaker";

struct BreakerInput {
  std::string wanted;  // family:N the spec resolves to
  // The environment's Deployments, newest first.
  std::vector<const v1::Deployment*> deployments;
  int threshold = 0;  // 0: no breaker
  bool rollback = false;
  // Tasks of `wanted` that stopped on their own, by when they stopped (RFC 3339).
  std::vector<std::string> failed_at;
};

struct BreakerOutcome {
  std::string run;      // the revision this pass runs
  bool halted = false;  // FAILED: hold everything as it is
  // When it trips on this pass: the deployment, its new phase and why.
  std::string tripped;
  std::string phase;
  std::string reason;
  // Tasks of `wanted` that failed on their own since its open deployment started.
  int failures = 0;
};

BreakerOutcome ApplyBreaker(const BreakerInput& in);

}  // namespace gantry::controllers::environment
