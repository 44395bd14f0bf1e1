#include "controllers/instance/instance_controller.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

#include "api/clock/fake_clock.h"
#include "api/clock/format_time.h"
#include "api/schema/kinds.h"
#include "api/service/local_client.h"
#include "controllers/runtime/manager.h"
#include "gantry/v1/objects.pb.h"
#include "store/memory/memory_store.h"
#include "tests/testlib/eventually.h"

namespace gantry::controllers::instance {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

v1::ContainerInstance InstanceNamed(const std::string& name, const std::string& status = "ACTIVE") {
  v1::ContainerInstance ci;
  ci.set_api_version("gantry.dev/v1");
  ci.set_kind("ContainerInstance");
  ci.mutable_metadata()->set_name(name);
  ci.mutable_spec()->set_cluster("default");
  ci.mutable_spec()->mutable_registered_resources()->set_cpu(1024);
  ci.mutable_spec()->mutable_registered_resources()->set_memory(2048);
  ci.mutable_status()->set_status(status);
  ci.mutable_status()->set_agent_connected(true);
  return ci;
}

v1::Task TaskOn(const std::string& instance, const std::string& name,
                const std::string& last_status = "RUNNING") {
  v1::Task t;
  t.set_api_version("gantry.dev/v1");
  t.set_kind("Task");
  t.mutable_metadata()->set_name(name);
  t.mutable_spec()->set_cluster("default");
  t.mutable_spec()->set_task_definition("web:1");
  t.mutable_spec()->set_container_instance(instance);
  t.mutable_spec()->set_cpu(128);
  t.mutable_spec()->set_memory(256);
  t.mutable_status()->set_last_status(last_status);
  t.mutable_status()->add_containers()->set_last_status(last_status);
  return t;
}

// Heartbeats as a test sets them; an instance never heard from counts from `start`.
class FakeHeartbeats : public client::HeartbeatSource {
 public:
  explicit FakeHeartbeats(TimePoint start) : start_(start) {}
  TimePoint LastHeard(std::string_view instance) const override {
    std::lock_guard lock(mu_);
    auto it = heard_.find(std::string(instance));
    return it == heard_.end() ? start_ : it->second;
  }
  void Heard(const std::string& instance, TimePoint at) {
    std::lock_guard lock(mu_);
    heard_[instance] = at;
  }

 private:
  const TimePoint start_;
  mutable std::mutex mu_;
  std::map<std::string, TimePoint> heard_;
};

class InstanceControllerTest : public ::testing::Test {
 protected:
  void Seed(const google::protobuf::Message& object) {
    auto created = objects_.Create(object, {.keep_status = true});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }
  void Start() {
    manager_ = std::make_unique<runtime::Manager>(client_, clock_);
    controller_ =
        std::make_unique<InstanceController>(client_, clock_, heartbeats_, manager_->informers(),
                                             kLifecycle, runtime::ControllerOptions{});
    manager_->Add(controller_->controller());
    ASSERT_TRUE(manager_->Start(seconds(10)).ok());
  }
  void TearDown() override {
    if (manager_) manager_->Stop();
  }
  v1::ContainerInstance Instance(const std::string& name) {
    auto got = objects_.Get(*schema::FindKind("ContainerInstance"), name);
    return got.ok() ? static_cast<const v1::ContainerInstance&>(**got) : v1::ContainerInstance{};
  }
  v1::Task Task(const std::string& name) {
    auto got = objects_.Get(*schema::FindKind("Task"), name);
    return got.ok() ? static_cast<const v1::Task&>(**got) : v1::Task{};
  }
  bool Connected(const std::string& instance) {
    return Instance(instance).status().agent_connected();
  }
  bool Stopped(const std::string& task) { return Task(task).status().last_status() == "STOPPED"; }
  std::vector<std::string> EventReasons() {
    std::vector<std::string> out;
    auto page = client_.List(*schema::FindKind("Event"), {});
    if (!page.ok()) return out;
    for (const auto& e : page->items)
      out.push_back(static_cast<const v1::Event&>(*e).spec().reason());
    std::sort(out.begin(), out.end());
    return out;
  }
  clock::Clock::TimePoint Stamp(const std::string& rfc3339) {
    return clock::Clock::TimePoint(milliseconds(clock::ParseTimeMs(rfc3339)));
  }
  bool Eventually(const std::function<bool()>& done) {
    return testlib::Eventually(done, seconds(10), milliseconds(2));
  }
  // Moves fake time a step at a time, giving the workers a moment at each step, until `done`;
  // false if it never happened within `limit`.
  bool AdvanceUntil(const std::function<bool()>& done, clock::Clock::Duration limit,
                    clock::Clock::Duration step = seconds(1)) {
    const auto start = clock_.Now();
    for (;;) {
      for (int i = 0; i < 10 && !done(); ++i) std::this_thread::sleep_for(milliseconds(2));
      if (done()) return true;
      if (clock_.Now() - start >= limit) break;
      clock_.Advance(step);
    }
    return Eventually(done);  // a slow worker, at the last step
  }

