// Finding 12: RunTask ignored clientToken, so a client retrying after a timeout or after gantryd
// was kill -9'ed doubled its tasks; and instance counters stayed one behind after a kill -9
// between a task write and its instance's recount. Now a repeat with the same token within 24
// hours answers with the first call's tasks, across a kill -9 as well; another token launches
// anew; other parameters under the same token are a ConflictException; a token over botocore's
// 64 characters is an InvalidParameterException; StartTask the same. At start gantryd recounts
// every instance from its tasks.

#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/testlib/gantry_processes.h"

namespace gantry {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kCluster = "demo";

json Parse(const api::StatusOr<client::HttpResult>& r) {
  if (!r.ok()) return json::object();
  json j = json::parse(r->body, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

std::vector<std::string> TaskArns(const json& reply) {
  std::vector<std::string> arns;
  for (const auto& t : reply.value("tasks", json::array())) arns.push_back(t["taskArn"]);
  return arns;
}

class RunTaskIdempotencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(gantryd_->ready()) << gantryd_->log();
    gantryd_->StartAgent({"--cluster", kCluster, "--simulate", "3", "--cpu", "1024", "--memory",
                          "1024", "--heartbeat-interval", "300ms"});
    ASSERT_TRUE(testlib::Eventually([&] { return Instances().size() == 3; }, 15s))
        << gantryd_->log() << gantryd_->agent_log(0);
    auto r = gantryd_->Ecs(
        "RegisterTaskDefinition",
        json{{"family", "sleeper"},
             {"containerDefinitions",
              {{{"name", "app"}, {"command", {"sleep", "1000"}}, {"cpu", 64}, {"memory", 32}}}}}
            .dump());
    ASSERT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().ToString());
  }

  // kill -9, then a new gantryd on the same data dir (the dead one's object keeps the dir).
  void KillAndRestart() {
    gantryd_->process().Signal(SIGKILL);
    gantryd_->process().Wait(10s);
    dead_.push_back(std::move(gantryd_));
    gantryd_ =
        std::make_unique<testlib::Gantryd>(std::vector<std::string>{}, dead_.back()->data_dir());
    ASSERT_TRUE(gantryd_->ready()) << gantryd_->log();
  }

  api::StatusOr<client::HttpResult> Call(const std::string& op, const json& body) {
    return gantryd_->Ecs(op, body.dump());
  }

  json RunTask(const std::string& token, int count = 2) {
    json body = {{"cluster", kCluster}, {"taskDefinition", "sleeper"}, {"count", count}};
    if (!token.empty()) body["clientToken"] = token;
    auto r = Call("RunTask", body);
    EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().ToString());
    return Parse(r);
  }

  json StartTask(const std::string& token, const std::vector<std::string>& instances) {
    auto r = Call("StartTask", {{"cluster", kCluster},
                                {"taskDefinition", "sleeper"},
                                {"containerInstances", instances},
                                {"clientToken", token}});
    EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().ToString());
    return Parse(r);
  }

  std::vector<std::string> Instances() {
    json listed = Parse(Call("ListContainerInstances", {{"cluster", kCluster}}));
    std::vector<std::string> arns;
    for (const auto& arn : listed.value("containerInstanceArns", json::array()))
      arns.push_back(arn);
    return arns;
  }

  // Every task the cluster has, whatever its desired status.
  std::set<std::string> AllTasks() {
    std::set<std::string> arns;
    for (const char* desired : {"RUNNING", "STOPPED"}) {
      json listed = Parse(Call("ListTasks", {{"cluster", kCluster}, {"desiredStatus", desired}}));
      for (const auto& arn : listed.value("taskArns", json::array())) arns.insert(arn);
    }
    return arns;
  }

  std::unique_ptr<testlib::Gantryd> gantryd_ = std::make_unique<testlib::Gantryd>();
  std::vector<std::unique_ptr<testlib::Gantryd>> dead_;
};

TEST_F(RunTaskIdempotencyTest, RepeatWithTheSameTokenReturnsTheFirstTasks) {
  json first = RunTask("retry-after-timeout-0001");
  std::vector<std::string> arns = TaskArns(first);
  ASSERT_EQ(arns.size(), 2u) << first.dump();
  json again = RunTask("retry-after-timeout-0001");
  EXPECT_EQ(TaskArns(again), arns) << again.dump();
  EXPECT_EQ(AllTasks().size(), 2u) << "the repeat launched new tasks";

  // Another token is another launch.
  json other = RunTask("a-different-token");
  ASSERT_EQ(TaskArns(other).size(), 2u);
  for (const auto& arn : TaskArns(other))
    EXPECT_EQ(std::count(arns.begin(), arns.end(), arn), 0) << arn;
  EXPECT_EQ(AllTasks().size(), 4u);
}

