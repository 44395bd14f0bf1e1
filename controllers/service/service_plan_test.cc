#include "controllers/service/service_plan.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace gantry::controllers::service {
namespace {

constexpr const char* kT0 = "2026-12-07T00:00:00Z";
constexpr const char* kT1 = "2026-12-07T00:01:00Z";

v1::Service Web(int desired, int min = 100, int max = 200) {
  v1::Service s;
  s.set_api_version("gantry.dev/v1");
  s.set_kind("Service");
  s.mutable_metadata()->set_name("web");
  s.mutable_metadata()->set_uid("5d1c0a3e-0000-4000-8000-000000000001");
  s.mutable_metadata()->set_generation(1);
  s.mutable_spec()->set_cluster("default");
  s.mutable_spec()->set_task_definition("web");
  s.mutable_spec()->set_desired_count(desired);
  s.mutable_spec()->mutable_deployment_configuration()->set_minimum_healthy_percent(min);
  s.mutable_spec()->mutable_deployment_configuration()->set_maximum_percent(max);
  return s;
}

placement::InstanceSpec Instance(const std::string& id, const std::string& zone) {
  placement::InstanceSpec in;
  in.id = id;
  in.cpu = 4096;
  in.memory = 8192;
  in.attributes = {{"ecs.availability-zone", zone}};
  return in;
}

class ServicePlanTest : public ::testing::Test {
 protected:
  // A task of the service from `deployment`, RUNNING or PENDING, on `instance`.
  const v1::Task* Task(const std::string& name, const std::string& deployment,
                       const std::string& revision, const std::string& instance,
                       const std::string& last_status = "RUNNING") {
    auto t = std::make_unique<v1::Task>();
    t->mutable_metadata()->set_name(name);
    t->mutable_spec()->set_group("service:web");
    t->mutable_spec()->set_started_by(deployment);
    t->mutable_spec()->set_task_definition(revision);
    t->mutable_spec()->set_container_instance(instance);
    t->mutable_spec()->set_desired_status("RUNNING");
    t->mutable_spec()->set_cpu(256);
    t->mutable_spec()->set_memory(512);
    t->mutable_status()->set_last_status(last_status);
    tasks_.push_back(std::move(t));
    return tasks_.back().get();
  }
  ServiceView View(const v1::Service& s, const std::string& revision,
                   std::vector<const v1::Task*> tasks) {
    ServiceView v;
    v.service = &s;
    v.revision = revision;
    v.tasks = std::move(tasks);
    v.instances = {Instance("a1", "us-east-1a"), Instance("a2", "us-east-1a"),
                   Instance("b1", "us-east-1b"), Instance("c1", "us-east-1c")};
    return v;
  }
  static const v1::Condition& Condition(const v1::ServiceStatus& s, const std::string& type) {
    for (const auto& c : s.conditions())
      if (c.type() == type) return c;
    static const v1::Condition none;
    return none;
  }

  std::vector<std::unique_ptr<v1::Task>> tasks_;
};

TEST_F(ServicePlanTest, ANewServiceStartsItsTasksInANewPrimaryDeployment) {
  v1::Service s = Web(3);
  auto plan = PlanService(View(s, "web:1", {}), kT0, 1);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->start, 3);
  EXPECT_TRUE(plan->stop.empty());
  EXPECT_EQ(plan->deployment.rfind("ecs-svc/", 0), 0u);
  EXPECT_EQ(plan->deployment.size(), 8u + 19u);
  EXPECT_EQ(plan->deployment, DeploymentId(s, "web:1"));  // the same inputs, the same id
  const auto& st = plan->status;
  EXPECT_EQ(st.observed_generation(), 1);
  ASSERT_EQ(st.deployments_size(), 1);
  EXPECT_EQ(st.deployments(0).status(), "PRIMARY");
  EXPECT_EQ(st.deployments(0).task_definition(), "web:1");
  EXPECT_EQ(st.deployments(0).desired_count(), 3);
  EXPECT_EQ(st.deployments(0).rollout_state(), "IN_PROGRESS");
  EXPECT_EQ(Condition(st, "Ready").status(), "False");
  EXPECT_EQ(Condition(st, "Reconciling").status(), "True");
  EXPECT_EQ(Condition(st, "Stalled").status(), "False");
}

