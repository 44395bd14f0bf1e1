#include "api/fleet/ecs_names.h"

#include <gtest/gtest.h>

namespace gantry::fleet {
namespace {

TEST(EcsNamesTest, ArnsAndBack) {
  EcsNames n{"eu-west-1", "123456789012"};
  EXPECT_EQ(n.ClusterArn("demo"), "arn:aws:ecs:eu-west-1:123456789012:cluster/demo");
  EXPECT_EQ(n.InstanceArn("demo", "abc"),
            "arn:aws:ecs:eu-west-1:123456789012:container-instance/demo/abc");
  EXPECT_EQ(n.TaskArn("demo", "t1"), "arn:aws:ecs:eu-west-1:123456789012:task/demo/t1");
  EXPECT_EQ(n.TaskDefinitionArn("web:3"),
            "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:3");
  EXPECT_EQ(ShortName(n.InstanceArn("demo", "abc")), "abc");
  EXPECT_EQ(ShortName(n.TaskDefinitionArn("web:3")), "web:3");
  EXPECT_EQ(ShortName(n.ClusterArn("demo")), "demo");
  EXPECT_EQ(ShortName("plain"), "plain");
  EXPECT_EQ(ClusterOfArn(n.TaskArn("demo", "t1")), "demo");
  EXPECT_EQ(ClusterOfArn(n.ClusterArn("demo")), "");
  EXPECT_EQ(ClusterOfArn("t1"), "");
}

}  // namespace
}  // namespace gantry::fleet
