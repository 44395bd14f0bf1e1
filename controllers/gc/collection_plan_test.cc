#include "controllers/gc/collection_plan.h"

#include <gtest/gtest.h>

#include "api/clock/format_time.h"

namespace gantry::controllers::gc {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const clock::Clock::TimePoint kNow{std::chrono::seconds(1'800'000'000)};

v1::Task TaskWith(const std::string& last_status, const std::string& stopped_at) {
  v1::Task t;
  t.mutable_status()->set_last_status(last_status);
  t.mutable_status()->set_stopped_at(stopped_at);
  return t;
}

TEST(CollectableSinceTest, AStoppedTaskFromWhenItStopped) {
  const std::string at = clock::FormatTime(kNow - minutes(5));
  EXPECT_EQ(CollectableSince(TaskWith("STOPPED", at)), kNow - minutes(5));
  EXPECT_EQ(CollectableSince(TaskWith("STOPPED", "2026-12-06T10:00:00.250Z")),
            clock::Clock::TimePoint(
                std::chrono::milliseconds(clock::ParseTimeMs("2026-12-06T10:00:00.250Z"))));
  // Not stopped, or no readable time: never collected by time.
  EXPECT_EQ(CollectableSince(TaskWith("RUNNING", at)), std::nullopt);
  EXPECT_EQ(CollectableSince(TaskWith("STOPPED", "")), std::nullopt);
  EXPECT_EQ(CollectableSince(TaskWith("STOPPED", "yesterday")), std::nullopt);
}

TEST(CollectableSinceTest, AnEventFromItsLastTimestampElseItsCreation) {
  v1::Event e;
  e.mutable_metadata()->set_creation_timestamp(clock::FormatTime(kNow - hours(3)));
  EXPECT_EQ(CollectableSince(e), kNow - hours(3));
  e.mutable_spec()->set_last_timestamp(clock::FormatTime(kNow - minutes(1)));
  EXPECT_EQ(CollectableSince(e), kNow - minutes(1));  // it happened again since
  EXPECT_EQ(CollectableSince(v1::Event{}), std::nullopt);
}

TEST(PlanCollectionTest, DueCollectsEarlyWaitsUnknownKeeps) {
  const auto retention = hours(1);
  const auto due = PlanCollection(kNow - hours(1), retention, kNow);
  EXPECT_TRUE(due.collect);

  const auto early = PlanCollection(kNow - minutes(45), retention, kNow);
  EXPECT_FALSE(early.collect);
  EXPECT_EQ(early.wait, minutes(15));

  const auto unknown = PlanCollection(std::nullopt, retention, kNow);
  EXPECT_FALSE(unknown.collect);
  EXPECT_EQ(unknown.wait, clock::Clock::Duration::zero());
}

}  // namespace
}  // namespace gantry::controllers::gc
