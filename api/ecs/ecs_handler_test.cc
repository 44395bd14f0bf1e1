// The ECS JSON protocol over the real services and a memory store: every operation with bodies
// shaped as the AWS CLI sends them, the talk's ListContainerInstances filters and placements, and
// the error shapes.
#include "api/ecs/ecs_handler.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "api/clock/system_clock.h"
#include "api/ecs/ecs_shapes.h"
#include "api/fleet/testing/fleet_harness.h"
#include "api/service/local_client.h"
#include "controllers/cluster/cluster_controller.h"
#include "controllers/runtime/manager.h"
#include "tests/testlib/eventually.h"

namespace gantry::ecs {
namespace {

using Json = nlohmann::json;
using std::chrono::seconds;

constexpr double kStart = 1767225600.0;  // FakeClock's 2026-01-01T00:00:00Z
const char* kArnPrefix = "arn:aws:ecs:us-east-1:000000000000:";

struct Reply {
  int status = 0;
  Json body;
  std::string content_type;
  // The error type of an error reply.
  std::string type() const { return body.value("__type", ""); }
  std::string message() const { return body.value("message", ""); }
};

std::ostream& operator<<(std::ostream& os, const Reply& r) {
  return os << r.status << " " << r.body.dump();
}

// gantryd's cluster controller over the test's objects, on real time (its status writes are
// spaced by an interval). Stopped before it goes: its informers call into it.
struct ClusterControllerRunning {
  explicit ClusterControllerRunning(api::ObjectService& objects) : client(objects) {
    manager = std::make_unique<controllers::runtime::Manager>(client, clock);
    controller = std::make_unique<controllers::cluster::ClusterController>(
        client, clock, manager->informers(), controllers::runtime::ControllerOptions{});
    manager->Add(controller->controller());
    EXPECT_TRUE(manager->Start(std::chrono::seconds(10)).ok());
  }
  ~ClusterControllerRunning() { manager->Stop(); }

  api::LocalClient client;
  clock::SystemClock clock;
  std::unique_ptr<controllers::runtime::Manager> manager;
  std::unique_ptr<controllers::cluster::ClusterController> controller;
};

class EcsHandlerTest : public fleet::testing::FleetHarness {
 protected:
  Reply Call(std::string_view operation, std::string_view body) {
    EcsResponse r = handler_.Handle(operation, body);
    Reply out;
    out.status = r.status;
    out.content_type = r.content_type;
    out.body = Json::parse(r.body, nullptr, false);
    EXPECT_FALSE(out.body.is_discarded()) << r.body;
    return out;
  }
  Reply Call(std::string_view operation, const Json& body) {
    const std::string text = body.dump();
    return Call(operation, std::string_view(text));
  }

  // Runs `count` tasks of myapp in demo; the agent reports the first one RUNNING.
  void LaunchAndReport(int count) {
    fleet::LaunchRequest req;
    req.cluster = "demo";
    req.task_definition = "myapp";
    req.count = count;
    auto run = tasks_.RunTask(req);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    ASSERT_EQ(run->tasks.size(), static_cast<size_t>(count));
    v1::TaskStateReport report;
    report.set_task(run->tasks[0]->metadata().name());
    report.set_container_instance(run->tasks[0]->spec().container_instance());
    report.set_last_status("RUNNING");
    std::vector<v1::ReportFailure> failures;
    tasks_.Report({report}, failures);
    ASSERT_TRUE(failures.empty());
  }

  std::string InstanceArn(const std::string& id) { return names_.InstanceArn("demo", id); }
  static std::string IdOf(const std::string& arn) { return arn.substr(arn.rfind('/') + 1); }

  int CountInstances(const std::string& filter) {
    Reply r = Call("ListContainerInstances", Json{{"cluster", "demo"}, {"filter", filter}});
    EXPECT_EQ(r.status, 200) << filter << ": " << r;
    return r.status == 200 ? static_cast<int>(r.body["containerInstanceArns"].size()) : -1;
  }

  std::string ZoneOf(const std::string& instance_arn) {
    for (const auto& a : Shown().Instance(IdOf(instance_arn))->spec().attributes())
      if (a.name() == "ecs.availability-zone") return a.value();
    return "";
  }

