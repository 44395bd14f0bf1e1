#include "controllers/cluster/cluster_controller.h"

#include <gtest/gtest.h>

#include "api/clock/system_clock.h"
#include "api/schema/kinds.h"
#include "api/service/local_client.h"
#include "controllers/cluster/cluster_status_plan.h"
#include "controllers/runtime/manager.h"
#include "store/memory/memory_store.h"
#include "tests/testlib/eventually.h"

namespace gantry::controllers::cluster {
namespace {

using std::chrono::seconds;

v1::Cluster ClusterNamed(const std::string& name) {
  v1::Cluster c;
  c.set_api_version("gantry.dev/v1");
  c.set_kind("Cluster");
  c.mutable_metadata()->set_name(name);
  return c;
}

v1::ContainerInstance InstanceIn(const std::string& cluster, const std::string& name) {
  v1::ContainerInstance ci;
  ci.set_api_version("gantry.dev/v1");
  ci.set_kind("ContainerInstance");
  ci.mutable_metadata()->set_name(name);
  ci.mutable_spec()->set_cluster(cluster);
  ci.mutable_status()->set_status("ACTIVE");
  return ci;
}

v1::Task TaskIn(const std::string& cluster, const std::string& name,
                const std::string& last_status) {
  v1::Task t;
  t.set_api_version("gantry.dev/v1");
  t.set_kind("Task");
  t.mutable_metadata()->set_name(name);
  t.mutable_spec()->set_cluster(cluster);
  t.mutable_spec()->set_task_definition("web:1");
  t.mutable_status()->set_last_status(last_status);
  return t;
}

v1::Service ServiceIn(const std::string& cluster, const std::string& name) {
  v1::Service s;
  s.set_api_version("gantry.dev/v1");
  s.set_kind("Service");
  s.mutable_metadata()->set_name(name);
  s.mutable_spec()->set_cluster(cluster);
  s.mutable_spec()->set_task_definition("web");
  return s;
}

class ClusterControllerTest : public ::testing::Test {
 protected:
  void Seed(const google::protobuf::Message& object) {
    auto created = objects_.Create(object, {.keep_status = true});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }
  void Start() {
    manager_ = std::make_unique<runtime::Manager>(client_, clock_);
    controller_ = std::make_unique<ClusterController>(client_, clock_, manager_->informers(),
                                                      runtime::ControllerOptions{});
    manager_->Add(controller_->controller());
    ASSERT_TRUE(manager_->Start(seconds(10)).ok());
  }
  void TearDown() override {
    if (manager_) manager_->Stop();
  }
  ClusterCounts Stored(const std::string& cluster) {
    auto got = objects_.Get(*schema::FindKind("Cluster"), cluster);
    if (!got.ok()) return {.registered_instances = -1};
    const auto& st = static_cast<const v1::Cluster&>(**got).status();
    return {st.registered_container_instances_count(), st.running_tasks_count(),
            st.pending_tasks_count(), st.active_services_count()};
  }
  // The controller works on its own threads; this bounds the wait for its write.
  bool Eventually(const std::string& cluster, const ClusterCounts& want) {
    return testlib::Eventually([&] { return Stored(cluster) == want; }, seconds(10),
                               std::chrono::milliseconds(2));
  }
  void SetTaskStatus(const std::string& task, const std::string& last_status) {
    auto done = objects_.Mutate(
        *schema::FindKind("Task"), task, [&](google::protobuf::Message& m) -> api::StatusOr<bool> {
          static_cast<v1::Task&>(m).mutable_status()->set_last_status(last_status);
          return true;
        });
    ASSERT_TRUE(done.ok()) << done.status().message();
  }

