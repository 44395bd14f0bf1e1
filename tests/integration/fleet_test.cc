// gantryd with real agents on this machine: placement lands where the constraints say, tasks
// run as processes, exit codes and output come back, a killed agent loses its instance and its
// tasks, a restarted agent re-adopts what it runs. Everything over loopback ports picked at run
// time, driven through the ECS endpoint as the AWS CLI would.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "api/client/http_client.h"
#include "tests/testlib/testlib.h"

namespace gantry {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = testlib::FreePort();
    grpc_port_ = testlib::FreePort();
    gantryd_ = std::make_unique<testlib::Process>(
        std::vector<std::string>{testlib::BinDir() + "/gantryd", "--data-dir",
                                 dir_.path() + "/data", "--listen",
                                 "127.0.0.1:" + std::to_string(port_), "--grpc-listen",
                                 "127.0.0.1:" + std::to_string(grpc_port_), "--heartbeat-timeout",
                                 "2s", "--instance-lost-after", "4s"},
        dir_.path() + "/gantryd.log");
    ASSERT_TRUE(testlib::Eventually([&] { return Http().Request("GET", "/readyz").ok(); }, 10s));
    const char* zones[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
    const char* types[] = {"t2.small", "t2.medium", "g2.2xlarge"};
    for (int i = 0; i < 3; ++i) StartAgent(i, zones[i], types[i]);
    ASSERT_TRUE(testlib::Eventually([&] { return InstanceIds().size() == 3; }, 15s))
        << "agents did not register";
    for (const auto& id : InstanceIds()) zone_of_[id] = ZoneOf(id);
    Ecs("RegisterTaskDefinition",
        {{"family", "sleeper"},
         {"containerDefinitions",
          {{{"name", "app"},
            {"command", {"/bin/sh", "-c", "echo $$ > pid; exec sleep 1000"}},
            {"memory", 128},
            {"cpu", 128}}}}});
  }

  void TearDown() override {
    // Services first (they would start their tasks again); their tasks stop with them.
    auto services = Ecs("ListServices", {{"cluster", "demo"}}, 0);
    for (const auto& arn : services["serviceArns"])
      Ecs("DeleteService", {{"cluster", "demo"}, {"service", arn}, {"force", true}});
    // Stop every task so no process outlives the test, then the agents, then gantryd.
    for (const auto& status : {"RUNNING"}) {
      auto listed = Ecs("ListTasks", {{"cluster", "demo"}, {"desiredStatus", status}});
      for (const auto& arn : listed["taskArns"])
        Ecs("StopTask", {{"cluster", "demo"}, {"task", arn}});
    }
    testlib::Eventually(
        [&] {
          auto d = Ecs("ListTasks", {{"cluster", "demo"}});
          return d["taskArns"].empty();
        },
        10s);
    testlib::Eventually([&] { return RunningTaskProcesses() == 0; }, 10s);
    agents_.clear();
  }

  void StartAgent(int i, const std::string& zone, const std::string& type) {
    agents_[i] = std::make_unique<testlib::Process>(
        std::vector<std::string>{testlib::BinDir() + "/gantry-agent", "--server",
                                 "127.0.0.1:" + std::to_string(grpc_port_), "--cluster", "demo",
                                 "--state-dir", StateDir(i), "--attribute",
                                 "ecs.availability-zone=" + zone, "--attribute",
                                 "ecs.instance-type=" + type, "--cpu", "2048", "--memory", "2048",
                                 "--heartbeat-interval", "300ms"},
        dir_.path() + "/agent" + std::to_string(i) + ".log");
  }
  std::string StateDir(int i) const { return dir_.path() + "/agent" + std::to_string(i); }

  client::HttpClient Http() const {
    return client::HttpClient(client::Endpoint{"127.0.0.1", port_, ""}, "", 10s);
  }

  // want_status 0: any status (polling before the cluster exists).
  json Ecs(const std::string& op, const json& body, int want_status = 200) {
    client::HttpClient http = Http();
    // The AWS CLI's headers; the loopback endpoint needs no signature without credentials.
    auto r =
        http.RequestWithHeaders("POST", "/", body.dump(), "application/x-amz-json-1.1",
                                {{"X-Amz-Target", "AmazonEC2ContainerServiceV20141113." + op}});
    EXPECT_TRUE(r.ok()) << op << ": " << r.status().ToString();
    if (!r.ok()) return json::object();
    if (want_status != 0) {
      EXPECT_EQ(r->status, want_status) << op << ": " << r->body;
    }
    auto parsed = json::parse(r->body, nullptr, false);
    return parsed.is_discarded() ? json::object() : parsed;
  }

  std::vector<std::string> InstanceIds() {
    auto listed = Ecs("ListContainerInstances", {{"cluster", "demo"}}, 0);
    std::vector<std::string> ids;
    for (const auto& arn : listed["containerInstanceArns"]) {
      std::string s = arn;
      ids.push_back(s.substr(s.rfind('/') + 1));
    }
    return ids;
  }

  json Instance(const std::string& id) {
    auto d = Ecs("DescribeContainerInstances", {{"cluster", "demo"}, {"containerInstances", {id}}});
    return d["containerInstances"].empty() ? json::object() : d["containerInstances"][0];
  }

  std::string ZoneOf(const std::string& id) {
    json instance = Instance(id);
    for (const auto& a : instance["attributes"])
      if (a["name"] == "ecs.availability-zone") return a["value"];
    return "";
  }

  json Task(const std::string& arn) {
    auto d = Ecs("DescribeTasks", {{"cluster", "demo"}, {"tasks", {arn}}});
    return d["tasks"].empty() ? json::object() : d["tasks"][0];
  }

  bool WaitStatus(const std::string& arn, const std::string& status,
                  std::chrono::milliseconds timeout = 10s) {
    return testlib::Eventually([&] { return Task(arn)["lastStatus"] == status; }, timeout);
  }

  static std::string IdOf(const std::string& arn) { return arn.substr(arn.rfind('/') + 1); }