  EcsHandler handler_{objects_, tasks_, instances_, fleet_, names_};
};

// ---- protocol and error shapes ----

TEST(EcsProtocolTest, OperationFromTarget) {
  EXPECT_EQ(EcsOperationOf("AmazonEC2ContainerServiceV20141113.ListTasks"), "ListTasks");
  EXPECT_FALSE(EcsOperationOf("AmazonEC2ContainerServiceV20141113."));
  EXPECT_FALSE(EcsOperationOf("DynamoDB_20120810.ListTables"));
  auto ops = EcsHandler::Operations();
  EXPECT_EQ(ops.size(), 30u);
  EXPECT_TRUE(std::is_sorted(ops.begin(), ops.end()));
}

TEST(EcsProtocolTest, ErrorMapping) {
  EXPECT_EQ(EcsErrorFrom(api::Status(api::Code::kNotFound, "x", "cluster")).body,
            R"({"__type":"ClusterNotFoundException","message":"Cluster not found."})");
  EcsResponse internal = EcsErrorFrom(api::Status(api::Code::kUnavailable, "store down"));
  EXPECT_EQ(internal.status, 500);
  EXPECT_NE(internal.body.find("ServerException"), std::string::npos);
  EXPECT_NE(EcsErrorFrom(api::Status(api::Code::kAborted, "race")).body.find("ClientException"),
            std::string::npos);
  EXPECT_EQ(EcsError(400, "ClientException", "a \"quoted\" message").content_type,
            "application/x-amz-json-1.1");
}

TEST_F(EcsHandlerTest, ErrorShapes) {
  // Malformed JSON names the position.
  Reply r = Call("ListClusters", std::string_view(R"({"maxResults": )"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.type(), "SerializationException");
  EXPECT_NE(r.message().find("line 1, column 16"), std::string::npos) << r;
  r = Call("ListClusters", std::string_view("[1, 2]"));
  EXPECT_EQ(r.type(), "SerializationException") << r;
  EXPECT_EQ(r.content_type, "application/x-amz-json-1.1");
  // Wrong types name the member path.
  r = Call("RunTask", Json{{"taskDefinition", "myapp"}, {"count", "nine"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.type(), "InvalidParameterException");
  EXPECT_EQ(r.message(), "count: expected an integer, got string");
  r = Call("RunTask", Json{{"taskDefinition", "myapp"}, {"placementConstraints", {{{"type", 5}}}}});
  EXPECT_EQ(r.message(), "placementConstraints[0].type: expected a string, got number") << r;
  r = Call("DescribeClusters", Json{{"clusters", "demo"}});
  EXPECT_EQ(r.message(), "clusters: expected a list, got string") << r;
  // Unknown operation.
  r = Call("LaunchRockets", std::string_view("{}"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.type(), "UnknownOperationException");
  // Unknown cluster.
  r = Call("ListContainerInstances", Json{{"cluster", "nope"}});
  EXPECT_EQ(r.type(), "ClusterNotFoundException");
  EXPECT_EQ(r.message(), "Cluster not found.");
  // Required members.
  r = Call("DescribeTasks", Json{{"cluster", "demo"}});
  EXPECT_EQ(r.message(), "tasks: is required") << r;
}

TEST_F(EcsHandlerTest, HostileBodies) {
  // Invalid UTF-8 is a serialization error, not a crash.
  Reply r = Call("ListClusters", std::string_view("{\"nextToken\": \"\xff\xfe\"}"));
  EXPECT_EQ(r.type(), "SerializationException") << r;
  // Deep nesting in an ignored member.
  std::string deep = "{\"x\": " + std::string(20000, '[') + std::string(20000, ']') + "}";
  EXPECT_EQ(Call("ListClusters", std::string_view(deep)).status, 200);
  r = Call("ListClusters", std::string_view(R"({"maxResults": 18446744073709551615})"));
  EXPECT_EQ(r.message(), "maxResults: must be between 1 and 100, got 18446744073709551615") << r;
  r = Call("ListClusters", std::string_view(R"({"maxResults": 2.5})"));
  EXPECT_EQ(r.message(), "maxResults: expected an integer, got number") << r;
  EXPECT_EQ(Call("ListClusters", std::string_view(R"({"maxResults": 2.0})")).status, 200);
}

TEST_F(EcsHandlerTest, UnknownMembersAndNullsAreIgnored) {
  RegisterNine();
  Reply r = Call("ListContainerInstances",
                 Json{{"cluster", "demo"}, {"someFutureMember", {1, 2}}, {"filter", nullptr}});
  EXPECT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["containerInstanceArns"].size(), 9u);
  // An empty body is an empty request (ListClusters takes no required member).
  EXPECT_EQ(Call("ListClusters", std::string_view("")).status, 200);
}

// ---- clusters ----

TEST_F(EcsHandlerTest, Clusters) {
  Reply r = Call("CreateCluster", Json{{"clusterName", "prod"}, {"tags", Json::array()}});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["cluster"]["clusterArn"], std::string(kArnPrefix) + "cluster/prod");
  EXPECT_EQ(r.body["cluster"]["clusterName"], "prod");
  EXPECT_EQ(r.body["cluster"]["status"], "ACTIVE");
  EXPECT_EQ(r.body["cluster"]["registeredContainerInstancesCount"], 0);
  // Creating it again answers with the same cluster.
  EXPECT_EQ(Call("CreateCluster", Json{{"clusterName", "prod"}}).body, r.body);
  EXPECT_EQ(Call("CreateCluster", Json{{"clusterName", "no/slash"}}).type(),
            "InvalidParameterException");

  RegisterNine();
  r = Call("ListClusters", std::string_view("{}"));
  EXPECT_EQ(r.body["clusterArns"], Json({std::string(kArnPrefix) + "cluster/demo",
                                         std::string(kArnPrefix) + "cluster/prod"}));
  r = Call("ListClusters", Json{{"maxResults", 1}});
  ASSERT_EQ(r.body["clusterArns"].size(), 1u);
  ASSERT_TRUE(r.body.contains("nextToken"));
  r = Call("ListClusters", Json{{"maxResults", 1}, {"nextToken", r.body["nextToken"]}});
  EXPECT_EQ(r.body["clusterArns"], Json({std::string(kArnPrefix) + "cluster/prod"}));
  EXPECT_FALSE(r.body.contains("nextToken"));
  EXPECT_EQ(Call("ListClusters", Json{{"maxResults", 0}}).type(), "InvalidParameterException");

  // Counts are what the cluster controller keeps in the cluster's status, moments after the
  // fleet changes.
  ClusterControllerRunning counter(objects_);
  LaunchAndReport(2);
  testlib::Eventually(
      [&] {
        r = Call("DescribeClusters", Json{{"clusters", {"demo", names_.ClusterArn("nope")}}});
        return r.body["clusters"].size() == 1 && r.body["clusters"][0]["runningTasksCount"] == 1;
      },
      std::chrono::seconds(10), std::chrono::milliseconds(5));
  ASSERT_EQ(r.body["clusters"].size(), 1u) << r;
  EXPECT_EQ(r.body["clusters"][0]["registeredContainerInstancesCount"], 9);
  EXPECT_EQ(r.body["clusters"][0]["runningTasksCount"], 1);
  EXPECT_EQ(r.body["clusters"][0]["pendingTasksCount"], 1);
  EXPECT_EQ(r.body["failures"],
            Json::parse(R"([{"arn":")" + names_.ClusterArn("nope") + R"(","reason":"MISSING"}])"));
  // No name: the default cluster.
  r = Call("DescribeClusters", std::string_view("{}"));
  EXPECT_EQ(r.body["failures"][0]["arn"], names_.ClusterArn("default"));

  r = Call("DeleteCluster", Json{{"cluster", "demo"}});
  EXPECT_EQ(r.type(), "ClusterContainsContainerInstancesException") << r;
  r = Call("DeleteCluster", Json{{"cluster", names_.ClusterArn("prod")}});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["cluster"]["status"], "INACTIVE");
  EXPECT_EQ(Call("DescribeClusters", Json{{"clusters", {"prod"}}}).body["failures"].size(), 1u);
  EXPECT_EQ(Call("DeleteCluster", Json{{"cluster", "prod"}}).type(), "ClusterNotFoundException");
}

TEST_F(EcsHandlerTest, DeleteClusterWithTasks) {
  RegisterNine();
  ASSERT_EQ(Call("RunTask", Json{{"cluster", "demo"}, {"taskDefinition", "myapp"}}).status, 200);
  // Every instance gone (as deregistration would leave them), one task still holds resources.
  for (const auto& ci : Shown().InstancesIn("demo")) {
    auto gone = objects_.Mutate(
        *schema::FindKind("ContainerInstance"), ci->metadata().name(),
        [](google::protobuf::Message& m) -> api::StatusOr<bool> {
          static_cast<v1::ContainerInstance&>(m).mutable_status()->set_status("INACTIVE");
          return true;
        });
    ASSERT_TRUE(gone.ok());
    ASSERT_TRUE(fleet_.WaitForInstances(controllers::runtime::RevisionOf(**gone)));
  }
  Reply r = Call("DeleteCluster", Json{{"cluster", "demo"}});
  EXPECT_EQ(r.type(), "ClusterContainsTasksException") << r;
  EXPECT_EQ(r.message(), "The Cluster cannot be deleted while Tasks are active.");
}

// ---- task definitions ----

TEST_F(EcsHandlerTest, TaskDefinitions) {
  // As `aws ecs register-task-definition --cli-input-json` sends it, with fields Gantry ignores.
  const Json web = Json::parse(R"({
    "family": "web",
    "networkMode": "host",
    "containerDefinitions": [{
      "name": "app", "image": "nginx:1.27", "cpu": 256, "memoryReservation": 384,
      "portMappings": [{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"},
                       {"containerPort": 9000}],
      "essential": true, "entryPoint": ["/bin/sh", "-c"], "command": ["exec nginx"],
      "environment": [{"name": "MODE", "value": "prod"}],
      "stopTimeout": 20, "workingDirectory": "/srv", "user": "101:101",
      "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "web"}},
      "mountPoints": [], "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}]
    }],
    "placementConstraints": [{"type": "memberOf",
                              "expression": "attribute:ecs.instance-type =~ t2.*"}],
    "requiresCompatibilities": ["EC2"],
    "cpu": "0.5 vCPU", "memory": "1 GB",
    "tags": [{"key": "team", "value": "web"}]
  })");
  Reply r = Call("RegisterTaskDefinition", web);
  ASSERT_EQ(r.status, 200) << r;
  const Json& td = r.body["taskDefinition"];
  EXPECT_EQ(td["taskDefinitionArn"], std::string(kArnPrefix) + "task-definition/web:1");
  EXPECT_EQ(td["family"], "web");
  EXPECT_EQ(td["revision"], 1);
  EXPECT_EQ(td["status"], "ACTIVE");
  EXPECT_EQ(td["cpu"], "512");
  EXPECT_EQ(td["memory"], "1024");
  EXPECT_EQ(td["registeredAt"], kStart);
  EXPECT_EQ(td["placementConstraints"][0]["expression"], "attribute:ecs.instance-type =~ t2.*");
  const Json& c = td["containerDefinitions"][0];
  EXPECT_EQ(c["name"], "app");
  EXPECT_EQ(c["image"], "nginx:1.27");
  EXPECT_EQ(c["cpu"], 256);
  EXPECT_EQ(c["memory"], 384);
  EXPECT_EQ(c["portMappings"][0], Json::parse(R"({"containerPort":80,"hostPort":8080,
                                                    "protocol":"tcp"})"));
  EXPECT_EQ(c["portMappings"][1]["hostPort"], 9000);  // host networking: same port
  EXPECT_EQ(c["entryPoint"], Json({"/bin/sh", "-c"}));
  EXPECT_EQ(c["command"], Json({"exec nginx"}));
  EXPECT_EQ(c["environment"][0], Json::parse(R"({"name":"MODE","value":"prod"})"));
  EXPECT_EQ(c["essential"], true);
  EXPECT_EQ(c["stopTimeout"], 20);
  EXPECT_EQ(c["workingDirectory"], "/srv");
  EXPECT_EQ(c["user"], "101:101");

  // Every registration is a new revision.
  clock_.Advance(seconds(10));
  ASSERT_EQ(Call("RegisterTaskDefinition", web).body["taskDefinition"]["revision"], 2);
  r = Call("DescribeTaskDefinition", Json{{"taskDefinition", "web"}});
  EXPECT_EQ(r.body["taskDefinition"]["revision"], 2);
  EXPECT_EQ(r.body["taskDefinition"]["registeredAt"], kStart + 10);
  r = Call("DeregisterTaskDefinition", Json{{"taskDefinition", names_.TaskDefinitionArn("web:2")}});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["taskDefinition"]["status"], "INACTIVE");
  // The family now means its latest ACTIVE revision.
  EXPECT_EQ(Call("DescribeTaskDefinition", Json{{"taskDefinition", "web"}})
                .body["taskDefinition"]["revision"],
            1);
  EXPECT_EQ(Call("DescribeTaskDefinition", Json{{"taskDefinition", "web:2"}})
                .body["taskDefinition"]["status"],
            "INACTIVE");
  r = Call("DescribeTaskDefinition", Json{{"taskDefinition", "nope"}});
  EXPECT_EQ(r.type(), "ClientException");
  EXPECT_EQ(r.message(), "Unable to describe task definition.");
  EXPECT_EQ(Call("DeregisterTaskDefinition", Json{{"taskDefinition", "web"}}).type(),
            "InvalidParameterException");

  ASSERT_EQ(
      Call("RegisterTaskDefinition", Json::parse(R"({"family": "web-api", "containerDefinitions":
                                 [{"name": "api", "image": "api", "memory": 128}]})"))
          .status,
      200);
  auto arns = [&](const Json& request) {
    std::vector<std::string> out;
    const Reply reply = Call("ListTaskDefinitions", request);
    for (const auto& a : reply.body["taskDefinitionArns"])
      out.push_back(a.get<std::string>().substr(std::string(kArnPrefix).size()));
    return out;
  };
  using V = std::vector<std::string>;
  // ACTIVE by default; sorted by family, then revision.
  EXPECT_EQ(arns(Json::object()),
            (V{"task-definition/myapp:1", "task-definition/web:1", "task-definition/web-api:1"}));
  EXPECT_EQ(arns(Json{{"sort", "DESC"}}),
            (V{"task-definition/web-api:1", "task-definition/web:1", "task-definition/myapp:1"}));
  EXPECT_EQ(arns(Json{{"status", "INACTIVE"}}), (V{"task-definition/web:2"}));
  EXPECT_EQ(arns(Json{{"familyPrefix", "web"}}), (V{"task-definition/web:1"}));
  r = Call("ListTaskDefinitions", Json{{"maxResults", 2}, {"sort", "DESC"}});
  ASSERT_EQ(r.body["taskDefinitionArns"].size(), 2u);
  r = Call("ListTaskDefinitions",
           Json{{"maxResults", 2}, {"sort", "DESC"}, {"nextToken", r.body["nextToken"]}});
  EXPECT_EQ(r.body["taskDefinitionArns"], Json({names_.TaskDefinitionArn("myapp:1")}));
  EXPECT_EQ(Call("ListTaskDefinitions", Json{{"status", "GONE"}}).type(),
            "InvalidParameterException");

  r = Call("ListTaskDefinitionFamilies", Json{{"familyPrefix", "we"}});
  EXPECT_EQ(r.body["families"], Json({"web", "web-api"}));
  ASSERT_EQ(Call("DeregisterTaskDefinition", Json{{"taskDefinition", "web:1"}}).status, 200);
  EXPECT_EQ(Call("ListTaskDefinitionFamilies", Json{{"status", "INACTIVE"}}).body["families"],
            Json({"web"}));
  EXPECT_EQ(Call("ListTaskDefinitionFamilies", Json{{"status", "ACTIVE"}}).body["families"],
            Json({"myapp", "web-api"}));
}

TEST_F(EcsHandlerTest, TaskDefinitionErrors) {
  auto reg = [&](const std::string& text) {
    return Call("RegisterTaskDefinition", Json::parse(text));
  };
  Reply r = reg(R"({"family": "web", "containerDefinitions": [{"name": "app", "image": "x"}]})");
  EXPECT_EQ(r.type(), "ClientException");
  EXPECT_EQ(r.message(),
            "Invalid setting for container 'app'. At least one of 'memory' or "
            "'memoryReservation' must be specified.");
  // Task-level memory is enough.
  EXPECT_EQ(reg(R"({"family": "web", "memory": "512",
                    "containerDefinitions": [{"name": "app", "image": "x"}]})")
                .status,
            200);
  r = reg(R"({"family": "web", "containerDefinitions": [{"name": "app", "image": "x",
             "memory": 128, "portMappings": [{"containerPort": 0}]}]})");
  EXPECT_EQ(r.type(), "InvalidParameterException");
  EXPECT_EQ(r.message(),
            "containerDefinitions[0].portMappings[0].containerPort: must be between 1 and 65535");
  r = reg(R"({"family": "web", "containerDefinitions": [{"name": "app", "image": "x",
             "memory": 128, "portMappings": [{"containerPort": 70000}]}]})");
  EXPECT_EQ(r.message(),
            "containerDefinitions[0].portMappings[0].containerPort: must be between 0 and 65535, "
            "got 70000");
  r = reg(R"({"family": "web", "containerDefinitions": [{"name": "app", "image": "x",
             "memory": 128}], "placementConstraints": [{"type": "memberOf",
             "expression": "attribute:ecs.instance-type =="}]})");
  EXPECT_EQ(r.type(), "InvalidParameterException");
  EXPECT_NE(r.message().find("placementConstraints[0].expression: "), std::string::npos) << r;
  EXPECT_NE(r.message().find("column"), std::string::npos) << r;
  r = reg(R"({"family": "bad:name", "containerDefinitions": [{"name": "a", "memory": 1,
             "image": "x"}]})");
  EXPECT_EQ(r.message(),
            "family: may contain only letters, digits, '-', '_' and '.', got 'bad:name'");
  r = reg(R"({"family": "web", "cpu": "lots", "containerDefinitions": [{"name": "a",
             "memory": 1, "image": "x"}]})");
  EXPECT_EQ(r.message(), "cpu: must be CPU units (1024) or vCPUs (1 vCPU), got 'lots'");
  r = reg(R"({"family": "web", "containerDefinitions": [{"name": "a", "memory": 1,
             "memoryReservation": 2, "image": "x"}]})");
  EXPECT_EQ(r.message(), "containerDefinitions[0].memoryReservation: must not exceed memory (1)");
  r = reg(R"({"family": "web"})");
  EXPECT_EQ(r.message(), "containerDefinitions: is required");
}

