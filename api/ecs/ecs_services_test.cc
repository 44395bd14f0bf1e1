// The ECS service operations over the real services, the Service controller and a memory
// store: bodies as the AWS CLI and the SDK send them, the talk's GPU service, deployments and
// their history, and the error shapes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "api/ecs/ecs_handler.h"
#include "api/fleet/launch_proto.h"
#include "api/fleet/testing/fleet_harness.h"
#include "api/service/local_client.h"
#include "controllers/environment/environment_controller.h"
#include "controllers/runtime/manager.h"
#include "controllers/service/service_controller.h"
#include "tests/testlib/eventually.h"

namespace gantry::ecs {
namespace {

using Json = nlohmann::json;

struct Reply {
  int status = 0;
  Json body;
  std::string type() const { return body.value("__type", ""); }
  std::string message() const { return body.value("message", ""); }
};

std::ostream& operator<<(std::ostream& os, const Reply& r) {
  return os << r.status << " " << r.body.dump();
}

class EcsServicesTest : public fleet::testing::FleetHarness {
 protected:
  void SetUp() override {
    FleetHarness::SetUp();
    RegisterNine();
    manager_ = std::make_unique<controllers::runtime::Manager>(controller_client_, clock_);
    controller_ = std::make_unique<controllers::service::ServiceController>(
        controller_client_, clock_, manager_->informers(),
        controllers::runtime::ControllerOptions{}, 7);
    manager_->Add(controller_->controller());
    daemons_ = std::make_unique<controllers::environment::EnvironmentController>(
        controller_client_, clock_, manager_->informers(),
        controllers::runtime::ControllerOptions{});
    manager_->Add(daemons_->controller());
    ASSERT_TRUE(manager_->Start(std::chrono::seconds(10)).ok());
  }
  void TearDown() override {
    manager_->Stop();
    FleetHarness::TearDown();
  }

  Reply Call(std::string_view operation, const Json& body) {
    const std::string text = body.dump();
    EcsResponse r = handler_.Handle(operation, text);
    Reply out{r.status, Json::parse(r.body, nullptr, false)};
    EXPECT_FALSE(out.body.is_discarded()) << r.body;
    return out;
  }
  Json Describe(const std::string& service) {
    Reply r = Call("DescribeServices", Json{{"cluster", "demo"}, {"services", {service}}});
    EXPECT_EQ(r.status, 200) << r;
    return r.body["services"].empty() ? Json() : r.body["services"][0];
  }
  // What the agents do: every PENDING task of the cluster RUNNING, every one told to stop
  // STOPPED.
  void AgentsReport() {
    std::vector<v1::TaskStateReport> reports;
    for (const auto& t : Shown().TasksIn("demo")) {
      const std::string want = t->spec().desired_status() == "STOPPED" ? "STOPPED" : "RUNNING";
      if (t->status().last_status() == want) continue;
      v1::TaskStateReport report;
      report.set_task(t->metadata().name());
      report.set_container_instance(t->spec().container_instance());
      report.set_last_status(want);
      reports.push_back(report);
    }
    std::vector<v1::ReportFailure> failures;
    if (!reports.empty()) tasks_.Report(reports, failures);
  }
  // Until `done`, with the agents reporting and fake time moving (the controller's retries).
  bool Eventually(const std::function<bool()>& done) {
    return testlib::Eventually(
        [&] {
          AgentsReport();
          if (done()) return true;
          clock_.Advance(std::chrono::milliseconds(100));
          return false;
        },
        std::chrono::seconds(15), std::chrono::milliseconds(5));
  }
  // The botocore waiter services-stable: one deployment and runningCount == desiredCount.
  bool Stable(const std::string& service) {
    Json s = Describe(service);
    return s.is_object() && s["deployments"].size() == 1 && s["runningCount"] == s["desiredCount"];
  }