TEST_F(ServicePlanTest, ASteadyServiceDoesNothingAndItsStatusIsStable) {
  v1::Service s = Web(2);
  auto first = PlanService(View(s, "web:1", {}), kT0, 1);
  ASSERT_TRUE(first.ok());
  *s.mutable_status() = first->status;
  const std::string d = first->deployment;
  auto view = View(s, "web:1", {Task("t1", d, "web:1", "a1"), Task("t2", d, "web:1", "b1")});
  auto steady = PlanService(view, kT1, 1);
  ASSERT_TRUE(steady.ok());
  EXPECT_EQ(steady->deployment, d);
  EXPECT_EQ(steady->start, 0);
  EXPECT_TRUE(steady->stop.empty());
  EXPECT_EQ(steady->state, RolloutState::kComplete);
  EXPECT_EQ(steady->status.running_count(), 2);
  EXPECT_EQ(steady->status.deployments(0).rollout_state(), "COMPLETED");
  EXPECT_EQ(Condition(steady->status, "Ready").status(), "True");
  EXPECT_EQ(Condition(steady->status, "Ready").last_transition_time(), kT1);
  // Planned again later on the same view: the same status, times included.
  *s.mutable_status() = steady->status;
  auto again = PlanService(view, "2026-12-07T00:05:00Z", 1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status.SerializeAsString(), steady->status.SerializeAsString());
}

TEST_F(ServicePlanTest, ANewRevisionRollsWithinTheBounds) {
  v1::Service s = Web(2);  // 100 / 200
  auto first = PlanService(View(s, "web:1", {}), kT0, 1);
  ASSERT_TRUE(first.ok());
  *s.mutable_status() = first->status;
  const std::string d1 = first->deployment;
  const v1::Task* old1 = Task("old1", d1, "web:1", "a1");
  const v1::Task* old2 = Task("old2", d1, "web:1", "b1");
  s.mutable_metadata()->set_generation(2);  // the spec changed
  auto roll = PlanService(View(s, "web:2", {old1, old2}), kT1, 1);
  ASSERT_TRUE(roll.ok());
  EXPECT_NE(roll->deployment, d1);
  EXPECT_EQ(roll->revision, "web:2");
  EXPECT_EQ(roll->start, 2);        // max 200: both new ones first
  EXPECT_TRUE(roll->stop.empty());  // min 100: no old one stops yet
  ASSERT_EQ(roll->status.deployments_size(), 2);
  EXPECT_EQ(roll->status.deployments(0).status(), "PRIMARY");
  EXPECT_EQ(roll->status.deployments(0).task_definition(), "web:2");
  EXPECT_EQ(roll->status.deployments(1).status(), "ACTIVE");
  EXPECT_EQ(roll->status.deployments(1).id(), d1);
  EXPECT_EQ(roll->status.deployments(1).task_definition(), "web:1");
  EXPECT_EQ(roll->status.deployments(1).running_count(), 2);
  EXPECT_EQ(roll->status.observed_generation(), 2);

  // The new ones run: the old ones stop.
  *s.mutable_status() = roll->status;
  const std::string d2 = roll->deployment;
  auto next = PlanService(
      View(s, "web:2",
           {old1, old2, Task("new1", d2, "web:2", "a2"), Task("new2", d2, "web:2", "c1")}),
      kT1, 1);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->deployment, d2);
  EXPECT_EQ(next->start, 0);
  EXPECT_EQ(std::set<std::string>(next->stop.begin(), next->stop.end()),
            (std::set<std::string>{"old1", "old2"}));
}

TEST_F(ServicePlanTest, ScaleInStopsPendingFirstThenKeepsZonesEven) {
  v1::Service s = Web(4);
  auto first = PlanService(View(s, "web:1", {}), kT0, 1);
  ASSERT_TRUE(first.ok());
  *s.mutable_status() = first->status;
  const std::string d = first->deployment;
  s.mutable_spec()->set_desired_count(2);
  auto plan =
      PlanService(View(s, "web:1",
                       {Task("a1-1", d, "web:1", "a1"), Task("a2-1", d, "web:1", "a2"),
                        Task("b1-1", d, "web:1", "b1"), Task("c1-p", d, "web:1", "c1", "PENDING")}),
                  kT1, 1);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->stop.size(), 2u);
  EXPECT_EQ(plan->stop[0], "c1-p");                                 // PENDING first
  EXPECT_TRUE(plan->stop[1] == "a1-1" || plan->stop[1] == "a2-1");  // then the fullest zone
}