// ---- container instances ----

TEST_F(EcsHandlerTest, ListContainerInstancesFiltersFromTheTalk) {
  RegisterNine();
  EXPECT_EQ(CountInstances("attribute:ecs.instance-type matches t2.*"), 6);
  EXPECT_EQ(CountInstances("attribute:ecs.availability-zone == us-east-1a"), 3);
  EXPECT_EQ(CountInstances("attribute:ecs.instance-type matches t2.* and "
                           "attribute:ecs.availability-zone == us-east-1a"),
            2);
  EXPECT_EQ(CountInstances("(attribute:ecs.instance-type in [t2.small, t2.medium] or "
                           "attribute:ecs.instance-type matches g2.*) and "
                           "attribute:ecs.availability-zone != us-east-1d"),
            9);
  Reply r = Call("ListContainerInstances",
                 Json{{"cluster", "demo"}, {"filter", "attribute:ecs.instance-type =="}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.type(), "InvalidParameterException");
  EXPECT_TRUE(r.message().starts_with("filter: ")) << r;
  EXPECT_NE(r.message().find("column"), std::string::npos) << r;
  r = Call("ListContainerInstances", Json{{"cluster", "demo"}, {"status", "SLEEPING"}});
  EXPECT_EQ(r.type(), "InvalidParameterException");

  // Pages of 4 cover the nine once.
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    Json request = {{"cluster", names_.ClusterArn("demo")}, {"maxResults", 4}};
    if (!token.empty()) request["nextToken"] = token;
    r = Call("ListContainerInstances", request);
    ASSERT_EQ(r.status, 200) << r;
    for (const auto& arn : r.body["containerInstanceArns"]) seen.insert(arn.get<std::string>());
    token = r.body.value("nextToken", "");
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 9u);
  EXPECT_TRUE(seen.count(InstanceArn("i-12")));
}

