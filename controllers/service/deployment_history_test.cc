#include "controllers/service/deployment_history.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "api/schema/service_deployments.h"
#include "controllers/service/service_plan.h"

namespace gantry::controllers::service {
namespace {

v1::Service Web(int desired, bool breaker, bool rollback) {
  v1::Service s;
  s.mutable_metadata()->set_name("web");
  s.mutable_metadata()->set_uid("5d1c0a3e-0000-4000-8000-000000000002");
  s.mutable_metadata()->set_generation(1);
  s.mutable_spec()->set_cluster("default");
  s.mutable_spec()->set_task_definition("web");
  s.mutable_spec()->set_desired_count(desired);
  auto* cb =
      s.mutable_spec()->mutable_deployment_configuration()->mutable_deployment_circuit_breaker();
  cb->set_enable(breaker);
  cb->set_rollback(rollback);
  return s;
}

TEST(CircuitBreakerThresholdTest, HalfTheDesiredCountBetweenThreeAndTwoHundred) {
  EXPECT_EQ(CircuitBreakerThreshold(0), 3);
  EXPECT_EQ(CircuitBreakerThreshold(1), 3);
  EXPECT_EQ(CircuitBreakerThreshold(6), 3);
  EXPECT_EQ(CircuitBreakerThreshold(7), 4);  // half, rounded up
  EXPECT_EQ(CircuitBreakerThreshold(10), 5);
  EXPECT_EQ(CircuitBreakerThreshold(400), 200);
  EXPECT_EQ(CircuitBreakerThreshold(1000), 200);
}

// Drives a Service through passes of PlanService as the controller would: the status written
// back, tasks as the test says they are.
class HistoryTest : public ::testing::Test {
 protected:
  const v1::Task* Task(const std::string& name, const std::string& deployment,
                       const std::string& revision, const std::string& last_status = "RUNNING") {
    auto t = std::make_unique<v1::Task>();
    t->mutable_metadata()->set_name(name);
    t->mutable_spec()->set_group("service:web");
    t->mutable_spec()->set_started_by(deployment);
    t->mutable_spec()->set_task_definition(revision);
    t->mutable_spec()->set_container_instance("i-" + name);
    t->mutable_spec()->set_desired_status("RUNNING");
    t->mutable_status()->set_last_status(last_status);
    tasks_.push_back(std::move(t));
    return tasks_.back().get();
  }
  ServicePlan Pass(v1::Service& s, const std::string& revision,
                   const std::vector<const v1::Task*>& tasks, const std::string& now,
                   std::map<std::string, std::vector<std::string>> failed = {}) {
    ServiceView v;
    v.service = &s;
    v.revision = revision;
    v.tasks = tasks;
    v.failed = std::move(failed);
    for (const v1::Task* t : tasks) {
      placement::InstanceSpec in;
      in.id = t->spec().container_instance();
      in.cpu = 1024;
      in.memory = 1024;
      v.instances.push_back(in);
    }
    auto plan = PlanService(v, now, 1);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    *s.mutable_status() = plan->status;
    return *plan;
  }
  static std::string ConditionReason(const v1::ServiceStatus& st, const std::string& type) {
    for (const auto& c : st.conditions())
      if (c.type() == type && c.status() == "True") return c.reason();
    return "";
  }

