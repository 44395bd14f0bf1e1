#include "api/service/launcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "gantry/v1/objects.pb.h"
#include "store/memory/memory_store.h"

namespace gantry::api {
namespace {

v1::ContainerInstance Instance(const std::string& name, int cpu, int memory,
                               const std::string& status = "ACTIVE") {
  v1::ContainerInstance ci;
  ci.set_api_version("gantry.dev/v1");
  ci.set_kind("ContainerInstance");
  ci.mutable_metadata()->set_name(name);
  ci.mutable_spec()->set_cluster("default");
  ci.mutable_spec()->mutable_registered_resources()->set_cpu(cpu);
  ci.mutable_spec()->mutable_registered_resources()->set_memory(memory);
  ci.mutable_status()->set_status(status);
  ci.mutable_status()->set_agent_connected(true);
  return ci;
}

LaunchSpec Request(int count, int cpu, int memory, std::vector<int32_t> ports = {}) {
  LaunchSpec spec;
  spec.cluster = "default";
  spec.request.count = count;
  spec.request.group = "family:web";
  spec.request.cpu = cpu;
  spec.request.memory = memory;
  spec.request.ports = std::move(ports);
  spec.request.strategies = {{"binpack", "memory"}};
  spec.task.mutable_spec()->set_task_definition("web:1");
  spec.task.mutable_spec()->set_desired_status("RUNNING");
  spec.task.mutable_status()->set_last_status("PENDING");
  return spec;
}

class LauncherTest : public ::testing::Test {
 protected:
  void AddInstance(const v1::ContainerInstance& ci) {
    ASSERT_TRUE(objects_.Create(ci, {.keep_status = true}).ok());
    launcher_.ObserveInstance(ci);
  }
  std::vector<v1::Task> StoredTasks() {
    auto list = objects_.List(*schema::FindKind("Task"));
    EXPECT_TRUE(list.ok());
    std::vector<v1::Task> out;
    for (const auto& m : list->items) out.push_back(static_cast<const v1::Task&>(*m));
    return out;
  }

  store::MemoryStore store_;
  FakeClock clock_;
  ObjectService objects_{store_, clock_};
  Launcher launcher_{objects_};
};

TEST_F(LauncherTest, CommitsEveryTaskOfARequestInOneTransactionAndKeepsItsSnapshot) {
  AddInstance(Instance("a", 1024, 1024));
  AddInstance(Instance("b", 1024, 2048));
  const int64_t before = store_.CurrentRevision();
  auto first = launcher_.Launch(Request(3, 256, 512));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->tasks.size(), 3u);
  EXPECT_TRUE(first->failures.empty());
  EXPECT_EQ(first->revision, before + 1);  // three tasks, one revision
  EXPECT_EQ(store_.CurrentRevision(), before + 1);
  for (const auto& t : first->tasks) {
    EXPECT_EQ(t->spec().cluster(), "default");
    EXPECT_EQ(t->spec().group(), "family:web");
    EXPECT_EQ(t->spec().task_definition(), "web:1");
    EXPECT_EQ(t->status().last_status(), "PENDING");
    EXPECT_EQ(t->metadata().labels().at("gantry.dev/container-instance"),
              t->spec().container_instance());
    EXPECT_EQ(t->metadata().resource_version(), std::to_string(before + 1));
  }
  // 3 GiB in all: three more 512 MiB tasks fit, the seventh does not.
  auto second = launcher_.Launch(Request(4, 256, 512));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->tasks.size(), 3u);
  ASSERT_EQ(second->failures.size(), 1u);
  EXPECT_EQ(second->failures[0], placement::Stage::kMemory);
  EXPECT_EQ(StoredTasks().size(), 6u);
  // Its own placements changed the kept snapshot: built once for all of this.
  EXPECT_EQ(launcher_.stats().snapshot_builds, 1u);
  EXPECT_EQ(launcher_.stats().tasks_committed, 6u);
}