  // A Service of the sleeper family from YAML, through gantryctl apply.
  void ApplyService(const std::string& yaml) {
    const std::string path = dir_.path() + "/service.yaml";
    std::ofstream(path) << yaml;
    auto applied = Ctl({"apply", "-f", path});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
  }
  // The service's tasks that have not stopped, by id: their instance and task definition.
  std::map<std::string, std::pair<std::string, std::string>> ServiceTasks(const std::string& name) {
    std::map<std::string, std::pair<std::string, std::string>> out;
    auto listed = Ecs("ListTasks", {{"cluster", "demo"}, {"serviceName", name}});
    if (listed["taskArns"].empty()) return out;
    auto d = Ecs("DescribeTasks", {{"cluster", "demo"}, {"tasks", listed["taskArns"]}});
    for (const auto& t : d["tasks"]) {
      if (t["lastStatus"] == "STOPPED") continue;
      std::string definition = t["taskDefinitionArn"];
      out[IdOf(t["taskArn"])] = {IdOf(t["containerInstanceArn"]),
                                 definition.substr(definition.rfind('/') + 1)};
    }
    return out;
  }
  json Service(const std::string& name) {
    auto d = Ecs("DescribeServices", {{"cluster", "demo"}, {"services", {name}}});
    return d["services"].empty() ? json::object() : d["services"][0];
  }
  testlib::CommandResult RolloutStatus(const std::string& name) {
    return Ctl({"rollout", "status", "service", name, "--timeout=60s"});
  }
  int AgentOfInstance(const std::string& instance) {
    for (int i = 0; i < 4; ++i) {
      std::ifstream in(StateDir(i) + "/instance-id");
      std::string id;
      in >> id;
      if (id == instance) return i;
    }
    return -1;
  }

  testlib::CommandResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {testlib::BinDir() + "/gantryctl", "--server",
                               "http://127.0.0.1:" + std::to_string(port_)});
    return testlib::RunCommand(args);
  }

  // The pid the sleeper wrote into its working directory on agent i.
  pid_t PidOf(int agent, const std::string& task_arn) {
    std::ifstream in(StateDir(agent) + "/tasks/" + IdOf(task_arn) + "/app/work/pid");
    pid_t pid = 0;
    in >> pid;
    return pid;
  }

  int AgentOf(const json& task) {
    std::string instance = IdOf(task["containerInstanceArn"]);
    for (int i = 0; i < 3; ++i) {
      std::ifstream in(StateDir(i) + "/instance-id");
      std::string id;
      in >> id;
      if (id == instance) return i;
    }
    return -1;
  }

  int RunningTaskProcesses() {
    int n = 0;
    for (int i = 0; i < 4; ++i) {
      std::error_code ec;
      for (const auto& t : std::filesystem::directory_iterator(StateDir(i) + "/tasks", ec)) {
        std::ifstream in(t.path() / "app" / "work" / "pid");
        pid_t pid = 0;
        if (in >> pid && pid > 0 && ::kill(pid, 0) == 0) ++n;
      }
    }
    return n;
  }

  testlib::TempDir dir_;
  int port_ = 0, grpc_port_ = 0;
  std::unique_ptr<testlib::Process> gantryd_;
  std::map<int, std::unique_ptr<testlib::Process>> agents_;
  std::map<std::string, std::string> zone_of_;
};

TEST_F(FleetTest, MemberOfPlacesOnMatchingInstancesAndProcessesRun) {
  auto run =
      Ecs("RunTask",
          {{"cluster", "demo"},
           {"taskDefinition", "sleeper"},
           {"count", 2},
           {"placementConstraints",
            {{{"type", "memberOf"}, {"expression", "attribute:ecs.instance-type == t2.medium"}}}}});
  ASSERT_EQ(run["tasks"].size(), 2u) << run.dump();
  for (const auto& t : run["tasks"]) {
    std::string arn = t["taskArn"];
    ASSERT_TRUE(WaitStatus(arn, "RUNNING")) << Task(arn).dump();
    EXPECT_EQ(zone_of_[IdOf(t["containerInstanceArn"])], "us-east-1b");
    int agent = AgentOf(t);
    ASSERT_EQ(agent, 1);
    ASSERT_TRUE(testlib::Eventually([&] { return PidOf(agent, arn) > 0; }, 5s));
    EXPECT_EQ(::kill(PidOf(agent, arn), 0), 0) << "the task's process is not running";
  }
  // Stop one: SIGTERM reaches the process, the task reports STOPPED with its exit code.
  std::string arn = run["tasks"][0]["taskArn"];
  pid_t pid = PidOf(1, arn);
  Ecs("StopTask", {{"cluster", "demo"}, {"task", arn}, {"reason", "test stop"}});
  ASSERT_TRUE(WaitStatus(arn, "STOPPED"));
  auto stopped = Task(arn);
  EXPECT_EQ(stopped["stoppedReason"], "test stop");
  EXPECT_EQ(stopped["containers"][0]["exitCode"], 143);
  EXPECT_TRUE(testlib::Eventually([&] { return ::kill(pid, 0) != 0; }, 5s));
  // The instance's resources came back. Its counts are recomputed from its tasks after the task
  // is written, so they follow the STOPPED state rather than land with it.
  const std::string instance_id = IdOf(stopped["containerInstanceArn"]);
  EXPECT_TRUE(
      testlib::Eventually([&] { return Instance(instance_id)["runningTasksCount"] == 1; }, 5s))
      << Instance(instance_id).dump();
}

TEST_F(FleetTest, ExitCodesAndOutputComeBack) {
  Ecs("RegisterTaskDefinition",
      {{"family", "oneshot"},
       {"containerDefinitions",
        {{{"name", "job"},
          {"command", {"/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 5"}},
          {"memory", 64}}}}});
  auto run = Ecs("RunTask", {{"cluster", "demo"}, {"taskDefinition", "oneshot"}});
  ASSERT_EQ(run["tasks"].size(), 1u) << run.dump();
  std::string arn = run["tasks"][0]["taskArn"];
  ASSERT_TRUE(WaitStatus(arn, "STOPPED"));
  auto t = Task(arn);
  EXPECT_EQ(t["containers"][0]["exitCode"], 5);
  EXPECT_EQ(t["stoppedReason"], "Essential container in task exited");
  EXPECT_EQ(t["desiredStatus"], "STOPPED");
  std::string log;
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        auto r = Http().Request("GET", "/apis/gantry.dev/v1/tasks/" + IdOf(arn) + "/log");
        log = r.ok() ? r->body : "";
        return log.find("to-stdout") != std::string::npos &&
               log.find("to-stderr") != std::string::npos;
      },
      5s))
      << log;
  // An image without a command stops with a clear reason instead of pretending to run.
  Ecs("RegisterTaskDefinition",
      {{"family", "imageonly"},
       {"containerDefinitions", {{{"name", "web"}, {"image", "nginx:latest"}, {"memory", 64}}}}});
  run = Ecs("RunTask", {{"cluster", "demo"}, {"taskDefinition", "imageonly"}});
  arn = run["tasks"][0]["taskArn"];
  ASSERT_TRUE(WaitStatus(arn, "STOPPED"));
  std::string reason = Task(arn)["stoppedReason"];
  EXPECT_NE(reason.find("no command"), std::string::npos) << reason;
}

