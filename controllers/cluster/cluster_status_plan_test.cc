#include "controllers/cluster/cluster_status_plan.h"

#include <gtest/gtest.h>

namespace gantry::controllers::cluster {
namespace {

v1::ContainerInstance InstanceWith(const std::string& status) {
  v1::ContainerInstance ci;
  ci.mutable_status()->set_status(status);
  return ci;
}

v1::Task TaskWith(const std::string& last_status) {
  v1::Task t;
  t.mutable_status()->set_last_status(last_status);
  return t;
}

TEST(ClusterNameOfTest, EmptyIsDefaultAndAnArnIsItsName) {
  EXPECT_EQ(ClusterNameOf(""), "default");
  EXPECT_EQ(ClusterNameOf("prod"), "prod");
  EXPECT_EQ(ClusterNameOf("arn:aws:ecs:us-east-1:000000000000:cluster/prod"), "prod");
}

TEST(CountClusterTest, CountsWhatEcsShows) {
  // Unset status is ACTIVE; DRAINING instances are still registered; INACTIVE ones are not.
  const auto active = InstanceWith(""), draining = InstanceWith("DRAINING"),
             inactive = InstanceWith("INACTIVE");
  // PROVISIONING and PENDING are pending; STOPPED tasks hold nothing and count nowhere.
  const auto running = TaskWith("RUNNING"), pending = TaskWith("PENDING"),
             provisioning = TaskWith("PROVISIONING"), stopped = TaskWith("STOPPED");
  const v1::Service service;

  const ClusterCounts counts =
      CountCluster({&active, &draining, &inactive},
                   {&running, &running, &pending, &provisioning, &stopped}, {&service, &service});
  EXPECT_EQ(counts, (ClusterCounts{.registered_instances = 2,
                                   .running_tasks = 2,
                                   .pending_tasks = 2,
                                   .active_services = 2}));
  EXPECT_EQ(CountCluster({}, {}, {}), ClusterCounts{});
}

TEST(PlanClusterStatusTest, WritesOnlyWhenACountDiffers) {
  v1::Cluster cluster;
  cluster.mutable_metadata()->set_name("prod");
  cluster.mutable_metadata()->set_resource_version("7");
  cluster.mutable_status()->set_status("ACTIVE");
  cluster.mutable_status()->set_running_tasks_count(3);
  EXPECT_FALSE(PlanClusterStatus(cluster, {.running_tasks = 3}).has_value());

  const auto next = PlanClusterStatus(
      cluster, {.registered_instances = 1, .running_tasks = 2, .pending_tasks = 4});
  ASSERT_TRUE(next.has_value());
  const auto& st = next->status();
  EXPECT_EQ(st.registered_container_instances_count(), 1);
  EXPECT_EQ(st.running_tasks_count(), 2);
  EXPECT_EQ(st.pending_tasks_count(), 4);
  EXPECT_EQ(st.active_services_count(), 0);
  EXPECT_EQ(st.status(), "ACTIVE");  // the rest of the status is kept
  // Pinned to the version it was planned from, so a concurrent write makes it retry.
  EXPECT_EQ(next->metadata().resource_version(), "7");
}

TEST(RecountWaitTest, ARecountSoonAfterTheLastWriteWaitsOutTheInterval) {
  const clock::Clock::TimePoint now{std::chrono::hours(1000)};
  EXPECT_EQ(RecountWait(std::nullopt, now), clock::Clock::Duration::zero());
  EXPECT_EQ(RecountWait(now - std::chrono::milliseconds(300), now),
            kMinStatusWriteInterval - std::chrono::milliseconds(300));
  EXPECT_EQ(RecountWait(now, now), kMinStatusWriteInterval);
  EXPECT_EQ(RecountWait(now - kMinStatusWriteInterval, now), clock::Clock::Duration::zero());
  EXPECT_EQ(RecountWait(now - std::chrono::seconds(30), now), clock::Clock::Duration::zero());
}

}  // namespace
}  // namespace gantry::controllers::cluster