TEST_F(ServicePlanTest, OldPendingTasksStopAtOnceAndStoppingOnesCount) {
  v1::Service s = Web(2, 100, 100);
  auto first = PlanService(View(s, "web:1", {}), kT0, 1);
  ASSERT_TRUE(first.ok());
  *s.mutable_status() = first->status;
  const std::string d1 = first->deployment;
  s.mutable_metadata()->set_generation(2);
  const v1::Task* pending = Task("old-p", d1, "web:1", "a1", "PENDING");
  const v1::Task* running = Task("old-r", d1, "web:1", "b1");
  auto plan = PlanService(View(s, "web:2", {pending, running}), kT1, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->stop, std::vector<std::string>{"old-p"});
  EXPECT_EQ(plan->start, 0);  // the stopping one still counts against maximumPercent 100
}

TEST_F(ServicePlanTest, MinAndMaxOfOneHundredWithOldTasksIsStalled) {
  v1::Service s = Web(2, 100, 100);
  auto first = PlanService(View(s, "web:1", {}), kT0, 1);
  ASSERT_TRUE(first.ok());
  *s.mutable_status() = first->status;
  const std::string d1 = first->deployment;
  s.mutable_metadata()->set_generation(2);
  auto plan = PlanService(
      View(s, "web:2", {Task("o1", d1, "web:1", "a1"), Task("o2", d1, "web:1", "b1")}), kT1, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->state, RolloutState::kStuck);
  EXPECT_EQ(plan->start, 0);
  EXPECT_TRUE(plan->stop.empty());
  const auto& stalled = Condition(plan->status, "Stalled");
  EXPECT_EQ(stalled.status(), "True");
  EXPECT_EQ(stalled.reason(), "DeploymentCannotProgress");
  EXPECT_EQ(Condition(plan->status, "Reconciling").status(), "False");
}

TEST_F(ServicePlanTest, ATaskDefinitionThatResolvesToNothingStallsAndTouchesNoTask) {
  v1::Service s = Web(2);
  auto plan = PlanService(View(s, "", {Task("t1", "ecs-svc/1", "web:1", "a1")}), kT0, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->start, 0);
  EXPECT_TRUE(plan->stop.empty());
  EXPECT_EQ(plan->status.running_count(), 1);
  EXPECT_EQ(Condition(plan->status, "Stalled").reason(), "TaskDefinitionNotFound");
  EXPECT_EQ(Condition(plan->status, "Stalled").message(), "task definition web not found");
}

// ECS's draining: tasks on a DRAINING instance are replaced elsewhere within the bounds, PENDING
// ones stopped at once.
TEST_F(ServicePlanTest, TasksOnADrainingInstanceAreReplacedWithinTheBounds) {
  v1::Service s = Web(3);  // 100 / 200
  auto first = PlanService(View(s, "web:1", {}), kT0, 1);
  ASSERT_TRUE(first.ok());
  *s.mutable_status() = first->status;
  const std::string d = first->deployment;
  const v1::Task* on_a1 = Task("t-a1", d, "web:1", "a1");
  const v1::Task* on_b1 = Task("t-b1", d, "web:1", "b1");
  const v1::Task* on_c1 = Task("t-c1", d, "web:1", "c1");
  const v1::Task* pending_a1 = Task("p-a1", d, "web:1", "a1", "PENDING");
  auto view = View(s, "web:1", {on_a1, on_b1, on_c1, pending_a1});
  view.instances[0].status = placement::InstanceStatus::kDraining;  // a1
  auto plan = PlanService(view, kT1, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->deployment, d);  // no new deployment: the same one, moved
  EXPECT_EQ(plan->start, 1);       // a replacement for t-a1 first (minimum 100)
  EXPECT_EQ(plan->stop, std::vector<std::string>{"p-a1"});  // PENDING there: at once
  EXPECT_EQ(plan->state, RolloutState::kProgressing);

  // The replacement runs: t-a1 goes.
  *s.mutable_status() = plan->status;
  auto replaced = View(s, "web:1", {on_a1, on_b1, on_c1, Task("t-a2", d, "web:1", "a2")});
  replaced.instances[0].status = placement::InstanceStatus::kDraining;
  plan = PlanService(replaced, kT1, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->start, 0);
  EXPECT_EQ(plan->stop, std::vector<std::string>{"t-a1"});

  // With minimum 100 and maximum 100 draining cannot move: stalled, not spun on.
  v1::Service tight = Web(3, 100, 100);
  *tight.mutable_status() = first->status;
  auto stuck_view = View(tight, "web:1", {on_a1, on_b1, on_c1});
  stuck_view.instances[0].status = placement::InstanceStatus::kDraining;
  plan = PlanService(stuck_view, kT1, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->state, RolloutState::kStuck);
  EXPECT_EQ(Condition(plan->status, "Stalled").reason(), "DeploymentCannotProgress");
}

