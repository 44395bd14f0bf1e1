#include "controllers/service/service_plan.h"

#include <algorithm>
#include <map>
#include <set>

#include "api/schema/object_state.h"
#include "controllers/runtime/conditions.h"
#include "controllers/service/deployment_history.h"
#include "controllers/service/staged_rollout.h"
#include "controllers/service/zone_rebalancing.h"
#include "placement/scale_in.h"

namespace gantry::controllers::service {
namespace {

uint64_t Fnv1a(const std::string& text, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char ch : text) h = (h ^ ch) * 1099511628211ULL;
  return h;
}

struct DeploymentCounts {
  int running = 0;
  int pending = 0;
  int draining_running = 0;  // of those, on DRAINING instances
  int draining_pending = 0;
  std::string revision;  // from its tasks, for an old deployment with no record
};

// The deployment record as it should be; updatedAt moves only when something else in it did.
v1::ServiceDeployment RecordOf(const v1::ServiceStatus& before, v1::ServiceDeployment want,
                               const std::string& now) {
  want.set_created_at(now);
  want.set_updated_at(now);
  for (const auto& old : before.deployments()) {
    if (old.id() != want.id()) continue;
    want.set_created_at(old.created_at());
    v1::ServiceDeployment same = want;
    same.set_updated_at(old.updated_at());
    if (same.SerializeAsString() == old.SerializeAsString()) return old;
  }
  return want;
}

// The revision deployment `id` runs: its record's, else its tasks'.
std::string RevisionOf(const v1::ServiceStatus& before, const std::string& id,
                       const DeploymentCounts& d) {
  for (const auto& old : before.deployments())
    if (old.id() == id && !old.task_definition().empty()) return old.task_definition();
  return d.revision;
}

}  // namespace

void MarkUnplaceable(ServicePlan& plan, const v1::Service& service, const std::string& message,
                     const std::string& now) {
  const auto generation = static_cast<int32_t>(service.metadata().generation());
  for (auto& condition : *plan.status.mutable_conditions()) {
    if (condition.type() != "Stalled") continue;
    condition = runtime::ConditionOf(service.status().conditions(), "Stalled", true, "Unplaceable",
                                     message, now, generation);
  }
}

std::string DeploymentId(const v1::Service& service, const std::string& revision) {
  uint64_t h = Fnv1a(service.metadata().uid());
  h = Fnv1a(std::to_string(service.metadata().generation()), h);
  h = Fnv1a(revision, h);
  std::string digits = std::to_string(h % 10'000'000'000'000'000'000ULL);
  return "ecs-svc/" + std::string(19 - digits.size(), '0') + digits;
}

