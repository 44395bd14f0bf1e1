#include "controllers/gc/garbage_collector.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "api/clock/fake_clock.h"
#include "api/clock/format_time.h"
#include "api/schema/kinds.h"
#include "api/service/local_client.h"
#include "controllers/runtime/manager.h"
#include "gantry/v1/objects.pb.h"
#include "store/memory/memory_store.h"
#include "tests/testlib/eventually.h"

namespace gantry::controllers::gc {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

v1::Task TaskNamed(const std::string& name, const std::string& last_status,
                   std::optional<clock::Clock::TimePoint> stopped_at = std::nullopt) {
  v1::Task t;
  t.set_api_version("gantry.dev/v1");
  t.set_kind("Task");
  t.mutable_metadata()->set_name(name);
  t.mutable_spec()->set_cluster("default");
  t.mutable_spec()->set_task_definition("web:1");
  t.mutable_status()->set_last_status(last_status);
  if (stopped_at) t.mutable_status()->set_stopped_at(clock::FormatTime(*stopped_at));
  return t;
}

v1::Event EventNamed(const std::string& name, clock::Clock::TimePoint last) {
  v1::Event e;
  e.set_api_version("gantry.dev/v1");
  e.set_kind("Event");
  e.mutable_metadata()->set_name(name);
  e.mutable_spec()->mutable_involved_object()->set_kind("Task");
  e.mutable_spec()->mutable_involved_object()->set_name("t-1");
  e.mutable_spec()->set_type("Normal");
  e.mutable_spec()->set_reason("Started");
  e.mutable_spec()->set_message("task t-1 RUNNING");
  e.mutable_spec()->set_first_timestamp(clock::FormatTime(last));
  e.mutable_spec()->set_last_timestamp(clock::FormatTime(last));
  e.mutable_spec()->set_count(1);
  return e;
}

class GarbageCollectorTest : public ::testing::Test {
 protected:
  void Seed(const google::protobuf::Message& object) {
    auto created = objects_.Create(object, {.keep_status = true});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }
  void Start() {
    manager_ = std::make_unique<runtime::Manager>(client_, clock_);
    Retention retention;
    retention.stopped_tasks = hours(1);
    retention.events = minutes(10);
    retention.on_task_collected = [this](const std::string& task) {
      std::lock_guard lock(mu_);
      collected_.insert(task);
    };
    gc_ = std::make_unique<GarbageCollector>(client_, clock_, manager_->informers(),
                                             std::move(retention), runtime::ControllerOptions{});
    manager_->Add(gc_->controller());
    ASSERT_TRUE(manager_->Start(std::chrono::seconds(10)).ok());
  }
  void TearDown() override {
    if (manager_) manager_->Stop();
  }
  bool Exists(const std::string& kind, const std::string& name) {
    return objects_.Get(*schema::FindKind(kind), name).ok();
  }
  bool Collected(const std::string& task) {
    std::lock_guard lock(mu_);
    return collected_.count(task) > 0;
  }
  // Waits (bounded, in real time) for `done` while fake time stands still.
  bool Eventually(const std::function<bool()>& done) {
    return testlib::Eventually(done, std::chrono::seconds(10), std::chrono::milliseconds(2));
  }
  // Moves fake time a minute at a time, giving the workers a moment at each minute, until `done`;
  // returns how much fake time that took, or nothing if it never happened.
  std::optional<clock::Clock::Duration> AdvanceUntil(const std::function<bool()>& done,
                                                     clock::Clock::Duration limit) {
    const auto start = clock_.Now();
    for (;;) {
      for (int i = 0; i < 10 && !done(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      if (done()) return clock_.Now() - start;
      if (clock_.Now() - start >= limit) break;
      clock_.Advance(minutes(1));
    }
    if (Eventually(done)) return clock_.Now() - start;  // a slow worker, at the last minute
    return std::nullopt;
  }

  clock::FakeClock clock_;
  store::MemoryStore store_;
  api::ObjectService objects_{store_, clock_};
  api::LocalClient client_{objects_};
  std::unique_ptr<runtime::Manager> manager_;
  std::unique_ptr<GarbageCollector> gc_;
  std::mutex mu_;
  std::set<std::string> collected_;
};

TEST_F(GarbageCollectorTest, StoppedTasksGoWhenTheirRetentionEndsNotBefore) {
  const auto now = clock_.Now();
  Seed(TaskNamed("t-old", "STOPPED", now - hours(2)));
  Seed(TaskNamed("t-recent", "STOPPED", now - minutes(30)));
  Seed(TaskNamed("t-running", "RUNNING"));
  Start();

  EXPECT_TRUE(Eventually([&] { return !Exists("Task", "t-old") && Collected("t-old"); }));
  EXPECT_TRUE(Exists("Task", "t-recent"));
  EXPECT_TRUE(Exists("Task", "t-running"));

  // Only fake time moves it: gone once 30 more minutes have passed, and not before.
  auto took = AdvanceUntil([&] { return !Exists("Task", "t-recent"); }, hours(1));
  ASSERT_TRUE(took.has_value());
  EXPECT_GE(clock_.Now(), now + minutes(30));
  EXPECT_TRUE(Eventually([&] { return Collected("t-recent"); }));
  EXPECT_TRUE(Exists("Task", "t-running"));
}

TEST_F(GarbageCollectorTest, ATaskThatStopsLaterIsCollectedAnHourAfter) {
  Seed(TaskNamed("t-1", "RUNNING"));
  Start();
  const auto stopped = clock_.Now();
  auto done = objects_.Mutate(*schema::FindKind("Task"), "t-1",
                              [&](google::protobuf::Message& m) -> api::StatusOr<bool> {
                                auto* st = static_cast<v1::Task&>(m).mutable_status();
                                st->set_last_status("STOPPED");
                                st->set_stopped_at(clock::FormatTime(stopped));
                                return true;
                              });
  ASSERT_TRUE(done.ok());
  auto took = AdvanceUntil([&] { return !Exists("Task", "t-1"); }, hours(2));
  ASSERT_TRUE(took.has_value());
  EXPECT_GE(clock_.Now(), stopped + hours(1));
  EXPECT_TRUE(Eventually([&] { return Collected("t-1"); }));
}

TEST_F(GarbageCollectorTest, ATaskDeletedByAUserHasItsOutputRemoved) {
  Seed(TaskNamed("t-1", "STOPPED", clock_.Now()));
  Start();
  ASSERT_TRUE(objects_.Delete(*schema::FindKind("Task"), "t-1").ok());
  EXPECT_TRUE(Eventually([&] { return Collected("t-1"); }));
}

TEST_F(GarbageCollectorTest, EventsGoTenMinutesAfterTheyLastHappened) {
  const auto now = clock_.Now();
  Seed(EventNamed("old", now - minutes(20)));
  Seed(EventNamed("new", now - minutes(1)));
  Start();
  EXPECT_TRUE(Eventually([&] { return !Exists("Event", "old"); }));
  EXPECT_TRUE(Exists("Event", "new"));
  // The collector's Event informer keeps what it reads: metadata and times, not the message or
  // the ECS detail.
  runtime::ObjectRef cached = manager_->informers().For(*schema::FindKind("Event")).Get("new");
  ASSERT_NE(cached, nullptr);
  const auto& kept = static_cast<const v1::Event&>(*cached);
  EXPECT_EQ(kept.metadata().name(), "new");
  EXPECT_FALSE(kept.metadata().resource_version().empty());
  EXPECT_EQ(kept.spec().last_timestamp(), clock::FormatTime(now - minutes(1)));
  EXPECT_TRUE(kept.spec().message().empty());
  EXPECT_FALSE(kept.spec().has_involved_object());
  auto took = AdvanceUntil([&] { return !Exists("Event", "new"); }, hours(1));
  ASSERT_TRUE(took.has_value());
  EXPECT_GE(clock_.Now(), now + minutes(9));
}

}  // namespace
}  // namespace gantry::controllers::gc