  // Real time, so a retried reconcile's backoff passes as it would in gantryd.
  clock::SystemClock clock_;
  store::MemoryStore store_;
  api::ObjectService objects_{store_, clock_};
  api::LocalClient client_{objects_};
  std::unique_ptr<runtime::Manager> manager_;
  std::unique_ptr<ClusterController> controller_;
};

TEST_F(ClusterControllerTest, CountsWhatExistedAtStartPerCluster) {
  Seed(ClusterNamed("default"));
  Seed(ClusterNamed("prod"));
  Seed(InstanceIn("default", "i-1"));
  Seed(InstanceIn("prod", "i-2"));
  Seed(InstanceIn("arn:aws:ecs:us-east-1:000000000000:cluster/prod", "i-3"));
  Seed(TaskIn("prod", "t-1", "RUNNING"));
  Seed(TaskIn("prod", "t-2", "PENDING"));
  Seed(TaskIn("prod", "t-3", "STOPPED"));
  Seed(TaskIn("default", "t-4", "RUNNING"));
  Seed(ServiceIn("prod", "web"));
  Start();

  EXPECT_TRUE(Eventually(
      "prod",
      {.registered_instances = 2, .running_tasks = 1, .pending_tasks = 1, .active_services = 1}))
      << "prod: " << Stored("prod").running_tasks;
  EXPECT_TRUE(Eventually("default", {.registered_instances = 1, .running_tasks = 1}));
}

TEST_F(ClusterControllerTest, FollowsTasksInstancesAndServicesAsTheyChange) {
  Seed(ClusterNamed("prod"));
  Start();
  EXPECT_TRUE(Eventually("prod", {}));

  Seed(InstanceIn("prod", "i-1"));
  Seed(TaskIn("prod", "t-1", "PENDING"));
  Seed(ServiceIn("prod", "web"));
  EXPECT_TRUE(Eventually(
      "prod",
      {.registered_instances = 1, .running_tasks = 0, .pending_tasks = 1, .active_services = 1}));

  SetTaskStatus("t-1", "RUNNING");
  EXPECT_TRUE(
      Eventually("prod", {.registered_instances = 1, .running_tasks = 1, .active_services = 1}));

  SetTaskStatus("t-1", "STOPPED");
  ASSERT_TRUE(objects_.Delete(*schema::FindKind("Service"), "web").ok());
  auto deregistered = objects_.Mutate(
      *schema::FindKind("ContainerInstance"), "i-1",
      [](google::protobuf::Message& m) -> api::StatusOr<bool> {
        static_cast<v1::ContainerInstance&>(m).mutable_status()->set_status("INACTIVE");
        return true;
      });
  ASSERT_TRUE(deregistered.ok());
  EXPECT_TRUE(Eventually("prod", {}));
}

TEST_F(ClusterControllerTest, AClusterCreatedLaterIsCountedFromWhatAlreadyRefersToIt) {
  Start();
  Seed(InstanceIn("late", "i-1"));
  Seed(TaskIn("late", "t-1", "RUNNING"));
  // Nothing to write to yet; the cluster's own add event brings it in.
  Seed(ClusterNamed("late"));
  EXPECT_TRUE(Eventually("late", {.registered_instances = 1, .running_tasks = 1}));
}

TEST_F(ClusterControllerTest, AMissingClusterIsNothingToDo) {
  Start();
  auto outcome = controller_->Reconcile("never-created");
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
}

TEST_F(ClusterControllerTest, CountsOverwrittenByAnotherWriterArePutBack) {
  Seed(ClusterNamed("prod"));
  Seed(TaskIn("prod", "t-1", "RUNNING"));
  Start();
  EXPECT_TRUE(Eventually("prod", {.running_tasks = 1}));
  // Another writer (an older gantryd, a user) overwrites the counts; the cluster's own update
  // event brings the controller back to the truth.
  auto tampered =
      objects_.Mutate(*schema::FindKind("Cluster"), "prod",
                      [](google::protobuf::Message& m) -> api::StatusOr<bool> {
                        static_cast<v1::Cluster&>(m).mutable_status()->set_running_tasks_count(40);
                        return true;
                      });
  ASSERT_TRUE(tampered.ok());
  EXPECT_TRUE(Eventually("prod", {.running_tasks = 1}));
}

}  // namespace
}  // namespace gantry::controllers::cluster
