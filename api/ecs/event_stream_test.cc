#include "api/ecs/event_stream.h"

#include <gtest/gtest.h>

#include <set>

#include "api/schema/kinds.h"
#include "api/service/clock.h"
#include "store/memory/memory_store.h"
#include "tests/testlib/eventually.h"

namespace gantry::ecs {
namespace {

using std::chrono::seconds;

constexpr const char* kCursorKey = "/gantry/event-stream/cursor";

v1::Task TaskNamed(const std::string& name) {
  v1::Task t;
  t.set_api_version("gantry.dev/v1");
  t.set_kind("Task");
  t.mutable_metadata()->set_name(name);
  t.mutable_spec()->set_cluster("default");
  t.mutable_spec()->set_task_definition("web:1");
  t.mutable_spec()->set_container_instance("i-1");
  t.mutable_status()->set_last_status("PENDING");
  return t;
}

class EventStreamTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cache_.Start().ok()); }
  void StartStream() {
    stream_ = std::make_unique<EventStream>(store_, objects_, cache_, names_, clock_);
    ASSERT_TRUE(stream_->Start().ok());
  }
  // Creates `n` tasks in one transaction; returns its revision.
  int64_t CreateTasks(int n) {
    std::vector<v1::Task> tasks;
    for (int i = 0; i < n; ++i) tasks.push_back(TaskNamed("t-" + std::to_string(i)));
    std::vector<api::ObjectWrite> writes;
    for (const auto& t : tasks) writes.push_back(api::ObjectWrite::Create(t, true));
    auto committed = objects_.Commit(writes);
    EXPECT_TRUE(committed.ok()) << committed.status().ToString();
    return committed.ok() ? committed->revision : 0;
  }
  std::vector<v1::Event> Events() {
    auto list = objects_.List(*schema::FindKind("Event"));
    EXPECT_TRUE(list.ok());
    std::vector<v1::Event> out;
    for (const auto& m : list->items) out.push_back(static_cast<const v1::Event&>(*m));
    return out;
  }
  // The stream works on its own thread; this bounds the wait for its events.
  std::vector<v1::Event> EventsEventually(size_t n) {
    std::vector<v1::Event> events;
    testlib::Eventually([&] { return (events = Events()).size() >= n; }, seconds(10),
                        std::chrono::milliseconds(2));
    return events;
  }

  store::MemoryStore store_;
  api::FakeClock clock_;
  api::ObjectService objects_{store_, clock_};
  fleet::FleetCache cache_{store_};
  fleet::EcsNames names_;
  std::unique_ptr<EventStream> stream_;
};

TEST_F(EventStreamTest, TheChangesOfOneTransactionBecomeEventsInOneTransaction) {
  StartStream();
  const int64_t revision = CreateTasks(20);
  const auto events = EventsEventually(20);
  ASSERT_EQ(events.size(), 20u);
  std::set<std::string> written_at;
  for (const auto& e : events) {
    written_at.insert(e.metadata().resource_version());
    EXPECT_EQ(e.metadata().name().rfind("task.t-", 0), 0u) << e.metadata().name();
    EXPECT_TRUE(e.metadata().name().ends_with("." + std::to_string(revision)))
        << e.metadata().name();
  }
  EXPECT_EQ(written_at.size(), 1u) << "20 events in " << written_at.size() << " revisions";
}

TEST_F(EventStreamTest, AReplayRecordsWhatIsMissingAndSkipsWhatIsThere) {
  ASSERT_TRUE(store_.Create("/gantry/test/first-write", "x").ok());  // cursor 0 means "now"
  StartStream();
  const int64_t before = store_.CurrentRevision();
  CreateTasks(5);
  ASSERT_EQ(EventsEventually(5).size(), 5u);
  stream_->Stop();
  stream_.reset();
  // Two events went missing (as if gantryd died before writing them), and the cursor still
  // points before the changes: a restart replays all five.
  const auto events = Events();
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(objects_.Delete(*schema::FindKind("Event"), events[i].metadata().name()).ok());
  }
  auto cursor = store_.Get(kCursorKey);
  ASSERT_TRUE(cursor.ok());
  ASSERT_TRUE(store_.Update(kCursorKey, std::to_string(before), cursor->mod_revision).ok());

  StartStream();
  const auto replayed = EventsEventually(5);
  std::set<std::string> names, want;
  for (const auto& e : replayed) names.insert(e.metadata().name());
  for (const auto& e : events) want.insert(e.metadata().name());
  EXPECT_EQ(names, want);
}

}  // namespace
}  // namespace gantry::ecs
