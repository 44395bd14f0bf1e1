#include "controllers/runtime/informer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "api/clock/fake_clock.h"
#include "api/service/local_client.h"
#include "controllers/runtime/informer_factory.h"
#include "controllers/runtime/standard_indexes.h"
#include "gantry/v1/objects.pb.h"
#include "store/memory/memory_store.h"

namespace gantry::controllers::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kDeadline{10'000};  // a bound on a wait, never a pause

v1::Task TaskOn(const std::string& name, const std::string& instance) {
  v1::Task t;
  t.set_kind("Task");
  t.set_api_version("gantry.dev/v1");
  t.mutable_metadata()->set_name(name);
  t.mutable_spec()->set_cluster("default");
  t.mutable_spec()->set_task_definition("web:1");
  t.mutable_spec()->set_container_instance(instance);
  return t;
}

// A client whose watches the test can break, as a server restart or a slow watcher would.
class BreakableClient : public client::Client {
 public:
  explicit BreakableClient(client::Client& inner) : inner_(inner) {}
  // Waits until the informer has asked for `n` watches in all.
  bool WaitForWatchCalls(int n) {
    std::unique_lock lock(mu_);
    return opened_.wait_for(lock, kDeadline, [&] { return watch_calls >= n; });
  }
  // Once the informer has opened `n` watches in all, cancels the open ones.
  void BreakWatches(int n) {
    ASSERT_TRUE(WaitForWatchCalls(n));
    std::lock_guard lock(mu_);
    for (auto* w : watches_) w->Cancel();
    watches_.clear();
  }
  std::atomic<int> watch_calls{0};
  // Runs once, as the first watch is asked for and before it opens: a write landing between
  // the informer's list and its watch.
  std::function<void()> before_first_watch;

  api::StatusOr<client::Object> Get(const schema::KindInfo& k, std::string_view n) override {
    return inner_.Get(k, n);
  }
  api::StatusOr<client::ListPage> List(const schema::KindInfo& k,
                                       const client::ListOptions& o) override {
    return inner_.List(k, o);
  }
  api::StatusOr<std::unique_ptr<client::WatchStream>> Watch(const schema::KindInfo& k,
                                                            std::string_view rv,
                                                            std::string_view sel) override {
    if (watch_calls == 0 && before_first_watch) before_first_watch();
    auto w = inner_.Watch(k, rv, sel);
    {
      std::lock_guard lock(mu_);
      if (w.ok()) watches_.push_back(w->get());
      ++watch_calls;
    }
    opened_.notify_all();
    return w;
  }
  api::StatusOr<client::Applied> Apply(const google::protobuf::Message& m,
                                       const client::ApplyOptions& options) override {
    return inner_.Apply(m, options);
  }
  api::StatusOr<client::Object> Create(const google::protobuf::Message& o) override {
    return inner_.Create(o);
  }
  api::StatusOr<client::Object> Delete(const schema::KindInfo& k, std::string_view n,
                                       std::string_view rv) override {
    return inner_.Delete(k, n, rv);
  }
  api::StatusOr<client::Object> UpdateStatus(const google::protobuf::Message& o) override {
    return inner_.UpdateStatus(o);
  }
  api::StatusOr<std::vector<client::Object>> Commit(const std::vector<client::Write>& w) override {
    return inner_.Commit(w);
  }
  api::StatusOr<v1::LaunchResponse> Launch(const v1::LaunchRequest& r) override {
    return inner_.Launch(r);
  }