TEST_F(FleetTest, KilledAgentLosesItsInstanceAndTasks) {
  auto run =
      Ecs("RunTask", {{"cluster", "demo"},
                      {"taskDefinition", "sleeper"},
                      {"placementConstraints",
                       {{{"type", "memberOf"},
                         {"expression", "attribute:ecs.availability-zone == us-east-1c"}}}}});
  ASSERT_EQ(run["tasks"].size(), 1u) << run.dump();
  std::string arn = run["tasks"][0]["taskArn"];
  ASSERT_TRUE(WaitStatus(arn, "RUNNING"));
  std::string instance = IdOf(run["tasks"][0]["containerInstanceArn"]);
  pid_t pid = PidOf(2, arn);
  agents_[2]->Signal(SIGKILL);
  agents_[2]->Wait(5s);
  ASSERT_TRUE(
      testlib::Eventually([&] { return Instance(instance)["agentConnected"] == false; }, 10s));
  ASSERT_TRUE(WaitStatus(arn, "STOPPED", 15s));
  EXPECT_EQ(Task(arn)["stoppedReason"], "Container instance lost");
  // New tasks avoid the disconnected instance.
  auto again = Ecs("RunTask", {{"cluster", "demo"}, {"taskDefinition", "sleeper"}, {"count", 3}});
  for (const auto& t : again["tasks"]) EXPECT_NE(IdOf(t["containerInstanceArn"]), instance);
  // The agent comes back: it kills the task the server stopped, and reconnects.
  StartAgent(2, "us-east-1c", "g2.2xlarge");
  ASSERT_TRUE(
      testlib::Eventually([&] { return Instance(instance)["agentConnected"] == true; }, 10s));
  EXPECT_TRUE(testlib::Eventually([&] { return ::kill(pid, 0) != 0; }, 10s))
      << "the lost task's process survived the agent's return";
}

TEST_F(FleetTest, RestartedAgentReadoptsItsTasks) {
  auto run =
      Ecs("RunTask", {{"cluster", "demo"},
                      {"taskDefinition", "sleeper"},
                      {"placementConstraints",
                       {{{"type", "memberOf"},
                         {"expression", "attribute:ecs.availability-zone == us-east-1a"}}}}});
  std::string arn = run["tasks"][0]["taskArn"];
  ASSERT_TRUE(WaitStatus(arn, "RUNNING"));
  ASSERT_TRUE(testlib::Eventually([&] { return PidOf(0, arn) > 0; }, 5s));
  pid_t pid = PidOf(0, arn);
  agents_[0]->Signal(SIGTERM);
  ASSERT_EQ(agents_[0]->Wait(10s), 0);
  EXPECT_EQ(::kill(pid, 0), 0) << "stopping the agent must not stop its tasks";
  StartAgent(0, "us-east-1a", "t2.small");
  // Same instance, same process, still RUNNING; and it still obeys a stop.
  ASSERT_TRUE(testlib::Eventually([&] { return InstanceIds().size() == 3; }, 10s));
  EXPECT_EQ(Task(arn)["lastStatus"], "RUNNING");
  EXPECT_EQ(PidOf(0, arn), pid);
  Ecs("StopTask", {{"cluster", "demo"}, {"task", arn}});
  ASSERT_TRUE(WaitStatus(arn, "STOPPED"));
  EXPECT_TRUE(testlib::Eventually([&] { return ::kill(pid, 0) != 0; }, 5s));
}

TEST_F(FleetTest, SpreadAcrossZonesThenBinpackAndEvents) {
  auto run = Ecs("RunTask", {{"cluster", "demo"},
                             {"taskDefinition", "sleeper"},
                             {"count", 9},
                             {"placementStrategy",
                              {{{"type", "spread"}, {"field", "attribute:ecs.availability-zone"}},
                               {{"type", "binpack"}, {"field", "memory"}}}}});
  ASSERT_EQ(run["tasks"].size(), 9u) << run.dump();
  std::map<std::string, int> per_zone;
  for (const auto& t : run["tasks"]) per_zone[zone_of_[IdOf(t["containerInstanceArn"])]]++;
  EXPECT_EQ(per_zone["us-east-1a"], 3);
  EXPECT_EQ(per_zone["us-east-1b"], 3);
  EXPECT_EQ(per_zone["us-east-1c"], 3);
  for (const auto& t : run["tasks"]) ASSERT_TRUE(WaitStatus(t["taskArn"], "RUNNING"));
  // Every state change is an event in the ECS shape.
  std::string first = run["tasks"][0]["taskArn"];
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        auto r = Http().Request("GET", "/apis/gantry.dev/v1/events");
        if (!r.ok()) return false;
        auto list = json::parse(r->body, nullptr, false);
        int running_events = 0;
        for (const auto& e : list["items"]) {
          const auto& d = e["spec"]["detail"];
          if (d["detail-type"] == "ECS Task State Change" && d["detail"]["taskArn"] == first &&
              d["detail"]["lastStatus"] == "RUNNING") {
            EXPECT_EQ(d["source"], "gantry");
            EXPECT_EQ(d["version"], "0");
            EXPECT_EQ(d["resources"][0], first);
            ++running_events;
          }
        }
        return running_events >= 1;
      },
      10s));
}