TEST_F(EcsHandlerTest, DescribeAndDrainContainerInstances) {
  RegisterNine();
  Reply r = Call(
      "DescribeContainerInstances",
      Json{{"cluster", "demo"}, {"containerInstances", {"i-00", InstanceArn("i-01"), "i-zz"}}});
  ASSERT_EQ(r.status, 200) << r;
  ASSERT_EQ(r.body["containerInstances"].size(), 2u);
  const Json& ci = r.body["containerInstances"][0];
  EXPECT_EQ(ci["containerInstanceArn"], InstanceArn("i-00"));
  EXPECT_EQ(ci["ec2InstanceId"], "i-0abc00");
  EXPECT_EQ(ci["status"], "ACTIVE");
  EXPECT_EQ(ci["agentConnected"], true);
  EXPECT_EQ(ci["registeredAt"], kStart);
  EXPECT_EQ(ci["versionInfo"]["agentVersion"], "1.0.0");
  EXPECT_TRUE(ci["version"].is_number_integer());
  EXPECT_EQ(ci["registeredResources"], Json::parse(R"([
      {"name":"CPU","type":"INTEGER","integerValue":2048},
      {"name":"MEMORY","type":"INTEGER","integerValue":4096},
      {"name":"PORTS","type":"STRINGSET","stringSetValue":["22"]},
      {"name":"PORTS_UDP","type":"STRINGSET","stringSetValue":[]}])"));
  EXPECT_EQ(ci["attributes"], Json::parse(R"([{"name":"ecs.availability-zone","value":"us-east-1a"},
                                               {"name":"ecs.instance-type","value":"t2.small"}])"));
  EXPECT_EQ(r.body["containerInstances"][1]["containerInstanceArn"], InstanceArn("i-01"));
  EXPECT_EQ(r.body["failures"],
            Json::parse(R"([{"arn":")" + InstanceArn("i-zz") + R"(","reason":"MISSING"}])"));

  r = Call(
      "UpdateContainerInstancesState",
      Json{{"cluster", "demo"}, {"containerInstances", {"i-00", "i-zz"}}, {"status", "DRAINING"}});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["containerInstances"][0]["status"], "DRAINING");
  EXPECT_EQ(r.body["failures"][0]["reason"], "MISSING");
  r = Call("ListContainerInstances", Json{{"cluster", "demo"}, {"status", "DRAINING"}});
  EXPECT_EQ(r.body["containerInstanceArns"], Json({InstanceArn("i-00")}));
  r = Call("UpdateContainerInstancesState",
           Json{{"cluster", "demo"}, {"containerInstances", {"i-00"}}, {"status", "SLEEPING"}});
  EXPECT_EQ(r.type(), "InvalidParameterException");
  EXPECT_EQ(r.message(), "status: must be ACTIVE or DRAINING, got 'SLEEPING'");
}

