#include "controllers/service/service_plan.h"

#include <algorithm>
#include <map>

#include "api/schema/object_state.h"
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
  std::string revision;  // from its tasks, for an old deployment with no record
};

// The condition `type` as it should be; its transition time is kept while its status holds.
v1::Condition ConditionOf(const v1::ServiceStatus& before, const std::string& type, bool holds,
                          const std::string& reason, const std::string& message,
                          const std::string& now, int32_t generation) {
  v1::Condition c;
  c.set_type(type);
  c.set_status(holds ? "True" : "False");
  c.set_reason(reason);
  c.set_message(message);
  c.set_observed_generation(generation);
  c.set_last_transition_time(now);
  for (const auto& old : before.conditions()) {
    if (old.type() == type && old.status() == c.status()) {
      c.set_last_transition_time(old.last_transition_time());
    }
  }
  return c;
}

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

}  // namespace

void MarkUnplaceable(ServicePlan& plan, const v1::Service& service, const std::string& message,
                     const std::string& now) {
  const auto generation = static_cast<int32_t>(service.metadata().generation());
  for (auto& condition : *plan.status.mutable_conditions()) {
    if (condition.type() != "Stalled") continue;
    condition =
        ConditionOf(service.status(), "Stalled", true, "Unplaceable", message, now, generation);
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

  // Counts of every task, by deployment; STOPPING ones apart.
  std::map<std::string, DeploymentCounts> by_deployment;
  int stopping = 0;
  for (const v1::Task* t : view.tasks) {
    if (!schema::HoldsResources(*t)) continue;
    if (t->spec().desired_status() == "STOPPED") {
      ++stopping;
      continue;
    }
    DeploymentCounts& d = by_deployment[t->spec().started_by()];
    (t->status().last_status() == "RUNNING" ? d.running : d.pending) += 1;
    if (d.revision.empty()) d.revision = t->spec().task_definition();
  }
  int running = 0, pending = 0;
  for (const auto& [id, d] : by_deployment) {
    running += d.running;
    pending += d.pending;
  }
  plan.status.set_running_count(running);
  plan.status.set_pending_count(pending);

  if (view.revision.empty()) {
    // Nothing to roll to: the tasks are left as they are, and the service says why.
    *plan.status.mutable_deployments() = before.deployments();
    const std::string why = "task definition " + service.spec().task_definition() + " not found";
    *plan.status.add_conditions() =
        ConditionOf(before, "Ready", false, "TaskDefinitionNotFound", why, now, generation);
    *plan.status.add_conditions() =
        ConditionOf(before, "Reconciling", false, "TaskDefinitionNotFound", why, now, generation);
    *plan.status.add_conditions() =
        ConditionOf(before, "Stalled", true, "TaskDefinitionNotFound", why, now, generation);
    plan.state = RolloutState::kStuck;
    return plan;
  }

  // The target: the PRIMARY deployment while it runs this revision, else a new one.
  for (const auto& d : before.deployments()) {
    if (d.status() == "PRIMARY" && d.task_definition() == view.revision) plan.deployment = d.id();
  }
  if (plan.deployment.empty()) plan.deployment = DeploymentId(service, view.revision);

  const auto& config = service.spec().deployment_configuration();
  RolloutBounds bounds;
  bounds.desired = std::max(service.spec().desired_count(), 0);
  if (config.has_minimum_healthy_percent())
    bounds.minimum_healthy_percent = config.minimum_healthy_percent();
  if (config.has_maximum_percent()) bounds.maximum_percent = config.maximum_percent();
  RolloutCounts counts;
  counts.stopping = stopping;
  for (const auto& [id, d] : by_deployment) {
    if (id == plan.deployment) {
      counts.target_running += d.running;
      counts.target_pending += d.pending;
    } else {
      counts.old_running += d.running;
      counts.old_pending += d.pending;
    }
  }
  const RolloutStep step = PlanRollout(bounds, counts);
  plan.state = step.state;
  plan.start = step.start;

  // Which tasks: old PENDING ones as they come; the rest as the strategies would place them in
  // reverse.
  std::vector<placement::StrategySpec> strategies;
  for (const auto& s : service.spec().placement_strategy()) {
    strategies.push_back(
        {s.type(), s.field().empty() ? std::nullopt : std::optional<std::string>(s.field())});
  }
  std::vector<placement::StopCandidate> old_running, target;
  for (const v1::Task* t : view.tasks) {
    if (!schema::HoldsResources(*t) || t->spec().desired_status() == "STOPPED") continue;
    const bool is_running = t->status().last_status() == "RUNNING";
    placement::StopCandidate c{t->metadata().name(), t->spec().container_instance(), is_running,
                               t->spec().cpu(), t->spec().memory()};
    if (t->spec().started_by() == plan.deployment) {
      target.push_back(std::move(c));
    } else if (is_running) {
      old_running.push_back(std::move(c));
    } else if (static_cast<int>(plan.stop.size()) < step.stop_old_pending) {
      plan.stop.push_back(c.task);
    }
  }
  for (const auto& [candidates, count] :
       {std::pair{&old_running, step.stop_old_running}, std::pair{&target, step.stop_target}}) {
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
  primary.set_task_definition(view.revision);
  primary.set_desired_count(bounds.desired);
  primary.set_running_count(counts.target_running);
  primary.set_pending_count(counts.target_pending);
  primary.set_rollout_state(step.state == RolloutState::kComplete ? "COMPLETED" : "IN_PROGRESS");
  for (const auto& old : before.deployments()) {
    if (old.id() == plan.deployment) primary.set_failed_tasks(old.failed_tasks());
  }
  *plan.status.add_deployments() = RecordOf(before, primary, now);
  for (const auto& [id, d] : by_deployment) {
    if (id == plan.deployment) continue;
    v1::ServiceDeployment active;
    active.set_id(id);
    active.set_status("ACTIVE");
    active.set_task_definition(d.revision);
    for (const auto& old : before.deployments()) {
      if (old.id() == id) {
        active.set_task_definition(old.task_definition());
        active.set_failed_tasks(old.failed_tasks());
      }
    }
    active.set_desired_count(0);  // it is being replaced
    active.set_running_count(d.running);
    active.set_pending_count(d.pending);
    active.set_rollout_state("COMPLETED");
    *plan.status.add_deployments() = RecordOf(before, active, now);
  }

  const bool ready = step.state == RolloutState::kComplete;
  const bool stuck = step.state == RolloutState::kStuck;
  const std::string progress = std::to_string(counts.target_running) + " of " +
                               std::to_string(bounds.desired) + " tasks of " + view.revision +
                               " running";
  *plan.status.add_conditions() =
      ConditionOf(before, "Ready", ready, ready ? "SteadyState" : "Deploying",
                  ready ? "has reached a steady state" : progress, now, generation);
  *plan.status.add_conditions() =
      ConditionOf(before, "Reconciling", !ready && !stuck, ready || stuck ? "" : "Deploying",
                  ready || stuck ? "" : progress, now, generation);
  *plan.status.add_conditions() = ConditionOf(
      before, "Stalled", stuck, stuck ? "DeploymentCannotProgress" : "",
      stuck ? "minimumHealthyPercent " + std::to_string(bounds.minimum_healthy_percent) +
                  " and maximumPercent " + std::to_string(bounds.maximum_percent) +
                  " leave no room to replace a task"
            : "",
      now, generation);
  return plan;
}

}  // namespace gantry::controllers::service
