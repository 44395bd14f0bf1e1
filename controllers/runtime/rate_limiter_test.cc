#include "controllers/runtime/rate_limiter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "api/clock/fake_clock.h"

namespace gantry::controllers::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ExponentialBackoffRateLimiterTest, DoublesFromBaseAndCapsAtMax) {
  ExponentialBackoffRateLimiter limiter(milliseconds(5), seconds(1000));
  // 5 ms · 2^17 = 655.36 s is the last step under the cap; 2^18 would be 1310.72 s.
  for (int failure = 0; failure <= 17; ++failure) {
    EXPECT_EQ(limiter.When("a"), milliseconds(5) * (1 << failure)) << "failure " << failure;
  }
  EXPECT_EQ(limiter.When("a"), seconds(1000));
  // Far past the point where 5 ms · 2^n would overflow.
  for (int failure = 19; failure < 200; ++failure) EXPECT_EQ(limiter.When("a"), seconds(1000));
  EXPECT_EQ(limiter.NumRequeues("a"), 200);
}

TEST(ExponentialBackoffRateLimiterTest, KeysBackOffIndependentlyAndForgetResets) {
  ExponentialBackoffRateLimiter limiter(milliseconds(5), seconds(1000));
  EXPECT_EQ(limiter.When("a"), milliseconds(5));
  EXPECT_EQ(limiter.When("a"), milliseconds(10));
  EXPECT_EQ(limiter.When("a"), milliseconds(20));
  EXPECT_EQ(limiter.When("b"), milliseconds(5));
  EXPECT_EQ(limiter.NumRequeues("a"), 3);
  EXPECT_EQ(limiter.NumRequeues("b"), 1);
  limiter.Forget("a");
  EXPECT_EQ(limiter.NumRequeues("a"), 0);
  EXPECT_EQ(limiter.When("a"), milliseconds(5));
  EXPECT_EQ(limiter.When("b"), milliseconds(10));
  EXPECT_EQ(limiter.NumRequeues("never-failed"), 0);
}

TEST(TokenBucketRateLimiterTest, BurstThenPacedAtQps) {
  clock::FakeClock clock;
  TokenBucketRateLimiter limiter(clock, 10, 100);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(limiter.When("k" + std::to_string(i)), milliseconds(0)) << "within the burst, " << i;
  }
  // Each reservation beyond the burst waits one more interval (100 ms at 10 qps).
  EXPECT_EQ(limiter.When("x"), milliseconds(100));
  EXPECT_EQ(limiter.When("y"), milliseconds(200));
  EXPECT_EQ(limiter.When("z"), milliseconds(300));
  // 300 ms later those three tokens are paid back; the next one waits its own interval.
  clock.Advance(milliseconds(300));
  EXPECT_EQ(limiter.When("w"), milliseconds(100));
  EXPECT_EQ(limiter.NumRequeues("x"), 0);
}

TEST(TokenBucketRateLimiterTest, RefillsAtQpsUpToTheBurstAndNoFurther) {
  clock::FakeClock clock;
  TokenBucketRateLimiter limiter(clock, 10, 100);
  for (int i = 0; i < 100; ++i) limiter.When("k");
  clock.Advance(seconds(1));  // ten tokens back
  for (int i = 0; i < 10; ++i) EXPECT_EQ(limiter.When("k"), milliseconds(0)) << i;
  EXPECT_EQ(limiter.When("k"), milliseconds(100));
  // An idle hour refills the bucket to its burst, not to 36,000 tokens.
  clock.Advance(std::chrono::hours(1));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.When("k"), milliseconds(0)) << i;
  EXPECT_EQ(limiter.When("k"), milliseconds(100));
}

TEST(MaxOfRateLimiterTest, DefaultControllerLimiterTakesTheLongerOfBackoffAndBucket) {
  clock::FakeClock clock;
  std::unique_ptr<RateLimiter> limiter = DefaultControllerRateLimiter(clock);
  // Backoff dominates while the bucket has tokens.
  EXPECT_EQ(limiter->When("a"), milliseconds(5));
  EXPECT_EQ(limiter->When("a"), milliseconds(10));
  EXPECT_EQ(limiter->When("a"), milliseconds(20));
  EXPECT_EQ(limiter->NumRequeues("a"), 3);
  limiter->Forget("a");
  EXPECT_EQ(limiter->NumRequeues("a"), 0);
  EXPECT_EQ(limiter->When("a"), milliseconds(5));
  // Four tokens are spent; 96 more empty the bucket, after which it dominates first failures.
  for (int i = 0; i < 96; ++i) EXPECT_EQ(limiter->When("k" + std::to_string(i)), milliseconds(5));
  EXPECT_EQ(limiter->When("fresh"), milliseconds(100));
  EXPECT_EQ(limiter->When("fresher"), milliseconds(200));
}

TEST(MaxOfRateLimiterTest, AsksEveryLimiter) {
  clock::FakeClock clock;
  std::vector<std::unique_ptr<RateLimiter>> limiters;
  limiters.push_back(std::make_unique<ExponentialBackoffRateLimiter>(milliseconds(1), seconds(1)));
  limiters.push_back(std::make_unique<ExponentialBackoffRateLimiter>(milliseconds(3), seconds(1)));
  MaxOfRateLimiter limiter(std::move(limiters));
  EXPECT_EQ(limiter.When("a"), milliseconds(3));
  EXPECT_EQ(limiter.When("a"), milliseconds(6));
  EXPECT_EQ(limiter.NumRequeues("a"), 2);
  limiter.Forget("a");
  EXPECT_EQ(limiter.When("a"), milliseconds(3));
}

}  // namespace
}  // namespace gantry::controllers::runtime