  api::LocalClient controller_client_{
      objects_, [this](const v1::LaunchRequest& r) { return fleet::LaunchThrough(tasks_, r); }};
  std::unique_ptr<controllers::runtime::Manager> manager_;
  std::unique_ptr<controllers::service::ServiceController> controller_;
  std::unique_ptr<controllers::environment::EnvironmentController> daemons_;
  EcsHandler handler_{objects_, tasks_, instances_, fleet_, names_};
};

// The talk's command: aws ecs create-service --service-name myapp-gpu --cluster ecs-demo
// --task-definition myapp-gpu --desired-count 3 --placement-constraints
// type="memberOf",expression="attribute:ecs.instance-type =~ g2.*" type="distinctInstance"
TEST_F(EcsServicesTest, TheTalksGpuServiceRunsOnDistinctG2Instances) {
  Reply r =
      Call("CreateService",
           Json{{"serviceName", "myapp-gpu"},
                {"cluster", "demo"},
                {"taskDefinition", "myapp"},
                {"desiredCount", 3},
                {"placementConstraints",
                 {{{"type", "memberOf"}, {"expression", "attribute:ecs.instance-type =~ g2.*"}},
                  {{"type", "distinctInstance"}}}}});
  ASSERT_EQ(r.status, 200) << r;
  const Json& created = r.body["service"];
  EXPECT_EQ(created["serviceArn"], "arn:aws:ecs:us-east-1:000000000000:service/demo/myapp-gpu");
  EXPECT_EQ(created["serviceName"], "myapp-gpu");
  EXPECT_EQ(created["clusterArn"], "arn:aws:ecs:us-east-1:000000000000:cluster/demo");
  EXPECT_EQ(created["status"], "ACTIVE");
  EXPECT_EQ(created["desiredCount"], 3);
  EXPECT_EQ(created["launchType"], "EC2");
  EXPECT_EQ(created["schedulingStrategy"], "REPLICA");
  EXPECT_EQ(created["deploymentConfiguration"]["maximumPercent"], 200);
  EXPECT_EQ(created["deploymentConfiguration"]["minimumHealthyPercent"], 100);
  EXPECT_EQ(created["placementConstraints"].size(), 2u);
  EXPECT_EQ(created["placementConstraints"][1], Json({{"type", "distinctInstance"}}));

  ASSERT_TRUE(Eventually([&] { return Stable("myapp-gpu"); })) << Describe("myapp-gpu").dump();
  Json s = Describe("myapp-gpu");
  EXPECT_EQ(s["runningCount"], 3);
  EXPECT_EQ(s["pendingCount"], 0);
  const Json& d = s["deployments"][0];
  EXPECT_EQ(d["status"], "PRIMARY");
  EXPECT_EQ(d["rolloutState"], "COMPLETED");
  EXPECT_EQ(d["taskDefinition"], "arn:aws:ecs:us-east-1:000000000000:task-definition/myapp:1");
  EXPECT_EQ(d["id"].get<std::string>().rfind("ecs-svc/", 0), 0u);
  EXPECT_EQ(s["taskDefinition"], d["taskDefinition"]);
  ASSERT_FALSE(s["events"].empty());
  EXPECT_EQ(s["events"][0]["message"], "(service myapp-gpu) has reached a steady state.");
  EXPECT_TRUE(s["events"][0]["createdAt"].is_number());
  EXPECT_TRUE(s["createdAt"].is_number());

  // Three tasks, each on its own g2.2xlarge (i-z2), listed by the service's name.
  r = Call("ListTasks", Json{{"cluster", "demo"}, {"serviceName", "myapp-gpu"}});
  ASSERT_EQ(r.status, 200) << r;
  ASSERT_EQ(r.body["taskArns"].size(), 3u);
  std::set<std::string> hosts;
  for (const auto& t : Shown().TasksIn("demo")) {
    if (t->spec().group() != "service:myapp-gpu") continue;
    const std::string& host = t->spec().container_instance();
    EXPECT_EQ(host.back(), '2') << host << " is not a g2.2xlarge";
    hosts.insert(host);
  }
  EXPECT_EQ(hosts.size(), 3u);
}

TEST_F(EcsServicesTest, CreateServiceRefusesWhatItCannotDo) {
  Json web = {{"serviceName", "web"},
              {"cluster", "demo"},
              {"taskDefinition", "myapp"},
              {"desiredCount", 2}};
  Json missing = web;
  missing.erase("desiredCount");
  EXPECT_EQ(Call("CreateService", missing).message(), "desiredCount: is required");
  Json unknown = web;
  unknown["taskDefinition"] = "nothing:3";
  Reply r = Call("CreateService", unknown);
  EXPECT_EQ(r.type(), "InvalidParameterException") << r;
  EXPECT_EQ(r.message(), "TaskDefinition not found.");
  Json no_cluster = web;
  no_cluster["cluster"] = "nope";
  EXPECT_EQ(Call("CreateService", no_cluster).type(), "ClusterNotFoundException");
  Json unknown_scheduling = web;
  unknown_scheduling["schedulingStrategy"] = "SOMETIMES";
  EXPECT_EQ(Call("CreateService", unknown_scheduling).message(),
            "schedulingStrategy: must be REPLICA or DAEMON, got 'SOMETIMES'");
  Json lb = web;
  lb["loadBalancers"] = {{{"targetGroupArn", "arn:x"}, {"containerPort", 80}}};
  r = Call("CreateService", lb);
  EXPECT_EQ(r.type(), "UnsupportedFeatureException");
  EXPECT_NE(r.message().find("loadBalancers"), std::string::npos) << r;
  Json canary = web;
  canary["deploymentConfiguration"] = {{"strategy", "CANARY"}};
  r = Call("CreateService", canary);
  EXPECT_EQ(r.message(),
            "deploymentConfiguration.canaryConfiguration.canaryPercent: must be between 0.1 and "
            "100 with strategy CANARY, got 0")
      << r;
  Json blue_green = web;
  blue_green["deploymentConfiguration"] = {{"strategy", "BLUE_GREEN"}};
  EXPECT_EQ(Call("CreateService", blue_green).message(),
            "deploymentConfiguration.strategy: must be ROLLING, CANARY or LINEAR, got "
            "'BLUE_GREEN'");
  Json bad_percent = web;
  bad_percent["deploymentConfiguration"] = {{"maximumPercent", 50}};
  r = Call("CreateService", bad_percent);
  EXPECT_EQ(r.type(), "InvalidParameterException");
  EXPECT_EQ(r.message(),
            "deploymentConfiguration.maximumPercent: must be between 100 and 1000, "
            "got 50")
      << r;
  Json bad_expression = web;
  bad_expression["placementConstraints"] = {{{"type", "memberOf"}, {"expression", "attribute:"}}};
  r = Call("CreateService", bad_expression);
  EXPECT_EQ(r.type(), "InvalidParameterException");
  EXPECT_EQ(r.message().rfind("placementConstraints[0].expression:", 0), 0u) << r;

  // The same request again answers with the service; a different one is refused.
  ASSERT_EQ(Call("CreateService", web).status, 200);
  r = Call("CreateService", web);
  EXPECT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["service"]["serviceName"], "web");
  Json other = web;
  other["desiredCount"] = 5;
  r = Call("CreateService", other);
  EXPECT_EQ(r.type(), "InvalidParameterException");
  EXPECT_EQ(r.message(), "Creation of service was not idempotent.");
  // A service lives in one cluster.
  ASSERT_EQ(Call("CreateCluster", Json{{"clusterName", "other"}}).status, 200);
  EXPECT_EQ(Call("DescribeServices", Json{{"cluster", "other"}, {"services", {"web"}}})
                .body["failures"][0]["reason"],
            "MISSING");
}

TEST_F(EcsServicesTest, UpdateListDeploymentsAndDelete) {
  ASSERT_EQ(Call("CreateService", Json{{"serviceName", "web"},
                                       {"cluster", "demo"},
                                       {"taskDefinition", "myapp"},
                                       {"desiredCount", 2}})
                .status,
            200);
  ASSERT_TRUE(Eventually([&] { return Stable("web"); }));
  const std::string first = Describe("web")["deployments"][0]["id"];

  // Scale: the same deployment, more tasks.
  Reply r =
      Call("UpdateService", Json{{"cluster", "demo"}, {"service", "web"}, {"desiredCount", 4}});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["service"]["desiredCount"], 4);
  ASSERT_TRUE(Eventually([&] { return Stable("web") && Describe("web")["runningCount"] == 4; }));
  EXPECT_EQ(Describe("web")["deployments"][0]["id"], first);