// What the caller derives from the placed tasks (their instances' counts) commits with them; a
// stale one leaves the tasks to commit alone, and the outcome says so.
TEST_F(LauncherTest, WritesDerivedFromTheTasksCommitWithThemUnlessStale) {
  AddInstance(Instance("a", 1024, 1024));
  auto stored_a = [&] {
    auto got = objects_.Get(*schema::FindKind("ContainerInstance"), "a");
    EXPECT_TRUE(got.ok());
    return static_cast<const v1::ContainerInstance&>(**got);
  };
  std::string pin = stored_a().metadata().resource_version();
  LaunchSpec spec = Request(2, 256, 256);
  spec.with_tasks = [&](const std::vector<v1::Task>& tasks) {
    auto ci = std::make_shared<v1::ContainerInstance>(Instance("a", 1024, 1024));
    ci->mutable_metadata()->set_resource_version(pin);
    ci->mutable_status()->set_pending_tasks_count(static_cast<int32_t>(tasks.size()));
    return std::vector<std::shared_ptr<const google::protobuf::Message>>{ci};
  };
  const int64_t before = store_.CurrentRevision();
  auto launched = launcher_.Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status().ToString();
  EXPECT_TRUE(launched->with_tasks_written);
  EXPECT_EQ(launched->tasks.size(), 2u);  // the tasks only, not the derived writes
  EXPECT_EQ(store_.CurrentRevision(), before + 1);
  EXPECT_EQ(stored_a().metadata().resource_version(), std::to_string(before + 1));
  EXPECT_EQ(stored_a().status().pending_tasks_count(), 2);

  pin = "1";  // stale: the instance has been written since
  auto again = launcher_.Launch(spec);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->with_tasks_written);
  EXPECT_EQ(again->tasks.size(), 2u);
  EXPECT_EQ(StoredTasks().size(), 4u);
  EXPECT_EQ(stored_a().status().pending_tasks_count(), 2);  // not written
  EXPECT_EQ(launcher_.stats().with_tasks_stale, 1u);
}

TEST_F(LauncherTest, ObservedTasksHoldAndStoppedOnesFreeWithoutARebuild) {
  AddInstance(Instance("a", 1024, 1024));
  ASSERT_TRUE(launcher_.Launch(Request(1, 0, 0)).ok());  // builds the snapshot
  // A task someone else placed (seen through the informer) holds its resources...
  v1::Task other;
  other.mutable_metadata()->set_name("other");
  other.mutable_spec()->set_cluster("default");
  other.mutable_spec()->set_container_instance("a");
  other.mutable_spec()->set_group("service:x");
  other.mutable_spec()->set_memory(1024);
  other.mutable_status()->set_last_status("RUNNING");
  launcher_.ObserveTask(other);
  launcher_.ObserveTask(other);  // a repeat changes nothing
  auto full = launcher_.Launch(Request(1, 0, 512));
  ASSERT_TRUE(full.ok());
  EXPECT_TRUE(full->tasks.empty());
  ASSERT_EQ(full->failures.size(), 1u);
  EXPECT_EQ(full->failures[0], placement::Stage::kMemory);
  // ...until it stops.
  other.mutable_status()->set_last_status("STOPPED");
  launcher_.ObserveTask(other);
  auto room = launcher_.Launch(Request(2, 0, 512));
  ASSERT_TRUE(room.ok());
  EXPECT_EQ(room->tasks.size(), 2u);
  EXPECT_EQ(launcher_.stats().snapshot_builds, 1u);
}

