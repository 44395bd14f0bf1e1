#include "api/service/stream_limiter.h"

#include <gtest/gtest.h>

#include <vector>

namespace gantry::api {
namespace {

TEST(StreamLimiterTest, OneUserCannotTakeEverySlot) {
  StreamLimiter limiter(5, 2);
  std::vector<StreamLimiter::Slot> held;
  for (int i = 0; i < 2; ++i) held.push_back(std::move(*limiter.Acquire("viewer")));
  auto third = limiter.Acquire("viewer");
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), Code::kResourceExhausted);
  EXPECT_NE(third.status().message().find("\"viewer\""), std::string::npos);
  // Another user still gets in.
  EXPECT_TRUE(limiter.Acquire("admin").ok());
  EXPECT_EQ(limiter.open_for("viewer"), 2u);
  held.pop_back();
  EXPECT_EQ(limiter.open_for("viewer"), 1u);
  EXPECT_TRUE(limiter.Acquire("viewer").ok());
}

TEST(StreamLimiterTest, TotalCapAndAnonymousCallers) {
  StreamLimiter limiter(3, 1);
  std::vector<StreamLimiter::Slot> held;
  // Without authentication everyone is "", which only the total applies to.
  for (int i = 0; i < 3; ++i) held.push_back(std::move(*limiter.Acquire("")));
  EXPECT_EQ(limiter.open(), 3u);
  auto over = limiter.Acquire("someone");
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("in all"), std::string::npos);
  held.clear();
  EXPECT_EQ(limiter.open(), 0u);
}

TEST(StreamLimiterTest, MovedSlotsReleaseOnce) {
  StreamLimiter limiter(2, 2);
  {
    auto a = std::move(*limiter.Acquire("u"));
    StreamLimiter::Slot b = std::move(a);
    EXPECT_FALSE(a.held());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_TRUE(b.held());
    StreamLimiter::Slot c;
    c = std::move(b);
    EXPECT_EQ(limiter.open(), 1u);
  }
  EXPECT_EQ(limiter.open(), 0u);
}

}  // namespace
}  // namespace gantry::api
