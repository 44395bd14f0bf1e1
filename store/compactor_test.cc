#include "store/compactor.h"

#include <gtest/gtest.h>

#include "store/memory/memory_store.h"

namespace gantry::store {
namespace {

using namespace std::chrono_literals;

TEST(RetentionCompactorTest, CompactsWhatFellOutOfTheWindow) {
  MemoryStore store;
  // A long interval keeps the background thread out of the way; the test drives Tick().
  RetentionCompactor compactor(store, 60s, std::chrono::hours(1));
  auto t0 = std::chrono::steady_clock::now() + 1s;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store.Create("/k/" + std::to_string(i), "v").ok());
  compactor.Tick(t0);  // revision 5 seen at t0
  for (int i = 5; i < 8; ++i) ASSERT_TRUE(store.Create("/k/" + std::to_string(i), "v").ok());
  compactor.Tick(t0 + 30s);  // revision 8 at t0+30s
  EXPECT_EQ(store.CompactedRevision(), 0);
  compactor.Tick(t0 + 61s);  // t0's sample left the window: history up to 5 goes
  EXPECT_EQ(store.CompactedRevision(), 5);
  EXPECT_EQ(store.Watch("/k/", 4).code(), Code::kOutOfRange);
  EXPECT_TRUE(store.Watch("/k/", 5).ok());
  compactor.Tick(t0 + 200s);
  EXPECT_EQ(store.CompactedRevision(), 8);
  EXPECT_EQ(store.List("/k/")->items.size(), 8u);  // data is untouched
}

}  // namespace
}  // namespace gantry::store
