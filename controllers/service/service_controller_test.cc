#include "controllers/service/service_controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "api/clock/fake_clock.h"
#include "api/clock/format_time.h"
#include "api/schema/kinds.h"
#include "api/service/local_client.h"
#include "controllers/runtime/manager.h"
#include "gantry/v1/objects.pb.h"
#include "store/memory/memory_store.h"
#include "tests/testlib/eventually.h"

namespace gantry::controllers::service {
namespace {

const schema::KindInfo& TaskKind() { return *schema::FindKind("Task"); }

v1::TaskDefinition Definition(const std::string& command) {
  v1::TaskDefinition td;
  td.set_api_version("gantry.dev/v1");
  td.set_kind("TaskDefinition");
  td.mutable_metadata()->set_name("web");
  auto* c = td.mutable_spec()->add_containers();
  c->set_name("app");
  c->add_command(command);
  c->set_cpu(128);
  c->set_memory(128);
  return td;
}

v1::Service WebService(int desired) {
  v1::Service s;
  s.set_api_version("gantry.dev/v1");
  s.set_kind("Service");
  s.mutable_metadata()->set_name("web");
  s.mutable_spec()->set_cluster("default");
  s.mutable_spec()->set_task_definition("web");
  s.mutable_spec()->set_desired_count(desired);
  return s;
}

// The controller on a memory store, with a launcher fake that places round-robin on the
// cluster's instances (placement itself is tested in placement/ and api/service).
class ServiceControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* zone : {"us-east-1a", "us-east-1b", "us-east-1c"}) {
      v1::ContainerInstance ci;
      ci.set_api_version("gantry.dev/v1");
      ci.set_kind("ContainerInstance");
      ci.mutable_metadata()->set_name(std::string("i-") + zone);
      ci.mutable_spec()->set_cluster("default");
      auto* a = ci.mutable_spec()->add_attributes();
      a->set_name("ecs.availability-zone");
      a->set_value(zone);
      ci.mutable_spec()->mutable_registered_resources()->set_cpu(4096);
      ci.mutable_spec()->mutable_registered_resources()->set_memory(8192);
      ci.mutable_status()->set_status("ACTIVE");
      ci.mutable_status()->set_agent_connected(true);
      ASSERT_TRUE(objects_.Create(ci, {.keep_status = true}).ok());
      instances_.push_back(ci.metadata().name());
    }
    ASSERT_TRUE(objects_.Apply(Definition("/bin/true")).ok());
  }
  void Start() {
    manager_ = std::make_unique<runtime::Manager>(client_, clock_);
    controller_ = std::make_unique<ServiceController>(client_, clock_, manager_->informers(),
                                                      runtime::ControllerOptions{}, 7);
    manager_->Add(controller_->controller());
    ASSERT_TRUE(manager_->Start(std::chrono::seconds(10)).ok());
  }
  void TearDown() override {
    if (manager_) manager_->Stop();
  }
  api::StatusOr<v1::LaunchResponse> FakeLaunch(const v1::LaunchRequest& r) {
    v1::LaunchResponse out;
    if (full_) {  // no instance has room
      ++full_attempts_;
      auto* failure = out.add_failures();
      failure->set_arn("arn:aws:ecs:us-east-1:000000000000:cluster/default");
      failure->set_reason("RESOURCE:MEMORY");
      return out;
    }
    for (int i = 0; i < r.count(); ++i) {
      v1::Task t;
      t.set_api_version("gantry.dev/v1");
      t.set_kind("Task");
      const int n = next_++;
      t.mutable_metadata()->set_name("t" + std::to_string(n));
      t.mutable_spec()->set_cluster(r.cluster());
      t.mutable_spec()->set_task_definition(r.task_definition());
      t.mutable_spec()->set_group(r.group());
      t.mutable_spec()->set_started_by(r.started_by());
      t.mutable_spec()->set_container_instance(instances_[n % instances_.size()]);
      t.mutable_spec()->set_desired_status("RUNNING");
      t.mutable_status()->set_last_status("PENDING");
      if (r.dry_run()) {  // where it would go; nothing written
        --next_;
        *out.add_tasks() = t;
        continue;
      }
      auto created = objects_.Create(t, {.keep_status = true});
      if (!created.ok()) return created.status();
      *out.add_tasks() = static_cast<const v1::Task&>(**created);
    }
    return out;
  }
  // The service's tasks as stored, that have not been told to stop.
  std::vector<v1::Task> Live() {
    std::vector<v1::Task> out;
    auto listed = objects_.List(TaskKind());
    if (!listed.ok()) return out;
    for (const auto& o : listed->items) {
      const auto& t = static_cast<const v1::Task&>(*o);
      if (t.spec().group() == "service:web" && t.spec().desired_status() == "RUNNING")
        out.push_back(t);
    }
    return out;
  }
  // What an agent does: every live PENDING task RUNNING, every stopped one STOPPED. Read and
  // written as one step, as the controller may be writing the same task.
  void RunEverything() {
    auto listed = objects_.List(TaskKind());
    ASSERT_TRUE(listed.ok());
    for (const auto& o : listed->items) {
      auto ran = objects_.Mutate(
          TaskKind(), schema::MetaOf(*o).name(),
          [](google::protobuf::Message& m) -> api::StatusOr<bool> {
            auto& t = static_cast<v1::Task&>(m);
            const std::string want = t.spec().desired_status() == "STOPPED" ? "STOPPED" : "RUNNING";
            if (t.status().last_status() == want) return false;
            t.mutable_status()->set_last_status(want);
            return true;
          });
      ASSERT_TRUE(ran.ok()) << ran.status().ToString();
    }
  }
  // The task stops on its own, as a crashed process's agent reports it.
  void Die(const std::string& task) {
    auto died =
        objects_.Mutate(TaskKind(), task, [&](google::protobuf::Message& m) -> api::StatusOr<bool> {
          auto* st = static_cast<v1::Task&>(m).mutable_status();
          st->set_last_status("STOPPED");
          st->set_stopped_at(clock::FormatTime(clock_.Now()));
          return true;
        });
    ASSERT_TRUE(died.ok()) << died.status().ToString();
  }
  v1::Service Stored() {
    auto got = objects_.Get(*schema::FindKind("Service"), "web");
    EXPECT_TRUE(got.ok());
    return got.ok() ? static_cast<const v1::Service&>(**got) : v1::Service();
  }
  // Waits (bounded, in real time) for `done`, moving fake time along so the controller's
  // retries (a write that met a changed task, a look again once the caches catch up) come due.
  bool Eventually(const std::function<bool()>& done) {
    return testlib::Eventually(
        [&] {
          if (done()) return true;
          clock_.Advance(std::chrono::milliseconds(100));
          return false;
        },
        std::chrono::seconds(10), std::chrono::milliseconds(2));
  }

  clock::FakeClock clock_;
  store::MemoryStore store_;
  api::ObjectService objects_{store_, clock_};
  api::LocalClient client_{objects_, [this](const v1::LaunchRequest& r) { return FakeLaunch(r); }};
  std::vector<std::string> instances_;
  std::atomic<int> next_{0};
  std::atomic<bool> full_{false};
  std::atomic<int> full_attempts_{0};
  std::unique_ptr<runtime::Manager> manager_;
  std::unique_ptr<ServiceController> controller_;
};