  std::vector<std::unique_ptr<v1::Task>> tasks_;
};

TEST_F(HistoryTest, ADeploymentIsRecordedAndSucceedsWhenItCompletes) {
  v1::Service s = Web(2, true, true);
  ServicePlan first = Pass(s, "web:1", {}, "2026-12-07T00:00:00Z");
  ASSERT_EQ(s.status().history_size(), 1);
  const auto& r = s.status().history(0);
  EXPECT_EQ(r.id(), first.deployment);
  EXPECT_EQ(r.status(), "IN_PROGRESS");
  EXPECT_EQ(r.target_revision(), "web:1");
  EXPECT_EQ(r.started_at(), "2026-12-07T00:00:00Z");
  EXPECT_EQ(r.circuit_breaker_threshold(), 3);
  EXPECT_TRUE(r.circuit_breaker_enabled());
  const std::string d1 = first.deployment;
  Pass(s, "web:1", {Task("a", d1, "web:1"), Task("b", d1, "web:1")}, "2026-12-07T00:00:05Z");
  ASSERT_EQ(s.status().history_size(), 1);
  EXPECT_EQ(s.status().history(0).status(), "SUCCESSFUL");
  EXPECT_EQ(s.status().history(0).finished_at(), "2026-12-07T00:00:05Z");
  EXPECT_EQ(s.status().history(0).running_count(), 2);
  // A scale changes the generation, not the deployment.
  s.mutable_metadata()->set_generation(2);
  s.mutable_spec()->set_desired_count(3);
  ServicePlan scaled =
      Pass(s, "web:1", {Task("a2", d1, "web:1"), Task("b2", d1, "web:1")}, "2026-12-07T00:00:06Z");
  EXPECT_EQ(scaled.deployment, d1);
  EXPECT_EQ(scaled.start, 1);
  EXPECT_EQ(s.status().history_size(), 1);
}

TEST_F(HistoryTest, FailingTasksTripTheBreakerAndTheLastCompletedDeploymentIsRestored) {
  v1::Service s = Web(4, true, true);
  const std::string d1 = Pass(s, "web:1", {}, "2026-12-07T00:00:00Z").deployment;
  std::vector<const v1::Task*> v1_tasks = {Task("a", d1, "web:1"), Task("b", d1, "web:1"),
                                           Task("c", d1, "web:1"), Task("d", d1, "web:1")};
  Pass(s, "web:1", v1_tasks, "2026-12-07T00:00:01Z");
  ASSERT_EQ(s.status().history(0).status(), "SUCCESSFUL");

  s.mutable_metadata()->set_generation(2);
  ServicePlan roll = Pass(s, "web:2", v1_tasks, "2026-12-07T00:01:00Z");
  const std::string d2 = roll.deployment;
  ASSERT_NE(d2, d1);
  ASSERT_EQ(s.status().history_size(), 2);
  EXPECT_EQ(s.status().history(0).source_deployments(0), d1);
  // Two failures: below the threshold of 3.
  std::map<std::string, std::vector<std::string>> failed = {
      {d2, {"2026-12-07T00:01:10Z", "2026-12-07T00:01:11Z"}}};
  ServicePlan still = Pass(s, "web:2", v1_tasks, "2026-12-07T00:01:12Z", failed);
  EXPECT_EQ(still.deployment, d2);
  EXPECT_EQ(s.status().history(0).status(), "IN_PROGRESS");
  EXPECT_EQ(s.status().history(0).failed_count(), 2);
  // A third: the breaker trips on this pass and web:1's deployment is the target again.
  failed[d2].push_back("2026-12-07T00:01:13Z");
  ServicePlan tripped = Pass(s, "web:2", v1_tasks, "2026-12-07T00:01:14Z", failed);
  const auto& r = s.status().history(0);
  EXPECT_EQ(r.status(), "ROLLBACK_IN_PROGRESS");
  EXPECT_EQ(r.rollback_deployment(), d1);
  EXPECT_EQ(r.rollback_revision(), "web:1");
  EXPECT_EQ(r.rollback_started_at(), "2026-12-07T00:01:14Z");
  EXPECT_NE(r.rollback_reason().find("3 tasks failed to start"), std::string::npos);
  EXPECT_EQ(tripped.deployment, d1);
  EXPECT_EQ(tripped.revision, "web:1");
  EXPECT_EQ(tripped.start, 0);  // web:1's four are running
  EXPECT_EQ(ConditionReason(s.status(), "Reconciling"), "");
  // The rollback is complete (nothing of web:2 runs): ROLLBACK_SUCCESSFUL, and the service says
  // it runs an older revision than its spec asks for.
  Pass(s, "web:2", v1_tasks, "2026-12-07T00:01:15Z", failed);
  EXPECT_EQ(s.status().history(0).status(), "ROLLBACK_SUCCESSFUL");
  EXPECT_EQ(s.status().history(0).finished_at(), "2026-12-07T00:01:15Z");
  EXPECT_EQ(ConditionReason(s.status(), "Stalled"), "RolledBack");
  ASSERT_EQ(s.status().deployments_size(), 1);
  EXPECT_EQ(s.status().deployments(0).id(), d1);
  EXPECT_EQ(s.status().deployments(0).task_definition(), "web:1");
  // Planned again: it stays rolled back (no new attempt at web:2 until the spec moves).
  ServicePlan again = Pass(s, "web:2", v1_tasks, "2026-12-07T00:05:00Z", failed);
  EXPECT_EQ(again.deployment, d1);
  EXPECT_EQ(again.start, 0);
  EXPECT_EQ(s.status().history_size(), 2);
  // A new spec (a redeploy) tries web:2 again.
  s.mutable_metadata()->set_generation(3);
  s.mutable_spec()->set_redeploy_token("2026-12-07T00:06:00Z");
  ServicePlan retry = Pass(s, "web:2", v1_tasks, "2026-12-07T00:06:00Z", failed);
  EXPECT_NE(retry.deployment, d2);
  EXPECT_NE(retry.deployment, d1);
  EXPECT_EQ(retry.start, 4);
  EXPECT_EQ(s.status().history_size(), 3);
  EXPECT_EQ(s.status().history(0).failed_count(), 0);  // d2's failures are not this one's
}

TEST_F(HistoryTest, WithoutRollbackAFailedDeploymentHaltsAndTouchesNothing) {
  v1::Service s = Web(2, true, false);
  const std::string d1 = Pass(s, "web:1", {}, "2026-12-07T00:00:00Z").deployment;
  std::map<std::string, std::vector<std::string>> failed = {
      {d1, {"2026-12-07T00:00:01Z", "2026-12-07T00:00:02Z", "2026-12-07T00:00:03Z"}}};
  const v1::Task* pending = Task("p", d1, "web:1", "PENDING");
  ServicePlan halted = Pass(s, "web:1", {pending}, "2026-12-07T00:00:04Z", failed);
  EXPECT_EQ(s.status().history(0).status(), "STOPPED");
  EXPECT_EQ(halted.start, 0);
  EXPECT_TRUE(halted.stop.empty());
  EXPECT_EQ(halted.state, RolloutState::kStuck);
  EXPECT_EQ(ConditionReason(s.status(), "Stalled"), "DeploymentFailed");
  EXPECT_EQ(s.status().deployments(0).rollout_state(), "FAILED");
  EXPECT_NE(s.status().deployments(0).rollout_state_reason().find("circuit breaker"),
            std::string::npos);
}

TEST_F(HistoryTest, RollbackWithNothingCompletedBeforeStops) {
  v1::Service s = Web(2, true, true);
  const std::string d1 = Pass(s, "web:1", {}, "2026-12-07T00:00:00Z").deployment;
  std::map<std::string, std::vector<std::string>> failed = {
      {d1, {"2026-12-07T00:00:01Z", "2026-12-07T00:00:02Z", "2026-12-07T00:00:03Z"}}};
  Pass(s, "web:1", {}, "2026-12-07T00:00:04Z", failed);
  EXPECT_EQ(s.status().history(0).status(), "STOPPED");
  EXPECT_NE(s.status().history(0).status_reason().find("nothing to roll back to"),
            std::string::npos);
}

TEST_F(HistoryTest, ABreakerThatIsOffOnlyCountsFailures) {
  v1::Service s = Web(2, false, false);
  const std::string d1 = Pass(s, "web:1", {}, "2026-12-07T00:00:00Z").deployment;
  std::map<std::string, std::vector<std::string>> failed = {
      {d1,
       {"2026-12-07T00:00:01Z", "2026-12-07T00:00:02Z", "2026-12-07T00:00:03Z",
        "2026-12-07T00:00:04Z"}}};
  ServicePlan p = Pass(s, "web:1", {}, "2026-12-07T00:00:05Z", failed);
  EXPECT_EQ(s.status().history(0).status(), "IN_PROGRESS");
  EXPECT_EQ(s.status().history(0).failed_count(), 4);
  EXPECT_EQ(p.start, 2);
}

TEST_F(HistoryTest, AFailingRollbackEndsInRollbackFailed) {
  v1::Service s = Web(2, true, true);
  const std::string d1 = Pass(s, "web:1", {}, "2026-12-07T00:00:00Z").deployment;
  Pass(s, "web:1", {Task("a", d1, "web:1"), Task("b", d1, "web:1")}, "2026-12-07T00:00:01Z");
  s.mutable_metadata()->set_generation(2);
  const std::string d2 = Pass(s, "web:2", {}, "2026-12-07T00:01:00Z").deployment;
  std::map<std::string, std::vector<std::string>> failed = {
      {d2, {"2026-12-07T00:01:01Z", "2026-12-07T00:01:02Z", "2026-12-07T00:01:03Z"}},
      // d1's from long before the rollback do not count against it.
      {d1, {"2026-12-07T00:00:00Z"}}};
  Pass(s, "web:2", {}, "2026-12-07T00:01:04Z", failed);
  ASSERT_EQ(s.status().history(0).status(), "ROLLBACK_IN_PROGRESS");
  failed[d1].insert(failed[d1].end(),
                    {"2026-12-07T00:01:05Z", "2026-12-07T00:01:06Z", "2026-12-07T00:01:07Z"});
  ServicePlan p = Pass(s, "web:2", {}, "2026-12-07T00:01:08Z", failed);
  EXPECT_EQ(s.status().history(0).status(), "ROLLBACK_FAILED");
  EXPECT_EQ(p.start, 0);
  EXPECT_EQ(ConditionReason(s.status(), "Stalled"), "DeploymentFailed");
}

TEST_F(HistoryTest, StopServiceDeploymentRollsBackTheDeploymentInProgress) {
  v1::Service s = Web(1, false, false);
  const std::string d1 = Pass(s, "web:1", {}, "2026-12-07T00:00:00Z").deployment;
  const v1::Task* a = Task("a", d1, "web:1");
  Pass(s, "web:1", {a}, "2026-12-07T00:00:01Z");
  s.mutable_metadata()->set_generation(2);
  const std::string d2 = Pass(s, "web:2", {a}, "2026-12-07T00:01:00Z").deployment;
  (*s.mutable_metadata()->mutable_annotations())[schema::kStopDeploymentAnnotation] = d2;
  ServicePlan p = Pass(s, "web:2", {a, Task("n", d2, "web:2", "PENDING")}, "2026-12-07T00:01:01Z");
  EXPECT_EQ(s.status().history(0).status(), "ROLLBACK_IN_PROGRESS");
  EXPECT_EQ(p.deployment, d1);
  EXPECT_EQ(p.stop, std::vector<std::string>{"n"});  // web:2's PENDING task goes
}

// CANARY 25 % of 4 with a five-minute bake: one task of the new revision, one old one stopped,
// the bake, then the rest; the plan asks to be woken when the bake ends.
TEST_F(HistoryTest, ACanaryMovesOneTaskBakesThenTheRest) {
  v1::Service s = Web(4, false, false);
  auto* config = s.mutable_spec()->mutable_deployment_configuration();
  config->set_strategy("CANARY");
  config->mutable_canary_configuration()->set_canary_percent(25);
  config->mutable_canary_configuration()->set_canary_bake_time_in_minutes(5);
  const std::string d1 = Pass(s, "web:1", {}, "2026-12-07T00:00:00Z").deployment;
  EXPECT_EQ(s.status().history(0).status(), "IN_PROGRESS");  // a new service is not staged
  std::vector<const v1::Task*> old = {Task("a", d1, "web:1"), Task("b", d1, "web:1"),
                                      Task("c", d1, "web:1"), Task("d", d1, "web:1")};
  Pass(s, "web:1", old, "2026-12-07T00:00:01Z");
  ASSERT_EQ(s.status().history(0).status(), "SUCCESSFUL");

  s.mutable_metadata()->set_generation(2);
  ServicePlan p = Pass(s, "web:2", old, "2026-12-07T00:01:00Z");
  const std::string d2 = p.deployment;
  EXPECT_EQ(p.start, 1);  // the canary only
  p = Pass(s, "web:2", {old[0], old[1], old[2], old[3], Task("n1", d2, "web:2", "PENDING")},
           "2026-12-07T00:01:01Z");
  EXPECT_EQ(p.start, 0);
  EXPECT_TRUE(p.stop.empty());
  const v1::Task* canary = Task("n1r", d2, "web:2");
  p = Pass(s, "web:2", {old[0], old[1], old[2], old[3], canary}, "2026-12-07T00:01:02Z");
  EXPECT_EQ(p.stop.size(), 1u);  // one old task makes way
  EXPECT_EQ(p.start, 0);
  // Moved: baking five minutes, nothing else moves, and the controller is told when to look.
  p = Pass(s, "web:2", {old[1], old[2], old[3], canary}, "2026-12-07T00:01:03Z");
  EXPECT_EQ(p.start, 0);
  EXPECT_TRUE(p.stop.empty());
  ASSERT_TRUE(p.wake_after);
  EXPECT_EQ(*p.wake_after, std::chrono::minutes(5));
  EXPECT_EQ(s.status().history(0).step_moved_at(), "2026-12-07T00:01:03Z");
  EXPECT_EQ(ConditionReason(s.status(), "Reconciling"), "Baking");
  p = Pass(s, "web:2", {old[1], old[2], old[3], canary}, "2026-12-07T00:04:03Z");
  EXPECT_EQ(*p.wake_after, std::chrono::minutes(2));
  // Baked: the other three start.
  p = Pass(s, "web:2", {old[1], old[2], old[3], canary}, "2026-12-07T00:06:03Z");
  EXPECT_EQ(p.start, 3);
  EXPECT_FALSE(p.wake_after);
  EXPECT_EQ(s.status().history(0).step(), 1);
}

TEST_F(HistoryTest, ANewRevisionSupersedesOneInProgressAndTheHistoryKeepsTen) {
  v1::Service s = Web(1, false, false);
  std::string previous;
  for (int g = 1; g <= 12; ++g) {
    s.mutable_metadata()->set_generation(g);
    const std::string now =
        "2026-12-07T00:00:" + std::string(g < 10 ? "0" : "") + std::to_string(g) + "Z";
    Pass(s, "web:" + std::to_string(g), {}, now);
    if (!previous.empty()) {
      ASSERT_GE(s.status().history_size(), 2);
      EXPECT_EQ(s.status().history(1).id(), previous);
      EXPECT_EQ(s.status().history(1).status(), "STOPPED");
      EXPECT_EQ(s.status().history(1).status_reason(),
                "superseded by deployment " + s.status().history(0).id());
      EXPECT_FALSE(FailedRecord(s.status().history(1)));
    }
    previous = s.status().history(0).id();
  }
  EXPECT_EQ(s.status().history_size(), static_cast<int>(kHistoryLimit));
  EXPECT_EQ(s.status().history(0).target_revision(), "web:12");
}

}  // namespace
}  // namespace gantry::controllers::service