// The ECS verbs of gantryctl as users type them.
TEST_F(FleetTest, GantryctlVerbs) {
  auto listed = Ctl({"list-container-instances", "--cluster", "demo", "--filter",
                     "attribute:ecs.instance-type matches t2.*", "-o", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(json::parse(listed.out)["containerInstanceArns"].size(), 2u);
  auto bad = Ctl({"list-container-instances", "--cluster", "demo", "--filter",
                  "attribute:ecs.instance-type =="});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("column"), std::string::npos) << bad.err;

  // run-task with the AWS CLI's shorthand, as the shell hands it over.
  auto run = Ctl({"run-task", "--cluster", "demo", "--task-definition", "sleeper", "--count", "3",
                  "--placement-strategy", "type=spread,field=attribute:ecs.availability-zone", "-o",
                  "json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto tasks = json::parse(run.out)["tasks"];
  ASSERT_EQ(tasks.size(), 3u);
  std::set<std::string> zones;
  for (const auto& t : tasks) zones.insert(zone_of_[IdOf(t["containerInstanceArn"])]);
  EXPECT_EQ(zones.size(), 3u);
  std::string arn = tasks[0]["taskArn"];
  ASSERT_TRUE(WaitStatus(arn, "RUNNING"));

  // Drain the instance of the first task: no new task lands there.
  std::string drained = IdOf(tasks[0]["containerInstanceArn"]);
  auto drain = Ctl({"drain", drained, "--cluster", "demo"});
  ASSERT_EQ(drain.exit_code, 0) << drain.err;
  EXPECT_EQ(Instance(drained)["status"], "DRAINING");
  auto more = Ctl({"run-task", "--cluster", "demo", "--task-definition", "sleeper", "--count", "4",
                   "-o", "json"});
  ASSERT_EQ(more.exit_code, 0) << more.err;
  json more_tasks = json::parse(more.out)["tasks"];
  for (const auto& t : more_tasks) EXPECT_NE(IdOf(t["containerInstanceArn"]), drained);
  ASSERT_EQ(Ctl({"undrain", drained, "--cluster", "demo"}).exit_code, 0);
  EXPECT_EQ(Instance(drained)["status"], "ACTIVE");

  // An unsatisfiable constraint: failures, exit 1.
  auto none = Ctl({"run-task", "--cluster", "demo", "--task-definition", "sleeper",
                   "--placement-constraints",
                   "type=memberOf,expression=attribute:ecs.instance-type == p9.huge"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.out.find("MemberOf placement constraint unsatisfied."), std::string::npos)
      << none.out << none.err;

  // Output, and the event stream in the ECS shape.
  Ecs("RegisterTaskDefinition", {{"family", "hello"},
                                 {"containerDefinitions",
                                  {{{"name", "app"},
                                    {"command", {"/bin/sh", "-c", "echo hello from gantry"}},
                                    {"memory", 16}}}}});
  auto hello = Ecs("RunTask", {{"cluster", "demo"}, {"taskDefinition", "hello"}});
  std::string hello_arn = hello["tasks"][0]["taskArn"];
  ASSERT_TRUE(WaitStatus(hello_arn, "STOPPED"));
  auto logs = Ctl({"logs", IdOf(hello_arn), "-f"});  // ends: the task has stopped
  EXPECT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("hello from gantry"), std::string::npos) << logs.out;
  EXPECT_EQ(Ctl({"logs", "no-such-task"}).exit_code, 1);
  auto events = Ctl({"events", "-o", "json"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  bool saw_stop = false;
  std::istringstream lines(events.out);
  for (std::string line; std::getline(lines, line);) {
    auto e = json::parse(line, nullptr, false);
    if (e.is_discarded()) continue;
    if (e["detail-type"] == "ECS Task State Change" && e["detail"]["taskArn"] == hello_arn &&
        e["detail"]["lastStatus"] == "STOPPED") {
      saw_stop = true;
      EXPECT_EQ(e["detail"]["containers"][0]["exitCode"], 0);
    }
  }
  EXPECT_TRUE(saw_stop) << events.out.substr(0, 2000);
  auto stop = Ctl({"stop-task", IdOf(arn), "--cluster", "demo", "--reason", "done"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  ASSERT_TRUE(WaitStatus(arn, "STOPPED"));
  EXPECT_EQ(Task(arn)["stoppedReason"], "done");
}

// A Service from YAML with real agents: it converges, scales, repairs a killed agent's tasks,
// leaves a drained instance, rolls a new revision, trips the circuit breaker on a revision
// whose tasks fail and rolls back, and rolls back again on request; gantryctl follows it all.
TEST_F(FleetTest, AServiceConvergesRepairsDrainsRollsAndRollsBack) {
  ApplyService(R"(apiVersion: gantry.dev/v1
kind: Service
metadata: {name: web}
spec:
  cluster: demo
  taskDefinition: sleeper
  desiredCount: 3
  deploymentConfiguration:
    maximumPercent: 200
    minimumHealthyPercent: 50
    deploymentCircuitBreaker: {enable: true, rollback: true}
)");
  auto status = RolloutStatus("web");
  ASSERT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_NE(status.out.find("service \"web\" successfully rolled out"), std::string::npos)
      << status.out;
  auto tasks = ServiceTasks("web");
  ASSERT_EQ(tasks.size(), 3u);
  std::set<std::string> zones;
  for (const auto& [id, where] : tasks) zones.insert(zone_of_[where.first]);
  EXPECT_EQ(zones.size(), 3u) << "ECS's default: spread over the zones";

  // Scale out.
  auto scaled = Ctl({"scale", "service", "web", "--replicas", "5"});
  ASSERT_EQ(scaled.exit_code, 0) << scaled.err;
  EXPECT_EQ(scaled.out, "service/web scaled\n");
  ASSERT_EQ(RolloutStatus("web").exit_code, 0);
  EXPECT_EQ(ServiceTasks("web").size(), 5u);

  // An agent dies: its instance is lost with its tasks, and they are replaced on the others.
  std::string lost;
  for (const auto& [id, where] : ServiceTasks("web"))
    if (AgentOfInstance(where.first) == 2) lost = where.first;
  ASSERT_FALSE(lost.empty());
  agents_[2]->Signal(SIGKILL);
  agents_[2]->Wait(5s);
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        auto now = ServiceTasks("web");
        if (now.size() != 5) return false;
        for (const auto& [id, where] : now)
          if (where.first == lost) return false;
        return Service("web")["runningCount"] == 5;
      },
      30s))
      << Service("web").dump();
  StartAgent(2, "us-east-1c", "g2.2xlarge");
  ASSERT_TRUE(testlib::Eventually([&] { return Instance(lost)["agentConnected"] == true; }, 15s));

  // Drain an instance: its tasks are replaced elsewhere, none is left on it.
  const std::string drained = ServiceTasks("web").begin()->second.first;
  ASSERT_EQ(Ctl({"drain", drained, "--cluster", "demo"}).exit_code, 0);
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        auto now = ServiceTasks("web");
        for (const auto& [id, where] : now)
          if (where.first == drained) return false;
        return now.size() == 5 && Service("web")["runningCount"] == 5;
      },
      30s))
      << Service("web").dump();
  ASSERT_EQ(Ctl({"undrain", drained, "--cluster", "demo"}).exit_code, 0);

  // A new revision of the family rolls.
  Ecs("RegisterTaskDefinition",
      {{"family", "sleeper"},
       {"containerDefinitions",
        {{{"name", "app"},
          {"command", {"/bin/sh", "-c", "echo $$ > pid; exec sleep 1001"}},
          {"memory", 128},
          {"cpu", 128}}}}});
  status = RolloutStatus("web");
  ASSERT_EQ(status.exit_code, 0) << status.out << status.err;
  for (const auto& [id, where] : ServiceTasks("web")) EXPECT_EQ(where.second, "sleeper:2");

  // A revision whose tasks exit at once: the circuit breaker trips and sleeper:2 is restored.
  Ecs("RegisterTaskDefinition",
      {{"family", "sleeper"},
       {"containerDefinitions",
        {{{"name", "app"}, {"command", {"/bin/false"}}, {"memory", 128}, {"cpu", 128}}}}});
  status = RolloutStatus("web");
  EXPECT_EQ(status.exit_code, 1) << status.out << status.err;
  EXPECT_NE(status.out.find("rollout failed: deployment ecs-svc/"), std::string::npos)
      << status.out;
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        auto now = ServiceTasks("web");
        if (now.size() != 5) return false;
        for (const auto& [id, where] : now)
          if (where.second != "sleeper:2") return false;
        return true;
      },
      30s));
  auto history = Ctl({"rollout", "history", "service", "web"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_NE(history.out.find("ROLLBACK_SUCCESSFUL"), std::string::npos) << history.out;
  auto described = Ctl({"describe", "service", "web"});
  EXPECT_NE(described.out.find("Deployment History:"), std::string::npos) << described.out;
  EXPECT_NE(described.out.find("RolledBack"), std::string::npos) << described.out;

  // Back to the first revision on request.
  auto undo = Ctl({"rollout", "undo", "service", "web", "--to-revision=1"});
  ASSERT_EQ(undo.exit_code, 0) << undo.err;
  EXPECT_EQ(undo.out, "service/web rolled back to sleeper:1\n");
  ASSERT_EQ(RolloutStatus("web").exit_code, 0);
  for (const auto& [id, where] : ServiceTasks("web")) EXPECT_EQ(where.second, "sleeper:1");
}

// The talk's GPU service: memberOf g2 and distinctInstance. One g2 instance places one task; the
// service says why the others wait, stage by stage, and places the next when a g2 joins.
TEST_F(FleetTest, TheTalksGpuServiceWaitsForG2InstancesAndPlacesWhenOneJoins) {
  const std::string gpu = R"(apiVersion: gantry.dev/v1
kind: Service
metadata: {name: myapp-gpu}
spec:
  cluster: demo
  taskDefinition: sleeper
  desiredCount: 3
  placementConstraints:
    - {type: memberOf, expression: "attribute:ecs.instance-type =~ g2.*"}
    - {type: distinctInstance}
)";
  // Planned first: one would place, two would not, and nothing is written.
  const std::string path = dir_.path() + "/gpu.yaml";
  std::ofstream(path) << gpu;
  auto plan = Ctl({"plan", "-f", path});
  EXPECT_EQ(plan.exit_code, 1) << plan.out << plan.err;
  EXPECT_NE(plan.out.find("service/myapp-gpu: new deployment ecs-svc/"), std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("  start    us-east-1c"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("2 tasks would not place: DistinctInstance placement constraint "
                          "unsatisfied. (0/3 instances: 2 memberOf(attribute:ecs.instance-type "
                          "=~ g2.*), 1 distinctInstance)"),
            std::string::npos)
      << plan.out;
  auto dry = Ctl({"apply", "-f", path, "--dry-run=server"});
  EXPECT_EQ(dry.exit_code, 1) << dry.out << dry.err;
  EXPECT_NE(dry.out.find("service/myapp-gpu created (server dry run)"), std::string::npos)
      << dry.out;
  EXPECT_NE(dry.out.find("2 tasks would not place"), std::string::npos) << dry.out;
  EXPECT_TRUE(Ecs("ListServices", {{"cluster", "demo"}})["serviceArns"].empty());
  EXPECT_TRUE(ServiceTasks("myapp-gpu").empty());
  // One that names no task definition that exists cannot be planned.
  std::ofstream(path) << R"(apiVersion: gantry.dev/v1
kind: Service
metadata: {name: nowhere}
spec: {cluster: demo, taskDefinition: "nothing:4", desiredCount: 1}
)";
  plan = Ctl({"plan", "-f", path});
  EXPECT_EQ(plan.exit_code, 2) << plan.out << plan.err;
  EXPECT_NE(plan.err.find("task definition nothing:4 not found"), std::string::npos) << plan.err;

  ApplyService(gpu);
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        json s = Service("myapp-gpu");
        return s["runningCount"] == 1 && !s["events"].empty();
      },
      20s));
  auto described = Ctl({"describe", "service", "myapp-gpu"});
  EXPECT_NE(described.out.find("Unplaceable"), std::string::npos) << described.out;
  EXPECT_NE(described.out.find("0/3 instances: 2 memberOf(attribute:ecs.instance-type =~ g2.*), "
                               "1 distinctInstance"),
            std::string::npos)
      << described.out;
  auto status = Ctl({"rollout", "status", "service", "myapp-gpu", "--timeout=1s"});
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_NE(status.out.find("stalled (Unplaceable)"), std::string::npos) << status.out;

  // Steady as planned: nothing to do, and it all places.
  std::ofstream(path) << gpu;
  plan = Ctl({"plan", "-f", path});
  EXPECT_EQ(plan.exit_code, 1) << "two still do not place: " << plan.out;

  StartAgent(3, "us-east-1d", "g2.2xlarge");
  ASSERT_TRUE(testlib::Eventually([&] { return Service("myapp-gpu")["runningCount"] == 2; }, 20s))
      << Service("myapp-gpu").dump();
  std::set<std::string> hosts;
  for (const auto& [id, where] : ServiceTasks("myapp-gpu")) hosts.insert(where.first);
  EXPECT_EQ(hosts.size(), 2u);
}

