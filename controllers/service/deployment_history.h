#pragma once

// A Service's deployments as ECS's ServiceDeployments tell them (status.history, newest first):
// which deployment a pass rolls to, and how the newest record moves.
//
//   the newest record, made for the revision the spec resolves to (and its redeploy token)?
//     IN_PROGRESS / SUCCESSFUL          ─▶ roll on it
//     ROLLBACK_IN_PROGRESS / _SUCCESSFUL ─▶ roll the deployment it restores
//     STOPPED / ROLLBACK_FAILED          ─▶ halted: nothing starts or stops until the spec moves
//   else ─▶ a new deployment (id from the service's uid, generation and revision); the newest
//           record, if still IN_PROGRESS, is STOPPED as superseded
//
//   each pass: failures since the record started ≥ the circuit breaker's threshold
//     ─▶ rollback enabled and a SUCCESSFUL record before it: ROLLBACK_IN_PROGRESS to that one
//     ─▶ else STOPPED (halted); a rollback that fails the same way: ROLLBACK_FAILED
//   complete ─▶ SUCCESSFUL (ROLLBACK_SUCCESSFUL for a rollback)
//
// StopServiceDeployment is the annotation schema::kStopDeploymentAnnotation naming the
// deployment in progress: it rolls back as the circuit breaker would (or stops, with nothing to
// go back to, or with stop type ABORT).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::service {

inline constexpr size_t kHistoryLimit = 10;
inline constexpr std::string_view kSupersededBy = "superseded by deployment ";

// It failed: stopped by the circuit breaker or StopServiceDeployment, or rolled back (not one
// that a newer deployment superseded).
bool FailedRecord(const v1::ServiceDeploymentRecord& r);

// ECS's deployment circuit breaker: half the desired count, at least 3, at most 200.
int CircuitBreakerThreshold(int desired);

enum class TargetMode { kRoll, kRollback, kHalted };

struct DeploymentTarget {
  std::string id;        // the deployment whose tasks are wanted: startedBy
  std::string revision;  // the task definition they run
  TargetMode mode = TargetMode::kRoll;
  bool is_new = false;  // no record yet: the pass adds one
};

// Where this pass rolls: from the newest record, the PRIMARY deployment and the revision the
// spec resolves to (non-empty).
DeploymentTarget ChooseTarget(const v1::Service& service, const std::string& revision);

// The facts one pass adds to the history.
struct HistoryInput {
  const v1::Service* service = nullptr;
  DeploymentTarget target;
  std::vector<std::string> sources;  // the other deployments that still have tasks
  // Tasks that stopped on their own, by deployment: when each stopped (RFC 3339).
  const std::map<std::string, std::vector<std::string>>* failed = nullptr;
  int running = 0;  // the target's
  int pending = 0;
  bool complete = false;  // the target runs desired tasks and nothing else is left
  std::string now;
};

// The history after this pass (newest first, at most kHistoryLimit), and the target it leaves:
// a tripped circuit breaker or a requested stop turns a roll into a rollback or a halt.
struct HistoryOutcome {
  google::protobuf::RepeatedPtrField<v1::ServiceDeploymentRecord> history;
  DeploymentTarget target;
  std::string failure;  // why the newest record stopped or rolled back on this pass, if it did
};
HistoryOutcome AdvanceHistory(const HistoryInput& in);

// Tasks of `deployment` that failed at or after `since` (RFC 3339; empty: all).
int FailuresSince(const std::map<std::string, std::vector<std::string>>& failed,
                  const std::string& deployment, const std::string& since);

}  // namespace gantry::controllers::service
