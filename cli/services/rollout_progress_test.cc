#include "cli/services/rollout_progress.h"

#include <gtest/gtest.h>

namespace gantry::cli {
namespace {

v1::Service Web(int generation, int observed) {
  v1::Service s;
  s.mutable_metadata()->set_name("web");
  s.mutable_metadata()->set_generation(generation);
  s.mutable_spec()->set_desired_count(4);
  s.mutable_status()->set_observed_generation(observed);
  return s;
}

void Condition(v1::Service& s, const std::string& type, bool holds, const std::string& reason,
               const std::string& message = "") {
  auto* c = s.mutable_status()->add_conditions();
  c->set_type(type);
  c->set_status(holds ? "True" : "False");
  c->set_reason(reason);
  c->set_message(message);
}

TEST(RolloutProgressTest, AnOlderGenerationIsWaitedOn) {
  v1::Service s = Web(3, 2);
  Condition(s, "Ready", true, "SteadyState");  // of generation 2: not this rollout's
  RolloutProgress p = ProgressOf(s, "");
  EXPECT_EQ(p.state, RolloutProgress::State::kWaiting);
  EXPECT_EQ(p.line, "Waiting for service \"web\" spec update to be observed...");
}

TEST(RolloutProgressTest, CountsNewAndOldTasksAndShowsAStall) {
  v1::Service s = Web(2, 2);
  auto* d = s.mutable_status()->add_deployments();
  d->set_status("PRIMARY");
  d->set_task_definition("web:2");
  d->set_running_count(1);
  d = s.mutable_status()->add_deployments();
  d->set_status("ACTIVE");
  d->set_running_count(3);
  d->set_pending_count(1);
  Condition(s, "Ready", false, "Deploying");
  Condition(s, "Stalled", true, "Unplaceable", "no room");
  RolloutProgress p = ProgressOf(s, "");
  EXPECT_EQ(p.state, RolloutProgress::State::kWaiting);
  EXPECT_EQ(p.line,
            "Waiting for service \"web\" rollout to finish: 1 of 4 new tasks (web:2) running, 4 "
            "old tasks left; stalled (Unplaceable): no room...");
}

TEST(RolloutProgressTest, ReadyIsDoneAndAFailedDeploymentFails) {
  v1::Service done = Web(2, 2);
  Condition(done, "Ready", true, "SteadyState");
  EXPECT_EQ(ProgressOf(done, "").state, RolloutProgress::State::kDone);
  EXPECT_EQ(ProgressOf(done, "").line, "service \"web\" successfully rolled out");
  for (const char* reason : {"DeploymentFailed", "RolledBack"}) {
    v1::Service failed = Web(2, 2);
    Condition(failed, "Stalled", true, reason, "deployment ecs-svc/1 failed: x");
    EXPECT_EQ(ProgressOf(failed, "web:2").state, RolloutProgress::State::kFailed) << reason;
    EXPECT_EQ(ProgressOf(failed, "web:2").line,
              "service \"web\" rollout failed: deployment ecs-svc/1 failed: x");
  }
}

TEST(RolloutProgressTest, ARevisionTheServiceHasNotStartedOnIsWaitedOn) {
  v1::Service s = Web(2, 2);
  auto* d = s.mutable_status()->add_deployments();
  d->set_status("PRIMARY");
  d->set_task_definition("web:1");
  Condition(s, "Ready", true, "SteadyState");  // web:1 is steady; web:2 was just registered
  EXPECT_EQ(ProgressOf(s, "web:2").state, RolloutProgress::State::kWaiting);
  EXPECT_EQ(ProgressOf(s, "web:2").line, "Waiting for service \"web\" rollout to start: web:2...");
  EXPECT_EQ(ProgressOf(s, "web:1").state, RolloutProgress::State::kDone);
}

TEST(RolloutProgressTest, AnEnvironmentIsDoneWhenReadyAndFailsWhenStalled) {
  v1::Environment e;
  e.mutable_metadata()->set_name("logs");
  e.mutable_metadata()->set_generation(1);
  e.mutable_status()->set_observed_generation(1);
  e.mutable_status()->set_task_definition("logagent:2");
  e.mutable_status()->set_instances_eligible(4);
  e.mutable_status()->set_instances_covered(3);
  EXPECT_EQ(ProgressOf(e, "logagent:2").line,
            "Waiting for environment \"logs\" rollout to finish: 3 of 4 instances run "
            "logagent:2...");
  EXPECT_EQ(ProgressOf(e, "logagent:3").line,
            "Waiting for environment \"logs\" rollout to start: logagent:3...");
  auto* stalled = e.mutable_status()->add_conditions();
  stalled->set_type("Stalled");
  stalled->set_status("True");
  stalled->set_reason("InstancesFailed");
  stalled->set_message("1 instances have no room for the task");
  auto* f = e.mutable_status()->add_instance_failures();
  f->set_instance("i-9");
  f->set_reason("RESOURCE:MEMORY");
  EXPECT_EQ(ProgressOf(e, "logagent:2").state, RolloutProgress::State::kFailed);
  EXPECT_EQ(ProgressOf(e, "logagent:2").line,
            "environment \"logs\" rollout failed (InstancesFailed): 1 instances have no room for "
            "the task; i-9: RESOURCE:MEMORY");
  stalled->set_status("False");
  auto* ready = e.mutable_status()->add_conditions();
  ready->set_type("Ready");
  ready->set_status("True");
  EXPECT_EQ(ProgressOf(e, "logagent:2").state, RolloutProgress::State::kDone);
}

// The circuit breaker ended the roll to logagent:3 and brought logagent:2 back: waiting for
// logagent:3 fails at once; an earlier failed roll's condition does not fail a newer one.
TEST(RolloutProgressTest, AnEnvironmentRollTheBreakerEndedFails) {
  v1::Environment e;
  e.mutable_metadata()->set_name("logs");
  e.mutable_status()->set_task_definition("logagent:2");
  auto* stalled = e.mutable_status()->add_conditions();
  stalled->set_type("Stalled");
  stalled->set_status("True");
  stalled->set_reason("RolledBack");
  stalled->set_message("the roll to logagent:3 failed; logagent:2 restored");
  EXPECT_EQ(ProgressOf(e, "logagent:3").state, RolloutProgress::State::kFailed);
  EXPECT_EQ(ProgressOf(e, "logagent:3").line,
            "environment \"logs\" rollout failed (RolledBack): the roll to logagent:3 failed; "
            "logagent:2 restored");
  EXPECT_EQ(ProgressOf(e, "logagent:4").state, RolloutProgress::State::kWaiting);
  EXPECT_EQ(ProgressOf(e, "").state, RolloutProgress::State::kFailed);
}

}  // namespace
}  // namespace gantry::cli
