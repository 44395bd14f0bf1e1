#include "api/ecs/ecs_events.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace gantry::ecs {
namespace {

using nlohmann::json;

const auto kAt = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));

json DetailOf(const v1::Event& event) {
  std::string out;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(event.spec().detail(), &out).ok());
  return json::parse(out);
}

v1::Task Task() {
  v1::Task t;
  t.mutable_metadata()->set_name("t-1");
  t.mutable_metadata()->set_uid("uid-t");
  t.mutable_metadata()->set_resource_version("42");
  t.mutable_spec()->set_cluster("prod");
  t.mutable_spec()->set_task_definition("web:3");
  t.mutable_spec()->set_container_instance("i-1");
  t.mutable_status()->set_last_status("STOPPED");
  t.mutable_status()->set_stopped_reason("Container instance lost");
  t.mutable_status()->set_version(4);
  return t;
}

TEST(EcsEventsTest, ATaskChangeIsAnEcsTaskStateChangeNamedByItsRevision) {
  fleet::EcsNames names{"eu-west-1", "123456789012"};
  v1::ContainerInstance instance;
  instance.mutable_metadata()->set_name("i-1");
  instance.mutable_spec()->set_cluster("prod");
  auto event = EcsEventFor(Task(), &instance, names, kAt);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->metadata().name(), "task.t-1.42");
  EXPECT_EQ(event->metadata().labels().at("gantry.dev/involved-kind"), "Task");
  EXPECT_EQ(event->spec().involved_object().kind(), "Task");
  EXPECT_EQ(event->spec().involved_object().uid(), "uid-t");
  EXPECT_EQ(event->spec().reason(), "TaskStateChange");
  EXPECT_EQ(event->spec().message(),
            "task t-1 STOPPED (desired STOPPED) on i-1: Container instance lost");
  const json d = DetailOf(*event);
  EXPECT_EQ(d["detail-type"], "ECS Task State Change");
  EXPECT_EQ(d["source"], "gantry");
  EXPECT_EQ(d["account"], "123456789012");
  EXPECT_EQ(d["region"], "eu-west-1");
  EXPECT_EQ(d["time"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(d["resources"], json::array({names.TaskArn("prod", "t-1")}));
  EXPECT_EQ(d["detail"]["lastStatus"], "STOPPED");
  EXPECT_EQ(d["detail"]["version"], 4);
  EXPECT_EQ(d["detail"]["containerInstanceArn"], names.InstanceArn("prod", "i-1"));
}

TEST(EcsEventsTest, AnInstanceChangeIsAnEcsContainerInstanceStateChange) {
  v1::ContainerInstance ci;
  ci.mutable_metadata()->set_name("i-1");
  ci.mutable_metadata()->set_resource_version("7");
  ci.mutable_spec()->set_cluster("prod");
  ci.mutable_status()->set_status("ACTIVE");
  ci.mutable_status()->set_agent_connected(false);
  ci.mutable_status()->set_running_tasks_count(2);
  auto event = EcsEventFor(ci, nullptr, fleet::EcsNames{}, kAt);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->metadata().name(), "containerinstance.i-1.7");
  EXPECT_EQ(event->spec().message(),
            "container instance i-1 ACTIVE, agent disconnected, 2 running task(s)");
  const json d = DetailOf(*event);
  EXPECT_EQ(d["detail-type"], "ECS Container Instance State Change");
  EXPECT_EQ(d["detail"]["agentConnected"], false);
  EXPECT_EQ(d["detail"]["version"], 7);
}

TEST(EcsEventsTest, OtherKindsMakeNoEvent) {
  v1::Service service;
  service.mutable_metadata()->set_name("web");
  EXPECT_EQ(EcsEventFor(service, nullptr, fleet::EcsNames{}, kAt), nullptr);
}

}  // namespace
}  // namespace gantry::ecs