TEST_F(LauncherTest, AnInstanceChangeRebuildsAndIsHonoured) {
  AddInstance(Instance("a", 1024, 1024));
  AddInstance(Instance("b", 1024, 1024));
  ASSERT_TRUE(launcher_.Launch(Request(1, 0, 0)).ok());
  launcher_.ObserveInstance(Instance("a", 1024, 1024));  // unchanged: no rebuild
  launcher_.ObserveInstance(Instance("b", 1024, 1024, "DRAINING"));
  auto placed = launcher_.Launch(Request(4, 0, 128));
  ASSERT_TRUE(placed.ok());
  ASSERT_EQ(placed->tasks.size(), 4u);
  for (const auto& t : placed->tasks) EXPECT_EQ(t->spec().container_instance(), "a");
  EXPECT_EQ(launcher_.stats().snapshot_builds, 2u);
  launcher_.ForgetInstance(Instance("a", 1024, 1024));
  auto none = launcher_.Launch(Request(1, 0, 0));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->tasks.empty());
  EXPECT_EQ(none->failures.at(0), placement::Stage::kAgent);
}

TEST_F(LauncherTest, GivenInstancesGetOneTaskEachOrTheirReason) {
  AddInstance(Instance("a", 1024, 1024));
  AddInstance(Instance("small", 1024, 128));
  AddInstance(Instance("gone", 1024, 1024, "INACTIVE"));
  LaunchSpec spec = Request(1, 0, 256);
  spec.instances = {"a", "small", "gone", "nowhere", "a"};
  auto started = launcher_.Launch(spec);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  ASSERT_EQ(started->tasks.size(), 1u);
  EXPECT_EQ(started->tasks[0]->spec().container_instance(), "a");
  std::map<std::string, std::string> reasons;
  for (const auto& f : started->instance_failures) reasons[f.instance] = f.reason;
  EXPECT_EQ(reasons,
            (std::map<std::string, std::string>{
                {"small", "RESOURCE:MEMORY"}, {"gone", "INACTIVE"}, {"nowhere", "MISSING"}}));
}

TEST_F(LauncherTest, BadRequestsNameTheirField) {
  AddInstance(Instance("a", 1024, 1024));
  EXPECT_EQ(launcher_.Launch(Request(0, 0, 0)).status().field(), "count");
  LaunchSpec no_cluster = Request(1, 0, 0);
  no_cluster.cluster.clear();
  EXPECT_EQ(launcher_.Launch(no_cluster).status().field(), "cluster");
  LaunchSpec bad_expression = Request(1, 0, 0);
  bad_expression.request.constraints = {{"memberOf", "attribute:x =="}};
  auto refused = launcher_.Launch(bad_expression);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_NE(refused.status().field().find("placementConstraints[0]"), std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ(launcher_.stats().tasks_committed, 0u);
}

TEST_F(LauncherTest, AFailedCommitReleasesItsReservations) {
  AddInstance(Instance("a", 1024, 1024));
  // A name already taken makes the transaction fail after placement reserved both tasks.
  v1::Task taken = *launcher_.Launch(Request(1, 0, 0))->tasks.at(0);
  taken.mutable_metadata()->set_name("taken");
  taken.mutable_metadata()->clear_resource_version();
  auto created = objects_.Create(taken);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  int calls = 0;
  Launcher launcher(objects_, [&] { return ++calls == 1 ? "fresh" : "taken"; });
  launcher.ObserveInstance(Instance("a", 1024, 1024));
  auto failed = launcher.Launch(Request(2, 0, 512));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(StoredTasks().size(), 2u);  // only the two made above: all or nothing
  EXPECT_EQ(launcher.stats().released_after_failed_commit, 2u);
  int next = 0;
  Launcher retry(objects_, [&] { return "retry-" + std::to_string(++next); });
  retry.ObserveInstance(Instance("a", 1024, 1024));
  auto retried = retry.Launch(Request(2, 0, 512));
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->tasks.size(), 2u);
}

DaemonReservation Daemon(int cpu, int memory, std::vector<int32_t> ports = {},
                         std::string filter = "") {
  DaemonReservation d;
  d.cluster = "default";
  d.filter = std::move(filter);
  d.task.cpu = cpu;
  d.task.memory = memory;
  d.task.ports = std::move(ports);
  return d;
}