// A daemon Environment with real agents: one task on every instance its filter selects, a new
// agent covered as it registers, a drained instance's task stopped and not moved.
TEST_F(FleetTest, AnEnvironmentRunsOneTaskOnEveryInstanceOfItsGroup) {
  const std::string path = dir_.path() + "/environment.yaml";
  std::ofstream(path) << R"(apiVersion: gantry.dev/v1
kind: Environment
metadata: {name: logs}
spec:
  taskDefinition: sleeper
  instanceGroup: {cluster: demo, filter: "attribute:ecs.instance-type =~ t2.*"}
)";
  auto applied = Ctl({"apply", "-f", path});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  auto daemon_tasks = [&] {
    std::map<std::string, int> by_instance;
    auto listed = Ecs("ListTasks", {{"cluster", "demo"}});
    if (listed["taskArns"].empty()) return by_instance;
    auto d = Ecs("DescribeTasks", {{"cluster", "demo"}, {"tasks", listed["taskArns"]}});
    for (const auto& t : d["tasks"]) {
      if (t["group"] == "environment:logs" && t["lastStatus"] == "RUNNING")
        by_instance[IdOf(t["containerInstanceArn"])] += 1;
    }
    return by_instance;
  };
  ASSERT_TRUE(testlib::Eventually([&] { return daemon_tasks().size() == 2; }, 20s));
  for (const auto& [instance, n] : daemon_tasks()) {
    EXPECT_EQ(n, 1) << instance;
    EXPECT_NE(AgentOfInstance(instance), 2) << "the g2 instance is not in the group";
  }
  auto waited = Ctl({"wait", "env", "logs", "--for=condition=Ready", "--timeout=20s"});
  EXPECT_EQ(waited.exit_code, 0) << waited.err;
  auto covered =
      Ctl({"wait", "env", "logs", "--for=jsonpath={.status.instancesCovered}=2", "--timeout=5s"});
  EXPECT_EQ(covered.exit_code, 0) << covered.err;
  EXPECT_EQ(
      Ctl({"wait", "env", "logs", "--for=jsonpath={.status.instancesCovered}=7", "--timeout=500ms"})
          .exit_code,
      1);
  // kstatus health of what the manifest names: Current, so exit 0; a manifest naming an object
  // not in the cluster is NotFound, exit 1.
  auto health = Ctl({"status", "-f", path});
  EXPECT_EQ(health.exit_code, 0) << health.out << health.err;
  EXPECT_NE(health.out.find("environment/logs"), std::string::npos) << health.out;
  EXPECT_NE(health.out.find("Current"), std::string::npos) << health.out;
  const std::string missing = dir_.path() + "/missing.yaml";
  std::ofstream(missing) << "apiVersion: gantry.dev/v1\nkind: Environment\nmetadata: {name: "
                            "nowhere}\nspec: {taskDefinition: sleeper, instanceGroup: {cluster: "
                            "demo}}\n";
  auto not_found = Ctl({"status", "-f", missing});
  EXPECT_EQ(not_found.exit_code, 1);
  EXPECT_NE(not_found.out.find("NotFound"), std::string::npos) << not_found.out;
  auto status = Ctl({"rollout", "status", "environment", "logs", "--timeout=20s"});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_NE(status.out.find("environment \"logs\" successfully rolled out"), std::string::npos)
      << status.out;
  auto described = Ctl({"describe", "env", "logs"});
  EXPECT_NE(described.out.find("Coverage:          2 of 2 instances run sleeper:1 (healthy)"),
            std::string::npos)
      << described.out;
  EXPECT_NE(described.out.find("Deployments:"), std::string::npos) << described.out;
  const std::string first = described.out.substr(described.out.find("  logs-1 "));
  const std::string row = first.substr(0, first.find('\n'));
  for (const char* cell : {"sleeper:1", "COMPLETED", "2/2"})
    EXPECT_NE(row.find(cell), std::string::npos) << cell << " in: " << described.out;
  auto wide = Ctl({"get", "env", "-o", "wide"});
  EXPECT_NE(wide.out.find("COVERED"), std::string::npos) << wide.out;
  EXPECT_NE(wide.out.find("logs-1"), std::string::npos) << "the active deployment: " << wide.out;

  // A new revision rolls without a surge: each old task stops before its replacement starts.
  Ecs("RegisterTaskDefinition",
      {{"family", "sleeper"},
       {"containerDefinitions",
        {{{"name", "app"}, {"command", {"/bin/sleep", "1001"}}, {"memory", 128}, {"cpu", 128}}}}});
  status = Ctl({"rollout", "status", "environment", "logs", "--timeout=30s"});
  ASSERT_EQ(status.exit_code, 0) << status.out << status.err;
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        auto listed = Ecs("ListTasks", {{"cluster", "demo"}});
        if (listed["taskArns"].empty()) return false;
        auto d = Ecs("DescribeTasks", {{"cluster", "demo"}, {"tasks", listed["taskArns"]}});
        int new_ones = 0;
        for (const auto& t : d["tasks"]) {
          if (t["group"] != "environment:logs" || t["lastStatus"] != "RUNNING") continue;
          if (IdOf(t["taskDefinitionArn"]) != "sleeper:2") return false;
          new_ones += 1;
        }
        return new_ones == 2;
      },
      20s));

  // A new t2 instance is covered as it registers.
  StartAgent(3, "us-east-1d", "t2.small");
  ASSERT_TRUE(testlib::Eventually([&] { return daemon_tasks().size() == 3; }, 20s));
  // A drained one loses its task; it is not moved anywhere.
  std::string drained;
  for (const auto& [instance, n] : daemon_tasks())
    if (AgentOfInstance(instance) == 0) drained = instance;
  ASSERT_FALSE(drained.empty());
  ASSERT_EQ(Ctl({"drain", drained, "--cluster", "demo"}).exit_code, 0);
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        auto now = daemon_tasks();
        return now.size() == 2 && now.count(drained) == 0;
      },
      20s));
  ASSERT_EQ(Ctl({"delete", "env", "logs"}).exit_code, 0);
  ASSERT_TRUE(testlib::Eventually([&] { return daemon_tasks().empty(); }, 20s));
}