 private:
  client::Client& inner_;
  std::mutex mu_;
  std::condition_variable opened_;
  std::vector<client::WatchStream*> watches_;  // open watches (the informer owns them)
};

// What the handlers saw, as "add NAME", "update NAME", "delete NAME".
class Recorder {
 public:
  EventHandlers Handlers() {
    return {[this](const ObjectRef& o) { Note("add " + schema::MetaOf(*o).name()); },
            [this](const ObjectRef&, const ObjectRef& o) {
              Note("update " + schema::MetaOf(*o).name());
            },
            [this](const ObjectRef& o) { Note("delete " + schema::MetaOf(*o).name()); }};
  }
  // Waits until `n` notes were taken; returns them all.
  std::vector<std::string> AtLeast(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kDeadline, [&] { return notes_.size() >= n; });
    return notes_;
  }
  void Note(std::string text) {
    {
      std::lock_guard lock(mu_);
      notes_.push_back(std::move(text));
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> notes_;
};

class InformerTest : public ::testing::Test {
 protected:
  const schema::KindInfo& tasks_ = *schema::FindKind("Task");
  store::MemoryStore store_;
  api::FakeClock service_clock_;
  api::ObjectService objects_{store_, service_clock_};
  api::LocalClient local_{objects_};
  BreakableClient client_{local_};
  clock::FakeClock clock_;
  Recorder recorder_;
};

std::vector<std::string> InstancesOf(const google::protobuf::Message& m) {
  return {static_cast<const v1::Task&>(m).spec().container_instance()};
}

TEST_F(InformerTest, ListsThenWatchesAndIndexes) {
  ASSERT_TRUE(local_.Create(TaskOn("t1", "i-1")).ok());
  ASSERT_TRUE(local_.Create(TaskOn("t2", "i-2")).ok());
  Informer informer(client_, tasks_, clock_);
  informer.AddEventHandlers(recorder_.Handlers());
  informer.AddIndex("instance", InstancesOf);
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(kDeadline));
  EXPECT_EQ(recorder_.AtLeast(2), (std::vector<std::string>{"add t1", "add t2"}));
  EXPECT_EQ(informer.ObservedRevision(), 2);
  EXPECT_EQ(informer.ByIndex("instance", "i-1").size(), 1u);

  auto created = local_.Create(TaskOn("t3", "i-1"));
  ASSERT_TRUE(created.ok());
  v1::Task moved = TaskOn("t1", "i-2");
  ASSERT_TRUE(local_.Apply(moved).ok());
  ASSERT_TRUE(local_.Delete(tasks_, "t2", "").ok());
  ASSERT_TRUE(informer.WaitForRevision(5, kDeadline));
  EXPECT_EQ(recorder_.AtLeast(5),
            (std::vector<std::string>{"add t1", "add t2", "add t3", "update t1", "delete t2"}));
  EXPECT_EQ(informer.List().size(), 2u);
  EXPECT_EQ(informer.Get("t2"), nullptr);
  ASSERT_NE(informer.Get("t1"), nullptr);
  auto on_i1 = informer.ByIndex("instance", "i-1");
  ASSERT_EQ(on_i1.size(), 1u);
  EXPECT_EQ(schema::MetaOf(*on_i1[0]).name(), "t3");
  auto on_i2 = informer.ByIndex("instance", "i-2");
  ASSERT_EQ(on_i2.size(), 1u) << "t1 moved here, t2 left";
  EXPECT_EQ(schema::MetaOf(*on_i2[0]).name(), "t1");
  EXPECT_EQ(informer.lists(), 1);
}

// A transform decides what the cache keeps, for listed and watched objects alike, and the
// handlers and indexes see the kept form.
TEST_F(InformerTest, ATransformShapesWhatIsCachedListedOrWatched) {
  ASSERT_TRUE(local_.Create(TaskOn("listed", "i-1")).ok());
  Informer informer(client_, tasks_, clock_);
  std::atomic<int> transformed{0};
  informer.SetTransform([&](ObjectRef object) -> ObjectRef {
    ++transformed;
    auto kept = std::make_shared<v1::Task>(static_cast<const v1::Task&>(*object));
    kept->mutable_spec()->clear_task_definition();
    return kept;
  });
  informer.AddEventHandlers({[&](const ObjectRef& o) {
                               recorder_.Note(
                                   static_cast<const v1::Task&>(*o).spec().task_definition());
                             },
                             nullptr, nullptr});
  informer.AddIndex("instance", InstancesOf);
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(kDeadline));
  auto created = local_.Create(TaskOn("watched", "i-1"));
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(informer.WaitForRevision(2, kDeadline));
  EXPECT_EQ(recorder_.AtLeast(2), (std::vector<std::string>{"", ""}));
  for (const char* name : {"listed", "watched"}) {
    ObjectRef cached = informer.Get(name);
    ASSERT_NE(cached, nullptr) << name;
    EXPECT_TRUE(static_cast<const v1::Task&>(*cached).spec().task_definition().empty()) << name;
    EXPECT_EQ(schema::MetaOf(*cached).resource_version().empty(), false) << name;
  }
  EXPECT_EQ(informer.ByIndex("instance", "i-1").size(), 2u);
  EXPECT_EQ(transformed.load(), 2);
}