TEST_F(ServiceControllerTest, ResolvesTheLatestActiveRevisionOrTheOneNamed) {
  ASSERT_TRUE(objects_.Apply(Definition("/bin/false")).ok());  // web:2
  Start();
  ASSERT_TRUE(Eventually([&] { return controller_->Resolve("web") == "web:2"; }));
  EXPECT_EQ(controller_->Resolve("web:1"), "web:1");
  EXPECT_EQ(controller_->Resolve("arn:aws:ecs:us-east-1:000000000000:task-definition/web:1"),
            "web:1");
  EXPECT_EQ(controller_->Resolve("web:9"), "");
  EXPECT_EQ(controller_->Resolve("nothing"), "");
}

TEST_F(ServiceControllerTest, KeepsDesiredCountScalesAndRollsANewRevision) {
  ASSERT_TRUE(objects_.Apply(WebService(3)).ok());
  Start();
  // Converges: three tasks of one deployment, and no more however often it looks.
  ASSERT_TRUE(Eventually([&] { return Live().size() == 3; }));
  const std::string deployment = Live().front().spec().started_by();
  EXPECT_EQ(deployment.rfind("ecs-svc/", 0), 0u);
  for (const auto& t : Live()) {
    EXPECT_EQ(t.spec().started_by(), deployment);
    EXPECT_EQ(t.spec().task_definition(), "web:1");
  }
  RunEverything();
  ASSERT_TRUE(Eventually([&] {
    const v1::Service s = Stored();
    return s.status().running_count() == 3 && s.status().deployments_size() == 1 &&
           s.status().deployments(0).rollout_state() == "COMPLETED";
  }));
  EXPECT_EQ(Live().size(), 3u);
  EXPECT_EQ(next_.load(), 3) << "launched again before its caches showed the first launch";

  // A task dies: it is replaced.
  Die(Live().front().metadata().name());
  ASSERT_TRUE(Eventually([&] {
    int live = 0;
    for (const auto& t : Live()) live += t.status().last_status() != "STOPPED";
    return live == 3;
  }));
  RunEverything();

  // Scaled in to one: two are told to stop.
  ASSERT_TRUE(objects_.Apply(WebService(1)).ok());
  ASSERT_TRUE(Eventually([&] {
    int live = 0;
    for (const auto& t : Live()) live += t.status().last_status() != "STOPPED";
    return live == 1;
  }));
  RunEverything();

  // A new revision of the family: a new deployment rolls it, and the old task goes.
  ASSERT_TRUE(objects_.Apply(Definition("/bin/sleep")).ok());  // web:2
  ASSERT_TRUE(Eventually([&] {
    for (const auto& t : Live())
      if (t.spec().task_definition() == "web:2") return true;
    return false;
  }));
  RunEverything();
  ASSERT_TRUE(Eventually([&] {
    auto live = Live();
    bool all_new = true;
    for (const auto& t : live) all_new &= t.spec().task_definition() == "web:2";
    return live.size() == 1 && all_new;
  }));
  RunEverything();
  ASSERT_TRUE(Eventually([&] {
    const v1::Service s = Stored();
    return s.status().deployments_size() == 1 &&
           s.status().deployments(0).task_definition() == "web:2" &&
           s.status().deployments(0).rollout_state() == "COMPLETED";
  }));
  EXPECT_NE(Stored().status().deployments(0).id(), deployment);
}

