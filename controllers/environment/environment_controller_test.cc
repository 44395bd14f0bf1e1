#include "controllers/environment/environment_controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <vector>

#include "api/clock/fake_clock.h"
#include "api/clock/format_time.h"
#include "api/schema/kinds.h"
#include "api/service/local_client.h"
#include "controllers/runtime/manager.h"
#include "store/memory/memory_store.h"
#include "tests/testlib/eventually.h"

namespace gantry::controllers::environment {
namespace {

const schema::KindInfo& TaskKind() { return *schema::FindKind("Task"); }
const schema::KindInfo& InstanceKind() { return *schema::FindKind("ContainerInstance"); }

v1::TaskDefinition Definition(const std::string& command) {
  v1::TaskDefinition td;
  td.set_api_version("gantry.dev/v1");
  td.set_kind("TaskDefinition");
  td.mutable_metadata()->set_name("logagent");
  auto* c = td.mutable_spec()->add_containers();
  c->set_name("agent");
  c->add_command(command);
  c->set_cpu(64);
  c->set_memory(64);
  return td;
}

v1::Environment Logs(const std::string& filter = "") {
  v1::Environment e;
  e.set_api_version("gantry.dev/v1");
  e.set_kind("Environment");
  e.mutable_metadata()->set_name("logs");
  e.mutable_spec()->set_task_definition("logagent");
  e.mutable_spec()->mutable_instance_group()->set_cluster("default");
  e.mutable_spec()->mutable_instance_group()->set_filter(filter);
  return e;
}

// The controller on a memory store, with a launcher fake that starts one task on each instance
// named (StartTask), except instances called i-full, and i-late while the launcher is behind.
class EnvironmentControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"i-1", "i-2", "i-3"}) AddInstance(name, "logging");
    ASSERT_TRUE(objects_.Apply(Definition("/bin/sleep")).ok());
  }
  void AddInstance(const std::string& name, const std::string& role) {
    v1::ContainerInstance ci;
    ci.set_api_version("gantry.dev/v1");
    ci.set_kind("ContainerInstance");
    ci.mutable_metadata()->set_name(name);
    ci.mutable_spec()->set_cluster("default");
    auto* a = ci.mutable_spec()->add_attributes();
    a->set_name("role");
    a->set_value(role);
    ci.mutable_spec()->mutable_registered_resources()->set_cpu(1024);
    ci.mutable_spec()->mutable_registered_resources()->set_memory(1024);
    ci.mutable_status()->set_status("ACTIVE");
    ci.mutable_status()->set_agent_connected(true);
    ASSERT_TRUE(objects_.Create(ci, {.keep_status = true}).ok());
  }
  void SetStatus(const std::string& instance, const std::string& status) {
    ASSERT_TRUE(objects_
                    .Mutate(InstanceKind(), instance,
                            [&](google::protobuf::Message& m) -> api::StatusOr<bool> {
                              static_cast<v1::ContainerInstance&>(m).mutable_status()->set_status(
                                  status);
                              return true;
                            })
                    .ok());
  }
  void Start() {
    manager_ = std::make_unique<runtime::Manager>(client_, clock_);
    controller_ = std::make_unique<EnvironmentController>(client_, clock_, manager_->informers(),
                                                          runtime::ControllerOptions{});
    manager_->Add(controller_->controller());
    ASSERT_TRUE(manager_->Start(std::chrono::seconds(10)).ok());
  }
  void TearDown() override {
    if (manager_) manager_->Stop();
  }
  api::StatusOr<v1::LaunchResponse> FakeLaunch(const v1::LaunchRequest& r) {
    v1::LaunchResponse out;
    for (const auto& instance : r.container_instances()) {
      if (instance == "i-late" && launcher_behind_) {
        auto* f = out.add_failures();
        f->set_arn("arn:aws:ecs:us-east-1:000000000000:container-instance/default/i-late");
        f->set_reason("MISSING");
        continue;
      }
      if (instance == "i-full") {
        auto* f = out.add_failures();
        f->set_arn("arn:aws:ecs:us-east-1:000000000000:container-instance/default/i-full");
        f->set_reason("RESOURCE:MEMORY");
        f->set_detail("0/1 instance: 1 insufficient memory");
        continue;
      }
      v1::Task t;
      t.set_api_version("gantry.dev/v1");
      t.set_kind("Task");
      t.mutable_metadata()->set_name("t" + std::to_string(next_++));
      t.mutable_spec()->set_cluster(r.cluster());
      t.mutable_spec()->set_task_definition(r.task_definition());
      t.mutable_spec()->set_group(r.group());
      t.mutable_spec()->set_container_instance(instance);
      t.mutable_spec()->set_desired_status("RUNNING");
      t.mutable_status()->set_last_status("PENDING");
      auto created = objects_.Create(t, {.keep_status = true});
      if (!created.ok()) return created.status();
      *out.add_tasks() = static_cast<const v1::Task&>(**created);
    }
    return out;
  }
  // Where the environment's live tasks are: instance -> revision, and how many in all.
  std::multimap<std::string, std::string> Live() {
    std::multimap<std::string, std::string> out;
    auto listed = objects_.List(TaskKind());
    if (!listed.ok()) return out;
    for (const auto& o : listed->items) {
      const auto& t = static_cast<const v1::Task&>(*o);
      if (t.spec().group() == "environment:logs" && t.spec().desired_status() == "RUNNING" &&
          t.status().last_status() != "STOPPED")
        out.emplace(t.spec().container_instance(), t.spec().task_definition());
    }
    return out;
  }
  // The agents: PENDING runs, told to stop stops.
  void Agents() {
    auto listed = objects_.List(TaskKind());
    ASSERT_TRUE(listed.ok());
    for (const auto& o : listed->items) {
      (void)objects_.Mutate(TaskKind(), schema::MetaOf(*o).name(),
                            [](google::protobuf::Message& m) -> api::StatusOr<bool> {
                              auto& t = static_cast<v1::Task&>(m);
                              const std::string want =
                                  t.spec().desired_status() == "STOPPED" ? "STOPPED" : "RUNNING";
                              if (t.status().last_status() == want) return false;
                              t.mutable_status()->set_last_status(want);
                              return true;
                            });
    }
  }
  v1::Environment Stored() {
    auto got = objects_.Get(*schema::FindKind("Environment"), "logs");
    return got.ok() ? static_cast<const v1::Environment&>(**got) : v1::Environment();
  }
  bool Eventually(const std::function<bool()>& done) {
    return testlib::Eventually(
        [&] {
          Agents();
          if (done()) return true;
          clock_.Advance(std::chrono::milliseconds(100));
          return false;
        },
        std::chrono::seconds(10), std::chrono::milliseconds(2));
  }
  std::string Ready() {
    const v1::Environment e = Stored();
    for (const auto& c : e.status().conditions())
      if (c.type() == "Ready") return c.status();
    return "";
  }

  clock::FakeClock clock_;
  store::MemoryStore store_;
  api::ObjectService objects_{store_, clock_};
  api::LocalClient client_{objects_, [this](const v1::LaunchRequest& r) { return FakeLaunch(r); }};
  std::atomic<int> next_{0};
  std::atomic<bool> launcher_behind_{false};  // has not seen i-late yet
  std::unique_ptr<runtime::Manager> manager_;
  std::unique_ptr<EnvironmentController> controller_;
};