TEST_F(EcsHandlerTest, RegisterContainerInstance) {
  ASSERT_EQ(Call("CreateCluster", Json{{"clusterName", "lab"}}).status, 200);
  const Json request = Json::parse(R"({
    "cluster": "lab",
    "instanceIdentityDocument": "{\"instanceId\": \"i-0123\", \"availabilityZone\": \"us-east-1b\", \"instanceType\": \"m5.large\"}",
    "instanceIdentityDocumentSignature": "sig",
    "totalResources": [
      {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
      {"name": "MEMORY", "type": "INTEGER", "integerValue": 7680},
      {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22", "2376"]},
      {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []}],
    "versionInfo": {"agentVersion": "1.80.0", "agentHash": "abc", "dockerVersion": "24.0"},
    "attributes": [{"name": "ecs.os-type", "value": "linux"},
                   {"name": "ecs.capability.privileged-container"}]
  })");
  Reply r = Call("RegisterContainerInstance", request);
  ASSERT_EQ(r.status, 200) << r;
  const Json& ci = r.body["containerInstance"];
  const std::string arn = ci["containerInstanceArn"];
  EXPECT_TRUE(arn.starts_with(std::string(kArnPrefix) + "container-instance/lab/")) << arn;
  EXPECT_EQ(ci["ec2InstanceId"], "i-0123");
  EXPECT_EQ(ci["remainingResources"][1]["integerValue"], 7680);
  EXPECT_EQ(ci["remainingResources"][2]["stringSetValue"], Json({"22", "2376"}));
  EXPECT_EQ(ci["versionInfo"], Json::parse(R"({"agentVersion":"1.80.0","agentHash":"abc",
                                                "dockerVersion":"24.0"})"));
  EXPECT_EQ(ci["attributes"], Json::parse(R"([{"name":"ecs.os-type","value":"linux"},
      {"name":"ecs.capability.privileged-container"},
      {"name":"ecs.availability-zone","value":"us-east-1b"},
      {"name":"ecs.instance-type","value":"m5.large"}])"));
  // Registering again with the ARN keeps the instance.
  Json again = request;
  again["containerInstanceArn"] = arn;
  r = Call("RegisterContainerInstance", again);
  EXPECT_EQ(r.body["containerInstance"]["containerInstanceArn"], arn);
  EXPECT_EQ(Call("ListContainerInstances", Json{{"cluster", "lab"}}).body["containerInstanceArns"],
            Json({arn}));

  Json missing = request;
  missing["cluster"] = "nope";
  EXPECT_EQ(Call("RegisterContainerInstance", missing).type(), "ClusterNotFoundException");
  Json bad_port = request;
  bad_port["totalResources"][2]["stringSetValue"] = {"22", "http"};
  r = Call("RegisterContainerInstance", bad_port);
  EXPECT_EQ(r.message(),
            "totalResources[2].stringSetValue[1]: must be a port number between 1 and 65535, got "
            "'http'");
}

TEST_F(EcsHandlerTest, Attributes) {
  RegisterNine();
  Reply r = Call("PutAttributes", Json::parse(R"({"cluster": "demo", "attributes": [
      {"name": "stack", "value": "prod", "targetType": "container-instance", "targetId": "i-00"},
      {"name": "stack", "value": "prod", "targetId": ")" +
                                              InstanceArn("i-11") + R"("}]})"));
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["attributes"][0],
            Json::parse(R"({"name":"stack","value":"prod","targetType":"container-instance",
                            "targetId":"i-00"})"));
  EXPECT_EQ(CountInstances("attribute:stack == prod"), 2);

  r = Call(
      "ListAttributes",
      Json{{"cluster", "demo"}, {"targetType", "container-instance"}, {"attributeName", "stack"}});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["attributes"], Json::parse(R"([
      {"name":"stack","value":"prod","targetType":"container-instance","targetId":")" +
                                              InstanceArn("i-00") + R"("},
      {"name":"stack","value":"prod","targetType":"container-instance","targetId":")" +
                                              InstanceArn("i-11") + R"("}])"));
  r = Call("ListAttributes", Json{{"cluster", "demo"},
                                  {"targetType", "container-instance"},
                                  {"attributeName", "ecs.availability-zone"},
                                  {"attributeValue", "us-east-1c"},
                                  {"maxResults", 2}});
  EXPECT_EQ(r.body["attributes"].size(), 2u);
  r = Call("ListAttributes", Json{{"cluster", "demo"},
                                  {"targetType", "container-instance"},
                                  {"attributeName", "ecs.availability-zone"},
                                  {"attributeValue", "us-east-1c"},
                                  {"nextToken", r.body["nextToken"]}});
  EXPECT_EQ(r.body["attributes"][0]["targetId"], InstanceArn("i-22"));
  EXPECT_EQ(Call("ListAttributes", Json{{"cluster", "demo"}, {"targetType", "service"}}).type(),
            "InvalidParameterException");

  r = Call("DeleteAttributes", Json::parse(R"({"cluster": "demo", "attributes": [
      {"name": "stack", "targetId": "i-00"}]})"));
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(CountInstances("attribute:stack == prod"), 1);

  r = Call("PutAttributes", Json::parse(R"({"cluster": "demo", "attributes": [
      {"name": "stack", "value": "prod", "targetId": "i-99"}]})"));
  EXPECT_EQ(r.type(), "TargetNotFoundException") << r;
  r = Call("PutAttributes", Json::parse(R"({"cluster": "demo", "attributes": [
      {"name": "stack", "value": " prod", "targetId": "i-00"}]})"));
  EXPECT_EQ(r.type(), "InvalidParameterException");
  EXPECT_TRUE(r.message().starts_with("attributes[0].value: ")) << r;
}

