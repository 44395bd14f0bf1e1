// TaskService and InstanceService over a memory store: registration, placement as ECS places,
// the task state machine, draining, the ListContainerInstances filter and the lifecycle.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "api/fleet/agent_backend.h"
#include "api/fleet/agent_read_scope.h"
#include "api/fleet/cluster_service.h"
#include "api/fleet/instance_service.h"
#include "api/fleet/launch_proto.h"
#include "api/fleet/task_service.h"
#include "api/fleet/task_state.h"
#include "api/fleet/testing/fleet_harness.h"
#include "store/memory/memory_store.h"
#include "tests/testlib/eventually.h"

namespace gantry::fleet {
namespace {

using std::chrono::seconds;

TaskFilter Tasks(const std::string& cluster, const std::string& instance = "",
                 const std::string& desired = "RUNNING") {
  TaskFilter f;
  f.cluster = cluster;
  f.container_instance = instance;
  f.desired_status = desired;
  return f;
}

// Each task reported RUNNING by its instance's agent.
std::vector<v1::TaskStateReport> RunningReports(const std::vector<TaskPtr>& tasks) {
  std::vector<v1::TaskStateReport> reports;
  for (const auto& t : tasks) {
    v1::TaskStateReport r;
    r.set_task(t->metadata().name());
    r.set_container_instance(t->spec().container_instance());
    r.set_last_status("RUNNING");
    reports.push_back(std::move(r));
  }
  return reports;
}

class FleetTest : public testing::FleetHarness {
 protected:
  std::string ZoneOf(const std::string& instance) {
    for (const auto& a : Shown().Instance(instance)->spec().attributes())
      if (a.name() == "ecs.availability-zone") return a.value();
    return "";
  }
  // Another writer's change to the instance's status.
  void EditInstanceStatus(const std::string& instance,
                          const std::function<void(v1::ContainerInstanceStatus&)>& edit) {
    auto edited = objects_.Mutate(*schema::FindKind("ContainerInstance"), instance,
                                  [&](google::protobuf::Message& m) -> api::StatusOr<bool> {
                                    edit(*static_cast<v1::ContainerInstance&>(m).mutable_status());
                                    return true;
                                  });
    ASSERT_TRUE(edited.ok()) << edited.status().ToString();
  }
};

TEST_F(FleetTest, RegisterCreatesClusterAndKeepsIdentity) {
  RegisterNine();
  EXPECT_TRUE(objects_.Get(*schema::FindKind("Cluster"), "demo").ok());
  auto ci = Shown().Instance("i-00");
  ASSERT_TRUE(ci);
  EXPECT_EQ(ci->status().status(), "ACTIVE");
  EXPECT_TRUE(ci->status().agent_connected());
  EXPECT_EQ(ci->status().remaining_resources().memory(), 4096);
  // Registering again (an agent restart) keeps registration time and API-put attributes.
  std::string registered_at = ci->status().registered_at();
  ASSERT_TRUE(instances_.PutAttributes("demo", {{"i-00", "stack", "prod"}}).ok());
  clock_.Advance(seconds(5));
  v1::InstanceRegistration again;
  again.set_container_instance("i-00");
  again.set_cluster("demo");
  again.mutable_registered_resources()->set_cpu(2048);
  again.mutable_registered_resources()->set_memory(4096);
  ASSERT_TRUE(instances_.Register({again}).ok());
  ci = Shown().Instance("i-00");
  EXPECT_EQ(ci->status().registered_at(), registered_at);
  bool has_stack = false;
  for (const auto& a : ci->spec().attributes()) has_stack |= a.name() == "stack";
  EXPECT_TRUE(has_stack);
}

TEST_F(FleetTest, RunTaskSpreadsAcrossZonesThenBinpacks) {
  RegisterNine();
  LaunchRequest req;
  req.cluster = "demo";
  req.task_definition = "myapp";
  req.count = 9;
  req.strategies = {Strategy("spread", "attribute:ecs.availability-zone"),
                    Strategy("binpack", "memory")};
  auto result = tasks_.RunTask(req);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->tasks.size(), 9u);
  std::map<std::string, int> per_zone;
  for (const auto& t : result->tasks) {
    per_zone[ZoneOf(t->spec().container_instance())]++;
    EXPECT_EQ(t->status().last_status(), "PENDING");
    EXPECT_EQ(t->spec().group(), "family:myapp");
    EXPECT_EQ(t->spec().task_definition(), "myapp:1");
  }
  EXPECT_EQ(per_zone,
            (std::map<std::string, int>{{"us-east-1a", 3}, {"us-east-1b", 3}, {"us-east-1c", 3}}));
  // Binpack within a zone: all three tasks of a zone on one instance (each fits 8 by cpu).
  std::map<std::string, int> per_instance;
  for (const auto& t : result->tasks) per_instance[t->spec().container_instance()]++;
  EXPECT_EQ(per_instance.size(), 3u);
  // The instance's remaining resources follow.
  auto ci = Shown().Instance(result->tasks[0]->spec().container_instance());
  EXPECT_EQ(ci->status().remaining_resources().memory(), 4096 - 3 * 512);
  EXPECT_EQ(ci->status().pending_tasks_count(), 3);
}

TEST_F(FleetTest, RunTaskOnAClusterWithoutInstancesSaysSo) {
  RegisterNine();
  v1::Cluster empty;
  empty.set_api_version("gantry.dev/v1");
  empty.set_kind("Cluster");
  empty.mutable_metadata()->set_name("empty");
  ASSERT_TRUE(objects_.Create(empty).ok());
  LaunchRequest req;
  req.cluster = "empty";
  req.task_definition = "myapp";
  auto none = tasks_.RunTask(req);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  ASSERT_EQ(none->failures.size(), 1u);
  EXPECT_EQ(none->failures[0].reason, "AGENT");
  EXPECT_EQ(none->failures[0].detail, "No Container Instances were found in your cluster.");
  // With instances, a failure says what each stage of placement rejected.
  req.cluster = "demo";
  req.count = 1;
  req.constraints = {Constraint("memberOf", "attribute:ecs.instance-type == m5.large")};
  auto unmatched = tasks_.RunTask(req);
  ASSERT_TRUE(unmatched.ok());
  ASSERT_EQ(unmatched->failures.size(), 1u);
  EXPECT_EQ(unmatched->failures[0].detail,
            "0/9 instances: 9 memberOf(attribute:ecs.instance-type == m5.large)");
}

TEST_F(FleetTest, MemberOfConstraintAndFailures) {
  RegisterNine();
  LaunchRequest req;
  req.cluster = "demo";
  req.task_definition = "myapp";
  req.count = 5;
  req.constraints = {Constraint("memberOf", "attribute:ecs.instance-type == g2.2xlarge")};
  auto result = tasks_.RunTask(req);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->tasks.size(), 5u);
  for (const auto& t : result->tasks) {
    EXPECT_EQ(t->spec().container_instance().substr(3), "2");  // i-z2: the g2 instances
  }
  req.constraints = {Constraint("memberOf", "attribute:ecs.instance-type == p9.huge")};
  result = tasks_.RunTask(req);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->tasks.empty());
  ASSERT_EQ(result->failures.size(), 5u);
  EXPECT_EQ(result->failures[0].reason, "MemberOf placement constraint unsatisfied.");
  // Bad input is an error naming the field, not a failure.
  req.constraints = {Constraint("memberOf", "attribute:ecs.instance-type ==")};
  result = tasks_.RunTask(req);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().ToString().find("placementConstraints[0].expression"),
            std::string::npos)
      << result.status().ToString();
  req.constraints.clear();
  req.count = 11;
  EXPECT_FALSE(tasks_.RunTask(req).ok());
  req.count = 1;
  req.task_definition = "nope";
  EXPECT_FALSE(tasks_.RunTask(req).ok());
  req.task_definition = "myapp";
  req.cluster = "missing";
  EXPECT_EQ(tasks_.RunTask(req).status().code(), api::Code::kNotFound);
}