  // forceNewDeployment: a new deployment of the same revision replaces every task.
  r = Call("UpdateService",
           Json{{"cluster", "demo"},
                {"service", "arn:aws:ecs:us-east-1:000000000000:service/demo/web"},
                {"forceNewDeployment", true},
                {"deploymentConfiguration",
                 {{"deploymentCircuitBreaker", {{"enable", true}, {"rollback", true}}}}}});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["service"]["deploymentConfiguration"]["deploymentCircuitBreaker"]["enable"],
            true);
  EXPECT_EQ(r.body["service"]["deploymentConfiguration"]["maximumPercent"], 200);
  ASSERT_TRUE(Eventually([&] {
    Json s = Describe("web");
    return Stable("web") && s["deployments"][0]["id"] != first;
  }));

  r = Call("ListServices", Json{{"cluster", "demo"}});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["serviceArns"], Json({"arn:aws:ecs:us-east-1:000000000000:service/demo/web"}));

  // Two deployments, newest first; one page of one, then the other.
  r = Call("ListServiceDeployments", Json{{"cluster", "demo"}, {"service", "web"}});
  ASSERT_EQ(r.status, 200) << r;
  ASSERT_EQ(r.body["serviceDeployments"].size(), 2u);
  const Json newest = r.body["serviceDeployments"][0];
  EXPECT_EQ(newest["status"], "SUCCESSFUL");
  EXPECT_EQ(r.body["serviceDeployments"][1]["status"], "SUCCESSFUL");
  EXPECT_EQ(r.body["serviceDeployments"][1]["serviceDeploymentArn"],
            "arn:aws:ecs:us-east-1:000000000000:service-deployment/demo/web/" +
                first.substr(std::string("ecs-svc/").size()));
  r = Call("ListServiceDeployments",
           Json{{"service", "web"}, {"cluster", "demo"}, {"maxResults", 1}});
  ASSERT_EQ(r.body["serviceDeployments"].size(), 1u);
  EXPECT_EQ(r.body["serviceDeployments"][0], newest);
  r = Call("ListServiceDeployments", Json{{"service", "web"},
                                          {"cluster", "demo"},
                                          {"maxResults", 1},
                                          {"nextToken", r.body["nextToken"]}});
  ASSERT_EQ(r.body["serviceDeployments"].size(), 1u);
  EXPECT_NE(r.body["serviceDeployments"][0], newest);
  EXPECT_FALSE(r.body.contains("nextToken"));
  r = Call("ListServiceDeployments",
           Json{{"service", "web"}, {"cluster", "demo"}, {"status", {"ROLLBACK_FAILED"}}});
  EXPECT_TRUE(r.body["serviceDeployments"].empty()) << r;

  r = Call("DescribeServiceDeployments",
           Json{{"serviceDeploymentArns",
                 {newest["serviceDeploymentArn"],
                  "arn:aws:ecs:us-east-1:000000000000:service-deployment/demo/web/1"}}});
  ASSERT_EQ(r.status, 200) << r;
  ASSERT_EQ(r.body["serviceDeployments"].size(), 1u);
  const Json& full = r.body["serviceDeployments"][0];
  EXPECT_EQ(full["status"], "SUCCESSFUL");
  EXPECT_EQ(full["targetServiceRevision"]["runningTaskCount"], 4);
  EXPECT_EQ(full["sourceServiceRevisions"].size(), 1u);
  EXPECT_EQ(full["deploymentCircuitBreaker"]["threshold"], 3);
  EXPECT_EQ(full["deploymentCircuitBreaker"]["status"], "MONITORING_COMPLETE");
  EXPECT_TRUE(full["finishedAt"].is_number());
  EXPECT_EQ(r.body["failures"][0]["reason"], "MISSING");

  // A completed deployment cannot be stopped.
  r = Call("StopServiceDeployment", Json{{"serviceDeploymentArn", newest["serviceDeploymentArn"]}});
  EXPECT_EQ(r.type(), "ConflictException") << r;
  r = Call("StopServiceDeployment",
           Json{{"serviceDeploymentArn",
                 "arn:aws:ecs:us-east-1:000000000000:service-deployment/demo/web/42"}});
  EXPECT_EQ(r.type(), "ServiceDeploymentNotFoundException") << r;

  // Delete: refused while scaled above 0, unless forced; then DRAINING and its tasks stop.
  r = Call("DeleteService", Json{{"cluster", "demo"}, {"service", "web"}});
  EXPECT_EQ(r.message(), "The service cannot be stopped while it is scaled above 0.") << r;
  r = Call("DeleteService", Json{{"cluster", "demo"}, {"service", "web"}, {"force", true}});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["service"]["status"], "DRAINING");
  EXPECT_EQ(Call("DescribeServices", Json{{"cluster", "demo"}, {"services", {"web"}}})
                .body["failures"][0]["reason"],
            "MISSING");
  ASSERT_TRUE(Eventually([&] {
    for (const auto& t : Shown().TasksIn("demo"))
      if (t->spec().group() == "service:web" && t->status().last_status() != "STOPPED")
        return false;
    return true;
  }));
  EXPECT_EQ(
      Call("UpdateService", Json{{"cluster", "demo"}, {"service", "web"}, {"desiredCount", 1}})
          .type(),
      "ServiceNotFoundException");
}