// ---- tasks ----

TEST_F(EcsHandlerTest, RunTaskWithMemberOf) {
  RegisterNine();
  Reply r = Call("RunTask", Json::parse(R"({"cluster": "demo", "taskDefinition": "myapp",
      "count": 3, "startedBy": "batch-7",
      "placementConstraints": [{"type": "memberOf",
                                "expression": "attribute:ecs.instance-type == g2.2xlarge"}]})"));
  ASSERT_EQ(r.status, 200) << r;
  ASSERT_EQ(r.body["tasks"].size(), 3u);
  EXPECT_EQ(r.body["failures"], Json::array());
  for (const auto& t : r.body["tasks"]) {
    EXPECT_EQ(IdOf(t["containerInstanceArn"]).substr(3), "2") << t;  // i-z2: the g2 instances
  }
  const Json& t = r.body["tasks"][0];
  const std::string task_arn = t["taskArn"];
  EXPECT_TRUE(task_arn.starts_with(std::string(kArnPrefix) + "task/demo/")) << task_arn;
  EXPECT_EQ(t["clusterArn"], names_.ClusterArn("demo"));
  EXPECT_EQ(t["taskDefinitionArn"], names_.TaskDefinitionArn("myapp:1"));
  EXPECT_EQ(t["lastStatus"], "PENDING");
  EXPECT_EQ(t["desiredStatus"], "RUNNING");
  EXPECT_EQ(t["group"], "family:myapp");
  EXPECT_EQ(t["startedBy"], "batch-7");
  EXPECT_EQ(t["cpu"], "256");
  EXPECT_EQ(t["memory"], "512");
  EXPECT_EQ(t["launchType"], "EC2");
  EXPECT_EQ(t["version"], 1);
  EXPECT_EQ(t["createdAt"], kStart);
  EXPECT_FALSE(t.contains("startedAt"));
  EXPECT_EQ(t["availabilityZone"], ZoneOf(t["containerInstanceArn"]));
  EXPECT_EQ(t["containers"][0]["name"], "app");
  EXPECT_EQ(t["containers"][0]["taskArn"], task_arn);
  EXPECT_EQ(t["containers"][0]["containerArn"], names_.ContainerArn("demo", IdOf(task_arn), "app"));
  EXPECT_EQ(t["overrides"]["containerOverrides"], Json::parse(R"([{"name":"app"}])"));

  // Unsatisfiable: failures, not an error.
  r = Call("RunTask", Json::parse(R"({"cluster": "demo", "taskDefinition": "myapp", "count": 2,
      "placementConstraints": [{"type": "memberOf",
                                "expression": "attribute:ecs.instance-type == p9.huge"}]})"));
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_TRUE(r.body["tasks"].empty());
  ASSERT_EQ(r.body["failures"].size(), 2u);
  EXPECT_EQ(r.body["failures"][0]["arn"], names_.ClusterArn("demo"));
  EXPECT_EQ(r.body["failures"][0]["reason"], "MemberOf placement constraint unsatisfied.");

  // A bad expression is an error that shows where.
  r = Call("RunTask", Json::parse(R"({"cluster": "demo", "taskDefinition": "myapp",
      "placementConstraints": [{"type": "distinctInstance"},
          {"type": "memberOf", "expression": "attribute:ecs.instance-type =="}]})"));
  EXPECT_EQ(r.type(), "InvalidParameterException");
  EXPECT_TRUE(r.message().starts_with("placementConstraints[1].expression: ")) << r;
  EXPECT_NE(r.message().find("column"), std::string::npos) << r;

  r = Call("RunTask", Json{{"cluster", "demo"}, {"taskDefinition", "myapp"}, {"count", 11}});
  EXPECT_EQ(r.type(), "InvalidParameterException");
  EXPECT_TRUE(r.message().starts_with("count: ")) << r;
  r = Call("RunTask", Json{{"cluster", "nope"}, {"taskDefinition", "myapp"}});
  EXPECT_EQ(r.type(), "ClusterNotFoundException");
  r = Call("RunTask", Json{{"cluster", "demo"}, {"taskDefinition", "nope"}});
  EXPECT_EQ(r.type(), "InvalidParameterException") << r;
  r = Call("RunTask",
           Json{{"cluster", "demo"}, {"taskDefinition", "myapp"}, {"launchType", "FARGATE"}});
  EXPECT_EQ(r.type(), "UnsupportedFeatureException") << r;
  r = Call("RunTask", Json::parse(R"({"cluster": "demo", "taskDefinition": "myapp",
      "overrides": {"containerOverrides": [{"name": "app", "command": ["sleep", "1"]}]}})"));
  EXPECT_EQ(r.type(), "UnsupportedFeatureException") << r;
  EXPECT_TRUE(r.message().starts_with("overrides.containerOverrides[0].command: ")) << r;
  // Overrides that change nothing are fine.
  r = Call("RunTask", Json::parse(R"({"cluster": "demo", "taskDefinition": "myapp",
      "overrides": {"containerOverrides": [{"name": "app"}], "inferenceAcceleratorOverrides": []},
      "tags": [{"key": "k", "value": "v"}], "enableECSManagedTags": false})"));
  EXPECT_EQ(r.status, 200) << r;
}