// Tasks the cluster has no room for: the service says Stalled (with ECS's words) until a later
// pass places them, when the cluster changes (not on a timer).
TEST_F(ServiceControllerTest, UnplaceableTasksStallTheServiceUntilTheyPlace) {
  full_ = true;
  ASSERT_TRUE(objects_.Apply(WebService(2)).ok());
  Start();
  auto stalled = [&] {
    const v1::Service s = Stored();  // the range below must not outlive it
    for (const auto& c : s.status().conditions())
      if (c.type() == "Stalled") return c;
    return v1::Condition();
  };
  ASSERT_TRUE(Eventually([&] { return stalled().status() == "True"; }));
  EXPECT_EQ(stalled().reason(), "Unplaceable");
  EXPECT_EQ(stalled().message(),
            "(service web) was unable to place a task because no container instance met all of "
            "its requirements. Reason: RESOURCE:MEMORY");
  EXPECT_TRUE(Live().empty());
  // Nothing changed: however long it waits, it does not try again. (Its own status write makes
  // one more pass; that settles first.)
  int attempts = -1;
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        const int before = full_attempts_.load();
        const bool settled = before == attempts;
        attempts = before;
        return settled;
      },
      std::chrono::seconds(5), std::chrono::milliseconds(100)));
  for (int i = 0; i < 60; ++i) clock_.Advance(std::chrono::seconds(1));
  EXPECT_FALSE(testlib::Eventually([&] { return full_attempts_.load() != attempts; },
                                   std::chrono::milliseconds(300)));
  // Another task of the cluster stops: room, and the retry places them.
  full_ = false;
  v1::Task other;
  other.set_api_version("gantry.dev/v1");
  other.set_kind("Task");
  other.mutable_metadata()->set_name("other");
  other.mutable_spec()->set_cluster("default");
  other.mutable_spec()->set_group("family:batch");
  other.mutable_spec()->set_task_definition("web:1");
  other.mutable_spec()->set_container_instance(instances_[0]);
  other.mutable_spec()->set_desired_status("RUNNING");
  other.mutable_status()->set_last_status("RUNNING");
  ASSERT_TRUE(objects_.Create(other, {.keep_status = true}).ok());
  Die("other");
  ASSERT_TRUE(Eventually([&] { return Live().size() == 2 && stalled().status() == "False"; }));
}

