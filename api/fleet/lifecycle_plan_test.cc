#include "api/fleet/lifecycle_plan.h"

#include <gtest/gtest.h>

namespace gantry::fleet {
namespace {

using std::chrono::seconds;

TEST(LifecyclePlanTest, Table) {
  const auto t0 = std::chrono::system_clock::time_point(seconds(1'000'000));
  const LifecycleOptions opts{seconds(15), seconds(60)};
  struct Case {
    const char* what;
    bool connected;
    bool tasks;
    seconds silent;
    bool disconnect;
    bool lose;
  };
  const Case cases[] = {
      {"fresh heartbeat", true, true, seconds(1), false, false},
      {"exactly at the timeout", true, true, seconds(15), false, false},
      {"silent past the timeout", true, true, seconds(16), true, false},
      {"already disconnected", false, true, seconds(30), false, false},
      {"silent past lost_after with tasks", false, true, seconds(61), false, true},
      {"connected yet silent past lost_after", true, true, seconds(61), true, true},
      {"lost but nothing to stop", false, false, seconds(600), false, false},
  };
  for (const auto& c : cases) {
    auto actions = PlanLifecycle({{"i", c.connected, c.tasks, t0 - c.silent}}, t0, opts);
    EXPECT_EQ(!actions.disconnect.empty(), c.disconnect) << c.what;
    EXPECT_EQ(!actions.lose.empty(), c.lose) << c.what;
  }
}

}  // namespace
}  // namespace gantry::fleet