TEST_F(EcsHandlerTest, RunNineSpreadAcrossZonesThenBinpackMemory) {
  RegisterNine();
  Reply r = Call("RunTask", Json::parse(R"({"cluster": "demo", "taskDefinition": "myapp",
      "count": 9, "placementStrategy": [
          {"type": "spread", "field": "attribute:ecs.availability-zone"},
          {"type": "binpack", "field": "memory"}]})"));
  ASSERT_EQ(r.status, 200) << r;
  ASSERT_EQ(r.body["tasks"].size(), 9u);
  std::map<std::string, int> per_zone, per_instance;
  for (const auto& t : r.body["tasks"]) {
    per_zone[t["availabilityZone"]]++;
    per_instance[t["containerInstanceArn"]]++;
  }
  EXPECT_EQ(per_zone,
            (std::map<std::string, int>{{"us-east-1a", 3}, {"us-east-1b", 3}, {"us-east-1c", 3}}));
  EXPECT_EQ(per_instance.size(), 3u);  // binpacked: one instance per zone
  // The instances show what is left.
  const std::string busy = per_instance.begin()->first;
  r = Call("DescribeContainerInstances", Json{{"cluster", "demo"}, {"containerInstances", {busy}}});
  const Json& ci = r.body["containerInstances"][0];
  EXPECT_EQ(ci["remainingResources"][1]["integerValue"], 4096 - 3 * 512);
  EXPECT_EQ(ci["pendingTasksCount"], 3);
  r = Call("RunTask", Json::parse(R"({"cluster": "demo", "taskDefinition": "myapp",
      "placementStrategy": [{"type": "binpack", "field": "disk"}]})"));
  EXPECT_EQ(r.type(), "InvalidParameterException") << r;
}

TEST_F(EcsHandlerTest, StartStopListDescribeTasks) {
  RegisterNine();
  Reply r = Call("StartTask", Json{{"cluster", "demo"},
                                   {"taskDefinition", names_.TaskDefinitionArn("myapp:1")},
                                   {"containerInstances", {"i-00", InstanceArn("i-01"), "i-zz"}},
                                   {"startedBy", "deploy-1"}});
  ASSERT_EQ(r.status, 200) << r;
  ASSERT_EQ(r.body["tasks"].size(), 2u);
  EXPECT_EQ(r.body["failures"][0]["reason"], "MISSING");
  EXPECT_EQ(r.body["failures"][0]["arn"], InstanceArn("i-zz"));
  const std::string first = r.body["tasks"][0]["taskArn"];
  const std::string second = r.body["tasks"][1]["taskArn"];
  ASSERT_EQ(
      Call("RunTask", Json{{"cluster", "demo"}, {"taskDefinition", "myapp"}, {"count", 3}}).status,
      200);
  EXPECT_EQ(Call("StartTask", Json{{"cluster", "demo"}, {"taskDefinition", "myapp"}}).message(),
            "containerInstances: is required");

  // The agent reports one task RUNNING.
  std::vector<v1::ReportFailure> failures;
  v1::TaskStateReport report;
  report.set_task(IdOf(first));
  report.set_container_instance("i-00");
  report.set_last_status("RUNNING");
  auto* c = report.add_containers();
  c->set_name("app");
  c->set_last_status("RUNNING");
  auto* binding = c->add_network_bindings();
  binding->set_container_port(80);
  binding->set_host_port(8080);
  clock_.Advance(seconds(2));
  tasks_.Report({report}, failures);
  ASSERT_TRUE(failures.empty());

  auto list = [&](Json request) {
    request["cluster"] = "demo";
    std::set<std::string> out;
    Reply reply = Call("ListTasks", request);
    EXPECT_EQ(reply.status, 200) << reply;
    for (const auto& a : reply.body["taskArns"]) out.insert(a.get<std::string>());
    return out;
  };
  EXPECT_EQ(list(Json::object()).size(), 5u);
  EXPECT_EQ(list(Json{{"startedBy", "deploy-1"}}), (std::set<std::string>{first, second}));
  EXPECT_EQ(list(Json{{"containerInstance", InstanceArn("i-00")}}).count(first), 1u);
  EXPECT_EQ(list(Json{{"family", "myapp"}}).size(), 5u);
  EXPECT_EQ(list(Json{{"family", "other"}}).size(), 0u);
  EXPECT_EQ(list(Json{{"launchType", "FARGATE"}}).size(), 0u);
  EXPECT_EQ(Call("ListTasks", Json{{"cluster", "demo"}, {"desiredStatus", "DONE"}}).type(),
            "InvalidParameterException");
  r = Call("ListTasks", Json{{"cluster", "demo"}, {"maxResults", 3}});
  ASSERT_EQ(r.body["taskArns"].size(), 3u);
  r = Call("ListTasks",
           Json{{"cluster", "demo"}, {"maxResults", 3}, {"nextToken", r.body["nextToken"]}});
  EXPECT_EQ(r.body["taskArns"].size(), 2u);
  EXPECT_FALSE(r.body.contains("nextToken"));

  // Stop the running one with a reason.
  clock_.Advance(seconds(3));
  r = Call("StopTask", Json{{"cluster", "demo"}, {"task", first}, {"reason", "rolling back"}});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["task"]["desiredStatus"], "STOPPED");
  EXPECT_EQ(r.body["task"]["lastStatus"], "RUNNING");
  EXPECT_EQ(r.body["task"]["stoppedReason"], "rolling back");
  EXPECT_EQ(r.body["task"]["stoppingAt"], kStart + 5);
  EXPECT_EQ(Call("StopTask", Json{{"cluster", "demo"}, {"task", "nope"}}).type(),
            "InvalidParameterException");
  EXPECT_EQ(list(Json::object()).count(first), 0u);
  EXPECT_EQ(list(Json{{"desiredStatus", "STOPPED"}}), (std::set<std::string>{first}));

  report.set_last_status("STOPPED");
  report.mutable_containers(0)->set_last_status("STOPPED");
  report.mutable_containers(0)->set_exit_code(143);
  clock_.Advance(seconds(1));
  tasks_.Report({report}, failures);

  r = Call("DescribeTasks", Json{{"cluster", "demo"}, {"tasks", {first, IdOf(second), "nope"}}});
  ASSERT_EQ(r.status, 200) << r;
  ASSERT_EQ(r.body["tasks"].size(), 2u);
  const Json& t = r.body["tasks"][0];
  EXPECT_EQ(t["taskArn"], first);
  EXPECT_EQ(t["lastStatus"], "STOPPED");
  EXPECT_EQ(t["stoppedReason"], "rolling back");
  EXPECT_EQ(t["stopCode"], "UserInitiated");
  EXPECT_EQ(t["startedAt"], kStart + 2);
  EXPECT_EQ(t["stoppedAt"], kStart + 6);
  EXPECT_EQ(t["containers"][0]["exitCode"], 143);
  EXPECT_EQ(t["containers"][0]["networkBindings"],
            Json::parse(R"([{"bindIP":"0.0.0.0","containerPort":80,"hostPort":8080,
                             "protocol":"tcp"}])"));
  EXPECT_EQ(r.body["tasks"][1]["taskArn"], second);
  EXPECT_EQ(r.body["failures"], Json::parse(R"([{"arn":")" + names_.TaskArn("demo", "nope") +
                                            R"(","reason":"MISSING"}])"));
  // A task of another cluster is missing in this one.
  ASSERT_EQ(Call("CreateCluster", Json{{"clusterName", "other"}}).status, 200);
  r = Call("DescribeTasks", Json{{"cluster", "other"}, {"tasks", {IdOf(second)}}});
  EXPECT_EQ(r.body["failures"][0]["reason"], "MISSING");
}

