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

TEST(EcsNamesTest, ServicesAndTheirDeployments) {
  EcsNames n{"eu-west-1", "123456789012"};
  EXPECT_EQ(n.ServiceArn("demo", "web"), "arn:aws:ecs:eu-west-1:123456789012:service/demo/web");
  EXPECT_EQ(ShortName(n.ServiceArn("demo", "web")), "web");
  const std::string arn = n.ServiceDeploymentArn("demo", "web", "ecs-svc/0123456789012345678");
  EXPECT_EQ(arn,
            "arn:aws:ecs:eu-west-1:123456789012:service-deployment/demo/web/0123456789012345678");
  EXPECT_EQ(n.ServiceRevisionArn("demo", "web", "ecs-svc/42"),
            "arn:aws:ecs:eu-west-1:123456789012:service-revision/demo/web/42");
  auto ref = ParseServiceDeploymentArn(arn);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->cluster, "demo");
  EXPECT_EQ(ref->service, "web");
  EXPECT_EQ(ref->deployment, "ecs-svc/0123456789012345678");
  // Anything else is not one.
  for (const char* bad : {"", "web", "arn:aws:ecs:eu-west-1:123456789012:service/demo/web",
                          "arn:aws:ecs:eu-west-1:123456789012:service-deployment/demo/web",
                          "arn:aws:ecs:eu-west-1:123456789012:service-deployment/demo/web/",
                          "arn:aws:ecs:eu-west-1:123456789012:service-deployment//web/1",
                          "arn:aws:ecs:eu-west-1:123456789012:service-deployment/demo/web/1/2",
                          "arn:aws:ecs:service-deployment/demo/web/1"}) {
    EXPECT_FALSE(ParseServiceDeploymentArn(bad)) << bad;
  }
}

}  // namespace
}  // namespace gantry::fleet