// A deleted service's tasks are stopped (ECS's delete-service --force); they stay as STOPPED.
TEST_F(ServiceControllerTest, ADeletedServiceStopsItsTasks) {
  ASSERT_TRUE(objects_.Apply(WebService(3)).ok());
  Start();
  ASSERT_TRUE(Eventually([&] { return Live().size() == 3; }));
  RunEverything();
  ASSERT_TRUE(objects_.Delete(*schema::FindKind("Service"), "web").ok());
  ASSERT_TRUE(Eventually([&] { return Live().empty(); }));
  auto listed = objects_.List(TaskKind());
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->items.size(), 3u);
  for (const auto& o : listed->items) {
    EXPECT_EQ(static_cast<const v1::Task&>(*o).spec().stopped_reason(), "Service web was deleted");
  }
}

// Tasks that keep dying are replaced after a doubling wait, not at once: 1 s after the first,
// 2 s after the second.
TEST_F(ServiceControllerTest, TasksThatKeepFailingAreReplacedWithBackoff) {
  ASSERT_TRUE(objects_.Apply(WebService(1)).ok());
  Start();
  ASSERT_TRUE(Eventually([&] { return Live().size() == 1; }));
  RunEverything();
  ASSERT_TRUE(Eventually([&] {
    return Stored().status().deployments_size() == 1 &&
           Stored().status().deployments(0).rollout_state() == "COMPLETED";
  }));
  auto die = [&] {
    for (const v1::Task& t : Live()) {
      if (t.status().last_status() != "STOPPED") Die(t.metadata().name());
    }
  };
  auto running = [&] {
    int n = 0;
    for (const auto& t : Live()) n += t.status().last_status() != "STOPPED";
    return n;
  };
  auto waits_at_least = [&](std::chrono::milliseconds hold) {
    // Fake time short of the hold: no replacement, however long the workers get.
    clock_.Advance(hold - std::chrono::milliseconds(100));
    EXPECT_FALSE(
        testlib::Eventually([&] { return running() == 1; }, std::chrono::milliseconds(300)))
        << "replaced before " << hold.count() << " ms";
    // Past it: replaced.
    EXPECT_TRUE(Eventually([&] { return running() == 1; }));
  };
  die();
  waits_at_least(std::chrono::milliseconds(1000));
  die();
  waits_at_least(std::chrono::milliseconds(2000));
}

}  // namespace
}  // namespace gantry::controllers::service