// StopServiceDeployment on a deployment in progress rolls it back: web's deployment to a
// revision whose tasks never start (no instance has room) is stopped, the first one restored.
TEST_F(EcsServicesTest, StopServiceDeploymentRollsBack) {
  ASSERT_EQ(Call("CreateService", Json{{"serviceName", "web"},
                                       {"cluster", "demo"},
                                       {"taskDefinition", "myapp"},
                                       {"desiredCount", 1}})
                .status,
            200);
  ASSERT_TRUE(Eventually([&] { return Stable("web"); }));
  Reply r = Call(
      "RegisterTaskDefinition",
      Json{{"family", "huge"},
           {"containerDefinitions",
            {{{"name", "app"}, {"image", "x"}, {"command", {"/bin/true"}}, {"memory", 999999}}}}});
  ASSERT_EQ(r.status, 200) << r;
  r = Call("UpdateService",
           Json{{"cluster", "demo"}, {"service", "web"}, {"taskDefinition", "huge:1"}});
  ASSERT_EQ(r.status, 200) << r;
  std::string arn;
  ASSERT_TRUE(Eventually([&] {
    Reply list = Call("ListServiceDeployments",
                      Json{{"cluster", "demo"}, {"service", "web"}, {"status", {"IN_PROGRESS"}}});
    if (list.body["serviceDeployments"].empty()) return false;
    arn = list.body["serviceDeployments"][0]["serviceDeploymentArn"];
    return true;
  }));
  // Why huge:1 does not place, every stage counted.
  bool told = false;
  const Json described = Describe("web");  // the loop must not outlive it
  for (const auto& e : described["events"]) {
    told |= e["message"].get<std::string>().find(
                "(service web) was unable to place a task because no container instance met all "
                "of its requirements. Reason: RESOURCE:MEMORY (0/9 instances: 9 insufficient "
                "memory)") != std::string::npos;
  }
  EXPECT_TRUE(told) << described["events"].dump();
  r = Call("StopServiceDeployment", Json{{"serviceDeploymentArn", arn}, {"stopType", "ROLLBACK"}});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["serviceDeploymentArn"], arn);
  ASSERT_TRUE(Eventually([&] {
    Reply d = Call("DescribeServiceDeployments", Json{{"serviceDeploymentArns", {arn}}});
    return d.body["serviceDeployments"][0]["status"] == "ROLLBACK_SUCCESSFUL";
  }));
  Reply d = Call("DescribeServiceDeployments", Json{{"serviceDeploymentArns", {arn}}});
  EXPECT_EQ(d.body["serviceDeployments"][0]["rollback"]["reason"],
            "StopServiceDeployment requested a rollback");
  Json s = Describe("web");
  ASSERT_EQ(s["deployments"].size(), 1u);
  EXPECT_EQ(s["deployments"][0]["taskDefinition"],
            "arn:aws:ecs:us-east-1:000000000000:task-definition/myapp:1");
  EXPECT_EQ(s["runningCount"], 1);
}