// A daemon with real agents through its life: daemon first (a replica Service never takes the
// room of a new instance's daemon task), a roll with a surge, a failing revision rolled back by
// the circuit breaker, and a lost agent leaving the group.
TEST_F(FleetTest, AnEnvironmentKeepsItsRoomRollsRollsBackAndLetsALostInstanceGo) {
  auto register_logagent = [&](const std::string& command, int memory) {
    Ecs("RegisterTaskDefinition", {{"family", "logagent"},
                                   {"containerDefinitions",
                                    {{{"name", "agent"},
                                      {"command", {"/bin/sh", "-c", command}},
                                      {"memory", memory},
                                      {"cpu", 128}}}}});
  };
  register_logagent("exec sleep 1000", 1024);  // half of each agent's 2048 MiB
  const std::string path = dir_.path() + "/environment.yaml";
  std::ofstream(path) << R"(apiVersion: gantry.dev/v1
kind: Environment
metadata: {name: logs}
spec:
  taskDefinition: logagent
  instanceGroup: {cluster: demo}
  deploymentConfiguration:
    drainPercent: 0
    maxSurgePercent: 100
    circuitBreaker: {threshold: 2, rollback: true}
)";
  ASSERT_EQ(Ctl({"apply", "-f", path}).exit_code, 0);
  auto rolled = Ctl({"rollout", "status", "environment", "logs", "--timeout=30s"});
  ASSERT_EQ(rolled.exit_code, 0) << rolled.out << rolled.err;
  auto daemon_tasks = [&] {
    std::map<std::string, std::vector<std::string>> by_instance;  // revisions running there
    auto listed = Ecs("ListTasks", {{"cluster", "demo"}});
    if (listed["taskArns"].empty()) return by_instance;
    auto d = Ecs("DescribeTasks", {{"cluster", "demo"}, {"tasks", listed["taskArns"]}});
    for (const auto& t : d["tasks"]) {
      if (t["group"] != "environment:logs" || t["lastStatus"] != "RUNNING") continue;
      const std::string definition = t["taskDefinitionArn"];
      by_instance[IdOf(t["containerInstanceArn"])].push_back(
          definition.substr(definition.rfind('/') + 1));
    }
    return by_instance;
  };
  ASSERT_EQ(daemon_tasks().size(), 3u);
  // Every one of the four instances runs exactly one task, of `revision`.
  auto all_run = [&](const std::string& revision) {
    auto now = daemon_tasks();
    if (now.size() != 4) return false;
    for (const auto& [instance, revisions] : now)
      if (revisions != std::vector<std::string>{revision}) return false;
    return true;
  };

  // A replica Service that needs 1536 MiB finds no instance: each has 1024 left. A fourth agent
  // joins with 2048 free; the daemon's 1024 of it are reserved before its task runs, so the
  // Service still places nothing and the daemon covers the new instance.
  Ecs("RegisterTaskDefinition",
      {{"family", "hog"},
       {"containerDefinitions",
        {{{"name", "app"}, {"command", {"/bin/sleep", "1000"}}, {"memory", 1536}, {"cpu", 128}}}}});
  ApplyService(R"(apiVersion: gantry.dev/v1
kind: Service
metadata: {name: hog}
spec:
  cluster: demo
  taskDefinition: hog
  desiredCount: 2
)");
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        json s = Service("hog");
        return !s["events"].empty() &&
               std::string(s["events"][0]["message"]).find("RESOURCE:MEMORY") != std::string::npos;
      },
      20s))
      << Service("hog").dump();
  StartAgent(3, "us-east-1d", "t2.small");
  ASSERT_TRUE(testlib::Eventually([&] { return daemon_tasks().size() == 4; }, 20s));
  EXPECT_EQ(Service("hog")["runningCount"], 0) << Service("hog").dump();
  EXPECT_TRUE(ServiceTasks("hog").empty());
  Ecs("DeleteService", {{"cluster", "demo"}, {"service", "hog"}, {"force", true}});

  // A roll with a surge: the new revision starts beside the old one, which then stops.
  register_logagent("exec sleep 1001", 512);
  rolled = Ctl({"rollout", "status", "environment", "logs", "--timeout=30s"});
  ASSERT_EQ(rolled.exit_code, 0) << rolled.out << rolled.err;
  ASSERT_TRUE(testlib::Eventually([&] { return all_run("logagent:2"); }, 20s));

  // A revision whose task exits at once: two failures trip the breaker, which brings back
  // logagent:2; rollout status reports the rollback.
  register_logagent("exit 3", 512);
  auto failed = Ctl({"rollout", "status", "environment", "logs", "--timeout=40s"});
  EXPECT_NE(failed.exit_code, 0) << failed.out;
  EXPECT_NE(failed.out.find("rollout failed (RolledBack): the roll to logagent:3 failed"),
            std::string::npos)
      << failed.out << failed.err;
  client::HttpClient http = Http();
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        auto d = http.Request("GET", "/v1/environments/logs/deployments");
        if (!d.ok() || d->status != 200) return false;
        const json listed = json::parse(d->body);
        for (const auto& item : listed["items"])
          if (IdOf(item["taskDefinition"]) == "logagent:3" && item["status"] == "failed")
            return true;
        return false;
      },
      20s));
  ASSERT_TRUE(testlib::Eventually([&] { return all_run("logagent:2"); }, 20s));

  // An agent is lost: its instance leaves the group (not connected) and its task stops; back,
  // it is covered again.
  auto eligible = [&] {
    auto got = Ctl({"get", "env", "logs", "-o", "json"});
    auto parsed = json::parse(got.out, nullptr, false);
    return parsed.is_discarded() ? json() : parsed["status"]["instancesEligible"];
  };
  agents_[3]->Signal(SIGKILL);
  agents_[3]->Wait(5s);
  ASSERT_TRUE(testlib::Eventually([&] { return eligible() == 3; }, 20s)) << eligible();
  ASSERT_TRUE(testlib::Eventually([&] { return daemon_tasks().size() == 3; }, 20s));
  StartAgent(3, "us-east-1d", "t2.small");
  ASSERT_TRUE(testlib::Eventually([&] { return daemon_tasks().size() == 4; }, 20s));
  EXPECT_EQ(eligible(), 4);
  ASSERT_EQ(Ctl({"delete", "env", "logs"}).exit_code, 0);
  ASSERT_TRUE(testlib::Eventually([&] { return daemon_tasks().empty(); }, 20s));
}