// ECS's availability zone rebalancing: a steady service with zones more than one apart moves a
// task from the fullest zone to the emptiest, within the bounds.
TEST_F(ServicePlanTest, UnevenZonesAreRebalancedWithinTheBounds) {
  v1::Service s = Web(3);  // 100 / 200: room above
  auto first = PlanService(View(s, "web:1", {}), kT0, 1);
  ASSERT_TRUE(first.ok());
  *s.mutable_status() = first->status;
  const std::string d = first->deployment;
  std::vector<const v1::Task*> all_in_a = {Task("a1-1", d, "web:1", "a1"),
                                           Task("a1-2", d, "web:1", "a1"),
                                           Task("a2-1", d, "web:1", "a2")};
  auto view = View(s, "web:1", all_in_a);
  view.zones = {"us-east-1a", "us-east-1b", "us-east-1c"};
  auto plan = PlanService(view, kT1, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->rebalancing);
  EXPECT_EQ(plan->start, 1);
  EXPECT_EQ(plan->zone, "us-east-1b");  // the emptiest, first by name
  EXPECT_TRUE(plan->stop.empty());
  EXPECT_EQ(plan->status.deployments(0).rollout_state(), "COMPLETED");  // the deployment is done
  EXPECT_EQ(Condition(plan->status, "Ready").status(), "False");
  EXPECT_EQ(Condition(plan->status, "Reconciling").reason(), "Rebalancing");

  // The moved one is PENDING: wait for it, stop nothing.
  *s.mutable_status() = plan->status;
  auto pending = all_in_a;
  pending.push_back(Task("b1-p", d, "web:1", "b1", "PENDING"));
  auto waiting = View(s, "web:1", pending);
  waiting.zones = view.zones;
  plan = PlanService(waiting, kT1, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->start, 0);
  EXPECT_TRUE(plan->stop.empty());
  // It runs: the surplus stops from the fullest zone.
  auto ran = all_in_a;
  ran.push_back(Task("b1-r", d, "web:1", "b1"));
  auto surplus = View(s, "web:1", ran);
  surplus.zones = view.zones;
  plan = PlanService(surplus, kT1, 1);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->stop.size(), 1u);
  EXPECT_TRUE(plan->stop[0] == "a1-1" || plan->stop[0] == "a1-2" || plan->stop[0] == "a2-1");

  // No room above (maximum 100) but room below (minimum 50): one stops first.
  v1::Service below = Web(3, 50, 100);
  *below.mutable_status() = first->status;
  auto stop_first = View(below, "web:1", all_in_a);
  stop_first.zones = view.zones;
  plan = PlanService(stop_first, kT1, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->start, 0);
  EXPECT_EQ(plan->stop.size(), 1u);
  // Neither (100 / 100): left as it is. DISABLED, or binpack by default: not rebalanced.
  v1::Service tight = Web(3, 100, 100);
  *tight.mutable_status() = first->status;
  auto stays = View(tight, "web:1", all_in_a);
  stays.zones = view.zones;
  plan = PlanService(stays, kT1, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->rebalancing);
  EXPECT_EQ(plan->state, RolloutState::kComplete);
  v1::Service off = Web(3);
  off.mutable_spec()->set_availability_zone_rebalancing("DISABLED");
  *off.mutable_status() = first->status;
  auto disabled = View(off, "web:1", all_in_a);
  disabled.zones = view.zones;
  plan = PlanService(disabled, kT1, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->rebalancing);
  v1::Service packed = Web(3);
  auto* binpack = packed.mutable_spec()->add_placement_strategy();
  binpack->set_type("binpack");
  binpack->set_field("memory");
  *packed.mutable_status() = first->status;
  auto packed_view = View(packed, "web:1", all_in_a);
  packed_view.zones = view.zones;
  plan = PlanService(packed_view, kT1, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->rebalancing);
}

TEST_F(ServicePlanTest, AnUnknownStrategyNamesItsField) {
  v1::Service s = Web(1);
  auto* strategy = s.mutable_spec()->add_placement_strategy();
  strategy->set_type("spread");
  strategy->set_field("zone");
  auto first = PlanService(View(s, "web:1", {}), kT0, 1);
  ASSERT_TRUE(first.ok());
  *s.mutable_status() = first->status;
  const std::string d = first->deployment;
  auto plan = PlanService(
      View(s, "web:1", {Task("t1", d, "web:1", "a1"), Task("t2", d, "web:1", "b1")}), kT1, 1);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().field(), "spec.placementStrategy[0].field");
}

}  // namespace
}  // namespace gantry::controllers::service
