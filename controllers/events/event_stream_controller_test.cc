#include "controllers/events/event_stream_controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "api/clock/fake_clock.h"
#include "api/schema/kinds.h"
#include "api/service/local_client.h"
#include "controllers/runtime/manager.h"
#include "store/memory/memory_store.h"
#include "tests/testlib/eventually.h"

namespace gantry::controllers::events {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

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

// Names each change as gantryd's ECS renderer does (kind, name, revision) and says which
// instance a task's event was given.
class NamingRenderer : public ChangeRenderer {
 public:
  std::unique_ptr<v1::Event> Render(const google::protobuf::Message& object,
                                    const v1::ContainerInstance* instance) const override {
    const auto& meta = schema::MetaOf(object);
    auto e = std::make_unique<v1::Event>();
    e->set_api_version("gantry.dev/v1");
    e->set_kind("Event");
    e->mutable_metadata()->set_name(std::string(object.GetDescriptor()->name()) + "." +
                                    meta.name() + "." + meta.resource_version());
    e->mutable_spec()->mutable_involved_object()->set_name(meta.name());
    e->mutable_spec()->set_type("Normal");
    e->mutable_spec()->set_reason("Changed");
    e->mutable_spec()->set_message(instance ? "on " + instance->metadata().name() : "unplaced");
    return e;
  }
};

class MemoryCursors : public CursorStore {
 public:
  api::StatusOr<int64_t> Load(const std::string& kind) override {
    std::lock_guard lock(mu_);
    return saved_[kind];
  }
  api::Status Save(const std::string& kind, int64_t revision) override {
    std::lock_guard lock(mu_);
    saved_[kind] = revision;
    return {};
  }
  int64_t Saved(const std::string& kind) {
    std::lock_guard lock(mu_);
    return saved_[kind];
  }