TEST_F(EnvironmentControllerTest, OneTaskOnEveryInstanceFollowingJoinsAndDrains) {
  ASSERT_TRUE(objects_.Apply(Logs()).ok());
  Start();
  ASSERT_TRUE(Eventually([&] { return Live().size() == 3 && Ready() == "True"; }));
  for (const char* i : {"i-1", "i-2", "i-3"}) EXPECT_EQ(Live().count(i), 1u) << i;
  const v1::Environment e = Stored();
  EXPECT_EQ(e.status().instances_eligible(), 3);
  EXPECT_EQ(e.status().instances_covered(), 3);
  EXPECT_EQ(e.status().health(), "healthy");
  EXPECT_EQ(e.status().task_definition(), "logagent:1");
  const int launched = next_.load();

  // A new instance gets its task at once; nothing else is touched.
  AddInstance("i-4", "logging");
  ASSERT_TRUE(Eventually([&] { return Live().count("i-4") == 1 && Live().size() == 4; }));
  EXPECT_EQ(next_.load(), launched + 1);

  // A draining instance's task is stopped, not moved.
  SetStatus("i-2", "DRAINING");
  ASSERT_TRUE(Eventually([&] { return Live().count("i-2") == 0 && Live().size() == 3; }));
  EXPECT_EQ(next_.load(), launched + 1);
  SetStatus("i-2", "ACTIVE");
  ASSERT_TRUE(Eventually([&] { return Live().count("i-2") == 1; }));
}