LaunchSpec DaemonStart(std::vector<std::string> instances, int memory,
                       std::vector<int32_t> ports = {}) {
  LaunchSpec spec = Request(1, 0, memory, std::move(ports));
  spec.request.group = "environment:logs";
  spec.request.strategies.clear();
  spec.instances = std::move(instances);
  return spec;
}

std::map<std::string, int> PerInstance(const LaunchOutcome& outcome) {
  std::map<std::string, int> out;
  for (const auto& t : outcome.tasks) ++out[t->spec().container_instance()];
  return out;
}

// Daemon first: a daemon's room on every instance of its group is taken for replicas before its
// task runs there, and is its own when it starts.
TEST_F(LauncherTest, ReplicasNeverTakeTheRoomADaemonClaimsAndTheDaemonAlwaysGetsIt) {
  AddInstance(Instance("a", 1024, 1024));
  AddInstance(Instance("b", 1024, 1024));
  launcher_.ReserveForDaemon("environment:logs", Daemon(0, 512, {8080}));
  // 512 MiB left on each: three replicas of 512 find room for two.
  auto replicas = launcher_.Launch(Request(3, 0, 512));
  ASSERT_TRUE(replicas.ok()) << replicas.status().ToString();
  EXPECT_EQ(PerInstance(*replicas), (std::map<std::string, int>{{"a", 1}, {"b", 1}}));
  ASSERT_EQ(replicas->failures.size(), 1u);
  EXPECT_EQ(replicas->failures[0], placement::Stage::kMemory);
  // The daemon's port is taken too.
  auto on_port = launcher_.Launch(Request(1, 0, 0, {8080}));
  ASSERT_TRUE(on_port.ok());
  EXPECT_TRUE(on_port->tasks.empty());
  EXPECT_EQ(on_port->failures.at(0), placement::Stage::kPorts);
  EXPECT_EQ(launcher_.stats().daemon_reservations, 2u);
  // The daemon starts on both: its room was kept.
  auto daemons = launcher_.Launch(DaemonStart({"a", "b"}, 512, {8080}));
  ASSERT_TRUE(daemons.ok()) << daemons.status().ToString();
  EXPECT_EQ(PerInstance(*daemons), (std::map<std::string, int>{{"a", 1}, {"b", 1}}));
  EXPECT_TRUE(daemons->instance_failures.empty());
  EXPECT_EQ(launcher_.stats().daemon_reservations, 0u);  // its tasks hold the room now
  auto full = launcher_.Launch(Request(1, 0, 1));
  ASSERT_TRUE(full.ok());
  EXPECT_TRUE(full->tasks.empty());
  EXPECT_EQ(launcher_.stats().snapshot_builds, 1u);  // all of it in place
}

TEST_F(LauncherTest, AStoppedDaemonTaskKeepsItsRoomAndAWithdrawnClaimFreesIt) {
  AddInstance(Instance("a", 1024, 1024));
  launcher_.ReserveForDaemon("environment:logs", Daemon(0, 512));
  auto started = launcher_.Launch(DaemonStart({"a"}, 512));
  ASSERT_TRUE(started.ok());
  ASSERT_EQ(started->tasks.size(), 1u);
  v1::Task daemon = *started->tasks[0];
  daemon.mutable_status()->set_last_status("STOPPED");  // it died; its controller restarts it
  launcher_.ObserveTask(daemon);
  EXPECT_EQ(launcher_.stats().daemon_reservations, 1u);
  auto replicas = launcher_.Launch(Request(2, 0, 512));
  ASSERT_TRUE(replicas.ok());
  EXPECT_EQ(replicas->tasks.size(), 1u);  // not two: half of `a` waits for the daemon
  // A preview of the daemon's start finds its room and leaves the claim standing.
  LaunchSpec preview = DaemonStart({"a"}, 512);
  preview.dry_run = true;
  auto previewed = launcher_.Launch(preview);
  ASSERT_TRUE(previewed.ok());
  EXPECT_EQ(previewed->tasks.size(), 1u);
  EXPECT_EQ(launcher_.stats().daemon_reservations, 1u);
  auto still = launcher_.Launch(Request(1, 0, 512));
  ASSERT_TRUE(still.ok());
  EXPECT_TRUE(still->tasks.empty());
  // The Environment is deleted: the room is anyone's.
  launcher_.ReserveForDaemon("environment:logs", std::nullopt);
  auto freed = launcher_.Launch(Request(1, 0, 512));
  ASSERT_TRUE(freed.ok());
  EXPECT_EQ(freed->tasks.size(), 1u);
  EXPECT_EQ(launcher_.stats().daemon_reservations, 0u);
}

