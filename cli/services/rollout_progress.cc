#include "cli/services/rollout_progress.h"

#include "cli/objects/conditions.h"

namespace gantry::cli {

RolloutProgress ProgressOf(const v1::Service& service, const std::string& revision) {
  const std::string who = "service \"" + service.metadata().name() + "\"";
  const auto& st = service.status();
  RolloutProgress p;
  if (st.observed_generation() < service.metadata().generation()) {
    p.line = "Waiting for " + who + " spec update to be observed...";
    return p;
  }
  const v1::Condition* stalled = FindCondition(service, "Stalled");
  const bool is_stalled = stalled && stalled->status() == "True";
  if (is_stalled &&
      (stalled->reason() == "DeploymentFailed" || stalled->reason() == "RolledBack")) {
    p.state = RolloutProgress::State::kFailed;
    p.line = who + " rollout failed: " + stalled->message();
    return p;
  }
  std::string primary;
  for (const auto& d : st.deployments())
    if (d.status() == "PRIMARY") primary = d.task_definition();
  if (!revision.empty() && primary != revision) {
    p.line = "Waiting for " + who + " rollout to start: " + revision + "...";
    return p;
  }
  const v1::Condition* ready = FindCondition(service, "Ready");
  if (ready && ready->status() == "True") {
    p.state = RolloutProgress::State::kDone;
    p.line = who + " successfully rolled out";
    return p;
  }
  int target_running = 0, old_tasks = 0;
  for (const auto& d : st.deployments()) {
    if (d.status() == "PRIMARY") {
      target_running = d.running_count();
    } else {
      old_tasks += d.running_count() + d.pending_count();
    }
  }
  p.line = "Waiting for " + who + " rollout to finish: " + std::to_string(target_running) + " of " +
           std::to_string(service.spec().desired_count()) + " new tasks" +
           (primary.empty() ? "" : " (" + primary + ")") + " running";
  if (old_tasks > 0) p.line += ", " + std::to_string(old_tasks) + " old tasks left";
  if (is_stalled) p.line += "; stalled (" + stalled->reason() + "): " + stalled->message();
  p.line += "...";
  return p;
}

RolloutProgress ProgressOf(const v1::Environment& environment, const std::string& revision) {
  const std::string who = "environment \"" + environment.metadata().name() + "\"";
  const auto& st = environment.status();
  RolloutProgress p;
  if (st.observed_generation() < environment.metadata().generation()) {
    p.line = "Waiting for " + who + " spec update to be observed...";
    return p;
  }
  // A roll the circuit breaker ended never starts running its revision: it failed, when the
  // condition names the revision waited for (not an earlier failed roll's, still standing).
  for (const auto& c : st.conditions()) {
    if (c.type() == "Stalled" && c.status() == "True" &&
        (c.reason() == "RolledBack" || c.reason() == "DeploymentFailed") &&
        (revision.empty() || c.message().starts_with("the roll to " + revision + " failed"))) {
      p.state = RolloutProgress::State::kFailed;
      p.line = who + " rollout failed (" + c.reason() + "): " + c.message();
      return p;
    }
  }
  if (!revision.empty() && st.task_definition() != revision) {
    p.line = "Waiting for " + who + " rollout to start: " + revision + "...";
    return p;
  }
  bool ready = false;
  for (const auto& c : st.conditions()) {
    if (c.type() == "Stalled" && c.status() == "True") {
      p.state = RolloutProgress::State::kFailed;
      p.line = who + " rollout failed" + (c.reason().empty() ? "" : " (" + c.reason() + ")") +
               ": " + c.message();
      for (const auto& f : st.instance_failures())
        p.line += "; " + f.instance() + ": " + f.reason() +
                  (f.detail().empty() ? "" : " (" + f.detail() + ")");
      return p;
    }
    if (c.type() == "Ready") ready = c.status() == "True";
  }
  if (ready) {
    p.state = RolloutProgress::State::kDone;
    p.line = who + " successfully rolled out";
    return p;
  }
  p.line = "Waiting for " + who + " rollout to finish: " + std::to_string(st.instances_covered()) +
           " of " + std::to_string(st.instances_eligible()) + " instances run " +
           (st.task_definition().empty() ? revision : st.task_definition()) + "...";
  return p;
}

}  // namespace gantry::cli