// Rebalancing moves tasks into zones with room only: a service held to one zone by its
// constraints is steady there, not forever rebalancing.
TEST_F(EcsServicesTest, AServiceHeldToOneZoneIsReadyThere) {
  Reply r = Call("CreateService",
                 Json{{"serviceName", "one-zone"},
                      {"cluster", "demo"},
                      {"taskDefinition", "myapp"},
                      {"desiredCount", 3},
                      {"placementConstraints",
                       {{{"type", "memberOf"},
                         {"expression", "attribute:ecs.availability-zone == us-east-1a"}}}}});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["service"]["availabilityZoneRebalancing"], "ENABLED");
  auto ready = [&] {
    auto got = objects_.Get(*schema::FindKind("Service"), "one-zone");
    if (!got.ok()) return false;
    const auto& s = static_cast<const v1::Service&>(**got);
    for (const auto& c : s.status().conditions())
      if (c.type() == "Ready") return c.status() == "True";
    return false;
  };
  ASSERT_TRUE(Eventually([&] { return Stable("one-zone") && ready(); }))
      << Describe("one-zone").dump();
  for (const auto& t : Shown().TasksIn("demo")) {
    if (t->spec().group() == "service:one-zone") {
      EXPECT_EQ(t->spec().container_instance().substr(0, 3), "i-0");  // zone a: i-0x
    }
  }
}