TEST_F(FleetTest, MemoryRunsOutWithResourceFailure) {
  RegisterNine();
  LaunchRequest req;
  req.cluster = "demo";
  req.task_definition = "myapp";
  req.count = 10;
  int placed = 0;
  for (int i = 0; i < 10; ++i) {  // 9 instances × 8 tasks of 512 MiB
    auto r = tasks_.RunTask(req);
    ASSERT_TRUE(r.ok());
    placed += static_cast<int>(r->tasks.size());
    if (!r->failures.empty()) {
      EXPECT_TRUE(r->failures[0].reason == "RESOURCE:MEMORY" ||
                  r->failures[0].reason == "RESOURCE:CPU")
          << r->failures[0].reason;
    }
  }
  EXPECT_EQ(placed, 72);
}

TEST_F(FleetTest, TaskStateMachine) {
  RegisterNine();
  LaunchRequest req;
  req.cluster = "demo";
  req.task_definition = "myapp";
  auto run = tasks_.RunTask(req);
  ASSERT_TRUE(run.ok());
  TaskPtr t = run->tasks.at(0);
  const std::string id = t->metadata().name(), on = t->spec().container_instance();
  std::vector<v1::ReportFailure> failures;
  v1::TaskStateReport r;
  r.set_task(id);
  r.set_container_instance("i-somebody-else");
  r.set_last_status("RUNNING");
  tasks_.Report({r}, failures);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_FALSE(failures[0].retry());
  r.set_container_instance(on);
  failures.clear();
  auto reported = tasks_.Report({r}, failures);
  ASSERT_TRUE(failures.empty());
  EXPECT_EQ(reported.at(0)->status().last_status(), "RUNNING");
  EXPECT_FALSE(reported.at(0)->status().started_at().empty());
  EXPECT_EQ(Shown().Instance(on)->status().running_tasks_count(), 1);
  // Stop: desired STOPPED; the agent reports STOPPED; the server's reason wins.
  ASSERT_TRUE(tasks_.StopTask("demo", id, "").ok());
  EXPECT_EQ(Shown().Task(id)->spec().desired_status(), "STOPPED");
  r.set_last_status("STOPPED");
  r.set_stopped_reason("Essential container in task exited");
  auto* c = r.add_containers();
  c->set_name("app");
  c->set_last_status("STOPPED");
  c->set_exit_code(143);
  reported = tasks_.Report({r}, failures);
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported[0]->status().stopped_reason(), kReasonUserStop);
  EXPECT_EQ(reported[0]->status().containers(0).exit_code(), 143);
  EXPECT_EQ(Shown().Instance(on)->status().running_tasks_count(), 0);
  EXPECT_EQ(Shown().Instance(on)->status().remaining_resources().memory(), 4096);
  // STOPPED is final.
  r.set_last_status("RUNNING");
  reported = tasks_.Report({r}, failures);
  EXPECT_EQ(reported.at(0)->status().last_status(), "STOPPED");
  // ListTasks: default RUNNING excludes it, STOPPED lists it.
  EXPECT_TRUE(tasks_.ListTasks(Tasks("demo")).empty());
  EXPECT_EQ(tasks_.ListTasks(Tasks("demo", "", "STOPPED")).size(), 1u);
  // A task that stops by itself: the agent's report writes status only (the generation, which
  // counts spec changes, stays), and the task is still desired STOPPED, as ECS shows it.
  auto second = tasks_.RunTask(req);
  ASSERT_TRUE(second.ok());
  TaskPtr exits = second->tasks.at(0);
  const int64_t generation = exits->metadata().generation();
  v1::TaskStateReport exited;
  exited.set_task(exits->metadata().name());
  exited.set_container_instance(exits->spec().container_instance());
  exited.set_last_status("STOPPED");
  exited.set_stopped_reason("Essential container in task exited");
  reported = tasks_.Report({exited}, failures);
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported[0]->metadata().generation(), generation);
  EXPECT_EQ(reported[0]->spec().desired_status(), exits->spec().desired_status());
  EXPECT_EQ(DesiredStatusOf(*reported[0]), "STOPPED");
  EXPECT_EQ(reported[0]->status().stopped_reason(), "Essential container in task exited");
  EXPECT_EQ(tasks_.ListTasks(Tasks("demo", "", "STOPPED")).size(), 2u);
  EXPECT_TRUE(tasks_.ListTasks(Tasks("demo")).empty());
  // StopTask on it changes nothing.
  auto stopped_again = tasks_.StopTask("demo", exits->metadata().name(), "too late");
  ASSERT_TRUE(stopped_again.ok());
  EXPECT_EQ((*stopped_again)->metadata().generation(), generation);
}