// A handler that batches (the events controller) acts when told the informer caught up: never
// in the middle of a store transaction.
TEST_F(InformerTest, HandlersHearItCaughtUpAfterAListAndAfterAWholeTransaction) {
  ASSERT_TRUE(local_.Create(TaskOn("t0", "i-1")).ok());
  Informer informer(client_, tasks_, clock_);
  EventHandlers handlers = recorder_.Handlers();
  handlers.on_caught_up = [this] { recorder_.Note("caught up"); };
  informer.AddEventHandlers(std::move(handlers));
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(kDeadline));
  EXPECT_EQ(recorder_.AtLeast(2), (std::vector<std::string>{"add t0", "caught up"}));
  std::vector<v1::Task> tasks = {TaskOn("t1", "i-1"), TaskOn("t2", "i-1"), TaskOn("t3", "i-2")};
  std::vector<client::Write> writes;
  for (const auto& t : tasks) writes.push_back({client::Write::Type::kCreate, &t});
  ASSERT_TRUE(local_.Commit(writes).ok());
  EXPECT_EQ(recorder_.AtLeast(6), (std::vector<std::string>{"add t0", "caught up", "add t1",
                                                            "add t2", "add t3", "caught up"}));
}

// A writer that waits for its transaction's revision then reads every object it wrote.
TEST_F(InformerTest, ARevisionIsObservedOnlyOnceAllItsChangesAreApplied) {
  ASSERT_TRUE(local_.Create(TaskOn("t0", "i-1")).ok());
  Informer informer(client_, tasks_, clock_);
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(kDeadline));
  for (int round = 0; round < 20; ++round) {
    std::vector<v1::Task> tasks;
    for (int i = 0; i < 50; ++i)
      tasks.push_back(TaskOn("r" + std::to_string(round) + "-" + std::to_string(i), "i-1"));
    std::vector<client::Write> writes;
    for (const auto& t : tasks) writes.push_back({client::Write::Type::kCreate, &t});
    auto committed = local_.Commit(writes);
    ASSERT_TRUE(committed.ok());
    ASSERT_TRUE(informer.WaitForRevision(RevisionOf(*committed->front()), kDeadline));
    EXPECT_EQ(informer.List().size(), 1 + 50 * (round + 1)) << "round " << round;
  }
}

TEST_F(InformerTest, OnAnEmptyStoreAWriteBetweenListAndWatchIsNotMissed) {
  // The list of an empty store is at revision 0, and to the store a watch after 0 starts "now".
  client_.before_first_watch = [&] { ASSERT_TRUE(local_.Create(TaskOn("t1", "i-1")).ok()); };
  Informer informer(client_, tasks_, clock_);
  informer.AddEventHandlers(recorder_.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(kDeadline));
  EXPECT_EQ(recorder_.AtLeast(1), (std::vector<std::string>{"add t1"}));
  ASSERT_TRUE(local_.Create(TaskOn("t2", "i-1")).ok());
  ASSERT_TRUE(informer.WaitForRevision(2, kDeadline));
  EXPECT_EQ(recorder_.AtLeast(2), (std::vector<std::string>{"add t1", "add t2"}));
}

TEST_F(InformerTest, ABrokenWatchRelistsAndReportsWhatChangedMeanwhile) {
  ASSERT_TRUE(local_.Create(TaskOn("stays", "i-1")).ok());
  ASSERT_TRUE(local_.Create(TaskOn("goes", "i-1")).ok());
  Informer informer(client_, tasks_, clock_);
  informer.AddEventHandlers(recorder_.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(kDeadline));
  ASSERT_EQ(recorder_.AtLeast(2).size(), 2u);

  // Changes land while the watch is down: the relist shows them as the events they amount to.
  // (A store compaction meanwhile would make the resumed watch 410; a relist covers both.)
  client_.BreakWatches(1);
  ASSERT_TRUE(local_.Delete(tasks_, "goes", "").ok());
  ASSERT_TRUE(local_.Create(TaskOn("new", "i-2")).ok());
  ASSERT_TRUE(informer.WaitForRevision(4, kDeadline));
  auto notes = recorder_.AtLeast(4);
  std::sort(notes.begin() + 2, notes.end());
  EXPECT_EQ(notes, (std::vector<std::string>{"add goes", "add stays", "add new", "delete goes"}));
  EXPECT_EQ(informer.List().size(), 2u);
  EXPECT_TRUE(client_.WaitForWatchCalls(2)) << "and it watches again after the relist";
}