// schedulingStrategy DAEMON: one task on every instance the memberOf constraints select, as a
// daemon Environment, shown with ECS's counts.
TEST_F(EcsServicesTest, ADaemonServiceRunsOneTaskOnEveryInstanceOfItsGroup) {
  Json daemon = {
      {"serviceName", "logs"},
      {"cluster", "demo"},
      {"taskDefinition", "myapp"},
      {"schedulingStrategy", "DAEMON"},
      {"placementConstraints",
       {{{"type", "memberOf"}, {"expression", "attribute:ecs.instance-type == t2.small"}}}}};
  Json with_count = daemon;
  with_count["desiredCount"] = 3;
  EXPECT_EQ(Call("CreateService", with_count).message(),
            "desiredCount: a DAEMON service runs one task on every instance of its group");
  Json with_strategy = daemon;
  with_strategy["placementStrategy"] = {{{"type", "spread"}, {"field", "instanceId"}}};
  EXPECT_EQ(Call("CreateService", with_strategy).type(), "InvalidParameterException");
  Reply r = Call("CreateService", daemon);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["service"]["schedulingStrategy"], "DAEMON");
  ASSERT_TRUE(Eventually([&] { return Stable("logs") && Describe("logs")["runningCount"] == 3; }))
      << Describe("logs").dump();
  Json s = Describe("logs");
  EXPECT_EQ(s["desiredCount"], 3);  // the three t2.small instances
  EXPECT_EQ(s["deployments"][0]["rolloutState"], "COMPLETED");
  EXPECT_EQ(s["placementConstraints"][0]["expression"], "attribute:ecs.instance-type == t2.small");
  std::set<std::string> hosts;
  for (const auto& t : Shown().TasksIn("demo"))
    if (t->spec().group() == "environment:logs" && t->status().last_status() == "RUNNING")
      hosts.insert(t->spec().container_instance());
  EXPECT_EQ(hosts, (std::set<std::string>{"i-00", "i-10", "i-20"}));
  // Listed with the replica services, and apart from them.
  EXPECT_EQ(Call("ListServices", Json{{"cluster", "demo"}}).body["serviceArns"].size(), 1u);
  EXPECT_TRUE(Call("ListServices", Json{{"cluster", "demo"}, {"schedulingStrategy", "REPLICA"}})
                  .body["serviceArns"]
                  .empty());
  // A replica service may not take its name.
  EXPECT_EQ(Call("CreateService", Json{{"serviceName", "logs"},
                                       {"cluster", "demo"},
                                       {"taskDefinition", "myapp"},
                                       {"desiredCount", 1}})
                .message(),
            "Creation of service was not idempotent.");
  EXPECT_EQ(
      Call("UpdateService", Json{{"cluster", "demo"}, {"service", "logs"}, {"desiredCount", 5}})
          .message(),
      "desiredCount: a DAEMON service runs one task on every instance of its group");
  // Deleted without force: its tasks stop.
  r = Call("DeleteService", Json{{"cluster", "demo"}, {"service", "logs"}});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["service"]["status"], "DRAINING");
  ASSERT_TRUE(Eventually([&] {
    for (const auto& t : Shown().TasksIn("demo"))
      if (t->spec().group() == "environment:logs" && t->status().last_status() != "STOPPED")
        return false;
    return true;
  }));
}

// The controller writes a service's status whenever it likes: a DeleteService that meets such a
// write reads the service again and deletes it, rather than failing.
TEST_F(EcsServicesTest, DeleteServiceIsNotBrokenByAStatusWriteInBetween) {
  ASSERT_EQ(Call("CreateService", Json{{"serviceName", "idle"},
                                       {"cluster", "demo"},
                                       {"taskDefinition", "myapp"},
                                       {"desiredCount", 0}})
                .status,
            200);
  ASSERT_TRUE(Eventually([&] { return Stable("idle"); }));
  store_.BeforeNextTxn([&] {
    auto got = objects_.Get(*schema::FindKind("Service"), "idle");
    ASSERT_TRUE(got.ok());
    v1::Service s = static_cast<const v1::Service&>(**got);
    s.mutable_status()->set_pending_count(s.status().pending_count() + 1);  // any status write
    ASSERT_TRUE(objects_.UpdateStatus(s).ok());
  });
  Reply r = Call("DeleteService", Json{{"cluster", "demo"}, {"service", "idle"}});
  EXPECT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body["service"]["status"], "DRAINING");
  EXPECT_EQ(Call("DescribeServices", Json{{"cluster", "demo"}, {"services", {"idle"}}})
                .body["failures"][0]["reason"],
            "MISSING");
}

}  // namespace
}  // namespace gantry::ecs
