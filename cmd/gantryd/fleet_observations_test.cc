#include "cmd/gantryd/fleet_observations.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace gantry {
namespace {

using controllers::runtime::ObjectRef;

ObjectRef Instance(const std::string& name, const std::string& zone, const std::string& status,
                   bool connected, int cpu, int memory, int cpu_left, int memory_left) {
  auto ci = std::make_shared<v1::ContainerInstance>();
  ci->mutable_metadata()->set_name(name);
  ci->mutable_spec()->set_cluster("default");
  auto* a = ci->mutable_spec()->add_attributes();
  a->set_name("ecs.availability-zone");
  a->set_value(zone);
  ci->mutable_spec()->mutable_registered_resources()->set_cpu(cpu);
  ci->mutable_spec()->mutable_registered_resources()->set_memory(memory);
  ci->mutable_status()->set_status(status);
  ci->mutable_status()->set_agent_connected(connected);
  ci->mutable_status()->mutable_remaining_resources()->set_cpu(cpu_left);
  ci->mutable_status()->mutable_remaining_resources()->set_memory(memory_left);
  return ci;
}

ObjectRef Task(const std::string& group, const std::string& last_status) {
  auto t = std::make_shared<v1::Task>();
  t->mutable_spec()->set_group(group);
  t->mutable_status()->set_last_status(last_status);
  return t;
}

TEST(FleetObservationsTest, GaugesCountInstancesZonesWorkloadsAndDeployments) {
  std::vector<ObjectRef> instances{
      Instance("a", "us-east-1a", "ACTIVE", true, 2048, 4096, 1024, 3072),
      Instance("b", "us-east-1a", "ACTIVE", false, 2048, 4096, 2048, 4096),
      Instance("c", "us-east-1b", "DRAINING", true, 1024, 1024, 1024, 1024),
      Instance("d", "us-east-1b", "INACTIVE", false, 4096, 4096, 4096, 4096)};
  std::vector<ObjectRef> tasks{Task("service:web", "RUNNING"), Task("service:web", "PENDING"),
                               Task("service:web", "STOPPED"), Task("environment:logs", "RUNNING"),
                               Task("environment:logs", "")};
  auto web = std::make_shared<v1::Service>();
  web->mutable_metadata()->set_name("web");
  web->mutable_spec()->set_cluster("arn:aws:ecs:us-east-1:000000000000:cluster/default");
  web->mutable_spec()->set_desired_count(3);
  web->mutable_status()->add_history()->set_status("IN_PROGRESS");
  web->mutable_status()->add_history()->set_status("SUCCESSFUL");
  auto logs = std::make_shared<v1::Environment>();
  logs->mutable_metadata()->set_name("logs");
  logs->mutable_spec()->mutable_instance_group()->set_cluster("default");
  logs->mutable_status()->set_instances_eligible(2);
  auto rolled = std::make_shared<v1::Deployment>();
  rolled->mutable_status()->set_phase("ROLLED_BACK");
  auto fresh = std::make_shared<v1::Deployment>();  // no phase yet: PENDING

  FleetGauges g = FleetGaugesOf(instances, tasks, {web}, {logs}, {rolled, fresh});
  ASSERT_EQ(g.instances.size(), 4u);  // (ACTIVE, false), (ACTIVE, true), DRAINING, INACTIVE
  EXPECT_EQ(g.instances[0].status, "ACTIVE");
  EXPECT_FALSE(g.instances[0].connected);
  EXPECT_EQ(g.instances[0].count, 1);
  ASSERT_EQ(g.zones.size(), 2u);  // INACTIVE capacity is none
  EXPECT_EQ(g.zones[0].zone, "us-east-1a");
  EXPECT_EQ(g.zones[0].cpu_registered, 4096);
  EXPECT_EQ(g.zones[0].cpu_reserved, 1024);
  EXPECT_EQ(g.zones[0].memory_registered, int64_t{8192} * 1024 * 1024);
  EXPECT_EQ(g.zones[0].memory_reserved, int64_t{1024} * 1024 * 1024);
  EXPECT_EQ(g.zones[1].cpu_registered, 1024);
  ASSERT_EQ(g.services.size(), 1u);
  EXPECT_EQ(g.services[0].cluster, "default");
  EXPECT_EQ(g.services[0].desired, 3);
  EXPECT_EQ(g.services[0].running, 1);
  EXPECT_EQ(g.services[0].pending, 1);
  ASSERT_EQ(g.environments.size(), 1u);
  EXPECT_EQ(g.environments[0].desired, 2);
  EXPECT_EQ(g.environments[0].running, 1);
  EXPECT_EQ(g.environments[0].pending, 1);
  std::vector<std::string> states;
  for (const auto& d : g.deployments)
    states.push_back(d.kind + "/" + d.state + "=" + std::to_string(d.count));
  EXPECT_EQ(states, (std::vector<std::string>{"environment/PENDING=1", "environment/ROLLED_BACK=1",
                                              "service/IN_PROGRESS=1", "service/SUCCESSFUL=1"}));
}

TEST(FleetObservationsTest, ARollbackCountsOnceWhenItStartsAndEventsByTheirRepeats) {
  v1::Service before, now;
  auto* r = before.mutable_status()->add_history();
  r->set_id("ecs-svc/2");
  r->set_status("IN_PROGRESS");
  now = before;
  EXPECT_EQ(RollbacksStarted(before, now), 0);
  now.mutable_status()->mutable_history(0)->set_status("ROLLBACK_IN_PROGRESS");
  EXPECT_EQ(RollbacksStarted(before, now), 1);
  v1::Service later = now;
  later.mutable_status()->mutable_history(0)->set_status("ROLLBACK_SUCCESSFUL");
  EXPECT_EQ(RollbacksStarted(now, later), 0);  // the same rollback going on

  v1::Deployment d1, d2;
  d1.mutable_status()->set_phase("IN_PROGRESS");
  d2.mutable_status()->set_phase("ROLLED_BACK");
  EXPECT_TRUE(RolledBack(d1, d2));
  EXPECT_FALSE(RolledBack(d2, d2));

  v1::Event e1, e3;
  e1.mutable_spec()->set_count(1);
  e3.mutable_spec()->set_count(3);
  EXPECT_EQ(EventOccurrences(nullptr, e1), 1);
  EXPECT_EQ(EventOccurrences(nullptr, v1::Event()), 1);  // no count: once
  EXPECT_EQ(EventOccurrences(&e1, e3), 2);
  EXPECT_EQ(EventOccurrences(&e3, e3), 0);
}

}  // namespace
}  // namespace gantry