TEST_F(LauncherTest, ADaemonClaimsOnlyTheActiveInstancesItsFilterMatches) {
  v1::ContainerInstance logging = Instance("logging", 1024, 1024);
  auto* role = logging.mutable_spec()->add_attributes();
  role->set_name("role");
  role->set_value("logging");
  AddInstance(logging);
  AddInstance(Instance("web", 1024, 1024));
  v1::ContainerInstance draining = Instance("draining", 1024, 1024, "DRAINING");
  *draining.mutable_spec()->add_attributes() = *role;
  AddInstance(draining);
  launcher_.ReserveForDaemon("environment:logs", Daemon(0, 1024, {}, "attribute:role == logging"));
  auto replicas = launcher_.Launch(Request(2, 0, 1024));
  ASSERT_TRUE(replicas.ok());
  EXPECT_EQ(PerInstance(*replicas), (std::map<std::string, int>{{"web", 1}}));
  EXPECT_EQ(launcher_.stats().daemon_reservations, 1u);
  // A filter placement cannot read claims nothing (the Environment's status reports it).
  launcher_.ReserveForDaemon("environment:logs", Daemon(0, 1024, {}, "attribute:role =="));
  auto anywhere = launcher_.Launch(Request(1, 0, 1024));
  ASSERT_TRUE(anywhere.ok());
  EXPECT_EQ(PerInstance(*anywhere), (std::map<std::string, int>{{"logging", 1}}));
}

// A roll to a bigger revision: the old task holds part of the room, the claim the rest; with
// the old one stopped the whole of it; the new task takes it.
TEST_F(LauncherTest, ARollToABiggerRevisionClaimsWhatTheOldTaskDoesNotHold) {
  AddInstance(Instance("a", 1024, 1024));
  launcher_.ReserveForDaemon("environment:logs", Daemon(0, 256));
  auto old_task = launcher_.Launch(DaemonStart({"a"}, 256));
  ASSERT_TRUE(old_task.ok());
  ASSERT_EQ(old_task->tasks.size(), 1u);
  launcher_.ReserveForDaemon("environment:logs", Daemon(0, 768));
  auto replicas = launcher_.Launch(Request(2, 0, 256));
  ASSERT_TRUE(replicas.ok());
  EXPECT_EQ(replicas->tasks.size(), 1u);  // 1024 - 256 held - 512 claimed
  EXPECT_EQ(launcher_.stats().daemon_reservations, 1u);
  v1::Task stopped = *old_task->tasks[0];
  stopped.mutable_status()->set_last_status("STOPPED");
  launcher_.ObserveTask(stopped);  // the roll drains it: all 768 claimed, none left
  auto none = launcher_.Launch(Request(1, 0, 1));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->tasks.empty());
  auto renewed = launcher_.Launch(DaemonStart({"a"}, 768));
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->tasks.size(), 1u);
  EXPECT_EQ(launcher_.stats().daemon_reservations, 0u);
}

