#include "controllers/environment/daemon_plan.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace gantry::controllers::environment {
namespace {

using Names = std::vector<std::string>;

class DaemonPlanTest : public ::testing::Test {
 protected:
  const v1::Task* Task(const std::string& name, const std::string& instance,
                       const std::string& revision, const std::string& last = "RUNNING",
                       bool told_to_stop = false) {
    auto t = std::make_unique<v1::Task>();
    t->mutable_metadata()->set_name(name);
    t->mutable_metadata()->set_creation_timestamp("2026-12-07T00:00:0" +
                                                  std::to_string(tasks_.size() % 10) + "Z");
    t->mutable_spec()->set_group("environment:logs");
    t->mutable_spec()->set_container_instance(instance);
    t->mutable_spec()->set_task_definition(revision);
    t->mutable_spec()->set_desired_status(told_to_stop ? "STOPPED" : "RUNNING");
    t->mutable_status()->set_last_status(last);
    tasks_.push_back(std::move(t));
    return tasks_.back().get();
  }
  DaemonView View(Names eligible, std::vector<const v1::Task*> tasks, int drain = 25,
                  int surge = 0) {
    return {"logs:2", std::move(eligible), std::move(tasks), drain, surge, {}};
  }
  std::vector<std::unique_ptr<v1::Task>> tasks_;
};

// Blox's cases (ecs-blox-spec §5): an empty cluster, up to date, a stopped task, an outdated
// task, and a mix.
TEST_F(DaemonPlanTest, AnEmptyClusterStartsOnEveryInstance) {
  DaemonPlan p = PlanDaemon(View({"i-1", "i-2", "i-3"}, {}));
  EXPECT_EQ(p.start, (Names{"i-1", "i-2", "i-3"}));
  EXPECT_TRUE(p.stop.empty());
  EXPECT_EQ(p.covered, 0);
  EXPECT_FALSE(p.complete);
}

TEST_F(DaemonPlanTest, UpToDateDoesNothing) {
  DaemonPlan p =
      PlanDaemon(View({"i-1", "i-2"}, {Task("a", "i-1", "logs:2"), Task("b", "i-2", "logs:2")}));
  EXPECT_TRUE(p.start.empty());
  EXPECT_TRUE(p.stop.empty());
  EXPECT_EQ(p.covered, 2);
  EXPECT_TRUE(p.complete);
}

TEST_F(DaemonPlanTest, AStoppedTaskIsRestartedOnlyThere) {
  // i-2's task stopped (it is no longer among the tasks that hold resources).
  DaemonPlan p = PlanDaemon(
      View({"i-1", "i-2", "i-3"}, {Task("a", "i-1", "logs:2"), Task("c", "i-3", "logs:2")}));
  EXPECT_EQ(p.start, (Names{"i-2"}));
  EXPECT_TRUE(p.stop.empty());
}

TEST_F(DaemonPlanTest, OutdatedTasksAreReplacedAtMostDrainPercentAtATime) {
  // Eight instances on logs:1, drainPercent 25: two at a time, stopped first (no surge).
  std::vector<const v1::Task*> old;
  Names eligible;
  for (int i = 1; i <= 8; ++i) {
    eligible.push_back("i-" + std::to_string(i));
    old.push_back(Task("old-" + std::to_string(i), eligible.back(), "logs:1"));
  }
  DaemonPlan p = PlanDaemon(View(eligible, old));
  EXPECT_TRUE(p.start.empty());
  EXPECT_EQ(p.stop, (Names{"old-1", "old-2"}));
  EXPECT_EQ(DrainBudget(8, 25), 2);
  // While those two are stopping, nothing more; once stopped, their new tasks start there.
  std::vector<const v1::Task*> stopping = old;
  stopping[0] = Task("old-1s", "i-1", "logs:1", "RUNNING", true);
  stopping[1] = Task("old-2s", "i-2", "logs:1", "RUNNING", true);
  p = PlanDaemon(View(eligible, stopping));
  EXPECT_TRUE(p.start.empty());
  EXPECT_TRUE(p.stop.empty());
  std::vector<const v1::Task*> stopped(old.begin() + 2, old.end());
  p = PlanDaemon(View(eligible, stopped));
  EXPECT_EQ(p.start, (Names{"i-1", "i-2"}));
  EXPECT_TRUE(p.stop.empty());  // the two without a task use the budget
  // They run: the next two go.
  stopped.push_back(Task("new-1", "i-1", "logs:2"));
  stopped.push_back(Task("new-2", "i-2", "logs:2"));
  p = PlanDaemon(View(eligible, stopped));
  EXPECT_EQ(p.stop, (Names{"old-3", "old-4"}));
  EXPECT_EQ(p.covered, 2);
}

TEST_F(DaemonPlanTest, WithSurgeTheNewTaskStartsBesideTheOldOne) {
  std::vector<const v1::Task*> old = {
      Task("old-1", "i-1", "logs:1"), Task("old-2", "i-2", "logs:1"),
      Task("old-3", "i-3", "logs:1"), Task("old-4", "i-4", "logs:1")};
  // maxSurgePercent 50 of 4 and drainPercent 0: two beside their old ones, which keep serving.
  DaemonPlan p = PlanDaemon(View({"i-1", "i-2", "i-3", "i-4"}, old, 0, 50));
  EXPECT_EQ(p.start, (Names{"i-1", "i-2"}));
  EXPECT_TRUE(p.stop.empty());
  // The new ones PENDING: no more surges; the new RUNNING: their old ones stop.
  auto pending = old;
  pending.push_back(Task("new-1", "i-1", "logs:2", "PENDING"));
  pending.push_back(Task("new-2", "i-2", "logs:2", "PENDING"));
  p = PlanDaemon(View({"i-1", "i-2", "i-3", "i-4"}, pending, 0, 50));
  EXPECT_TRUE(p.start.empty());
  EXPECT_TRUE(p.stop.empty());
  auto running = old;
  running.push_back(Task("new-1r", "i-1", "logs:2"));
  running.push_back(Task("new-2r", "i-2", "logs:2"));
  p = PlanDaemon(View({"i-1", "i-2", "i-3", "i-4"}, running, 0, 50));
  EXPECT_EQ(p.stop, (Names{"old-1", "old-2"}));
  EXPECT_EQ(p.start, (Names{"i-3", "i-4"}));
  // Both at once (drainPercent 25 as well): one more is drained while two surge.
  p = PlanDaemon(View({"i-1", "i-2", "i-3", "i-4"}, old, 25, 50));
  EXPECT_EQ(p.start, (Names{"i-1", "i-2"}));
  EXPECT_EQ(p.stop, (Names{"old-3"}));
}

// containers-roadmap #2170's start-before-stop, where resources allow: an instance whose new
// task found no room beside the old one is drained instead, within drainPercent.
TEST_F(DaemonPlanTest, WhereASurgeFoundNoRoomTheInstanceIsDrainedInstead) {
  std::vector<const v1::Task*> old = {Task("old-1", "i-1", "logs:1"),
                                      Task("old-2", "i-2", "logs:1"),
                                      Task("old-3", "i-3", "logs:1")};
  DaemonView view = View({"i-1", "i-2", "i-3"}, old, 34, 100);
  view.no_room = {"i-1"};
  DaemonPlan p = PlanDaemon(view);
  EXPECT_EQ(p.start, (Names{"i-2", "i-3"}));  // beside their old ones
  EXPECT_EQ(p.stop, (Names{"old-1"}));        // stopped first: its start comes next pass
  // With drainPercent 0 only surges may replace: beside it is tried again.
  view.drain_percent = 0;
  p = PlanDaemon(view);
  EXPECT_EQ(p.start, (Names{"i-1", "i-2", "i-3"}));
  EXPECT_TRUE(p.stop.empty());
  EXPECT_FALSE(p.complete);
}

TEST_F(DaemonPlanTest, AMixLeavingInstancesDuplicatesAndANewInstance) {
  DaemonPlan p = PlanDaemon(
      View({"i-1", "i-2", "i-3", "i-new"},
           {Task("a", "i-1", "logs:2"), Task("a-dup", "i-1", "logs:2", "PENDING"),  // duplicate
            Task("b", "i-2", "logs:1"),                                             // outdated
            Task("c", "i-3", "logs:1", "PENDING"),   // outdated and serving nobody yet
            Task("gone", "i-drained", "logs:2")}));  // its instance left the group
  EXPECT_EQ(p.start, (Names{"i-new"}));              // not held up by the roll
  // b waits: i-new and i-3 are without a serving task, more than drainPercent 25 of four.
  EXPECT_EQ(p.stop, (Names{"a-dup", "c", "gone"}));
  EXPECT_EQ(p.covered, 1);
  EXPECT_EQ(p.eligible, 4);
}

TEST_F(DaemonPlanTest, ATaskBeingStoppedHoldsItsInstanceUntilItHasStopped) {
  // i-1's task leaves (told to stop): no second task starts there while it still holds room.
  DaemonPlan p =
      PlanDaemon(View({"i-1"}, {Task("a", "i-1", "logs:2", "RUNNING", /*told_to_stop=*/true)}));
  EXPECT_TRUE(p.start.empty());
  EXPECT_TRUE(p.stop.empty());
  EXPECT_FALSE(p.complete);
}

}  // namespace
}  // namespace gantry::controllers::environment