TEST_F(InformerTest, AWatchFromACompactedRevisionRelistsAtOnce) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(local_.Apply(TaskOn("t", "i-" + std::to_string(i))).ok());
  // A client that lists an old revision, as if the list were answered before a compaction.
  class StaleListClient : public BreakableClient {
   public:
    using BreakableClient::BreakableClient;
    api::StatusOr<client::ListPage> List(const schema::KindInfo& k,
                                         const client::ListOptions& o) override {
      auto page = BreakableClient::List(k, o);
      if (page.ok() && first_) {
        first_ = false;
        page->revision = 1;
      }
      return page;
    }
    bool first_ = true;
  } stale(local_);
  ASSERT_TRUE(store_.Compact(2).ok());
  Informer informer(stale, tasks_, clock_);
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(kDeadline));
  // No clock advance is needed: a 410 is expected after compaction, not an error to back off.
  ASSERT_TRUE(informer.WaitForRevision(3, kDeadline));
  EXPECT_EQ(informer.lists(), 2);
  EXPECT_EQ(static_cast<const v1::Task&>(*informer.Get("t")).spec().container_instance(), "i-2");
}

TEST_F(InformerTest, StopEndsTheThreadPromptly) {
  Informer informer(client_, tasks_, clock_);
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(kDeadline));
  informer.Stop();  // joins; a hang here fails the test by its ctest timeout
  EXPECT_TRUE(informer.HasSynced());
}

TEST_F(InformerTest, TheFactoryHandsEveryControllerTheSameInformer) {
  ASSERT_TRUE(local_.Create(TaskOn("t1", "i-1")).ok());
  InformerFactory factory(client_, clock_);
  Informer& first = factory.For(tasks_);
  Informer& second = factory.For(*schema::FindKind("Task"));
  EXPECT_EQ(&first, &second);
  Recorder other;
  first.AddEventHandlers(recorder_.Handlers());
  second.AddEventHandlers(other.Handlers());
  factory.Start();
  ASSERT_TRUE(factory.WaitForCacheSync(kDeadline));
  EXPECT_EQ(recorder_.AtLeast(1), std::vector<std::string>{"add t1"});
  EXPECT_EQ(other.AtLeast(1), std::vector<std::string>{"add t1"});
  ASSERT_TRUE(client_.WaitForWatchCalls(1));
  EXPECT_EQ(client_.watch_calls.load(), 1) << "one list and one watch serve both controllers";

  // A kind asked for after Start waits for the next Start.
  Informer& services = factory.For(*schema::FindKind("Service"));
  EXPECT_FALSE(services.HasSynced());
  factory.Start();
  ASSERT_TRUE(factory.WaitForCacheSync(kDeadline));
  EXPECT_TRUE(services.HasSynced());
  factory.Stop();
}

// Controllers and the fleet view share the factory's indexes rather than each adding its own.
TEST_F(InformerTest, TheFactoryIndexesTasksByInstanceClusterGroupAndStartedBy) {
  v1::Task t = TaskOn("t1", "i-1");
  t.mutable_spec()->set_cluster("arn:aws:ecs:us-east-1:000000000000:cluster/prod");
  t.mutable_spec()->set_group("service:web");
  t.mutable_spec()->set_started_by("web-1");
  ASSERT_TRUE(local_.Create(t).ok());
  ASSERT_TRUE(local_.Create(TaskOn("t2", "")).ok());  // not placed: in no instance's index
  InformerFactory factory(client_, clock_);
  Informer& tasks = factory.For(tasks_);
  factory.Start();
  ASSERT_TRUE(factory.WaitForCacheSync(kDeadline));
  EXPECT_EQ(tasks.ByIndex(kByInstance, "i-1").size(), 1u);
  EXPECT_EQ(tasks.ByIndex(kByInstance, "").size(), 0u);
  EXPECT_EQ(tasks.ByIndex(kByCluster, "prod").size(), 1u) << "an ARN is indexed by its name";
  EXPECT_EQ(tasks.ByIndex(kByCluster, "default").size(), 1u);
  EXPECT_EQ(tasks.ByIndex(kByGroup, "service:web").size(), 1u);
  EXPECT_EQ(tasks.ByIndex(kByStartedBy, "web-1").size(), 1u);
}

}  // namespace
}  // namespace gantry::controllers::runtime