// RunTask answers once its tasks are committed, not once the informers show them (waiting for
// the watch was most of its latency under load); whoever reads next waits for them instead.
TEST_F(FleetTest, RunTaskAnswersBeforeTheInformersShowItsTasksAndReadersWaitForThem) {
  RegisterNine();
  ASSERT_TRUE(testing::CaughtUp(fleet_, objects_));
  store_.HoldWatches();
  const auto started = std::chrono::steady_clock::now();
  LaunchRequest req;
  req.cluster = "demo";
  req.task_definition = "myapp";
  req.count = 3;
  auto run = tasks_.RunTask(req);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_EQ(run->tasks.size(), 3u);
  const std::string id = run->tasks[0]->metadata().name();
  const std::string on = run->tasks[0]->spec().container_instance();
  ASSERT_FALSE(fleet_.Task(id)) << "the watches were not held";
  // Before, RunTask waited for its tasks to show, here for the whole bound (kOwnWriteWait).
  EXPECT_LT(took, kOwnWriteWait / 2) << "RunTask waited for the informers";

  // The watches come back a moment after the reads below have started waiting.
  auto release_soon = [&] {
    return std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      store_.ReleaseWatches();
    });
  };
  std::thread release = release_soon();
  EXPECT_TRUE(tasks_.Find(id)) << "a read right after RunTask missed its task";
  TaskFilter filter;
  filter.cluster = "demo";
  filter.desired_status = "";
  EXPECT_EQ(tasks_.ListTasks(filter).size(), 3u);
  auto instance = instances_.Get("demo", on);
  ASSERT_TRUE(instance.ok());
  EXPECT_GE((*instance)->status().pending_tasks_count(), 1) << "the launch's recount";
  release.join();

  // And a report on the new tasks, the moment they are written, counts all of them.
  store_.HoldWatches();
  auto more = tasks_.RunTask(req);
  ASSERT_TRUE(more.ok());
  std::vector<v1::TaskStateReport> reports;
  for (const auto& t : more->tasks) {
    v1::TaskStateReport r;
    r.set_task(t->metadata().name());
    r.set_container_instance(t->spec().container_instance());
    r.set_last_status("RUNNING");
    reports.push_back(r);
  }
  std::thread release_again = release_soon();
  std::vector<v1::ReportFailure> failures;
  tasks_.Report(reports, failures);
  release_again.join();
  EXPECT_TRUE(failures.empty());
  ASSERT_TRUE(testing::CaughtUp(fleet_, objects_));
  int running = 0;
  for (const auto& ci : Shown().AllInstances()) running += ci->status().running_tasks_count();
  EXPECT_EQ(running, 3);
}

