#pragma once

// One pass of a daemon Environment (issue 11; Blox's daemon scheduler, ECS's DAEMON strategy),
// as a pure function of what the informers show:
//
//   the revision to run, the group's eligible instances (ACTIVE, agent connected, matching the
//   filter), the environment's tasks (group environment:<name>, not STOPPED)
//     ─▶ a task on an instance that is not eligible (left the group, draining, lost): stop it,
//        never move it
//     ─▶ an eligible instance with no task: start one at once (a new instance, a stopped task)
//     ─▶ one with the revision's task: keep it (RUNNING first, then the oldest), stop the rest
//     ─▶ one with only older revisions' tasks: replaced, both ways at once as Kubernetes'
//        DaemonSet rolling update (maxSurge, maxUnavailable):
//          surge: up to maxSurgePercent of the group at a time, the new task starts beside the
//                 old one, which stops once the new runs; where it found no room beside the old
//                 one, the instance is drained instead (tried beside again if none may drain)
//          drain: up to drainPercent of the group without a serving task at a time (an
//                 instance being drained, or one whose task is starting: new instances count
//                 too), the old task stops first and the new starts once it has stopped
//
// Which instances have room is placement's (the launcher's StartTask); this decides only where
// a daemon task should be, so tables test it, Blox's own cases among them.

#include <set>
#include <string>
#include <vector>

#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::environment {

inline constexpr int kDefaultDrainPercent = 25;

struct DaemonView {
  std::string revision;                // family:N the environment runs
  std::vector<std::string> eligible;   // instance ids
  std::vector<const v1::Task*> tasks;  // its tasks that are not STOPPED
  int drain_percent = kDefaultDrainPercent;
  int max_surge_percent = 0;
  // Instances where the revision's task found no room at its last start: one beside an old task
  // is replaced by draining from then on.
  std::set<std::string> no_room;
};

struct DaemonPlan {
  std::vector<std::string> start;  // instances to start the revision's task on, sorted
  std::vector<std::string> stop;   // tasks to stop, sorted
  int covered = 0;                 // eligible instances running the revision's task
  int eligible = 0;
  bool complete = false;  // every eligible instance runs exactly the revision's task, nothing else
};

// At most this many eligible instances may be without a serving task at once: at least one,
// or none when drainPercent is 0 (then only surges replace, as Kubernetes' maxUnavailable 0).
int DrainBudget(int eligible, int drain_percent);

DaemonPlan PlanDaemon(const DaemonView& view);

}  // namespace gantry::controllers::environment
