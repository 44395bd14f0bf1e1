#include "controllers/service/staged_rollout.h"

#include <gtest/gtest.h>

namespace gantry::controllers::service {
namespace {

constexpr const char* kT0 = "2026-12-07T00:00:00Z";
constexpr const char* kT4 = "2026-12-07T00:04:00Z";
constexpr const char* kT5 = "2026-12-07T00:05:00Z";

v1::DeploymentConfiguration Canary(double percent, int bake) {
  v1::DeploymentConfiguration c;
  c.set_strategy("CANARY");
  c.mutable_canary_configuration()->set_canary_percent(percent);
  c.mutable_canary_configuration()->set_canary_bake_time_in_minutes(bake);
  return c;
}

StageInput In(const v1::DeploymentConfiguration& c, int desired, int step,
              const std::string& moved_at, int target_running, int old_tasks,
              const std::string& now) {
  return {&c, desired, step, moved_at, target_running, old_tasks, now};
}

TEST(StagedRolloutTest, RollingWithoutBakeIsOneStepOfEverything) {
  v1::DeploymentConfiguration rolling;
  EXPECT_FALSE(Staged(rolling));
  rolling.set_bake_time_in_minutes(3);
  EXPECT_TRUE(Staged(rolling));
  Stage s = StageOf(In(rolling, 4, 0, "", 2, 2, kT0));
  EXPECT_EQ(s.cap, 4);
  EXPECT_FALSE(s.bake_left);
}

TEST(StagedRolloutTest, ACanaryMovesItsShareBakesThenTheRest) {
  const auto c = Canary(10, 5);
  // 10 % of 20 is 2: moving until 2 run and the old are down to 18.
  Stage s = StageOf(In(c, 20, 0, "", 1, 20, kT0));
  EXPECT_EQ(s.cap, 2);
  EXPECT_EQ(s.step, 0);
  EXPECT_TRUE(s.step_moved_at.empty());
  EXPECT_FALSE(s.bake_left);
  // Moved: the bake starts now and has five minutes left.
  s = StageOf(In(c, 20, 0, "", 2, 18, kT0));
  EXPECT_EQ(s.cap, 2);
  EXPECT_EQ(s.step_moved_at, kT0);
  ASSERT_TRUE(s.bake_left);
  EXPECT_EQ(*s.bake_left, std::chrono::minutes(5));
  EXPECT_FALSE(s.hold_old);
  s = StageOf(In(c, 20, 0, kT0, 2, 18, kT4));
  EXPECT_EQ(*s.bake_left, std::chrono::minutes(1));
  // Baked: the rest moves.
  s = StageOf(In(c, 20, 0, kT0, 2, 18, kT5));
  EXPECT_EQ(s.step, 1);
  EXPECT_EQ(s.cap, 20);
  EXPECT_FALSE(s.bake_left);
  // A tiny share is still one task.
  EXPECT_EQ(StageOf(In(Canary(0.1, 5), 20, 0, "", 0, 20, kT0)).cap, 1);
}

TEST(StagedRolloutTest, LinearMovesAStepAtATimeAndTheLastBakeHoldsTheOld) {
  v1::DeploymentConfiguration c;
  c.set_strategy("LINEAR");
  c.mutable_linear_configuration()->set_step_percent(25);
  c.mutable_linear_configuration()->set_step_bake_time_in_minutes(2);
  c.set_bake_time_in_minutes(10);
  EXPECT_EQ(StageOf(In(c, 8, 0, "", 0, 8, kT0)).cap, 2);
  EXPECT_EQ(StageOf(In(c, 8, 1, "", 2, 6, kT0)).cap, 4);
  EXPECT_EQ(StageOf(In(c, 8, 2, "", 4, 4, kT0)).cap, 6);
  // The last step moved (8 running): the bake keeps the old ones for ten minutes.
  Stage s = StageOf(In(c, 8, 3, "", 8, 2, kT0));
  EXPECT_EQ(s.cap, 8);
  EXPECT_TRUE(s.hold_old);
  EXPECT_EQ(*s.bake_left, std::chrono::minutes(10));
  s = StageOf(In(c, 8, 3, kT0, 8, 2, "2026-12-07T00:10:00Z"));
  EXPECT_FALSE(s.hold_old);
  EXPECT_FALSE(s.bake_left);
  // A task of the step dies: the step is moving again, its bake starts over when it is moved.
  s = StageOf(In(c, 8, 1, kT0, 3, 4, kT4));
  EXPECT_TRUE(s.step_moved_at.empty());
  EXPECT_EQ(s.cap, 4);
}

}  // namespace
}  // namespace gantry::controllers::service
