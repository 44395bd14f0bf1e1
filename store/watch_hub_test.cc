#include "store/watch_hub.h"

#include <gtest/gtest.h>

namespace gantry::store {
namespace {

WatchEvent Put(const std::string& key, int64_t revision) {
  return WatchEvent{WatchEvent::Type::kPut, KeyValue{key, "v", revision, revision}, true};
}

TEST(WatchHubTest, DropsEventsAtOrBelowTheStartRevision) {
  // A backend may count revision 5 as current before it publishes 4 and 5: a watch from 5 must
  // still see only what comes after.
  WatchHub hub;
  hub.SetPublished(3);
  int64_t published = 0;
  WatchPtr w = hub.Subscribe("/k/", 5, &published);
  EXPECT_EQ(published, 3);
  hub.Publish({Put("/k/a", 4), Put("/k/b", 5), Put("/k/c", 6), Put("/other", 7), Put("/k/d", 8)});
  std::vector<int64_t> seen;
  WatchEvent e;
  while (w->Next(e, std::chrono::milliseconds(20)) == Watch::Poll::kEvent)
    seen.push_back(e.kv.mod_revision);
  EXPECT_EQ(seen, (std::vector<int64_t>{6, 8}));
}

TEST(WatchHubTest, HistoryComesFirstAndCloseEndsWatches) {
  WatchHub hub;
  int64_t published = 0;
  WatchPtr w = hub.Subscribe("/", 0, &published);
  hub.Publish({Put("/b", 2)});
  PrependHistory(*w, {Put("/a", 1)});
  WatchEvent e;
  ASSERT_EQ(w->Next(e, std::chrono::milliseconds(20)), Watch::Poll::kEvent);
  EXPECT_EQ(e.kv.key, "/a");
  ASSERT_EQ(w->Next(e, std::chrono::milliseconds(20)), Watch::Poll::kEvent);
  EXPECT_EQ(e.kv.key, "/b");
  EXPECT_EQ(hub.watcher_count(), 1u);
  hub.Close("shutting down");
  EXPECT_EQ(w->Next(e, std::chrono::milliseconds(20)), Watch::Poll::kClosed);
  EXPECT_EQ(w->closed_reason(), "shutting down");
  WatchPtr late = hub.Subscribe("/", 0, &published);
  EXPECT_EQ(late->Next(e, std::chrono::milliseconds(20)), Watch::Poll::kClosed);
}

TEST(WatchHubTest, AWatcherSeesACommitWholeOrNotAtAll) {
  // The event stream turns what its watch holds into one transaction; it must never wake to
  // half of a commit.
  WatchHub hub;
  int64_t published = 0;
  WatchPtr w = hub.Subscribe("/k/", 0, &published);
  std::vector<size_t> seen_at_wake;
  w->SetNotify([&] {
    size_t n = 0;
    WatchEvent e;
    while (w->Next(e, std::chrono::milliseconds(0)) == Watch::Poll::kEvent) ++n;
    seen_at_wake.push_back(n);
  });
  hub.Publish({Put("/k/a", 1), Put("/other", 1), Put("/k/b", 1), Put("/k/c", 1)});
  ASSERT_FALSE(seen_at_wake.empty());
  EXPECT_EQ(seen_at_wake.front(), 3u);
}

}  // namespace
}  // namespace gantry::store