namespace gantry::controllers::service {
namespace {

// A revision whose tasks keep failing trips the circuit breaker (threshold 3 at desired 2) and
// the deployment that ran before is restored; the service's events tell it as ECS does.
TEST_F(ServiceControllerTest, AFailingRevisionTripsTheCircuitBreakerAndRollsBack) {
  v1::Service web = WebService(2);
  auto* breaker =
      web.mutable_spec()->mutable_deployment_configuration()->mutable_deployment_circuit_breaker();
  breaker->set_enable(true);
  breaker->set_rollback(true);
  ASSERT_TRUE(objects_.Apply(web).ok());
  Start();
  ASSERT_TRUE(Eventually([&] { return Live().size() == 2; }));
  RunEverything();
  ASSERT_TRUE(Eventually([&] {
    const v1::Service s = Stored();
    return s.status().history_size() == 1 && s.status().history(0).status() == "SUCCESSFUL";
  }));
  const std::string first = Stored().status().history(0).id();

  ASSERT_TRUE(objects_.Apply(Definition("/bin/false")).ok());  // web:2, whose tasks die
  ASSERT_TRUE(Eventually([&] {
    for (const v1::Task& t : Live()) {
      if (t.spec().task_definition() == "web:2" && t.status().last_status() == "PENDING")
        Die(t.metadata().name());
    }
    const v1::Service s = Stored();
    return s.status().history_size() == 2 &&
           s.status().history(0).status() == "ROLLBACK_SUCCESSFUL";
  }));
  const v1::Service s = Stored();
  const auto& failed = s.status().history(0);
  EXPECT_EQ(failed.target_revision(), "web:2");
  EXPECT_EQ(failed.rollback_deployment(), first);
  EXPECT_EQ(failed.rollback_revision(), "web:1");
  EXPECT_GE(failed.failed_count(), 3);
  EXPECT_EQ(failed.circuit_breaker_threshold(), 3);
  ASSERT_EQ(s.status().deployments_size(), 1);
  EXPECT_EQ(s.status().deployments(0).id(), first);
  for (const v1::Task& t : Live()) {
    if (t.status().last_status() != "STOPPED") {
      EXPECT_EQ(t.spec().task_definition(), "web:1");
    }
  }
  std::vector<std::string> said;
  for (const auto& e : s.status().events()) said.push_back(e.message());
  auto told = [&](const std::string& text) {
    return std::any_of(said.begin(), said.end(),
                       [&](const std::string& m) { return m.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(told("(service web) rolling back to deployment " + first + "."));
  EXPECT_TRUE(told("deployment failed: deployment circuit breaker"));
  EXPECT_TRUE(told("(service web) has started 2 tasks:"));
  EXPECT_TRUE(told("(service web) has reached a steady state."));
  // It stays there: no further attempt at web:2 however long it looks.
  const int launched = next_.load();
  for (int i = 0; i < 20; ++i) clock_.Advance(std::chrono::seconds(1));
  EXPECT_FALSE(testlib::Eventually([&] { return next_.load() != launched; },
                                   std::chrono::milliseconds(300)));
}

}  // namespace
}  // namespace gantry::controllers::service

namespace gantry::controllers::service {
namespace {

// What a pass would do for a Service as proposed, against the live caches, writing nothing.
TEST_F(ServiceControllerTest, PreviewPlansWithoutWriting) {
  ASSERT_TRUE(objects_.Apply(WebService(3)).ok());
  Start();
  ASSERT_TRUE(Eventually([&] { return Live().size() == 3; }));
  RunEverything();
  ASSERT_TRUE(Eventually([&] { return Stored().status().running_count() == 3; }));
  const int launched = next_.load();

  v1::Service proposed = Stored();
  proposed.mutable_spec()->set_desired_count(5);
  auto preview = controller_->Preview(proposed);
  ASSERT_TRUE(preview.ok()) << preview.status().ToString();
  EXPECT_EQ(preview->service(), "web");
  EXPECT_FALSE(preview->new_deployment());
  EXPECT_EQ(preview->deployment(), Stored().status().deployments(0).id());
  EXPECT_EQ(preview->task_definition(), "web:1");
  EXPECT_EQ(preview->running_count(), 3);
  EXPECT_EQ(preview->start_size(), 2);
  EXPECT_EQ(preview->stop_size(), 0);
  EXPECT_EQ(preview->unplaced(), 0);
  EXPECT_EQ(preview->state(), "PROGRESSING");
  for (const auto& t : preview->start()) {
    EXPECT_FALSE(t.container_instance().empty());
    EXPECT_EQ(t.availability_zone(), t.container_instance().substr(2));  // i-<zone>
  }
  // A scale-in names the tasks it would stop, and where they run.
  proposed.mutable_spec()->set_desired_count(1);
  preview = controller_->Preview(proposed);
  ASSERT_TRUE(preview.ok());
  EXPECT_EQ(preview->stop_size(), 2);
  EXPECT_EQ(preview->start_size(), 0);
  // A revision that does not exist is an error, not a plan.
  proposed.mutable_spec()->set_task_definition("nothing:9");
  preview = controller_->Preview(proposed);
  EXPECT_EQ(preview.status().code(), api::Code::kFailedPrecondition);
  EXPECT_EQ(preview.status().field(), "spec.taskDefinition");
  // Nothing was written or launched.
  EXPECT_EQ(next_.load(), launched);
  EXPECT_EQ(Live().size(), 3u);
  EXPECT_EQ(Stored().spec().desired_count(), 3);
}

}  // namespace
}  // namespace gantry::controllers::service
