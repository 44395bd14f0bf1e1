#include "controllers/service/rollout_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace gantry::controllers::service {
namespace {

using S = RolloutState;

TEST(RolloutBoundsTest, CeilingRoundsDownAndFloorRoundsUpAsECSDocuments) {
  EXPECT_EQ((RolloutBounds{4, 50, 200}).Floor(), 2);     // may stop 2 before starting 2
  EXPECT_EQ((RolloutBounds{2, 75, 200}).Floor(), 2);     // cannot stop any
  EXPECT_EQ((RolloutBounds{4, 100, 200}).Ceiling(), 8);  // may start 4 new first
  EXPECT_EQ((RolloutBounds{3, 100, 125}).Ceiling(), 3);  // cannot start any extra
  EXPECT_EQ((RolloutBounds{0, 100, 200}).Ceiling(), 0);
  EXPECT_EQ((RolloutBounds{1'000'000, 100, 200}).Ceiling(), 2'000'000);
}

struct Case {
  std::string name;
  RolloutBounds bounds;
  RolloutCounts counts;
  RolloutStep want;
};

TEST(PlanRolloutTest, Table) {
  // counts: {target running, target pending, old running, old pending, stopping}
  // want:   {start, stop old pending, stop old running, stop target, state}
  const std::vector<Case> cases = {
      {"new service: start all", {3, 100, 200}, {0, 0, 0, 0}, {3, 0, 0, 0, S::kProgressing}},
      {"steady", {3, 100, 200}, {3, 0, 0, 0}, {0, 0, 0, 0, S::kComplete}},
      {"steady at zero", {0, 100, 200}, {0, 0, 0, 0}, {0, 0, 0, 0, S::kComplete}},
      {"waiting for pending", {3, 100, 200}, {1, 2, 0, 0}, {0, 0, 0, 0, S::kWaiting}},
      {"waiting for stopping", {3, 100, 200}, {3, 0, 0, 0, 1}, {0, 0, 0, 0, S::kWaiting}},
      {"scale out", {6, 100, 200}, {4, 0, 0, 0}, {2, 0, 0, 0, S::kProgressing}},
      {"scale in", {2, 100, 200}, {3, 1, 0, 0}, {0, 0, 0, 2, S::kProgressing}},
      {"a task died: replaced", {3, 100, 200}, {2, 0, 0, 0}, {1, 0, 0, 0, S::kProgressing}},
      // A new revision, max 200: every new task starts first; none stops below 100 %.
      {"roll 100/200: start all new", {4, 100, 200}, {0, 0, 4, 0}, {4, 0, 0, 0, S::kProgressing}},
      {"roll 100/200: new pending", {4, 100, 200}, {0, 4, 4, 0}, {0, 0, 0, 0, S::kWaiting}},
      {"roll 100/200: half the new running",
       {4, 100, 200},
       {2, 2, 4, 0},
       {0, 0, 2, 0, S::kProgressing}},
      {"roll 100/200: new running, old go",
       {4, 100, 200},
       {4, 0, 4, 0},
       {0, 0, 4, 0, S::kProgressing}},
      // min 50, max 100: half stop first; their replacements start once they have stopped.
      {"roll 50/100: stop two", {4, 50, 100}, {0, 0, 4, 0}, {0, 0, 2, 0, S::kProgressing}},
      {"roll 50/100: stopped ones count until stopped",
       {4, 50, 100},
       {0, 0, 2, 0, 2},
       {0, 0, 0, 0, S::kWaiting}},
      {"roll 50/100: then start two", {4, 50, 100}, {0, 0, 2, 0}, {2, 0, 0, 0, S::kProgressing}},
      {"roll 50/100: new running, the rest stop",
       {4, 50, 100},
       {2, 0, 2, 0},
       {0, 0, 2, 0, S::kProgressing}},
      {"roll 50/100: the last new start",
       {4, 50, 100},
       {2, 0, 0, 0},
       {2, 0, 0, 0, S::kProgressing}},
      {"roll done", {4, 50, 100}, {4, 0, 0, 0}, {0, 0, 0, 0, S::kComplete}},
      // min 100, max 100 with old tasks: nothing may start or stop.
      {"stuck 100/100", {4, 100, 100}, {0, 0, 4, 0}, {0, 0, 0, 0, S::kStuck}},
      {"max 125 of 3 and min 100: stuck", {3, 100, 125}, {0, 0, 3, 0}, {0, 0, 0, 0, S::kStuck}},
      {"min 75 of 2, max 200: start both",
       {2, 75, 200},
       {0, 0, 2, 0},
       {2, 0, 0, 0, S::kProgressing}},
      // Old PENDING tasks serve nobody: they go at once; new ones start once they have stopped.
      {"old pending go", {4, 100, 100}, {0, 0, 2, 2}, {0, 2, 0, 0, S::kProgressing}},
      {"new start in the room of stopped ones",
       {4, 100, 100},
       {0, 0, 2, 0},
       {2, 0, 0, 0, S::kProgressing}},
      // Scaled to zero mid-roll: everything goes.
      {"desired zero", {0, 100, 200}, {1, 1, 2, 1}, {0, 1, 2, 2, S::kProgressing}},
      // Scaled in mid-roll: old RUNNING stop down to the new floor.
      {"scale in mid-roll", {2, 100, 200}, {2, 0, 4, 0}, {0, 0, 4, 0, S::kProgressing}},
      {"scale in mid-roll, new pending",
       {2, 100, 200},
       {0, 2, 4, 0},
       {0, 0, 2, 0, S::kProgressing}},
  };
  for (const Case& c : cases) {
    const RolloutStep got = PlanRollout(c.bounds, c.counts);
    EXPECT_EQ(got.start, c.want.start) << c.name;
    EXPECT_EQ(got.stop_old_pending, c.want.stop_old_pending) << c.name;
    EXPECT_EQ(got.stop_old_running, c.want.stop_old_running) << c.name;
    EXPECT_EQ(got.stop_target, c.want.stop_target) << c.name;
    EXPECT_EQ(static_cast<int>(got.state), static_cast<int>(c.want.state)) << c.name;
  }
}

// Every pass of a simulated roll keeps ECS's bounds and the roll ends complete for any min/max
// that allow progress. Between passes, what was PENDING runs and what was told to stop stops.
TEST(PlanRolloutTest, SimulatedRollsKeepTheBoundsAndFinish) {
  for (int desired : {1, 2, 3, 4, 7, 10}) {
    for (int min : {0, 25, 50, 75, 100}) {
      for (int max : {100, 125, 150, 200}) {
        const RolloutBounds bounds{desired, min, max};
        const int ceiling = std::max(bounds.Ceiling(), desired);
        RolloutCounts c{0, 0, desired, 0, 0};  // the old revision, all RUNNING
        const std::string what =
            std::to_string(desired) + " " + std::to_string(min) + "/" + std::to_string(max);
        bool done = false;
        for (int pass = 0; pass < 6 * desired + 10 && !done; ++pass) {
          const RolloutStep step = PlanRollout(bounds, c);
          if (step.state == RolloutState::kComplete) {
            done = true;
            break;
          }
          if (step.state == RolloutState::kStuck) {
            // Only when neither bound leaves room for one task.
            EXPECT_LE(bounds.Ceiling(), c.Total() + c.stopping) << what;
            EXPECT_GE(bounds.Floor(), c.target_running + c.old_running) << what;
            break;
          }
          // The pass's stops: PENDING first for the target's own.
          c.old_running -= step.stop_old_running;
          c.old_pending -= step.stop_old_pending;
          const int target_pending_stopped = std::min(step.stop_target, c.target_pending);
          c.target_pending -= target_pending_stopped;
          c.target_running -= step.stop_target - target_pending_stopped;
          EXPECT_GE(c.target_running + c.old_running, std::min(bounds.Floor(), desired)) << what;
          const int stopping = step.stop_old_running + step.stop_old_pending + step.stop_target;
          c.target_pending += step.start;
          EXPECT_LE(c.Total() + c.stopping + stopping, ceiling) << what;
          // Until the next pass: the earlier stops are done, these are under way, PENDING runs.
          c.stopping = stopping;
          c.target_running += c.target_pending;
          c.target_pending = 0;
        }
        const bool can_progress = bounds.Ceiling() > desired || bounds.Floor() < desired;
        EXPECT_EQ(done, can_progress) << what;
      }
    }
  }
}

}  // namespace
}  // namespace gantry::controllers::service
