// The Blox REST API over a memory store: the shapes and errors of ecs-blox-spec §1.2.
#include "api/blox/blox_handler.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/schema/kinds.h"
#include "api/service/clock.h"
#include "store/memory/memory_store.h"

namespace gantry::blox {
namespace {

using Json = nlohmann::json;

class BloxHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::Cluster c;
    c.set_api_version("gantry.dev/v1");
    c.set_kind("Cluster");
    c.mutable_metadata()->set_name("demo");
    ASSERT_TRUE(objects_.Create(c).ok());
    v1::TaskDefinition td;
    td.set_api_version("gantry.dev/v1");
    td.set_kind("TaskDefinition");
    td.mutable_metadata()->set_name("logagent");
    auto* container = td.mutable_spec()->add_containers();
    container->set_name("agent");
    container->add_command("/bin/sleep");
    container->set_memory(64);
    ASSERT_TRUE(objects_.Apply(td).ok());
  }
  BloxResponse Call(const std::string& method, const std::string& path,
                    const std::string& query = "", const std::string& body = "") {
    auto r = handler_.Handle(method, path, query, body);
    EXPECT_TRUE(r.has_value()) << path;
    return r.value_or(BloxResponse{});
  }
  BloxResponse Create(const Json& body) {
    return Call("POST", "/v1/environments", "", body.dump());
  }

  api::FakeClock clock_;
  store::MemoryStore store_;
  api::ObjectService objects_{store_, clock_};
  fleet::EcsNames names_;
  BloxHandler handler_{objects_, names_};
};

TEST_F(BloxHandlerTest, PingAndPathsThatAreNotBloxs) {
  EXPECT_EQ(Call("GET", "/v1/ping").status, 200);
  EXPECT_EQ(Call("GET", "/v1/ping").body, "");
  EXPECT_FALSE(handler_.Handle("GET", "/apis/gantry.dev/v1/tasks", "", ""));
  BloxResponse r = Call("PUT", "/v1/environments");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "404 page not found\n");
  EXPECT_EQ(Call("GET", "/v1/nothing").status, 404);
}

TEST_F(BloxHandlerTest, CreateGetListDelete) {
  BloxResponse r = Create(
      {{"name", "logs"}, {"instanceGroup", {{"cluster", "demo"}}}, {"taskDefinition", "logagent"}});
  ASSERT_EQ(r.status, 200) << r.body;
  Json env = Json::parse(r.body);
  EXPECT_EQ(env["name"], "logs");
  EXPECT_EQ(env["instanceGroup"]["cluster"], "arn:aws:ecs:us-east-1:000000000000:cluster/demo");
  EXPECT_EQ(env["taskDefinition"], "arn:aws:ecs:us-east-1:000000000000:task-definition/logagent:1");
  EXPECT_EQ(env["health"], "healthy");
  EXPECT_EQ(env["deploymentToken"].get<std::string>().size(), 36u);
  // Stored as an Environment the daemon controller keeps.
  auto stored = objects_.Get(*schema::FindKind("Environment"), "logs");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(static_cast<const v1::Environment&>(**stored).spec().instance_group().cluster(),
            "demo");

  r = Call("GET", "/v1/environments/logs");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json::parse(r.body), env);
  r = Call("GET", "/v1/environments", "cluster=demo");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body)["items"].size(), 1u);
  r = Call("GET", "/v1/environments",
           "cluster=arn%3Aaws%3Aecs%3Aus-east-1%3A000000000000%3Acluster%2Fother");
  EXPECT_TRUE(Json::parse(r.body)["items"].empty()) << r.body;
  EXPECT_EQ(Json::parse(Call("GET", "/v1/environments").body)["items"].size(), 1u);

  // Delete is idempotent: 200 twice, then GET 404.
  EXPECT_EQ(Call("DELETE", "/v1/environments/logs").status, 200);
  EXPECT_EQ(Call("DELETE", "/v1/environments/logs").status, 200);
  r = Call("GET", "/v1/environments/logs");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "Environment logs does not exist\n");
}

