// Validation parity and defence in depth (issue 8, finding 6): an object placement would refuse
// leaves out its instance (never the whole cluster), with a Warning Event naming it; objects at
// the API's limits always reach placement.
#include "api/fleet/snapshot_input.h"

#include <gtest/gtest.h>

#include <set>

#include "api/fleet/observed_write.h"
#include "api/fleet/testing/fleet_harness.h"
#include "api/validation/limits.h"
#include "placement/snapshot.h"

namespace gantry::fleet {
namespace {

class SnapshotInputTest : public testing::FleetHarness {
 protected:
  // A task of myapp (256 cpu, 512 MiB) on i-00, placed as RunTask places it.
  std::string TaskOnFirstInstance() {
    LaunchRequest r;
    r.cluster = "demo";
    r.task_definition = "myapp";
    r.constraints.push_back(Constraint("memberOf", "ec2InstanceId == i-0abc00"));
    auto launched = tasks_.RunTask(r);
    EXPECT_TRUE(launched.ok()) << launched.status().ToString();
    if (!launched.ok() || launched->tasks.size() != 1) return "";
    EXPECT_EQ(launched->tasks[0]->spec().container_instance(), "i-00");
    return launched->tasks[0]->metadata().name();
  }

  // Writes around validation, as an object stored before it existed would be.
  template <typename T>
  void Corrupt(const std::string& name, const std::function<void(T&)>& edit) {
    auto updated = MutateObserved<T>(objects_, fleet_, name, [&](T& m) -> api::StatusOr<bool> {
      edit(m);
      return true;
    });
    ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  }

  std::vector<v1::Event> Warnings() {
    std::vector<v1::Event> out;
    auto list = objects_.List(*schema::FindKind("Event"));
    EXPECT_TRUE(list.ok());
    if (!list.ok()) return out;
    for (const auto& e : list->items) {
      const auto& event = static_cast<const v1::Event&>(*e);
      if (event.spec().type() == "Warning") out.push_back(event);
    }
    return out;
  }

  api::StatusOr<LaunchResult> RunNine() {
    LaunchRequest r;
    r.cluster = "demo";
    r.task_definition = "myapp";
    r.count = 9;
    r.strategies.push_back(Strategy("spread", "instanceId"));
    return tasks_.RunTask(r);
  }
};

TEST_F(SnapshotInputTest, BadTaskLeavesOutItsInstanceNotTheCluster) {
  RegisterNine();
  const std::string bad = TaskOnFirstInstance();
  ASSERT_FALSE(bad.empty());
  Corrupt<v1::Task>(bad, [](v1::Task& t) { t.mutable_spec()->set_cpu(-5); });

  // RunTask still works for the cluster; nothing goes to i-00, whose real load is unknown (a
  // task left out would make it look emptier than it is).
  auto launched = RunNine();
  ASSERT_TRUE(launched.ok()) << launched.status().ToString();
  std::set<std::string> used;
  for (const auto& t : launched->tasks) used.insert(t->spec().container_instance());
  EXPECT_EQ(launched->tasks.size(), 9u);
  EXPECT_EQ(used.count("i-00"), 0u);
  EXPECT_EQ(used.size(), 8u);  // spread over the eight others

  // A filtered list answers too, without i-00; an unfiltered one still lists it.
  auto filtered = instances_.List("demo", "attribute:ecs.instance-type exists", "");
  ASSERT_TRUE(filtered.ok()) << filtered.status().ToString();
  EXPECT_EQ(filtered->size(), 8u);
  for (const auto& ci : *filtered) EXPECT_NE(ci->metadata().name(), "i-00");
  auto all = instances_.List("demo", "", "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 9u);

  // One Warning Event for that revision of the task, however often placement met it.
  auto warnings = Warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].spec().reason(), "InvalidForPlacement");
  EXPECT_EQ(warnings[0].spec().involved_object().kind(), "Task");
  EXPECT_EQ(warnings[0].spec().involved_object().name(), bad);
  EXPECT_NE(warnings[0].spec().message().find("container instance i-00"), std::string::npos)
      << warnings[0].spec().message();
  EXPECT_NE(warnings[0].spec().message().find("spec.cpu: must be between 0"), std::string::npos)
      << warnings[0].spec().message();