TEST_F(FleetTest, AReportOfManyTasksIsOneStoreRevision) {
  RegisterNine();
  LaunchRequest req;
  req.cluster = "demo";
  req.task_definition = "myapp";
  req.count = 10;
  auto run = tasks_.RunTask(req);
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->tasks.size(), 10u);
  std::vector<v1::TaskStateReport> reports;
  std::map<std::string, int> per_instance;
  for (const auto& t : run->tasks) {
    v1::TaskStateReport r;
    r.set_task(t->metadata().name());
    r.set_container_instance(t->spec().container_instance());
    r.set_last_status("RUNNING");
    reports.push_back(r);
    per_instance[t->spec().container_instance()] += 1;
  }
  ASSERT_GT(per_instance.size(), 1u);
  // One task reported twice in the batch: its last report is what it shows.
  reports.push_back(reports.front());
  reports.back().set_last_status("STOPPED");
  const int64_t before = store_.CurrentRevision();
  std::vector<v1::ReportFailure> failures;
  auto reported = tasks_.Report(reports, failures);
  EXPECT_TRUE(failures.empty());
  ASSERT_EQ(reported.size(), reports.size());
  EXPECT_EQ(store_.CurrentRevision(), before + 1);
  const std::string first = reports.front().task();
  for (const auto& t : reported) {
    EXPECT_EQ(t->metadata().resource_version(), std::to_string(before + 1));
    EXPECT_EQ(t->status().last_status(), t->metadata().name() == first ? "STOPPED" : "RUNNING");
  }
  // The instances' counts were written in the same revision, and from the store, not the cache.
  for (const auto& [instance, count] : per_instance) {
    auto stored = objects_.Get(*schema::FindKind("ContainerInstance"), instance);
    ASSERT_TRUE(stored.ok());
    const auto& ci = static_cast<const v1::ContainerInstance&>(**stored);
    EXPECT_EQ(ci.metadata().resource_version(), std::to_string(before + 1));
    const bool holds_first = instance == reports.front().container_instance();
    EXPECT_EQ(ci.status().running_tasks_count(), count - (holds_first ? 1 : 0)) << instance;
    EXPECT_EQ(ci.status().pending_tasks_count(), 0) << instance;
    EXPECT_EQ(ci.status().remaining_resources().memory(), 4096 - 512 * (count - holds_first))
        << instance;
  }
}

TEST_F(FleetTest, AReportOnAnInstanceChangedBehindTheCacheStillCountsRight) {
  RegisterNine();
  LaunchRequest req;
  req.cluster = "demo";
  req.task_definition = "myapp";
  auto run = tasks_.RunTask(req);
  ASSERT_TRUE(run.ok());
  TaskPtr task = run->tasks.at(0);
  const std::string on = task->spec().container_instance();
  // Another writer changes the instance; the cache may not have seen it when the report comes,
  // so the batched commit is stale and the report is applied one write at a time.
  const auto& kind = *schema::FindKind("ContainerInstance");
  ASSERT_TRUE(
      objects_
          .Mutate(kind, on,
                  [](google::protobuf::Message& m) -> api::StatusOr<bool> {
                    static_cast<v1::ContainerInstance&>(m).mutable_status()->set_agent_updated_at(
                        "2026-01-01T00:00:00Z");
                    return true;
                  })
          .ok());
  v1::TaskStateReport r;
  r.set_task(task->metadata().name());
  r.set_container_instance(on);
  r.set_last_status("RUNNING");
  std::vector<v1::ReportFailure> failures;
  auto reported = tasks_.Report({r}, failures);
  EXPECT_TRUE(failures.empty());
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported[0]->status().last_status(), "RUNNING");
  auto stored = objects_.Get(kind, on);
  ASSERT_TRUE(stored.ok());
  const auto& ci = static_cast<const v1::ContainerInstance&>(**stored);
  EXPECT_EQ(ci.status().running_tasks_count(), 1);
  EXPECT_EQ(ci.status().pending_tasks_count(), 0);
  EXPECT_EQ(ci.status().agent_updated_at(), "2026-01-01T00:00:00Z");
}

// A launch placed a task on one of the report's instances between the view's read and the
// report's commit: the group is applied again in halves on a view that has caught up, not one
// write per task (which under launches made large reports outlast the agent's deadline, and the
// agent sent them again).
TEST_F(FleetTest, AReportThatLosesARaceIsAppliedAgainInHalvesNotTaskByTask) {
  RegisterNine();
  LaunchRequest req;
  req.cluster = "demo";
  req.task_definition = "myapp";
  req.count = 6;
  req.strategies = {Strategy("spread", "instanceId")};
  auto run = tasks_.RunTask(req);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_EQ(run->tasks.size(), 6u);
  const std::vector<v1::TaskStateReport> reports = RunningReports(run->tasks);
  const std::string raced = reports.front().container_instance();
  const auto& kind = *schema::FindKind("ContainerInstance");
  store_.BeforeNextTxn([&] {
    EditInstanceStatus(raced, [](auto& s) { s.set_agent_updated_at("2026-01-01T00:00:00Z"); });
  });
  std::vector<v1::ReportFailure> failures;
  auto reported = tasks_.Report(reports, failures);
  EXPECT_TRUE(failures.empty());
  ASSERT_EQ(reported.size(), reports.size());
  std::set<std::string> revisions;
  std::string raced_revision;
  for (const auto& t : reported) {
    EXPECT_EQ(t->status().last_status(), "RUNNING");
    revisions.insert(t->metadata().resource_version());
    if (t->spec().container_instance() == raced) raced_revision = t->metadata().resource_version();
  }
  EXPECT_EQ(revisions.size(), 2u);  // the two halves; task by task would be six
  auto stored = objects_.Get(kind, raced);
  ASSERT_TRUE(stored.ok());
  const auto& ci = static_cast<const v1::ContainerInstance&>(**stored);
  EXPECT_EQ(ci.metadata().resource_version(), raced_revision);  // recounted with its task
  EXPECT_EQ(ci.status().running_tasks_count(), 1);
  EXPECT_EQ(ci.status().pending_tasks_count(), 0);
  EXPECT_EQ(ci.status().agent_updated_at(), "2026-01-01T00:00:00Z");  // the racing write kept
}