// The launcher may judge from a view behind the controller's; when it catches up, no event
// reaches the controller, so a failed launch is tried again after a while.
TEST_F(EnvironmentControllerTest, ALaunchRefusedByALauncherBehindIsTriedAgain) {
  ASSERT_TRUE(objects_.Apply(Logs()).ok());
  Start();
  ASSERT_TRUE(Eventually([&] { return Live().size() == 3 && Ready() == "True"; }));
  launcher_behind_ = true;
  AddInstance("i-late", "logging");
  ASSERT_TRUE(Eventually([&] {
    const v1::Environment e = Stored();
    return Live().size() == 3 && e.status().instance_failures_size() == 1 &&
           e.status().instances_covered() == 3;
  }));
  EXPECT_EQ(Stored().status().failed_instances(0), "i-late");
  // The passes those changes started finish while the clock stands still.
  int64_t last = -1;
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        const int64_t now = store_.CurrentRevision();
        const bool still = now == last;
        last = now;
        return still;
      },
      std::chrono::seconds(5), std::chrono::milliseconds(100)));
  launcher_behind_ = false;  // no store write: nothing the controller watches changes
  ASSERT_TRUE(Eventually([&] { return Live().count("i-late") == 1 && Ready() == "True"; }));
  EXPECT_EQ(Stored().status().instance_failures_size(), 0);
}

TEST_F(EnvironmentControllerTest, TheFilterChoosesTheGroupAndAnInstanceWithoutRoomIsNamed) {
  AddInstance("i-web", "web");
  AddInstance("i-full", "logging");
  ASSERT_TRUE(objects_.Apply(Logs("attribute:role == logging")).ok());
  Start();
  ASSERT_TRUE(Eventually([&] {
    const v1::Environment e = Stored();
    return Live().size() == 3 && e.status().instance_failures_size() == 1 &&
           e.status().instances_covered() == 3;
  }));
  EXPECT_EQ(Live().count("i-web"), 0u);
  const v1::Environment e = Stored();
  EXPECT_EQ(e.status().instances_eligible(), 4);
  EXPECT_EQ(e.status().instances_covered(), 3);
  EXPECT_EQ(e.status().health(), "unhealthy");
  EXPECT_EQ(e.status().failed_instances(0), "i-full");
  EXPECT_EQ(e.status().instance_failures(0).reason(), "RESOURCE:MEMORY");
  EXPECT_EQ(e.status().instance_failures(0).detail(), "0/1 instance: 1 insufficient memory");
  // Told as an event too.
  auto events = objects_.List(*schema::FindKind("Event"));
  ASSERT_TRUE(events.ok());
  bool told = false;
  for (const auto& o : events->items) {
    const auto& ev = static_cast<const v1::Event&>(*o);
    told |= ev.spec().reason() == "FailedPlacement" &&
            ev.spec().message() ==
                "(environment logs) could not start its task on i-full. Reason: RESOURCE:MEMORY "
                "(0/1 instance: 1 insufficient memory)";
  }
  EXPECT_TRUE(told);
  bool stalled = false;
  for (const auto& c : e.status().conditions())
    stalled |= c.type() == "Stalled" && c.status() == "True" && c.reason() == "InstancesFailed";
  EXPECT_TRUE(stalled);
}

TEST_F(EnvironmentControllerTest, ANewRevisionRollsInstanceByInstance) {
  ASSERT_TRUE(objects_.Apply(Logs()).ok());
  Start();
  ASSERT_TRUE(Eventually([&] { return Live().size() == 3 && Ready() == "True"; }));
  ASSERT_TRUE(objects_.Apply(Definition("/bin/true")).ok());  // logagent:2
  // drainPercent 25 of three: one instance at a time, never two without a serving task.
  int most_unserved = 0;
  ASSERT_TRUE(Eventually([&] {
    auto live = Live();
    int unserved = 3;
    for (const char* i : {"i-1", "i-2", "i-3"}) unserved -= live.count(i) > 0;
    most_unserved = std::max(most_unserved, unserved);
    bool all_new = live.size() == 3;
    for (const auto& [instance, revision] : live) all_new &= revision == "logagent:2";
    return all_new && Ready() == "True";
  }));
  EXPECT_LE(most_unserved, 1);
  EXPECT_EQ(Stored().status().task_definition(), "logagent:2");
  // The roll was recorded as a Deployment (after logagent:1's, the first), completed once every
  // instance ran logagent:2.
  ASSERT_TRUE(Eventually([&] {
    auto got = objects_.Get(*schema::FindKind("Deployment"), "logs-2");
    if (!got.ok()) return false;
    const auto& d = static_cast<const v1::Deployment&>(**got);
    return d.spec().task_definition() == "logagent:2" && d.status().phase() == "COMPLETED";
  }));
  auto got = objects_.Get(*schema::FindKind("Deployment"), "logs-2");
  ASSERT_TRUE(got.ok());
  const auto& d = static_cast<const v1::Deployment&>(**got);
  EXPECT_EQ(d.status().instances_eligible(), 3);
  EXPECT_EQ(d.status().instances_covered(), 3);
  EXPECT_EQ(d.status().failed_tasks(), 0);
  EXPECT_FALSE(d.status().started_at().empty());
  EXPECT_FALSE(d.status().finished_at().empty());
  // The environment names it as the deployment it runs.
  EXPECT_TRUE(Eventually([&] { return Stored().status().active_deployment() == "logs-2"; }));
}

