// Finding 6: one bad object broke placement for a whole cluster. An agent-role token registered
// its instance with a 300-character ec2InstanceId, an editor created a Task with cpu -5, a task
// definition had cpu "abc" (and two containers of 2^31-1 cpu summed to -2): each was accepted,
// and from then on every RunTask and filtered ListContainerInstances in the cluster answered
// 500. Now every entry point refuses them with a 400-class answer naming the field, and RunTask
// keeps working for good requests.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "api/grpc/agent_client.h"
#include "tests/testlib/gantry_processes.h"

namespace gantry {
namespace {

using json = nlohmann::json;

constexpr const char* kTokens =
    "admin-token-0001,alice,admin\n"
    "editor-token-001,erin,editor\n"
    "agent-token-0001,node-1,agent\n";
constexpr const char* kAdmin = "Bearer admin-token-0001";
constexpr const char* kEditor = "Bearer editor-token-001";

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(gantryd_.ready()) << gantryd_.log();
    Ecs200("CreateCluster", {{"clusterName", "demo"}});
    Ecs200(
        "RegisterTaskDefinition",
        {{"family", "web"},
         {"containerDefinitions",
          json::array(
              {{{"name", "app"}, {"command", {"sleep", "60"}}, {"cpu", 128}, {"memory", 64}}})}});
    json reg = {{"cluster", "demo"},
                {"totalResources",
                 json::array({{{"name", "CPU"}, {"type", "INTEGER"}, {"integerValue", 2048}},
                              {{"name", "MEMORY"}, {"type", "INTEGER"}, {"integerValue", 4096}}})},
                {"attributes", json::array({{{"name", "stack"}, {"value", "prod"}}})}};
    instance_ = Ecs200("RegisterContainerInstance", reg)["containerInstance"]["ec2InstanceId"];
  }

  json Ecs200(const std::string& operation, const json& body) {
    auto r = gantryd_.Ecs(operation, body.dump(), {{"Authorization", kAdmin}});
    EXPECT_TRUE(r.ok() && r->status == 200)
        << operation << ": " << (r.ok() ? r->body : r.status().ToString());
    return r.ok() ? json::parse(r->body, nullptr, false) : json::object();
  }

  // RunTask and a filtered ListContainerInstances, the calls one bad object used to break.
  void ClusterStillPlaces() {
    json run = Ecs200("RunTask", {{"cluster", "demo"}, {"taskDefinition", "web"}});
    EXPECT_EQ(run["tasks"].size(), 1u) << run.dump();
    EXPECT_EQ(run["failures"].size(), 0u) << run.dump();
    json listed = Ecs200("ListContainerInstances",
                         {{"cluster", "demo"}, {"filter", "attribute:stack == prod"}});
    EXPECT_EQ(listed["containerInstanceArns"].size(), 1u) << listed.dump();
  }

  // A REST write as the editor: the status and the body.
  std::pair<int, std::string> Rest(const std::string& method, const std::string& path,
                                   const json& body) {
    auto r = gantryd_.Http("editor-token-001").Request(method, path, body.dump());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::pair{r->status, r->body} : std::pair{0, std::string()};
  }

  testlib::TempDir tokens_dir_;
  testlib::Gantryd gantryd_{{"--token-file", [this] {
                               std::string p = tokens_dir_.path() + "/tokens.csv";
                               std::ofstream(p) << kTokens;
                               return p;
                             }()}};
  std::string instance_;
};

TEST_F(ValidationTest, AgentRegistrationWithLongEc2InstanceIdIsRefused) {
  grpcapi::AgentClient agent(gantryd_.grpc_address(), "agent-token-0001");
  v1::RegisterInstancesRequest req;
  auto* r = req.add_instances();
  r->set_container_instance("node-1");
  r->set_cluster("demo");
  r->set_ec2_instance_id(std::string(300, 'i'));
  r->mutable_registered_resources()->set_cpu(1024);
  r->mutable_registered_resources()->set_memory(1024);
  auto registered = agent.Register(req);
  ASSERT_FALSE(registered.ok());
  EXPECT_EQ(registered.status().code(), api::Code::kInvalidArgument)
      << registered.status().ToString();
  EXPECT_NE(registered.status().ToString().find("instances[0].ec2InstanceId"), std::string::npos)
      << registered.status().ToString();

  // The same through the ECS endpoint, where the id comes from the identity document.
  json doc = {{"instanceId", std::string(300, 'i')}, {"availabilityZone", "us-east-1a"}};
  auto e = gantryd_.Ecs("RegisterContainerInstance",
                        json{{"cluster", "demo"}, {"instanceIdentityDocument", doc.dump()}}.dump(),
                        {{"Authorization", kAdmin}});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->status, 400) << e->body;
  EXPECT_NE(e->body.find("InvalidParameterException"), std::string::npos) << e->body;
  EXPECT_NE(e->body.find("instanceIdentityDocument.instanceId"), std::string::npos) << e->body;

  // A good registration by the same agent still works, and the cluster places.
  r->set_ec2_instance_id("i-0abc");
  registered = agent.Register(req);
  ASSERT_TRUE(registered.ok()) << registered.status().ToString();
  ClusterStillPlaces();
}