 private:
  std::mutex mu_;
  std::map<std::string, int64_t> saved_;
};

// Refuses every write while `refusing` is set, as a store that is down would.
class RefusingClient : public api::LocalClient {
 public:
  using api::LocalClient::LocalClient;
  std::atomic<bool> refusing{false};
  api::StatusOr<client::Object> Create(const google::protobuf::Message& o) override {
    if (refusing) return api::Status(api::Code::kUnavailable, "store down");
    return api::LocalClient::Create(o);
  }
  api::StatusOr<std::vector<client::Object>> Commit(const std::vector<client::Write>& w) override {
    if (refusing) return api::Status(api::Code::kUnavailable, "store down");
    return api::LocalClient::Commit(w);
  }
};

class EventStreamControllerTest : public ::testing::Test {
 protected:
  // On a never-written store the informers' first list is at revision 0 and they list again
  // after opening their watch, which folds changes made meanwhile into one; gantryd's store has
  // history by the time anything changes.
  void SetUp() override { ASSERT_TRUE(store_.Create("/gantry/test/first-write", "x").ok()); }
  void Start() {
    manager_ = std::make_unique<runtime::Manager>(client_, clock_);
    auto created = EventStreamController::Create(client_, clock_, renderer_, cursors_,
                                                 manager_->informers(), {});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    controller_ = std::move(*created);
    manager_->Add(controller_->controller());
    ASSERT_TRUE(manager_->Start(seconds(10)).ok());
  }
  void Stop() {
    manager_->Stop();
    ASSERT_TRUE(controller_->SaveCursors().ok());
    controller_.reset();
    manager_.reset();
  }
  void TearDown() override {
    if (manager_) manager_->Stop();
  }
  // Creates `n` tasks in one transaction; returns its revision.
  int64_t CreateTasks(int n, const std::string& prefix = "t-") {
    std::vector<v1::Task> tasks;
    for (int i = 0; i < n; ++i) tasks.push_back(TaskNamed(prefix + std::to_string(i)));
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
  std::set<std::string> EventNames() {
    std::set<std::string> out;
    for (const auto& e : Events()) out.insert(e.metadata().name());
    return out;
  }
  bool Eventually(const std::function<bool()>& done) {
    return testlib::Eventually(done, seconds(10), milliseconds(2));
  }

  clock::FakeClock clock_;
  store::MemoryStore store_;
  api::ObjectService objects_{store_, clock_};
  RefusingClient client_{objects_};
  NamingRenderer renderer_;
  MemoryCursors cursors_;
  std::unique_ptr<runtime::Manager> manager_;
  std::unique_ptr<EventStreamController> controller_;
};

TEST_F(EventStreamControllerTest, TheChangesOfOneTransactionBecomeEventsInOneTransaction) {
  Start();
  const int64_t revision = CreateTasks(20);
  ASSERT_TRUE(Eventually([&] { return Events().size() == 20; }));
  std::set<std::string> written_at;
  for (const auto& e : Events()) {
    written_at.insert(e.metadata().resource_version());
    EXPECT_TRUE(e.metadata().name().ends_with("." + std::to_string(revision)))
        << e.metadata().name();
  }
  EXPECT_EQ(written_at.size(), 1u) << "20 events in " << written_at.size() << " revisions";
  EXPECT_TRUE(Eventually([&] { return cursors_.Saved("Task") == revision; }));
}

TEST_F(EventStreamControllerTest, EveryChangeOfAnObjectIsRecordedNotOnlyItsLatestState) {
  Start();
  CreateTasks(1);
  for (const char* status : {"RUNNING", "STOPPED"}) {
    ASSERT_TRUE(objects_
                    .Mutate(*schema::FindKind("Task"), "t-0",
                            [&](google::protobuf::Message& m) -> api::StatusOr<bool> {
                              static_cast<v1::Task&>(m).mutable_status()->set_last_status(status);
                              return true;
                            })
                    .ok());
  }
  EXPECT_TRUE(Eventually([&] { return Events().size() == 3; })) << Events().size();
}

TEST_F(EventStreamControllerTest, ARestartRecordsWhatItsCursorHasNotAndNothingElse) {
  Start();
  const int64_t first = CreateTasks(5, "a-");
  ASSERT_TRUE(Eventually([&] { return Events().size() == 5; }));
  Stop();
  ASSERT_EQ(cursors_.Saved("Task"), first);
  const std::set<std::string> recorded = EventNames();

  // gantryd was down while these changed (a crash between the writes and their events): the
  // restart records them from the informer's first list, newer than the cursor.
  const int64_t second = CreateTasks(3, "b-");
  // An event of a change the cursor already covers is gone (collected): it stays gone.
  ASSERT_TRUE(objects_.Delete(*schema::FindKind("Event"), *recorded.begin()).ok());
  Start();
  ASSERT_TRUE(Eventually([&] { return Events().size() == 4 + 3; })) << Events().size();
  EXPECT_EQ(EventNames().count(*recorded.begin()), 0u);
  EXPECT_TRUE(Eventually([&] { return cursors_.Saved("Task") == second; }));
}

TEST_F(EventStreamControllerTest, AReplayFromAnOlderCursorSkipsWhatIsRecorded) {
  Start();
  CreateTasks(5);
  ASSERT_TRUE(Eventually([&] { return Events().size() == 5; }));
  Stop();
  // Two events went missing and the cursor points before all five: the replay records the two
  // and finds the other three already there (the batch falls back to one at a time).
  auto events = Events();
  for (size_t i = 0; i < 2; ++i)
    ASSERT_TRUE(objects_.Delete(*schema::FindKind("Event"), events[i].metadata().name()).ok());
  ASSERT_TRUE(cursors_.Save("Task", 0).ok());
  Start();
  std::set<std::string> want;
  for (const auto& e : events) want.insert(e.metadata().name());
  EXPECT_TRUE(Eventually([&] { return EventNames() == want; }));
}

TEST_F(EventStreamControllerTest, TheCursorNeverPassesAChangeNotYetRecorded) {
  Start();
  const int64_t before = CreateTasks(1, "early-");
  ASSERT_TRUE(Eventually([&] { return cursors_.Saved("Task") == before; }));
  client_.refusing = true;
  const int64_t refused = CreateTasks(4, "late-");
  // The failed pass is retried with backoff on the fake clock; nothing is recorded meanwhile.
  for (int i = 0; i < 20; ++i) {
    clock_.Advance(milliseconds(100));
    std::this_thread::sleep_for(milliseconds(2));
  }
  EXPECT_EQ(Events().size(), 1u);
  EXPECT_EQ(cursors_.Saved("Task"), before);
  client_.refusing = false;
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        clock_.Advance(seconds(1));
        return Events().size() == 5 && cursors_.Saved("Task") == refused;
      },
      seconds(10), milliseconds(5)));
}

}  // namespace
}  // namespace gantry::controllers::events