// gantryd's placement metrics: every launch is told, with each task's reason when it found no
// instance; a preview is not.
TEST_F(LauncherTest, TheObserverHearsOfEveryLaunchButPreviews) {
  struct Heard : PlacementObserver {
    void ObservePlacement(const std::string& cluster, double seconds, size_t placed,
                          const std::vector<std::string>& reasons) override {
      calls.push_back({cluster, placed, reasons});
      EXPECT_GE(seconds, 0.0);
    }
    struct Call {
      std::string cluster;
      size_t placed;
      std::vector<std::string> reasons;
    };
    std::vector<Call> calls;
  } heard;
  launcher_.SetObserver(&heard);
  AddInstance(Instance("a", 1024, 1024));
  AddInstance(Instance("small", 1024, 128));
  ASSERT_TRUE(launcher_.Launch(Request(3, 0, 512)).ok());  // two fit on `a`
  LaunchSpec preview = Request(1, 0, 0);
  preview.dry_run = true;
  ASSERT_TRUE(launcher_.Launch(preview).ok());
  LaunchSpec given = Request(1, 0, 256);
  given.instances = {"small", "nowhere"};
  ASSERT_TRUE(launcher_.Launch(given).ok());
  ASSERT_EQ(heard.calls.size(), 2u);
  EXPECT_EQ(heard.calls[0].cluster, "default");
  EXPECT_EQ(heard.calls[0].placed, 2u);
  EXPECT_EQ(heard.calls[0].reasons, std::vector<std::string>{"RESOURCE:MEMORY"});
  EXPECT_EQ(heard.calls[1].placed, 0u);
  EXPECT_EQ(heard.calls[1].reasons, (std::vector<std::string>{"RESOURCE:MEMORY", "MISSING"}));
}

// What the store holds, checked at every revision: no instance's cpu, memory or host ports are
// ever over-committed, whoever placed the tasks.
class CommitChecker {
 public:
  explicit CommitChecker(std::map<std::string, std::pair<int, int>> capacity)
      : capacity_(std::move(capacity)) {}
  void Apply(const ObjectEvent& e, int64_t revision) {
    if (revision != revision_) Check();
    revision_ = revision;
    const auto& t = static_cast<const v1::Task&>(*e.object);
    if (e.type == ObjectEvent::Type::kDeleted || t.status().last_status() == "STOPPED") {
      held_.erase(t.metadata().name());
    } else {
      held_[t.metadata().name()] = t;
    }
    ++events_;
  }
  void Check() {
    std::map<std::string, std::pair<int, int>> used;
    std::set<std::pair<std::string, int>> ports;
    for (const auto& [name, t] : held_) {
      auto& u = used[t.spec().container_instance()];
      u.first += t.spec().cpu();
      u.second += t.spec().memory();
      for (int p : t.spec().host_ports()) {
        if (!ports.insert({t.spec().container_instance(), p}).second) {
          ADD_FAILURE() << "port " << p << " twice on " << t.spec().container_instance()
                        << " at revision " << revision_;
        }
      }
    }
    for (const auto& [instance, u] : used) {
      if (u.first > capacity_.at(instance).first || u.second > capacity_.at(instance).second) {
        ADD_FAILURE() << instance << " over-committed at revision " << revision_ << ": cpu "
                      << u.first << ", memory " << u.second;
      }
    }
  }
  size_t events() const { return events_; }

 private:
  std::map<std::string, std::pair<int, int>> capacity_;
  std::map<std::string, v1::Task> held_;
  int64_t revision_ = 0;
  size_t events_ = 0;
};

