// Finding 10 (gantryd's side): AppendTaskLogs accepted any container name, so an agent could make
// a file per made-up name for every task; `gantryctl logs` left out a container named app.v2; and
// ?container=../x was answered 200 instead of refused. Now gantryd keeps output only for the
// containers of the task's definition, any valid container name (dots included) reads back, and
// anything that is not a plain name, in the task id or in ?container=, is refused.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/grpc/agent_client.h"
#include "tests/testlib/gantry_processes.h"

namespace gantry {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

class TaskLogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(gantryd_.ready()) << gantryd_.log();
    gantryd_.StartAgent({"--cluster", "demo", "--cpu", "1024", "--memory", "1024",
                         "--heartbeat-interval", "300ms"});
    ASSERT_TRUE(testlib::Eventually(
        [&] {
          json listed = Ecs("ListContainerInstances", {{"cluster", "demo"}});
          return listed.value("containerInstanceArns", json::array()).size() == 1;
        },
        15s))
        << gantryd_.log() << gantryd_.agent_log(0);
    json def = {{"family", "logger"},
                {"containerDefinitions",
                 {{{"name", "app.v2"},
                   {"command", {"/bin/sh", "-c", "echo hello-from-app-v2; exec sleep 60"}},
                   {"memory", 32}},
                  {{"name", "side"},
                   {"command", {"/bin/sh", "-c", "echo side-output; exec sleep 60"}},
                   {"memory", 32}}}}};
    ASSERT_TRUE(Ecs("RegisterTaskDefinition", def).contains("taskDefinition"));
    json run = Ecs("RunTask", {{"cluster", "demo"}, {"taskDefinition", "logger"}});
    ASSERT_EQ(run["tasks"].size(), 1u) << run.dump();
    std::string arn = run["tasks"][0]["taskArn"];
    task_ = arn.substr(arn.rfind('/') + 1);
    instance_ = run["tasks"][0]["containerInstanceArn"];
    instance_ = instance_.substr(instance_.rfind('/') + 1);
  }

  void TearDown() override {
    if (!task_.empty()) Ecs("StopTask", {{"cluster", "demo"}, {"task", task_}});
    testlib::Eventually(
        [&] {
          json d = Ecs("DescribeTasks", {{"cluster", "demo"}, {"tasks", {task_}}});
          return d["tasks"].empty() || d["tasks"][0]["lastStatus"] == "STOPPED";
        },
        15s);
  }

  json Ecs(const std::string& op, const json& body) {
    auto r = gantryd_.Ecs(op, body.dump());
    if (!r.ok()) return json::object();
    json j = json::parse(r->body, nullptr, false);
    return j.is_discarded() ? json::object() : j;
  }

  testlib::CommandResult Logs(std::vector<std::string> args) {
    args.insert(args.begin(),
                {testlib::BinDir() + "/gantryctl", "--server", gantryd_.url(), "logs", task_});
    return testlib::RunCommand(args);
  }

  api::StatusOr<client::HttpResult> Get(const std::string& path_and_query) {
    return gantryd_.Http().Request("GET", path_and_query);
  }

  testlib::Gantryd gantryd_;
  std::string task_;
  std::string instance_;
};

TEST_F(TaskLogsTest, ContainerNamedAppV2ReadsBack) {
  testlib::CommandResult one;
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        one = Logs({"--container", "app.v2"});
        return one.out.find("hello-from-app-v2") != std::string::npos;
      },
      20s))
      << one.exit_code << " " << one.out << one.err << gantryd_.agent_log(0);
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out.find("side-output"), std::string::npos) << one.out;

  // Without --container: every container, app.v2 included.
  testlib::CommandResult all;
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        all = Logs({});
        return all.out.find("side-output") != std::string::npos;
      },
      20s))
      << all.out << all.err;
  EXPECT_NE(all.out.find("hello-from-app-v2"), std::string::npos) << all.out;

  // A valid name the task does not have is a clear error, not an empty answer.
  testlib::CommandResult missing = Logs({"--container", "app.v3"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("app.v3"), std::string::npos) << missing.err;
}