// RunTask writes its tasks and their instances' counts in one transaction; an instance that
// changed since the view read it is recounted after, and the counts are right either way.
TEST_F(FleetTest, RunTaskCountsItsInstancesInTheTasksRevision) {
  RegisterNine();
  LaunchRequest req;
  req.cluster = "demo";
  req.task_definition = "myapp";
  req.count = 3;
  req.strategies = {Strategy("spread", "instanceId")};
  const int64_t before = store_.CurrentRevision();
  auto run = tasks_.RunTask(req);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_EQ(run->tasks.size(), 3u);
  EXPECT_EQ(store_.CurrentRevision(), before + 1);
  const auto& kind = *schema::FindKind("ContainerInstance");
  for (const auto& t : run->tasks) {
    auto stored = objects_.Get(kind, t->spec().container_instance());
    ASSERT_TRUE(stored.ok());
    const auto& ci = static_cast<const v1::ContainerInstance&>(**stored);
    EXPECT_EQ(ci.metadata().resource_version(), t->metadata().resource_version());
    EXPECT_EQ(ci.status().pending_tasks_count(), 1);
    EXPECT_EQ(ci.status().remaining_resources().cpu(), 2048 - 256);
    EXPECT_EQ(ci.status().remaining_resources().memory(), 4096 - 512);
  }

  // Another writer wins the race for the next launch's instance: the tasks still commit, and
  // the instance is recounted from them afterwards.
  req.count = 1;
  req.strategies = {Strategy("binpack", "memory")};  // onto an instance that already has one
  std::string target;
  store_.BeforeNextTxn([&] {
    for (const auto& ci : Shown().AllInstances()) {
      if (ci->status().pending_tasks_count() == 0) continue;
      target = ci->metadata().name();
      EditInstanceStatus(target, [](auto& s) { s.set_agent_updated_at("2026-01-01T00:00:00Z"); });
    }
  });
  auto again = tasks_.RunTask(req);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(again->tasks.size(), 1u);
  ASSERT_FALSE(target.empty());
  auto stored = objects_.Get(kind, again->tasks[0]->spec().container_instance());
  ASSERT_TRUE(stored.ok());
  const auto& ci = static_cast<const v1::ContainerInstance&>(**stored);
  EXPECT_EQ(ci.status().pending_tasks_count(), 2);
  EXPECT_EQ(ci.status().remaining_resources().memory(), 4096 - 2 * 512);
}

// A fleet that comes back after its agents were silent (a simulated one names thousands in one
// heartbeat) is reconnected in one transaction per thousand, not one write per instance.
TEST_F(FleetTest, AHeartbeatReconnectsItsInstancesTogether) {
  RegisterNine();
  std::vector<std::string> names;
  for (const auto& ci : Shown().AllInstances()) {
    names.push_back(ci->metadata().name());
    EditInstanceStatus(ci->metadata().name(), [](auto& s) { s.set_agent_connected(false); });
  }
  ASSERT_EQ(names.size(), 9u);
  ASSERT_TRUE(testing::CaughtUp(fleet_, objects_));
  const int64_t before = store_.CurrentRevision();
  EXPECT_TRUE(instances_.Heartbeat(names).empty());
  EXPECT_EQ(store_.CurrentRevision(), before + 1);
  for (const auto& name : names) EXPECT_TRUE(Shown().Instance(name)->status().agent_connected());
}

TEST_F(FleetTest, DrainingGetsNoNewTasks) {
  RegisterNine();
  for (const auto& ci : Shown().InstancesIn("demo")) {
    if (ci->metadata().name() == "i-11") continue;
    ASSERT_TRUE(instances_.SetState("demo", ci->metadata().name(), "DRAINING").ok());
  }
  LaunchRequest req;
  req.cluster = "demo";
  req.task_definition = "myapp";
  req.count = 3;
  auto result = tasks_.RunTask(req);
  ASSERT_TRUE(result.ok());
  for (const auto& t : result->tasks) EXPECT_EQ(t->spec().container_instance(), "i-11");
  auto listed = instances_.List("demo", "", "DRAINING");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 8u);
  EXPECT_FALSE(instances_.SetState("demo", "i-11", "SLEEPING").ok());
}

TEST_F(FleetTest, ListContainerInstancesFilters) {
  RegisterNine();
  auto count = [&](const std::string& filter) {
    auto r = instances_.List("demo", filter, "");
    EXPECT_TRUE(r.ok()) << filter << ": " << r.status().ToString();
    return r.ok() ? static_cast<int>(r->size()) : -1;
  };
  EXPECT_EQ(count("attribute:ecs.instance-type matches t2.*"), 6);
  EXPECT_EQ(count("attribute:ecs.availability-zone == us-east-1a"), 3);
  EXPECT_EQ(count("attribute:ecs.instance-type matches t2.* and "
                  "attribute:ecs.availability-zone == us-east-1a"),
            2);
  EXPECT_EQ(count("(attribute:ecs.instance-type in [t2.small, t2.medium] or "
                  "attribute:ecs.instance-type matches g2.*) and "
                  "attribute:ecs.availability-zone != us-east-1d"),
            9);
  auto bad = instances_.List("demo", "attribute:ecs.instance-type ==", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "filter");
}