  const LifecycleOptions kLifecycle{seconds(15), seconds(60)};
  clock::FakeClock clock_;
  const clock::Clock::TimePoint t0_ = clock_.Now();
  FakeHeartbeats heartbeats_{t0_};
  store::MemoryStore store_;
  api::ObjectService objects_{store_, clock_};
  api::LocalClient client_{objects_};
  std::unique_ptr<runtime::Manager> manager_;
  std::unique_ptr<InstanceController> controller_;
};

TEST_F(InstanceControllerTest, SilentAgentIsDisconnectedThenLosesItsTasksEachPastItsLimit) {
  Seed(InstanceNamed("i-1"));
  Seed(TaskOn("i-1", "t-running"));
  Seed(TaskOn("i-1", "t-pending", "PENDING"));
  Seed(TaskOn("i-1", "t-done", "STOPPED"));
  Start();

  ASSERT_TRUE(AdvanceUntil([&] { return !Connected("i-1"); }, seconds(30)));
  const auto disconnected = Instance("i-1");
  // Times are stored to the second: "past 15 s" reads as at least 15 s.
  EXPECT_GE(Stamp(disconnected.status().agent_updated_at()), t0_ + seconds(15));
  EXPECT_EQ(Task("t-running").status().last_status(), "RUNNING");  // not lost yet

  ASSERT_TRUE(
      AdvanceUntil([&] { return Stopped("t-running") && Stopped("t-pending"); }, seconds(60)));
  for (const char* name : {"t-running", "t-pending"}) {
    const auto t = Task(name);
    EXPECT_EQ(t.status().stopped_reason(), "Container instance lost") << name;
    EXPECT_EQ(t.status().stop_code(), "") << name;  // ECS has none for a lost instance
    EXPECT_GE(Stamp(t.status().stopped_at()), t0_ + seconds(60)) << name;
    EXPECT_EQ(t.status().containers(0).last_status(), "STOPPED") << name;
    EXPECT_EQ(t.metadata().generation(), 1) << name << ": a status write, not a spec change";
  }
  // The instance's counts follow its tasks in the same transaction.
  const auto lost = Instance("i-1");
  EXPECT_EQ(lost.status().running_tasks_count(), 0);
  EXPECT_EQ(lost.status().pending_tasks_count(), 0);
  EXPECT_EQ(lost.status().remaining_resources().cpu(), 1024);
  EXPECT_EQ(lost.status().remaining_resources().memory(), 2048);
  EXPECT_EQ(lost.metadata().resource_version(), Task("t-running").metadata().resource_version());
  EXPECT_TRUE(Eventually([&] {
    return EventReasons() == std::vector<std::string>{"AgentDisconnected", "InstanceLost"};
  }));
}

TEST_F(InstanceControllerTest, HeartbeatsKeepAnInstanceConnectedAndItsTasksRunning) {
  Seed(InstanceNamed("i-1"));
  Seed(TaskOn("i-1", "t-1"));
  Start();
  for (int i = 0; i < 30; ++i) {  // five minutes, a heartbeat every ten seconds
    clock_.Advance(seconds(10));
    heartbeats_.Heard("i-1", clock_.Now());
    std::this_thread::sleep_for(milliseconds(1));
  }
  // Give any reconcile the last advance woke time to finish before looking.
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_TRUE(Connected("i-1"));
  EXPECT_FALSE(Stopped("t-1"));
  EXPECT_TRUE(EventReasons().empty());
}

TEST_F(InstanceControllerTest, ADisconnectedInstanceGivenATaskLosesItOnTheSameClock) {
  Seed(InstanceNamed("i-1"));
  Start();
  ASSERT_TRUE(AdvanceUntil([&] { return !Connected("i-1"); }, seconds(30)));
  // Nothing to lose, so nothing scheduled; a task placed on it now starts the lost deadline
  // (counted from the last heartbeat, not from the placement).
  Seed(TaskOn("i-1", "t-late"));
  ASSERT_TRUE(AdvanceUntil([&] { return Stopped("t-late"); }, seconds(60)));
  EXPECT_GE(Stamp(Task("t-late").status().stopped_at()), t0_ + seconds(60));
}

TEST_F(InstanceControllerTest, DeregisteredInstancesAreLeftAlone) {
  auto gone = InstanceNamed("i-gone", "INACTIVE");
  Seed(gone);
  Start();
  clock_.Advance(seconds(120));
  ASSERT_TRUE(controller_->Reconcile("i-gone").ok());
  EXPECT_TRUE(Connected("i-gone"));
}

// More tasks than one transaction takes: each batch commits on its own, the instance with the
// last, so its counts never claim what its tasks do not yet show.
TEST_F(InstanceControllerTest, ALostInstanceWithThousandsOfTasksStopsThemAll) {
  auto big = InstanceNamed("i-big");
  big.mutable_spec()->mutable_registered_resources()->set_cpu(1 << 20);
  big.mutable_spec()->mutable_registered_resources()->set_memory(1 << 22);
  const int kTasks = static_cast<int>(client::kMaxCommitWrites) + 200;
  big.mutable_status()->set_running_tasks_count(kTasks);  // as counted before it fell silent
  Seed(big);
  for (int i = 0; i < kTasks; ++i) Seed(TaskOn("i-big", "t-" + std::to_string(i)));
  Start();
  // The instance is recounted with the last batch: once it shows none running, none is.
  ASSERT_TRUE(AdvanceUntil([&] { return Instance("i-big").status().running_tasks_count() == 0; },
                           seconds(90), seconds(15)));
  for (int i = 0; i < kTasks; ++i) ASSERT_TRUE(Stopped("t-" + std::to_string(i))) << i;
  EXPECT_EQ(Instance("i-big").status().remaining_resources().cpu(), 1 << 20);
}

}  // namespace
}  // namespace gantry::controllers::instance