TEST_F(TaskLogsTest, AppendTaskLogsForAContainerNotInTheDefinitionIsRefused) {
  grpcapi::AgentClient agent(gantryd_.grpc_address(), "");
  for (const std::string& name :
       {std::string("not-in-definition"), std::string("app.v2.extra"), std::string("c11")}) {
    v1::AppendTaskLogsRequest req;
    req.set_container_instance(instance_);
    auto* chunk = req.add_chunks();
    chunk->set_task(task_);
    chunk->set_container(name);
    chunk->set_stream("stdout");
    chunk->set_data(std::string(1024, 'x'));
    api::Status st = agent.AppendLogs(req);
    EXPECT_EQ(st.code(), api::Code::kInvalidArgument) << name << ": " << st.ToString();
    EXPECT_NE(st.message().find(name), std::string::npos) << st.ToString();
    EXPECT_FALSE(Exists(gantryd_.data_dir() + "/logs/" + task_ + "/" + name + ".stdout.log"))
        << name;
  }
  // The definition's own containers are accepted.
  v1::AppendTaskLogsRequest ok;
  ok.set_container_instance(instance_);
  auto* chunk = ok.add_chunks();
  chunk->set_task(task_);
  chunk->set_container("side");
  chunk->set_stream("stderr");
  chunk->set_data("fine\n");
  api::Status st = agent.AppendLogs(ok);
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_F(TaskLogsTest, TraversalInTaskIdsAndContainerIsRefused) {
  const std::string base = "/apis/gantry.dev/v1/tasks/" + task_ + "/log";
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        auto r = Get(base + "?container=side");
        return r.ok() && r->body.find("side-output") != std::string::npos;
      },
      20s));
  for (const std::string& query :
       {std::string("?container=../x"), std::string("?container=%2e%2e%2fx"),
        std::string("?container=.."), std::string("?container=%2e%2e"),
        std::string("?container=../../gantry.db"), std::string("?container=side%2f..%2f..%2fx"),
        std::string("?container=")}) {
    auto r = Get(base + query);
    ASSERT_TRUE(r.ok()) << query;
    EXPECT_EQ(r->status, 400) << query << ": " << r->body;
    EXPECT_NE(r->body.find("container"), std::string::npos) << query << ": " << r->body;
    EXPECT_EQ(r->body.find("SQLite"), std::string::npos) << query;
  }
  for (const std::string& id :
       {std::string("%2e%2e"), std::string(".."), std::string("..%2f..%2fgantry.db"),
        std::string("%2e%2e%2f%2e%2e%2fgantry.db"), task_ + "%2f..%2f" + task_}) {
    auto r = Get("/apis/gantry.dev/v1/tasks/" + id + "/log");
    ASSERT_TRUE(r.ok()) << id;
    EXPECT_GE(r->status, 400) << id << ": " << r->body;
    EXPECT_LT(r->status, 500) << id << ": " << r->body;
    EXPECT_EQ(r->body.find("SQLite"), std::string::npos) << id;
    EXPECT_EQ(r->body.find("side-output"), std::string::npos) << id;
  }
  testlib::CommandResult ctl = testlib::RunCommand(
      {testlib::BinDir() + "/gantryctl", "--server", gantryd_.url(), "logs", ".."});
  EXPECT_NE(ctl.exit_code, 0) << ctl.out;
  ctl = testlib::RunCommand({testlib::BinDir() + "/gantryctl", "--server", gantryd_.url(), "logs",
                             task_, "--container", "../../gantry.db"});
  EXPECT_NE(ctl.exit_code, 0) << ctl.out;
  EXPECT_EQ(ctl.out.find("SQLite"), std::string::npos);
}

}  // namespace
}  // namespace gantry