// Eight RunTask-like clients and a controller scaling its own group up and down, on a cluster
// where binpack sends them all to the same instances and host port 8080 has four places.
TEST_F(LauncherTest, ConcurrentLaunchesNeverOverCommitAndCommitEachPlacementOnce) {
  std::map<std::string, std::pair<int, int>> capacity;
  for (int i = 0; i < 4; ++i) {
    AddInstance(Instance("i-" + std::to_string(i), 4096, 8192));
    capacity["i-" + std::to_string(i)] = {4096, 8192};
  }
  const schema::KindInfo& task_kind = *schema::FindKind("Task");
  auto informer_watch = objects_.Watch(task_kind, std::to_string(store_.CurrentRevision()));
  auto checker_watch = objects_.Watch(task_kind, std::to_string(store_.CurrentRevision()));
  ASSERT_TRUE(informer_watch.ok() && checker_watch.ok());
  std::atomic<bool> done{false};
  // The informer: every task change reaches the launcher, as the shared informer will.
  std::thread informer([&] {
    ObjectEvent e;
    while (!done.load()) {
      if ((*informer_watch)->Next(e, std::chrono::milliseconds(20)) != ObjectWatch::Poll::kEvent)
        continue;
      const auto& t = static_cast<const v1::Task&>(*e.object);
      if (e.type == ObjectEvent::Type::kDeleted) {
        launcher_.ForgetTask(t);
      } else {
        launcher_.ObserveTask(t);
      }
    }
  });

  std::mutex accepted_mu;
  std::multiset<std::string> accepted;
  auto record = [&](const LaunchOutcome& o) {
    std::lock_guard lock(accepted_mu);
    for (const auto& t : o.tasks) accepted.insert(t->metadata().name());
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 rng(c);
      std::vector<std::shared_ptr<const v1::Task>> previous;
      for (int k = 0; k < 60; ++k) {
        LaunchSpec spec =
            Request(1 + static_cast<int>(rng() % 3), 128 * (1 + rng() % 4), 256 * (1 + rng() % 4));
        if (rng() % 3 == 0) spec.request.ports = {8080};
        spec.request.group = "family:client" + std::to_string(c);
        if (rng() % 2) spec.request.strategies = {{"spread", "instanceId"}};
        spec.request.seed = rng();
        auto o = launcher_.Launch(spec);
        ASSERT_TRUE(o.ok()) << o.status().ToString();
        record(*o);
        // The previous launch's tasks stop, as agents and users stop them.
        for (const auto& t : previous) {
          v1::Task stopped = *t;
          stopped.mutable_status()->set_last_status("STOPPED");
          ASSERT_TRUE(objects_.UpdateStatus(stopped).ok());
        }
        previous = o->tasks;
      }
    });
  }
  std::thread controller([&] {
    std::vector<std::shared_ptr<const v1::Task>> mine;
    std::mt19937 rng(99);
    for (int round = 0; round < 40; ++round) {
      if (mine.size() < 6) {
        LaunchSpec spec = Request(3, 256, 512);
        spec.request.group = "service:scaled";
        spec.request.constraints = {{"distinctInstance", std::nullopt}};
        spec.request.seed = rng();
        auto o = launcher_.Launch(spec);
        ASSERT_TRUE(o.ok());
        record(*o);
        mine.insert(mine.end(), o->tasks.begin(), o->tasks.end());
      } else {
        for (int k = 0; k < 3; ++k) {
          v1::Task stopped = *mine.back();
          mine.pop_back();
          stopped.mutable_status()->set_last_status("STOPPED");
          ASSERT_TRUE(objects_.UpdateStatus(stopped).ok());
        }
      }
    }
  });
  for (auto& t : clients) t.join();
  controller.join();

  CommitChecker checker(capacity);
  ObjectEvent e;
  while ((*checker_watch)->Next(e, std::chrono::milliseconds(100)) == ObjectWatch::Poll::kEvent) {
    checker.Apply(e, std::stoll(schema::MetaOf(*e.object).resource_version()));
  }
  checker.Check();
  done = true;
  informer.join();

  // Every accepted placement is in the store exactly once, and nothing else is.
  std::multiset<std::string> stored;
  for (const auto& t : StoredTasks()) stored.insert(t.metadata().name());
  EXPECT_EQ(stored, accepted);
  EXPECT_EQ(std::set<std::string>(accepted.begin(), accepted.end()).size(), accepted.size());
  EXPECT_GT(accepted.size(), 40u);  // how many depends on when the informer sees stops
  EXPECT_GT(checker.events(), accepted.size());
}

}  // namespace
}  // namespace gantry::api