TEST_F(RunTaskIdempotencyTest, RepeatAfterKill9ReturnsTheFirstTasks) {
  std::vector<std::string> run = TaskArns(RunTask("survives-kill-9"));
  ASSERT_EQ(run.size(), 2u);
  std::string instance = Instances().at(0);
  std::vector<std::string> started = TaskArns(StartTask("start-survives-kill-9", {instance}));
  ASSERT_EQ(started.size(), 1u);
  const std::set<std::string> before = AllTasks();
  ASSERT_EQ(before.size(), 3u);

  KillAndRestart();
  EXPECT_EQ(TaskArns(RunTask("survives-kill-9")), run);
  EXPECT_EQ(TaskArns(StartTask("start-survives-kill-9", {instance})), started);
  EXPECT_EQ(AllTasks(), before) << "a repeat after the restart launched new tasks";

  // A new token still launches, on the instances gantryd remembers.
  EXPECT_EQ(TaskArns(RunTask("new-after-restart")).size(), 2u);
  EXPECT_EQ(AllTasks().size(), 5u);
}

TEST_F(RunTaskIdempotencyTest, SameTokenOtherParametersIsAConflict) {
  std::vector<std::string> arns = TaskArns(RunTask("conflicting"));
  ASSERT_EQ(arns.size(), 2u);
  auto r = Call("RunTask", {{"cluster", kCluster},
                            {"taskDefinition", "sleeper"},
                            {"count", 3},
                            {"clientToken", "conflicting"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400) << r->body;
  json body = Parse(r);
  EXPECT_EQ(body.value("__type", ""), "ConflictException") << r->body;
  std::vector<std::string> ids;
  for (const auto& id : body.value("resourceIds", json::array())) ids.push_back(id);
  EXPECT_EQ(ids, arns) << r->body;
  EXPECT_EQ(AllTasks().size(), 2u);
}

TEST_F(RunTaskIdempotencyTest, TokenOver64CharactersIsInvalid) {
  const std::string too_long(65, 'a');
  for (const char* op : {"RunTask", "StartTask"}) {
    json body = {{"cluster", kCluster}, {"taskDefinition", "sleeper"}, {"clientToken", too_long}};
    if (std::string(op) == "StartTask") body["containerInstances"] = {Instances().at(0)};
    auto r = Call(op, body);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 400) << op << ": " << r->body;
    EXPECT_EQ(Parse(r).value("__type", ""), "InvalidParameterException") << op << ": " << r->body;
    EXPECT_NE(r->body.find("clientToken"), std::string::npos) << op << ": " << r->body;
  }
  // 64 characters is the limit, not over it.
  EXPECT_EQ(TaskArns(RunTask(std::string(64, 'a'), 1)).size(), 1u);
  EXPECT_EQ(AllTasks().size(), 1u);
}

// The store state a kill -9 between a task write and its instance's recount leaves: a task the
// instance's counts do not include. A Task written through the REST API without an agent to
// report on it stays uncounted the same way, deterministically; the restart must count it.
TEST_F(RunTaskIdempotencyTest, CountersMatchTheTasksAfterKill9) {
  ASSERT_EQ(TaskArns(RunTask("", 1)).size(), 1u);
  const std::string arn = Instances().at(0);
  const std::string instance = arn.substr(arn.rfind('/') + 1);
  gantryd_->StopAgents();  // nobody reports, so nothing recounts before the kill
  json task = {{"apiVersion", "gantry.dev/v1"},
               {"kind", "Task"},
               {"metadata", {{"name", "written-before-the-crash"}}},
               {"spec",
                {{"taskDefinition", "sleeper:1"},
                 {"cluster", kCluster},
                 {"containerInstance", instance},
                 {"desiredStatus", "RUNNING"},
                 {"cpu", 64},
                 {"memory", 32}}}};
  auto created = gantryd_->Http().Request("POST", "/apis/gantry.dev/v1/tasks", task.dump());
  ASSERT_TRUE(created.ok() && created->status < 300)
      << (created.ok() ? created->body : created.status().ToString());

  auto counted_tasks = [&] {
    json listed = Parse(gantryd_->Ecs(
        "ListTasks", json{{"cluster", kCluster}, {"containerInstance", instance}}.dump()));
    return listed.value("taskArns", json::array()).size();
  };
  auto status = [&] {
    auto r = gantryd_->Http().Request("GET", "/apis/gantry.dev/v1/containerinstances/" + instance);
    return Parse(r).value("status", json::object());
  };
  auto counts = [&](const json& st) {
    return st.value("runningTasksCount", 0) + st.value("pendingTasksCount", 0);
  };
  // ListTasks answers from gantryd's informers, which see the REST write moments later.
  ASSERT_TRUE(testlib::Eventually([&] { return counted_tasks() >= 1; }, 10s));
  const size_t tasks_on_instance = counted_tasks();
  ASSERT_NE(static_cast<size_t>(counts(status())), tasks_on_instance)
      << "the counts were not stale to begin with: " << status().dump();

  KillAndRestart();
  ASSERT_EQ(counted_tasks(), tasks_on_instance);
  json st = status();
  EXPECT_EQ(static_cast<size_t>(counts(st)), tasks_on_instance) << st.dump();
  EXPECT_EQ(st["remainingResources"].value("memory", -1),
            1024 - 32 * static_cast<int>(tasks_on_instance))
      << st.dump();
  EXPECT_EQ(st["remainingResources"].value("cpu", -1),
            1024 - 64 * static_cast<int>(tasks_on_instance))
      << st.dump();
}

}  // namespace
}  // namespace gantry