  // StartTask on that instance fails for it alone, naming the task.
  LaunchRequest start;
  start.cluster = "demo";
  start.task_definition = "myapp";
  start.container_instances = {"i-00", "i-01"};
  auto started = tasks_.StartTask(start);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  ASSERT_EQ(started->failures.size(), 1u);
  EXPECT_EQ(started->failures[0].reason, "INVALID");
  EXPECT_NE(started->failures[0].detail.find("Task " + bad + " spec.cpu"), std::string::npos)
      << started->failures[0].detail;
  ASSERT_EQ(started->tasks.size(), 1u);
  EXPECT_EQ(started->tasks[0]->spec().container_instance(), "i-01");
}

TEST_F(SnapshotInputTest, BadInstanceIsLeftOutAndNamed) {
  RegisterNine();
  Corrupt<v1::ContainerInstance>("i-11", [](v1::ContainerInstance& ci) {
    ci.mutable_spec()->set_ec2_instance_id(std::string(300, 'i'));
  });
  Corrupt<v1::ContainerInstance>("i-22", [](v1::ContainerInstance& ci) {
    ci.mutable_spec()->mutable_registered_resources()->add_ports(0);
  });
  auto launched = RunNine();
  ASSERT_TRUE(launched.ok()) << launched.status().ToString();
  EXPECT_EQ(launched->tasks.size(), 9u);
  std::set<std::string> used;
  for (const auto& t : launched->tasks) used.insert(t->spec().container_instance());
  EXPECT_EQ(used.size(), 7u);
  EXPECT_EQ(used.count("i-11") + used.count("i-22"), 0u);
  std::set<std::string> said;
  for (const auto& w : Warnings()) {
    EXPECT_EQ(w.spec().involved_object().kind(), "ContainerInstance");
    said.insert(w.spec().involved_object().name() + " " +
                w.spec().message().substr(w.spec().message().find("spec.")));
  }
  EXPECT_EQ(said, (std::set<std::string>{
                      "i-11 spec.ec2InstanceId: is longer than 255 characters",
                      "i-22 spec.registeredResources.ports[1]: port 0 is outside 1-65535"}));
}

TEST_F(SnapshotInputTest, TaskWithoutGroupIsInItsFamilysGroup) {
  RegisterNine();
  const std::string name = TaskOnFirstInstance();
  ASSERT_FALSE(name.empty());
  Corrupt<v1::Task>(name, [](v1::Task& t) { t.mutable_spec()->clear_group(); });
  auto input = SnapshotInput(fleet_.InstancesIn("demo"), fleet_);
  EXPECT_TRUE(input.skipped.empty());
  ASSERT_EQ(input.specs.size(), 9u);
  ASSERT_EQ(input.instances[0]->metadata().name(), "i-00");
  ASSERT_EQ(input.specs[0].tasks.size(), 1u);
  EXPECT_EQ(input.specs[0].tasks[0].group, "family:myapp");
}

TEST_F(SnapshotInputTest, BadTaskDefinitionFailsItsOwnLaunchesOnly) {
  RegisterNine();
  v1::TaskDefinition other;
  other.set_api_version("gantry.dev/v1");
  other.set_kind("TaskDefinition");
  other.mutable_metadata()->set_name("other");
  auto* c = other.mutable_spec()->add_containers();
  c->set_name("app");
  c->add_command("/bin/true");
  c->set_cpu(128);
  ASSERT_TRUE(objects_.Apply(other).ok());
  auto updated =
      objects_.Mutate(*schema::FindKind("TaskDefinition"), "other:1",
                      [](google::protobuf::Message& m) -> api::StatusOr<bool> {
                        static_cast<v1::TaskDefinition&>(m).mutable_spec()->set_cpu("abc");
                        return true;
                      });
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  LaunchRequest r;
  r.cluster = "demo";
  r.task_definition = "other:1";
  auto launched = tasks_.RunTask(r);
  ASSERT_FALSE(launched.ok());
  EXPECT_EQ(launched.status().code(), api::Code::kInvalidArgument);
  EXPECT_EQ(launched.status().field(), "taskDefinition");
  EXPECT_NE(launched.status().message().find("task definition other:1 is invalid: spec.cpu: "),
            std::string::npos)
      << launched.status().message();
  EXPECT_TRUE(RunNine().ok());
}

// Everything validation lets in, placement takes: an instance and a task at every limit.
TEST_F(SnapshotInputTest, ObjectsAtTheApiLimitsReachPlacement) {
  v1::InstanceRegistration r;
  r.set_container_instance(std::string(255, 'c'));
  r.set_cluster("demo");
  r.set_ec2_instance_id(std::string(gantry::validation::kMaxEc2InstanceIdLength, 'e'));
  auto* a = r.add_attributes();
  a->set_name(std::string(gantry::validation::kMaxAttributeNameLength, 'n'));
  a->set_value(std::string(gantry::validation::kMaxAttributeValueLength, 'v'));
  a = r.add_attributes();
  a->set_name("capability");  // no value
  r.mutable_registered_resources()->set_cpu(INT32_MAX);
  r.mutable_registered_resources()->set_memory(INT32_MAX);
  r.mutable_registered_resources()->add_ports(1);
  r.mutable_registered_resources()->add_ports(65535);
  r.mutable_version_info()->set_agent_version(
      std::string(gantry::validation::kMaxVersionInfoLength, '1'));
  auto registered = instances_.Register({r});
  ASSERT_TRUE(registered.ok()) << registered.status().ToString();

  v1::Task task;
  task.set_api_version("gantry.dev/v1");
  task.set_kind("Task");
  task.mutable_metadata()->set_name("t-limits");
  auto* spec = task.mutable_spec();
  spec->set_task_definition("myapp:1");
  spec->set_cluster("demo");
  spec->set_container_instance(r.container_instance());
  spec->set_group(std::string(gantry::validation::kMaxTaskGroupLength, 'g'));
  spec->set_started_by(std::string(gantry::validation::kMaxStartedByLength, 's'));
  spec->set_cpu(INT32_MAX);
  spec->set_memory(INT32_MAX);
  spec->add_host_ports(65535);
  ASSERT_TRUE(CreateObserved(objects_, fleet_, task).ok());

  auto input = SnapshotInput(fleet_.InstancesIn("demo"), fleet_);
  EXPECT_TRUE(input.skipped.empty()) << input.skipped[0].field << ": " << input.skipped[0].message;
  ASSERT_EQ(input.specs.size(), 1u);
  EXPECT_EQ(input.specs[0].tasks.size(), 1u);
  EXPECT_TRUE(placement::ClusterSnapshot::Build(input.specs).ok());
}

TEST_F(SnapshotInputTest, RegistrationsAndAttributeChangesAreValidated) {
  RegisterNine();
  v1::InstanceRegistration ok;
  ok.set_container_instance("i-new");
  ok.set_cluster("demo");
  v1::InstanceRegistration bad = ok;
  bad.set_container_instance("i-bad");
  bad.set_ec2_instance_id(std::string(300, 'i'));
  auto registered = instances_.Register({ok, bad});
  ASSERT_FALSE(registered.ok());
  EXPECT_EQ(registered.status().field(), "instances[1].ec2InstanceId");
  EXPECT_FALSE(fleet_.Instance("i-new"));  // checked before anything is written

  auto st = instances_.PutAttributes("demo", {{"i-00", "stack", "prod"}, {"i-00", "x", "a=b"}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.field(), "attributes[1].value");
  st = instances_.PutAttributes("demo", {{"i-00", std::string(129, 'n'), "v"}});
  EXPECT_EQ(st.field(), "attributes[0].name");
}

}  // namespace
}  // namespace gantry::fleet