// Blox's daemon scheduler API on gantryd's port: an environment made through it covers the
// cluster like any other.
TEST_F(FleetTest, BloxEnvironmentsEndToEnd) {
  client::HttpClient http = Http();
  auto ping = http.Request("GET", "/v1/ping");
  ASSERT_TRUE(ping.ok());
  EXPECT_EQ(ping->status, 200);
  auto created = http.Request(
      "POST", "/v1/environments",
      R"({"name": "blox-logs", "instanceGroup": {"cluster": "demo"}, "taskDefinition": "sleeper"})");
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->status, 200) << created->body;
  json env = json::parse(created->body);
  EXPECT_EQ(env["health"], "healthy");
  auto running = [&] {
    int n = 0;
    auto listed = Ecs("ListTasks", {{"cluster", "demo"}});
    if (listed["taskArns"].empty()) return 0;
    auto d = Ecs("DescribeTasks", {{"cluster", "demo"}, {"tasks", listed["taskArns"]}});
    for (const auto& t : d["tasks"])
      n += t["group"] == "environment:blox-logs" && t["lastStatus"] == "RUNNING";
    return n;
  };
  ASSERT_TRUE(testlib::Eventually([&] { return running() == 3; }, 20s));
  auto listed = http.Request("GET", "/v1/environments?cluster=demo");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(json::parse(listed->body)["items"].size(), 1u) << listed->body;
  // A deployment: pending, then completed once the environment runs its revision; the token
  // rotates, so the same one cannot deploy twice.
  // Its first revision is a deployment of its own; wait for it to complete.
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        auto d = http.Request("GET", "/v1/environments/blox-logs/deployments");
        if (!d.ok() || d->status != 200) return false;
        const json items = json::parse(d->body)["items"];
        return !items.empty() && items[0]["status"] == "completed";
      },
      20s));
  const std::string token = env["deploymentToken"];
  auto deployed =
      http.Request("POST", "/v1/environments/blox-logs/deployments?deploymentToken=" + token);
  ASSERT_TRUE(deployed.ok());
  ASSERT_EQ(deployed->status, 200) << deployed->body;
  const std::string id = json::parse(deployed->body)["id"];
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        auto d = http.Request("GET", "/v1/environments/blox-logs/deployments/" + id);
        return d.ok() && d->status == 200 && json::parse(d->body)["status"] == "completed";
      },
      20s));
  auto again =
      http.Request("POST", "/v1/environments/blox-logs/deployments?deploymentToken=" + token);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 400) << again->body;
  auto duplicate = http.Request(
      "POST", "/v1/environments",
      R"({"name": "blox-logs", "instanceGroup": {"cluster": "demo"}, "taskDefinition": "sleeper"})");
  ASSERT_TRUE(duplicate.ok());
  EXPECT_EQ(duplicate->status, 400);
  EXPECT_EQ(duplicate->body, "An environment with name blox-logs already exists\n");
  for (int i = 0; i < 2; ++i) {
    auto deleted = http.Request("DELETE", "/v1/environments/blox-logs");
    ASSERT_TRUE(deleted.ok());
    EXPECT_EQ(deleted->status, 200);
  }
  auto gone = http.Request("GET", "/v1/environments/blox-logs");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->status, 404);
  ASSERT_TRUE(testlib::Eventually([&] { return running() == 0; }, 20s));
}

}  // namespace