TEST_F(ValidationTest, EditorTaskWithNegativeCpuIsRefused) {
  json task = {{"apiVersion", "gantry.dev/v1"},
               {"kind", "Task"},
               {"metadata", {{"name", "t-bad"}}},
               {"spec",
                {{"taskDefinition", "web:1"},
                 {"cluster", "demo"},
                 {"containerInstance", instance_},
                 {"desiredStatus", "RUNNING"},
                 {"cpu", -5}}}};
  auto [status, body] = Rest("POST", "/apis/gantry.dev/v1/tasks", task);
  EXPECT_EQ(status, 400) << body;
  EXPECT_NE(body.find("spec.cpu"), std::string::npos) << body;
  task["spec"]["cpu"] = 0;
  task["spec"]["hostPorts"] = {80, 70000};
  std::tie(status, body) = Rest("PUT", "/apis/gantry.dev/v1/tasks/t-bad", task);
  EXPECT_EQ(status, 400) << body;
  EXPECT_NE(body.find("spec.hostPorts[1]"), std::string::npos) << body;
  ClusterStillPlaces();
}

TEST_F(ValidationTest, TaskDefinitionsPlacementCannotSizeAreRefused) {
  auto definition = [](json containers, json cpu = nullptr) {
    json d = {{"apiVersion", "gantry.dev/v1"},
              {"kind", "TaskDefinition"},
              {"metadata", {{"name", "bad"}}},
              {"spec", {{"containers", std::move(containers)}}}};
    if (!cpu.is_null()) d["spec"]["cpu"] = cpu;
    return d;
  };
  json app = {{"name", "app"}, {"command", {"sleep", "1"}}, {"memory", 16}};
  auto [status, body] =
      Rest("PUT", "/apis/gantry.dev/v1/taskdefinitions/bad", definition(json::array({app}), "abc"));
  EXPECT_EQ(status, 400) << body;
  EXPECT_NE(body.find("spec.cpu"), std::string::npos) << body;

  json big_a = app, big_b = app;
  big_a["cpu"] = 2147483647;
  big_b["name"] = "b";
  big_b["cpu"] = 2147483647;
  std::tie(status, body) = Rest("PUT", "/apis/gantry.dev/v1/taskdefinitions/bad",
                                definition(json::array({big_a, big_b})));
  EXPECT_EQ(status, 400) << body;
  EXPECT_NE(body.find("spec.containers[1].cpu"), std::string::npos) << body;

  // Finding 14's environment part: a name with '=' would set another variable.
  json env = app;
  env["environment"] = json::array({{{"name", "A"}, {"value", "1"}}, {{"name", "B=C"}}});
  std::tie(status, body) =
      Rest("PUT", "/apis/gantry.dev/v1/taskdefinitions/bad", definition(json::array({env})));
  EXPECT_EQ(status, 400) << body;
  EXPECT_NE(body.find("spec.containers[0].environment[1].name"), std::string::npos) << body;
  auto e = gantryd_.Ecs(
      "RegisterTaskDefinition",
      json{{"family", "bad"},
           {"containerDefinitions",
            json::array({{{"name", "app"},
                          {"command", {"sleep", "1"}},
                          {"memory", 16},
                          {"environment", json::array({{{"name", "X=Y"}, {"value", "1"}}})}}})}}
          .dump(),
      {{"Authorization", kEditor}});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->status, 400) << e->body;
  EXPECT_NE(e->body.find("containerDefinitions[0].environment[0].name"), std::string::npos)
      << e->body;

  ClusterStillPlaces();
}

}  // namespace
}  // namespace gantry