// The instance controller (controllers/instance) marks a silent agent disconnected; placement
// then avoids the instance, and the agent's next heartbeat reconnects it at once.
TEST_F(FleetTest, DisconnectedInstanceIsAvoidedUntilItsAgentIsHeardAgain) {
  RegisterNine();
  const auto& kind = *schema::FindKind("ContainerInstance");
  ASSERT_TRUE(
      objects_
          .Mutate(kind, "i-00",
                  [](google::protobuf::Message& m) -> api::StatusOr<bool> {
                    static_cast<v1::ContainerInstance&>(m).mutable_status()->set_agent_connected(
                        false);
                    return true;
                  })
          .ok());
  ASSERT_TRUE(testlib::Eventually(
      [&] { return !Shown().Instance("i-00")->status().agent_connected(); }, seconds(10)));
  LaunchRequest req;
  req.cluster = "demo";
  req.task_definition = "myapp";
  req.count = 8;
  req.strategies = {Strategy("spread", "instanceId")};
  auto run = tasks_.RunTask(req);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_EQ(run->tasks.size(), 8u);
  for (const auto& t : run->tasks) EXPECT_NE(t->spec().container_instance(), "i-00");
  // The agent returns: connected again at once, and unknown names are reported back.
  clock_.Advance(seconds(3));
  auto unknown = instances_.Heartbeat({"i-00", "i-never"});
  EXPECT_EQ(unknown, std::vector<std::string>{"i-never"});
  EXPECT_TRUE(Shown().Instance("i-00")->status().agent_connected());
  EXPECT_EQ(instances_.LastHeard("i-00"), clock_.Now());
}

// What the instance controller reads: a new instance counts as heard from when it registers, an
// instance not heard from since gantryd started as heard from at the start.
TEST_F(FleetTest, LastHeardIsTheLatestHeartbeatOrRegistrationElseTheStart) {
  const auto started = clock_.Now();
  clock_.Advance(seconds(600));  // gantryd has been up for a while
  RegisterNine();
  EXPECT_EQ(instances_.LastHeard("i-00"), clock_.Now());
  clock_.Advance(seconds(5));
  instances_.Heartbeat({"i-01"});
  EXPECT_EQ(instances_.LastHeard("i-01"), clock_.Now());
  EXPECT_EQ(instances_.LastHeard("i-00"), clock_.Now() - seconds(5));
  EXPECT_EQ(instances_.LastHeard("i-from-before-a-restart"), started);
}

// Controllers and API clients launch with a gantry.v1.LaunchRequest: the same placement and
// commit as RunTask, with more tasks per request, and errors that name the request's fields.
TEST_F(FleetTest, LaunchThroughPlacesAProtoRequest) {
  RegisterNine();
  v1::LaunchRequest request;
  request.set_cluster("demo");
  request.set_task_definition("myapp");
  request.set_count(12);  // more than RunTask's 10
  request.set_group("service:web");
  request.set_started_by("web-1");
  auto* spread = request.add_placement_strategy();
  spread->set_type("spread");
  spread->set_field("instanceId");
  auto* member = request.add_placement_constraints();
  member->set_type("memberOf");
  member->set_expression("attribute:ecs.availability-zone != us-east-1c");
  auto launched = LaunchThrough(tasks_, request);
  ASSERT_TRUE(launched.ok()) << launched.status().ToString();
  ASSERT_EQ(launched->tasks_size(), 12);
  EXPECT_EQ(launched->failures_size(), 0);
  std::set<std::string> used;
  for (const auto& t : launched->tasks()) {
    EXPECT_EQ(t.spec().group(), "service:web");
    EXPECT_EQ(t.spec().started_by(), "web-1");
    EXPECT_NE(ZoneOf(t.spec().container_instance()), "us-east-1c");
    used.insert(t.spec().container_instance());
    EXPECT_TRUE(tasks_.Find(t.metadata().name())) << "shown at once to the next reader";
  }
  EXPECT_EQ(used.size(), 6u) << "spread over the six instances the constraint leaves";

  request.set_count(0);
  EXPECT_EQ(LaunchThrough(tasks_, request).status().field(), "count");
  request.set_count(kMaxLaunchCount + 1);
  EXPECT_EQ(LaunchThrough(tasks_, request).status().field(), "count");
  request.set_count(1);
  request.mutable_placement_constraints(0)->set_expression("attribute:x ==");
  EXPECT_NE(LaunchThrough(tasks_, request).status().field().find("placementConstraints[0]"),
            std::string::npos);

  v1::LaunchRequest on_instances;
  on_instances.set_cluster("demo");
  on_instances.set_task_definition("myapp");
  on_instances.add_container_instances("i-00");
  on_instances.add_container_instances("i-missing");
  auto started = LaunchThrough(tasks_, on_instances);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  ASSERT_EQ(started->tasks_size(), 1);
  EXPECT_EQ(started->tasks(0).spec().container_instance(), "i-00");
  ASSERT_EQ(started->failures_size(), 1);
  EXPECT_EQ(started->failures(0).reason(), "MISSING");
}

