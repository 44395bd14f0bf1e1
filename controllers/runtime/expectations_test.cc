#include "controllers/runtime/expectations.h"

#include <gtest/gtest.h>

#include "api/clock/fake_clock.h"

namespace gantry::controllers::runtime {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TEST(ExpectationsTest, PendingUntilTheCacheShowsTheWriteOrItLapses) {
  clock::FakeClock clock;
  Expectations expectations(clock, minutes(5));
  EXPECT_FALSE(expectations.Pending("web", 0)) << "nothing written, nothing to wait for";

  expectations.Expect("web", 42);
  auto left = expectations.Pending("web", 41);
  ASSERT_TRUE(left);
  EXPECT_EQ(*left, minutes(5));
  clock.Advance(seconds(30));
  EXPECT_EQ(*expectations.Pending("web", 41), minutes(5) - seconds(30));
  EXPECT_FALSE(expectations.Pending("web", 42)) << "the cache shows the write";
  EXPECT_FALSE(expectations.Pending("web", 41)) << "met once, the expectation is gone";

  expectations.Expect("web", 50);
  EXPECT_FALSE(expectations.Pending("web", 60)) << "a later write shows it too";
  expectations.Expect("web", 70);
  clock.Advance(minutes(5));
  EXPECT_FALSE(expectations.Pending("web", 60)) << "lapsed after the ttl";
  expectations.Expect("db", 80);
  expectations.Forget("db");
  EXPECT_FALSE(expectations.Pending("db", 0));
}

}  // namespace
}  // namespace gantry::controllers::runtime