TEST_F(BloxHandlerTest, ValidationAsBloxAnswersIt) {
  const Json ok = {
      {"name", "logs"}, {"instanceGroup", {{"cluster", "demo"}}}, {"taskDefinition", "logagent"}};
  Json bad_name = ok;
  bad_name["name"] = " ";
  BloxResponse r = Create(bad_name);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  bad_name["name"] = std::string(31, 'a');
  EXPECT_EQ(Create(bad_name).status, 400);
  EXPECT_EQ(Call("POST", "/v1/environments", "", "{not json").status, 400);
  Json no_group = ok;
  no_group.erase("instanceGroup");
  EXPECT_EQ(Create(no_group).body, "instanceGroup: is required\n");
  Json no_cluster = ok;
  no_cluster["instanceGroup"]["cluster"] = "nope";
  EXPECT_EQ(Create(no_cluster).status, 404);
  Json no_definition = ok;
  no_definition["taskDefinition"] = "nothing";
  EXPECT_EQ(Create(no_definition).status, 404);
  ASSERT_EQ(Create(ok).status, 200);
  r = Create(ok);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "An environment with name logs already exists\n");
  // List filters: only cluster, once, a name or an ARN.
  EXPECT_EQ(Call("GET", "/v1/environments", "nextToken=x").body,
            "At least one of the filters provided is not supported\n");
  EXPECT_EQ(Call("GET", "/v1/environments", "cluster=demo&cluster=demo").body,
            "At least one of the filters provided is specified multiple times\n");
  EXPECT_EQ(Call("GET", "/v1/environments", "cluster=no%20spaces").body,
            "Invalid cluster ARN or name\n");
}

TEST_F(BloxHandlerTest, DeploymentsWithARotatingToken) {
  BloxResponse r = Create(
      {{"name", "logs"}, {"instanceGroup", {{"cluster", "demo"}}}, {"taskDefinition", "logagent"}});
  ASSERT_EQ(r.status, 200);
  const std::string token = Json::parse(r.body)["deploymentToken"];
  // No token, or not a lowercase UUID: the route does not match.
  EXPECT_EQ(Call("POST", "/v1/environments/logs/deployments").body, "404 page not found\n");
  EXPECT_EQ(Call("POST", "/v1/environments/logs/deployments", "deploymentToken=NOT-A-UUID").status,
            404);
  const std::string other = "00000000-0000-4000-8000-000000000000";
  r = Call("POST", "/v1/environments/logs/deployments", "deploymentToken=" + other);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "Token '" + other + "' is outdated and does not match the environment token '" +
                        token + "'\n");
  r = Call("POST", "/v1/environments/nope/deployments", "deploymentToken=" + token);
  EXPECT_EQ(r.status, 404);

  r = Call("POST", "/v1/environments/logs/deployments", "deploymentToken=" + token);
  ASSERT_EQ(r.status, 200) << r.body;
  const Json d = Json::parse(r.body);
  EXPECT_EQ(d["status"], "pending");
  EXPECT_EQ(d["environmentName"], "logs");
  EXPECT_EQ(d["taskDefinition"], "arn:aws:ecs:us-east-1:000000000000:task-definition/logagent:1");
  EXPECT_TRUE(d["failedInstances"].empty());
  // The token rotated: the old one is stale now.
  const std::string rotated =
      Json::parse(Call("GET", "/v1/environments/logs").body)["deploymentToken"];
  EXPECT_NE(rotated, token);
  EXPECT_EQ(Call("POST", "/v1/environments/logs/deployments", "deploymentToken=" + token).status,
            400);
  // A newer one replaces one still pending (Blox v1); it would wait for one in progress.
  r = Call("POST", "/v1/environments/logs/deployments", "deploymentToken=" + rotated);
  ASSERT_EQ(r.status, 200) << r.body;
  const Json newer = Json::parse(r.body);
  EXPECT_EQ(newer["status"], "pending");
  r = Call("GET", "/v1/environments/logs/deployments");
  ASSERT_EQ(r.status, 200);
  const Json items = Json::parse(r.body)["items"];
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]["id"], newer["id"]);  // newest first
  EXPECT_EQ(items[1]["id"], d["id"]);
  EXPECT_EQ(items[1]["status"], "failed");
  r = Call("GET", "/v1/environments/logs/deployments/" + newer["id"].get<std::string>());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json::parse(r.body), newer);
  r = Call("GET", "/v1/environments/logs/deployments/nope");
  EXPECT_EQ(r.body, "Deployment nope does not exist for environment logs\n");
}

}  // namespace
}  // namespace gantry::blox