// ECS's cluster rules without the ECS protocol: a repeat create answers with the cluster, and a
// delete is refused, naming which precondition, while anything still uses the cluster.
TEST_F(FleetTest, ClusterServiceCreatesOnceAndDeletesOnlyAnUnusedCluster) {
  ClusterService clusters(objects_, fleet_);
  auto created = clusters.Create("prod");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto again = clusters.Create("prod");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->metadata().uid(), (*created)->metadata().uid());
  EXPECT_EQ(clusters.Create("no/slashes").status().field(), "clusterName");
  auto by_arn = clusters.Existing("arn:aws:ecs:us-east-1:000000000000:cluster/prod");
  ASSERT_TRUE(by_arn.ok());
  EXPECT_EQ(*by_arn, "prod");
  EXPECT_EQ(clusters.Existing("nope").status().field(), "cluster");

  RegisterNine();  // cluster demo
  EXPECT_EQ(clusters.Delete("demo").status().field(), kClusterHasInstances);
  LaunchRequest req;
  req.cluster = "demo";
  req.task_definition = "myapp";
  ASSERT_TRUE(tasks_.RunTask(req).ok());
  for (const auto& ci : Shown().InstancesIn("demo")) {
    auto gone = instances_.Deregister("demo", ci->metadata().name(), /*force=*/false);
    if (!gone.ok()) continue;  // the one running the task
  }
  EXPECT_EQ(clusters.Delete("demo").status().field(), kClusterHasInstances);

  v1::Service web;
  web.set_api_version("gantry.dev/v1");
  web.set_kind("Service");
  web.mutable_metadata()->set_name("web");
  web.mutable_spec()->set_cluster("prod");
  web.mutable_spec()->set_task_definition("myapp");
  ASSERT_TRUE(objects_.Apply(web).ok());
  auto refused = clusters.Delete("prod");
  EXPECT_EQ(refused.status().code(), api::Code::kFailedPrecondition);
  EXPECT_EQ(refused.status().field(), kClusterHasServices);
  ASSERT_TRUE(objects_.Delete(*schema::FindKind("Service"), "web").ok());
  auto deleted = clusters.Delete("prod");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->status().status(), "INACTIVE");
  EXPECT_EQ(clusters.Existing("prod").status().code(), api::Code::kNotFound);
}

TEST_F(FleetTest, StartTaskOnExplicitInstances) {
  RegisterNine();
  LaunchRequest req;
  req.cluster = "demo";
  req.task_definition = "myapp";
  req.container_instances = {"i-00", EcsNames{}.InstanceArn("demo", "i-01"), "i-missing"};
  auto r = tasks_.StartTask(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->tasks.size(), 2u);
  ASSERT_EQ(r->failures.size(), 1u);
  EXPECT_EQ(r->failures[0].reason, "MISSING");
}

}  // namespace
}  // namespace gantry::fleet

namespace gantry::fleet {
namespace {

TEST(AgentBackendTest, AgentTokensActOnlyForTheirOwnInstances) {
  store::MemoryStore store;
  api::FakeClock clock;
  testing::StandaloneFleet fleet(store, clock, 1);
  TaskLogStore logs(::testing::TempDir() + "/agent-backend-logs");
  AgentBackend backend(fleet.instances, fleet.tasks, logs);

  v1::RegisterInstancesRequest reg;
  auto* r = reg.add_instances();
  r->set_container_instance("i-alice");
  r->set_cluster("demo");
  ASSERT_TRUE(backend.Register(reg, "alice").ok());
  EXPECT_EQ(fleet.fleet.Instance("i-alice")->metadata().labels().at(kAgentLabel), "alice");
  // Another agent user cannot take it over, heartbeat for it or report for it.
  auto stolen = backend.Register(reg, "mallory");
  ASSERT_FALSE(stolen.ok());
  EXPECT_EQ(stolen.status().code(), api::Code::kPermissionDenied);
  v1::HeartbeatRequest hb;
  hb.add_container_instances("i-alice");
  EXPECT_EQ(backend.Heartbeat(hb, "mallory").status().code(), api::Code::kPermissionDenied);
  EXPECT_TRUE(backend.Heartbeat(hb, "alice").ok());
  EXPECT_TRUE(backend.Heartbeat(hb, "").ok());  // an admin or editor token
  v1::ReportTaskStatesRequest report;
  report.add_reports()->set_container_instance("i-alice");
  EXPECT_EQ(backend.Report(report, "mallory").status().code(), api::Code::kPermissionDenied);
  // Output: only from the instance's own agent user; chunks of tasks gantryd no longer has are
  // dropped without failing the batch.
  v1::AppendTaskLogsRequest out;
  out.set_container_instance("i-alice");
  auto* chunk = out.add_chunks();
  chunk->set_task("not-a-task");
  chunk->set_container("app");
  chunk->set_stream("stdout");
  chunk->set_data("x");
  EXPECT_TRUE(backend.AppendLogs(out, "alice").ok());
  EXPECT_EQ(backend.AppendLogs(out, "mallory").code(), api::Code::kPermissionDenied);
  // Bad input names the field.
  v1::RegisterInstancesRequest bad;
  bad.add_instances()->set_container_instance("../etc");
  auto refused = backend.Register(bad, "");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().field(), "instances[0].containerInstance");
}

}  // namespace
}  // namespace gantry::fleet