// Agents with agent-role tokens: each acts only for its own instance.
TEST(FleetAuthTest, AgentTokensRegisterAndRunTasks) {
  testlib::TempDir dir;
  std::ofstream(dir.path() + "/tokens.csv") << "admin-token,root,admin\n"
                                            << "agent-token,agent-a,agent\n"
                                            << "viewer-token,watcher,viewer\n";
  int port = testlib::FreePort(), grpc_port = testlib::FreePort();
  testlib::Process gantryd(
      {testlib::BinDir() + "/gantryd", "--data-dir", dir.path() + "/data", "--listen",
       "127.0.0.1:" + std::to_string(port), "--grpc-listen",
       "127.0.0.1:" + std::to_string(grpc_port), "--token-file", dir.path() + "/tokens.csv"},
      dir.path() + "/gantryd.log");
  client::HttpClient admin(client::Endpoint{"127.0.0.1", port, ""}, "admin-token", 10s);
  ASSERT_TRUE(testlib::Eventually([&] { return admin.Request("GET", "/readyz").ok(); }, 10s));
  auto agent = [&](const std::string& name, const std::string& token) {
    // The token in a file only the agent may read, never in argv.
    const std::string token_file = dir.path() + "/" + name + ".token";
    std::ofstream(token_file) << token << "\n";
    ::chmod(token_file.c_str(), 0600);
    return std::make_unique<testlib::Process>(
        std::vector<std::string>{testlib::BinDir() + "/gantry-agent", "--server",
                                 "127.0.0.1:" + std::to_string(grpc_port), "--cluster", "auth",
                                 "--state-dir", dir.path() + "/" + name, "--token-file", token_file,
                                 "--heartbeat-interval", "300ms"},
        dir.path() + "/" + name + ".log");
  };
  auto good = agent("good", "agent-token");
  auto viewer = agent("viewer", "viewer-token");
  auto ecs = [&](const std::string& op, const json& body) {
    auto r =
        admin.RequestWithHeaders("POST", "/", body.dump(), "application/x-amz-json-1.1",
                                 {{"X-Amz-Target", "AmazonEC2ContainerServiceV20141113." + op}});
    return r.ok() ? json::parse(r->body, nullptr, false) : json::object();
  };
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        return ecs("ListContainerInstances", {{"cluster", "auth"}})["containerInstanceArns"]
                   .size() == 1;
      },
      10s));
  // The viewer's agent never registers; it says why (once it has been refused, the instance
  // count shows it did not get in).
  std::string viewer_said;
  EXPECT_TRUE(testlib::Eventually(
      [&] {
        std::ifstream viewer_log(dir.path() + "/viewer.log");
        viewer_said.assign(std::istreambuf_iterator<char>(viewer_log), {});
        return viewer_said.find("cannot register") != std::string::npos &&
               viewer_said.find("viewer") != std::string::npos;
      },
      10s))
      << viewer_said;
  EXPECT_EQ(ecs("ListContainerInstances", {{"cluster", "auth"}})["containerInstanceArns"].size(),
            1u);
  // The agent token's instance runs tasks.
  ecs("RegisterTaskDefinition",
      {{"family", "t"},
       {"containerDefinitions",
        {{{"name", "app"}, {"command", {"sleep", "30"}}, {"memory", 16}}}}});
  auto run = ecs("RunTask", {{"cluster", "auth"}, {"taskDefinition", "t"}});
  ASSERT_EQ(run["tasks"].size(), 1u) << run.dump();
  std::string arn = run["tasks"][0]["taskArn"];
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        auto d = ecs("DescribeTasks", {{"cluster", "auth"}, {"tasks", {arn}}});
        return !d["tasks"].empty() && d["tasks"][0]["lastStatus"] == "RUNNING";
      },
      10s));
  ecs("StopTask", {{"cluster", "auth"}, {"task", arn}});
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        auto d = ecs("DescribeTasks", {{"cluster", "auth"}, {"tasks", {arn}}});
        return !d["tasks"].empty() && d["tasks"][0]["lastStatus"] == "STOPPED";
      },
      10s));
}

}  // namespace gantry