// ---- shapes ----

TEST_F(EcsHandlerTest, EventTimesAreIsoStrings) {
  RegisterNine();
  Reply r = Call("RunTask", Json{{"cluster", "demo"}, {"taskDefinition", "myapp"}});
  ASSERT_EQ(r.status, 200) << r;
  fleet::TaskPtr task = Shown().Task(IdOf(r.body["tasks"][0]["taskArn"]));
  Json iso = Json::parse(TaskJson(*task, names_, TimeStyle::kIso8601));
  EXPECT_EQ(iso["createdAt"], "2026-01-01T00:00:00.000Z");
  EXPECT_FALSE(iso.contains("availabilityZone"));  // no instance given
  Json instance = Json::parse(InstanceJson(*Shown().Instance("i-00"), names_, TimeStyle::kIso8601));
  EXPECT_EQ(instance["registeredAt"], "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(TimeJson("2026-01-01T00:00:01.250Z", TimeStyle::kEpochSeconds), "1767225601.25");
  EXPECT_EQ(TimeJson("2026-01-01T00:00:01Z", TimeStyle::kIso8601), "\"2026-01-01T00:00:01.000Z\"");
  EXPECT_EQ(TimeJson("", TimeStyle::kEpochSeconds), "");
}

}  // namespace
}  // namespace gantry::ecs

namespace gantry::ecs {
namespace {

// clientToken: a repeat answers with the first call's tasks; other parameters are a
// ConflictException whose resourceIds are those tasks; botocore's length rule holds.
TEST_F(EcsHandlerTest, RunTaskClientToken) {
  RegisterNine();
  Json body = {{"cluster", "demo"},
               {"taskDefinition", "myapp"},
               {"count", 2},
               {"clientToken", "0b7c1c9e-3a5e-4e55-9d1f-6f3c7b1e2a44"}};
  Reply first = Call("RunTask", body);
  ASSERT_EQ(first.status, 200) << first;
  ASSERT_EQ(first.body["tasks"].size(), 2u);
  Reply again = Call("RunTask", body);
  ASSERT_EQ(again.status, 200) << again;
  ASSERT_EQ(again.body["tasks"].size(), 2u);
  for (size_t i = 0; i < 2; ++i)
    EXPECT_EQ(again.body["tasks"][i]["taskArn"], first.body["tasks"][i]["taskArn"]);
  EXPECT_EQ(Call("ListTasks", Json{{"cluster", "demo"}}).body["taskArns"].size(), 2u);

  body["count"] = 3;
  Reply conflict = Call("RunTask", body);
  EXPECT_EQ(conflict.status, 400) << conflict;
  EXPECT_EQ(conflict.type(), "ConflictException") << conflict;
  ASSERT_EQ(conflict.body["resourceIds"].size(), 2u) << conflict;
  EXPECT_EQ(conflict.body["resourceIds"][0], first.body["tasks"][0]["taskArn"]);

  body["clientToken"] = std::string(65, 'a');
  Reply too_long = Call("RunTask", body);
  EXPECT_EQ(too_long.type(), "InvalidParameterException") << too_long;
  EXPECT_NE(too_long.message().find("clientToken"), std::string::npos) << too_long;
  Reply start = Call("StartTask", Json{{"cluster", "demo"},
                                       {"taskDefinition", "myapp"},
                                       {"containerInstances", {"i-00"}},
                                       {"clientToken", std::string(65, 'a')}});
  EXPECT_EQ(start.type(), "InvalidParameterException") << start;
  EXPECT_EQ(Call("ListTasks", Json{{"cluster", "demo"}}).body["taskArns"].size(), 2u);
}

}  // namespace
}  // namespace gantry::ecs