api::StatusOr<ServicePlan> PlanService(const ServiceView& view, const std::string& now,
                                       uint64_t seed) {
  const v1::Service& service = *view.service;
  const v1::ServiceStatus& before = service.status();
  const auto generation = static_cast<int32_t>(service.metadata().generation());
  ServicePlan plan;
  plan.revision = view.revision;
  plan.status.set_observed_generation(generation);

  // Tasks on a DRAINING instance are replaced like an old deployment's, within the same
  // bounds (ECS's draining): for the rollout they count as old, whatever their deployment.
  std::set<std::string> draining;
  for (const auto& in : view.instances)
    if (in.status == placement::InstanceStatus::kDraining) draining.insert(in.id);
  auto on_draining = [&](const v1::Task& t) {
    return draining.count(t.spec().container_instance()) > 0;
  };

  // Counts of every task, by deployment: for the rollout without the ones told to stop (they
  // count apart); as shown, with them, by their last status (ECS: a task being stopped is
  // RUNNING until it has stopped, and its deployment is listed until then).
  std::map<std::string, DeploymentCounts> by_deployment, shown;
  int stopping = 0;
  for (const v1::Task* t : view.tasks) {
    if (!schema::HoldsResources(*t)) continue;
    const bool is_running = t->status().last_status() == "RUNNING";
    DeploymentCounts& s = shown[t->spec().started_by()];
    (is_running ? s.running : s.pending) += 1;
    if (s.revision.empty()) s.revision = t->spec().task_definition();
    if (t->spec().desired_status() == "STOPPED") {
      ++stopping;
      continue;
    }
    DeploymentCounts& d = by_deployment[t->spec().started_by()];
    (is_running ? d.running : d.pending) += 1;
    if (on_draining(*t)) (is_running ? d.draining_running : d.draining_pending) += 1;
    if (d.revision.empty()) d.revision = t->spec().task_definition();
  }
  int running = 0, pending = 0;
  for (const auto& [id, d] : shown) {
    running += d.running;
    pending += d.pending;
  }
  plan.status.set_running_count(running);
  plan.status.set_pending_count(pending);

  if (view.revision.empty()) {
    // Nothing to roll to: the tasks are left as they are, and the service says why.
    *plan.status.mutable_deployments() = before.deployments();
    *plan.status.mutable_history() = before.history();
    *plan.status.mutable_events() = before.events();
    const std::string why = "task definition " + service.spec().task_definition() + " not found";
    *plan.status.add_conditions() = runtime::ConditionOf(
        before.conditions(), "Ready", false, "TaskDefinitionNotFound", why, now, generation);
    *plan.status.add_conditions() = runtime::ConditionOf(
        before.conditions(), "Reconciling", false, "TaskDefinitionNotFound", why, now, generation);
    *plan.status.add_conditions() = runtime::ConditionOf(
        before.conditions(), "Stalled", true, "TaskDefinitionNotFound", why, now, generation);
    plan.state = RolloutState::kStuck;
    return plan;
  }

  const auto& config = service.spec().deployment_configuration();
  RolloutBounds bounds;
  bounds.desired = std::max(service.spec().desired_count(), 0);
  if (config.has_minimum_healthy_percent())
    bounds.minimum_healthy_percent = config.minimum_healthy_percent();
  if (config.has_maximum_percent()) bounds.maximum_percent = config.maximum_percent();
  auto counts_for = [&](const std::string& target) {
    RolloutCounts counts;
    counts.stopping = stopping;
    for (const auto& [id, d] : by_deployment) {
      if (id == target) {
        counts.target_running += d.running - d.draining_running;
        counts.target_pending += d.pending - d.draining_pending;
        counts.old_running += d.draining_running;
        counts.old_pending += d.draining_pending;
      } else {
        counts.old_running += d.running;
        counts.old_pending += d.pending;
      }
    }
    return counts;
  };

  // The target: the newest deployment record's (or what it restores), else a new one; the
  // history then moves, and a tripped circuit breaker may change the target on this pass.
  DeploymentTarget target = ChooseTarget(service, view.revision);
  RolloutCounts counts = counts_for(target.id);
  RolloutStep step = PlanRollout(bounds, counts);
  HistoryInput history_in;
  history_in.service = &service;
  history_in.target = target;
  for (const auto& [id, d] : by_deployment) history_in.sources.push_back(id);
  history_in.failed = &view.failed;
  history_in.running = counts.target_running;
  history_in.pending = counts.target_pending;
  history_in.complete = step.state == RolloutState::kComplete;
  history_in.now = now;
  HistoryOutcome outcome = AdvanceHistory(history_in);
  if (outcome.target.id != target.id || outcome.target.mode != target.mode) {
    target = outcome.target;
    counts = counts_for(target.id);
    step = PlanRollout(bounds, counts);
  }
  const bool halted = target.mode == TargetMode::kHalted;
  if (halted) step = RolloutStep{.state = RolloutState::kStuck};
  // CANARY / LINEAR / bake times: the deployment may hold only its step's share, and the old
  // tasks its bake keeps stay (a roll from earlier deployments only; a new service just starts).
  const auto& deployment_config = service.spec().deployment_configuration();
  if (!halted && target.mode == TargetMode::kRoll && Staged(deployment_config) &&
      !outcome.history.empty() && outcome.history[0].id() == target.id &&
      outcome.history[0].status() == "IN_PROGRESS" &&
      !outcome.history[0].source_deployments().empty()) {
    v1::ServiceDeploymentRecord& r = outcome.history[0];
    StageInput in;
    in.config = &deployment_config;
    in.desired = bounds.desired;
    in.step = r.step();
    in.step_moved_at = r.step_moved_at();
    in.target_running = counts.target_running;
    in.old_tasks = counts.old_running + counts.old_pending;
    in.now = now;
    const Stage stage = StageOf(in);
    if (r.step() != stage.step || r.step_moved_at() != stage.step_moved_at) {
      r.set_step(stage.step);
      r.set_step_moved_at(stage.step_moved_at);
      r.set_updated_at(now);
    }
    const int target_tasks = counts.target_running + counts.target_pending;
    step.start = std::clamp(step.start, 0, std::max(0, stage.cap - target_tasks));
    const int keep_old =
        stage.hold_old ? counts.old_running : std::max(0, bounds.desired - stage.cap);
    step.stop_old_running =
        std::min(step.stop_old_running, std::max(0, counts.old_running - keep_old));
    plan.wake_after = stage.bake_left;
    if (step.state == RolloutState::kProgressing && step.start == 0 && step.stop_old_running == 0 &&
        step.stop_old_pending == 0 && step.stop_target == 0) {
      step.state = RolloutState::kWaiting;  // for the step's tasks to run, or its bake
    }
  }
  // The deployment is complete once the target alone runs; evening out the zones afterwards is
  // the service's own work (ECS's rebalancing), told by the conditions, not the deployment.
  const bool deployment_complete = step.state == RolloutState::kComplete;
  if (!halted && counts.old_running + counts.old_pending == 0 && counts.stopping == 0 &&
      RebalancingApplies(service.spec())) {
    std::map<std::string, int> by_zone;
    for (const auto& zone : view.zones) by_zone[zone] = 0;
    std::map<std::string, std::string> zone_of;
    for (const auto& in : view.instances) {
      for (const auto& [name, value] : in.attributes)
        if (name == kZoneAttribute) zone_of[in.id] = value;
    }
    // RUNNING ones only: a task on its way counts once it runs.
    for (const v1::Task* t : view.tasks) {
      if (t->status().last_status() != "RUNNING" || t->spec().desired_status() == "STOPPED")
        continue;
      auto zone = zone_of.find(t->spec().container_instance());
      if (zone != zone_of.end() && by_zone.count(zone->second)) by_zone[zone->second] += 1;
    }
    const int live = counts.target_running + counts.target_pending;
    const auto emptiest = EmptiestIfUneven(by_zone);
    if (live == bounds.desired + 1 && counts.target_pending == 1) {
      // One more than desired, on its way (a moved task, or one a scale-in caught PENDING):
      // it runs first, then the fullest zone gives one up.
      step = RolloutStep{.state = RolloutState::kWaiting};
      plan.rebalancing = emptiest.has_value();
    } else if (emptiest && PlainZoneName(*emptiest)) {
      if (live == bounds.desired && counts.target_pending == 0 &&
          bounds.Ceiling() > bounds.desired) {
        step = RolloutStep{.start = 1, .state = RolloutState::kProgressing};
        plan.zone = *emptiest;
        plan.rebalancing = true;
      } else if (live == bounds.desired && counts.target_pending == 0 &&
                 bounds.Floor() < bounds.desired) {
        step = RolloutStep{.stop_target = 1, .state = RolloutState::kProgressing};
        plan.rebalancing = true;
      } else if (live == bounds.desired + 1) {
        plan.rebalancing = true;  // PlanRollout stops the surplus from the fullest zone
      }
    }
  }
  plan.deployment = target.id;
  plan.revision = target.revision;
  plan.state = step.state;
  plan.start = step.start;
  *plan.status.mutable_history() = std::move(outcome.history);
  *plan.status.mutable_events() = before.events();
  const v1::ServiceDeploymentRecord* newest =
      plan.status.history().empty() ? nullptr : &plan.status.history(0);

  // Which tasks: old PENDING ones as they come; the rest as the strategies would place them in
  // reverse.
  std::vector<placement::StrategySpec> strategies;
  for (const auto& s : service.spec().placement_strategy()) {
    strategies.push_back(
        {s.type(), s.field().empty() ? std::nullopt : std::optional<std::string>(s.field())});
  }
  // Old RUNNING ones on DRAINING instances go before any other old one.
  std::vector<placement::StopCandidate> old_running, target_tasks;
  std::vector<std::string> draining_running;
  for (const v1::Task* t : view.tasks) {
    if (!schema::HoldsResources(*t) || t->spec().desired_status() == "STOPPED") continue;
    const bool is_running = t->status().last_status() == "RUNNING";
    placement::StopCandidate c{t->metadata().name(), t->spec().container_instance(), is_running,
                               t->spec().cpu(), t->spec().memory()};
    const bool old = t->spec().started_by() != plan.deployment || on_draining(*t);
    if (!old) {
      target_tasks.push_back(std::move(c));
    } else if (is_running && on_draining(*t)) {
      draining_running.push_back(c.task);
    } else if (is_running) {
      old_running.push_back(std::move(c));
    } else if (static_cast<int>(plan.stop.size()) < step.stop_old_pending) {
      plan.stop.push_back(c.task);
    }
  }
  int stop_old_running = step.stop_old_running;
  for (size_t i = 0; i < draining_running.size() && stop_old_running > 0; ++i, --stop_old_running)
    plan.stop.push_back(draining_running[i]);
  for (const auto& [candidates, count] :
       {std::pair{&old_running, stop_old_running}, std::pair{&target_tasks, step.stop_target}}) {
    if (count <= 0) continue;
    auto chosen = placement::ChooseToStop(view.instances, *candidates, strategies, count, seed);
    if (!chosen.ok()) {
      return api::Status(api::Code::kInvalidArgument, chosen.error().message,
                         "spec." + chosen.error().field);
    }
    plan.stop.insert(plan.stop.end(), chosen->begin(), chosen->end());
  }

  // The deployments: the target as PRIMARY, every other that still has tasks as ACTIVE.
  v1::ServiceDeployment primary;
  primary.set_id(plan.deployment);
  primary.set_status("PRIMARY");
  primary.set_task_definition(plan.revision);
  primary.set_desired_count(bounds.desired);
  primary.set_running_count(shown.count(plan.deployment) ? shown[plan.deployment].running : 0);
  primary.set_pending_count(shown.count(plan.deployment) ? shown[plan.deployment].pending : 0);
  primary.set_rollout_state(halted ? "FAILED" : deployment_complete ? "COMPLETED" : "IN_PROGRESS");
  if (halted && newest) primary.set_rollout_state_reason(newest->status_reason());
  primary.set_failed_tasks(static_cast<int32_t>(
      view.failed.count(plan.deployment) ? view.failed.at(plan.deployment).size() : 0));
  primary.set_redeploy_token(service.spec().redeploy_token());
  for (const auto& old : before.deployments()) {
    if (old.id() == plan.deployment) {
      primary.set_failed_tasks(std::max(primary.failed_tasks(), old.failed_tasks()));
      primary.set_redeploy_token(old.redeploy_token());
    }
  }
  *plan.status.add_deployments() = RecordOf(before, primary, now);
  for (const auto& [id, d] : shown) {
    if (id == plan.deployment) continue;
    v1::ServiceDeployment active;
    active.set_id(id);
    active.set_status("ACTIVE");
    active.set_task_definition(RevisionOf(before, id, d));
    for (const auto& old : before.deployments()) {
      if (old.id() == id) {
        active.set_failed_tasks(old.failed_tasks());
        active.set_redeploy_token(old.redeploy_token());
      }
    }
    active.set_desired_count(0);  // it is being replaced
    active.set_running_count(d.running);
    active.set_pending_count(d.pending);
    active.set_rollout_state("COMPLETED");
    for (const auto& r : plan.status.history()) {
      if (r.id() == id && FailedRecord(r)) {
        active.set_rollout_state("FAILED");
        active.set_rollout_state_reason(r.status_reason());
      }
    }
    *plan.status.add_deployments() = RecordOf(before, active, now);
  }

  const bool complete = step.state == RolloutState::kComplete && !plan.rebalancing;
  const bool rolled_back = complete && target.mode == TargetMode::kRollback;
  const bool ready = complete && !rolled_back;
  const bool stuck = step.state == RolloutState::kStuck;
  const std::string progress = std::to_string(counts.target_running) + " of " +
                               std::to_string(bounds.desired) + " tasks of " + plan.revision +
                               " running";
  std::string reason, message;
  if (halted || rolled_back) {
    reason = halted ? "DeploymentFailed" : "RolledBack";
    message = "deployment " + (newest ? newest->id() : plan.deployment) +
              " failed: " + (newest ? newest->status_reason() : std::string("")) +
              (rolled_back ? "; " + plan.revision + " restored" : "");
  } else if (stuck) {
    reason = "DeploymentCannotProgress";
    message = "minimumHealthyPercent " + std::to_string(bounds.minimum_healthy_percent) +
              " and maximumPercent " + std::to_string(bounds.maximum_percent) +
              " leave no room to replace a task";
  }
  const bool stalled = !reason.empty();
  const std::string moving = target.mode == TargetMode::kRollback ? "RollingBack"
                             : plan.rebalancing                   ? "Rebalancing"
                             : plan.wake_after                    ? "Baking"
                                                                  : "Deploying";
  *plan.status.add_conditions() = runtime::ConditionOf(before.conditions(), "Ready", ready,
                                                       ready     ? "SteadyState"
                                                       : stalled ? reason
                                                                 : moving,
                                                       ready     ? "has reached a steady state"
                                                       : stalled ? message
                                                                 : progress,
                                                       now, generation);
  *plan.status.add_conditions() = runtime::ConditionOf(
      before.conditions(), "Reconciling", !complete && !stalled, complete || stalled ? "" : moving,
      complete || stalled ? "" : progress, now, generation);
  *plan.status.add_conditions() = runtime::ConditionOf(before.conditions(), "Stalled", stalled,
                                                       reason, message, now, generation);
  return plan;
}

}  // namespace gantry::controllers::service
