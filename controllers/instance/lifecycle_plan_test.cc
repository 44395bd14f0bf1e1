#include "controllers/instance/lifecycle_plan.h"

#include <gtest/gtest.h>

namespace gantry::controllers::instance {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const LifecycleOptions kOptions{seconds(15), seconds(60)};
const TimePoint kNow = TimePoint(seconds(1'000'000));

TEST(LifecyclePlanTest, Table) {
  struct Case {
    const char* what;
    bool connected;
    bool tasks;
    milliseconds silent;
    bool disconnect;
    bool lose;
    std::optional<milliseconds> recheck_after;
  };
  const Case cases[] = {
      {"fresh heartbeat", true, true, seconds(1), false, false, seconds(14) + milliseconds(1)},
      {"fresh heartbeat, no tasks", true, false, seconds(1), false, false,
       seconds(14) + milliseconds(1)},
      {"exactly at the timeout", true, true, seconds(15), false, false, milliseconds(1)},
      {"silent past the timeout", true, true, seconds(16), true, false,
       seconds(44) + milliseconds(1)},
      {"silent past the timeout, no tasks", true, false, seconds(16), true, false, std::nullopt},
      {"already disconnected", false, true, seconds(30), false, false,
       seconds(30) + milliseconds(1)},
      {"silent past lost_after with tasks", false, true, seconds(61), false, true, std::nullopt},
      {"connected yet silent past lost_after", true, true, seconds(61), true, true, std::nullopt},
      {"lost but nothing to stop", false, false, seconds(600), false, false, std::nullopt},
      // A heartbeat stamped after now (another thread's clock read) waits out the full timeout.
      {"heard a moment in the future", true, false, milliseconds(-5), false, false,
       seconds(15) + milliseconds(6)},
  };
  for (const auto& c : cases) {
    auto plan = PlanLifecycle({c.connected, c.tasks, kNow - c.silent}, kNow, kOptions);
    EXPECT_EQ(plan.disconnect, c.disconnect) << c.what;
    EXPECT_EQ(plan.lose, c.lose) << c.what;
    ASSERT_EQ(plan.recheck_after.has_value(), c.recheck_after.has_value()) << c.what;
    if (c.recheck_after) {
      EXPECT_EQ(*plan.recheck_after, *c.recheck_after) << c.what;
    }
  }
}

// Following its own rechecks, an instance nobody hears from is disconnected and lost exactly once
// each, just past each limit.
TEST(LifecyclePlanTest, FollowingTheRechecksReachesEachDeadlineJustPastIt) {
  InstanceLiveness liveness{true, true, kNow};
  TimePoint now = kNow;
  std::vector<Duration> disconnected_at, lost_at;
  for (int pass = 0; pass < 10; ++pass) {
    auto plan = PlanLifecycle(liveness, now, kOptions);
    if (plan.disconnect) disconnected_at.push_back(now - kNow);
    if (plan.lose) lost_at.push_back(now - kNow);
    liveness.connected &= !plan.disconnect;
    liveness.has_unfinished_tasks &= !plan.lose;
    if (!plan.recheck_after) break;
    now += *plan.recheck_after;
  }
  EXPECT_EQ(disconnected_at, std::vector<Duration>{seconds(15) + milliseconds(1)});
  EXPECT_EQ(lost_at, std::vector<Duration>{seconds(60) + milliseconds(1)});
}

}  // namespace
}  // namespace gantry::controllers::instance