namespace gantry::fleet {
namespace {

TEST_F(FleetTest, DeregisterNeedsForceWhileTasksRun) {
  RegisterNine();
  LaunchRequest req;
  req.cluster = "demo";
  req.task_definition = "myapp";
  req.container_instances = {"i-00"};
  ASSERT_EQ(tasks_.StartTask(req)->tasks.size(), 1u);
  auto refused = instances_.Deregister("demo", "i-00", false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), api::Code::kFailedPrecondition);
  auto gone = instances_.Deregister("demo", "i-00", true);
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  EXPECT_EQ((*gone)->status().status(), "INACTIVE");
  auto stopped = tasks_.ListTasks(Tasks("demo", "i-00", "STOPPED"));
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(stopped[0]->status().stopped_reason(), kReasonInstanceDeregistered);
  // Not listed by default, not placed on, not drainable; heartbeats say so; an agent that
  // registers again (restarted) makes it ACTIVE.
  auto listed = instances_.List("demo", "", "");
  EXPECT_EQ(listed->size(), 8u);
  EXPECT_EQ(instances_.SetState("demo", "i-00", "DRAINING").status().code(),
            api::Code::kFailedPrecondition);
  std::vector<std::string> deregistered;
  EXPECT_TRUE(instances_.Heartbeat({"i-00"}, &deregistered).empty());
  EXPECT_EQ(deregistered, std::vector<std::string>{"i-00"});
  v1::InstanceRegistration back;  // the agent restarted
  back.set_container_instance("i-00");
  back.set_cluster("demo");
  ASSERT_TRUE(instances_.Register({back}).ok());
  EXPECT_EQ(Shown().Instance("i-00")->status().status(), "ACTIVE");
}

TEST(AgentBackendTest, AnUnlabelledInstanceBelongsToNoAgent) {
  store::MemoryStore store;
  api::FakeClock clock;
  testing::StandaloneFleet fleet(store, clock, 1);
  TaskLogStore logs(::testing::TempDir() + "/agent-backend-unlabelled-logs");
  AgentBackend backend(fleet.instances, fleet.tasks, logs);

  v1::RegisterInstancesRequest reg;
  auto* r = reg.add_instances();
  r->set_container_instance("i-ecs");
  r->set_cluster("demo");
  r->mutable_registered_resources()->set_cpu(1024);
  ASSERT_TRUE(backend.Register(reg, "").ok());  // an admin (or the ECS API) registered it
  EXPECT_EQ(fleet.fleet.Instance("i-ecs")->metadata().labels().count(kAgentLabel), 0u);
  r->mutable_registered_resources()->set_cpu(999999);
  auto taken = backend.Register(reg, "mallory");
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.status().code(), api::Code::kPermissionDenied);
  EXPECT_EQ(fleet.fleet.Instance("i-ecs")->spec().registered_resources().cpu(), 1024);
  v1::HeartbeatRequest hb;
  hb.add_container_instances("i-ecs");
  EXPECT_EQ(backend.Heartbeat(hb, "mallory").status().code(), api::Code::kPermissionDenied);
}

TEST(AgentReadScopeTest, AgentsSeeTheirInstancesTheirTasksAndTheirDefinitions) {
  store::MemoryStore store;
  api::FakeClock clock;
  testing::StandaloneFleet fleet(store, clock, 1);
  auto stored = [&](const google::protobuf::Message& object) {
    auto created = fleet.objects.Create(object, {.keep_status = true});
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? controllers::runtime::RevisionOf(**created) : 0;
  };
  auto put_instance = [&](const std::string& name, const std::string& agent) {
    v1::ContainerInstance ci;
    ci.set_api_version("gantry.dev/v1");
    ci.set_kind("ContainerInstance");
    ci.mutable_metadata()->set_name(name);
    ci.mutable_spec()->set_cluster("demo");
    if (!agent.empty()) (*ci.mutable_metadata()->mutable_labels())[kAgentLabel] = agent;
    EXPECT_TRUE(fleet.fleet.WaitForInstances(stored(ci)));
    return ci;
  };
  auto put_task = [&](const std::string& name, const std::string& instance,
                      const std::string& definition) {
    v1::Task t;
    t.set_api_version("gantry.dev/v1");
    t.set_kind("Task");
    t.mutable_metadata()->set_name(name);
    t.mutable_spec()->set_cluster("demo");
    t.mutable_spec()->set_container_instance(instance);
    t.mutable_spec()->set_task_definition(definition);
    EXPECT_TRUE(fleet.fleet.WaitForTasks(stored(t)));
    return t;
  };
  auto mine = put_instance("i-1", "alice");
  auto theirs = put_instance("i-2", "bob");
  auto nobodys = put_instance("i-3", "");
  auto my_task = put_task("t-1", "i-1", "web:1");
  auto their_task = put_task("t-2", "i-2", "db:1");
  v1::TaskDefinition web, db;
  web.mutable_metadata()->set_name("web:1");
  db.mutable_metadata()->set_name("db:1");

  AgentReadScope scope(fleet.fleet);
  api::Principal alice{"alice", api::Role::kAgent};
  auto instances = scope.FilterFor(alice, *schema::FindKind("ContainerInstance"));
  ASSERT_TRUE(instances);
  EXPECT_TRUE(instances(mine));
  EXPECT_FALSE(instances(theirs));
  EXPECT_FALSE(instances(nobodys));
  auto task_filter = scope.FilterFor(alice, *schema::FindKind("Task"));
  EXPECT_TRUE(task_filter(my_task));
  EXPECT_FALSE(task_filter(their_task));
  auto definitions = scope.FilterFor(alice, *schema::FindKind("TaskDefinition"));
  EXPECT_TRUE(definitions(web));
  EXPECT_FALSE(definitions(db));
  v1::Service service;
  EXPECT_FALSE(scope.FilterFor(alice, *schema::FindKind("Service"))(service));
  // Everyone else reads without a filter.
  EXPECT_FALSE(scope.FilterFor({"root", api::Role::kAdmin}, *schema::FindKind("Task")));
  EXPECT_FALSE(scope.FilterFor({"v", api::Role::kViewer}, *schema::FindKind("Task")));
}

}  // namespace
}  // namespace gantry::fleet