// A revision whose tasks keep dying trips the circuit breaker: the roll is ROLLED_BACK and the
// revision before runs again everywhere.
TEST_F(EnvironmentControllerTest, AFailingRevisionTripsTheBreakerAndRollsBack) {
  v1::Environment e = Logs();
  e.mutable_spec()->mutable_deployment_configuration()->mutable_circuit_breaker()->set_threshold(2);
  e.mutable_spec()->mutable_deployment_configuration()->mutable_circuit_breaker()->set_rollback(
      true);
  ASSERT_TRUE(objects_.Apply(e).ok());
  Start();
  ASSERT_TRUE(Eventually([&] { return Live().size() == 3 && Ready() == "True"; }));
  // logagent:1's roll is a deployment too, completed: what a rollback returns to.
  ASSERT_TRUE(objects_.Apply(Definition("/bin/false")).ok());  // logagent:2, whose tasks die
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        // The agents: logagent:2 tasks die at once, the others run.
        auto listed = objects_.List(TaskKind());
        for (const auto& o : listed->items) {
          (void)objects_.Mutate(
              TaskKind(), schema::MetaOf(*o).name(),
              [&](google::protobuf::Message& m) -> api::StatusOr<bool> {
                auto& t = static_cast<v1::Task&>(m);
                std::string want = t.spec().desired_status() == "STOPPED" ? "STOPPED" : "RUNNING";
                if (t.spec().task_definition() == "logagent:2") want = "STOPPED";
                if (t.status().last_status() == want) return false;
                t.mutable_status()->set_last_status(want);
                if (want == "STOPPED")
                  t.mutable_status()->set_stopped_at(clock::FormatTime(clock_.Now()));
                return true;
              });
        }
        clock_.Advance(std::chrono::seconds(2));
        auto d = objects_.Get(*schema::FindKind("Deployment"), "logs-2");
        return d.ok() && static_cast<const v1::Deployment&>(**d).status().phase() == "ROLLED_BACK";
      },
      std::chrono::seconds(15), std::chrono::milliseconds(5)));
  ASSERT_TRUE(Eventually([&] {
    auto live = Live();
    bool all_old = live.size() == 3;
    for (const auto& [instance, revision] : live) all_old &= revision == "logagent:1";
    return all_old;
  }));
  // The environment says so: it runs an older revision than its spec asks for.
  EXPECT_TRUE(Eventually([&] {
    const v1::Environment stored = Stored();
    for (const auto& c : stored.status().conditions()) {
      if (c.type() == "Stalled" && c.status() == "True" && c.reason() == "RolledBack")
        return stored.status().task_definition() == "logagent:1";
    }
    return false;
  }));
  // The rollback ends logs-2, which counts the failures that tripped it; it is not a
  // deployment of its own, and logs-1 is the active one again.
  auto deployments = objects_.List(*schema::FindKind("Deployment"));
  ASSERT_TRUE(deployments.ok());
  EXPECT_EQ(deployments->items.size(), 2u);
  auto rolled_back = objects_.Get(*schema::FindKind("Deployment"), "logs-2");
  ASSERT_TRUE(rolled_back.ok());
  EXPECT_GE(static_cast<const v1::Deployment&>(**rolled_back).status().failed_tasks(), 2);
  EXPECT_TRUE(Eventually([&] { return Stored().status().active_deployment() == "logs-1"; }));
}

TEST_F(EnvironmentControllerTest, ADeletedEnvironmentStopsItsTasks) {
  ASSERT_TRUE(objects_.Apply(Logs()).ok());
  Start();
  ASSERT_TRUE(Eventually([&] { return Live().size() == 3; }));
  ASSERT_TRUE(objects_.Delete(*schema::FindKind("Environment"), "logs").ok());
  ASSERT_TRUE(Eventually([&] { return Live().empty(); }));
}

}  // namespace
}  // namespace gantry::controllers::environment
