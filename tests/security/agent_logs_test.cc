// Finding 10 (agent side): the agent's stdout.log/stderr.log per container were unbounded (a task
// writing 60 MB left a 60 MB file). Now the shim rotates them (default 10 MiB x 2 files per
// stream, --log-max-size/--log-max-files), and the agent keeps shipping the newest output to
// gantryd across rotations.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "tests/testlib/gantry_processes.h"

namespace gantry {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

class AgentLogsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(gantryd_.ready()) << gantryd_.log(); }

  // `polling`: the cluster may not exist yet, so any answer is fine.
  json Ecs(const std::string& op, const json& body, bool polling = false) {
    auto r = gantryd_.Ecs(op, body.dump());
    EXPECT_TRUE(r.ok()) << op << ": " << r.status().ToString();
    if (!r.ok()) return json::object();
    if (!polling) {
      EXPECT_EQ(r->status, 200) << op << ": " << r->body;
    }
    auto parsed = json::parse(r->body, nullptr, false);
    return parsed.is_discarded() ? json::object() : parsed;
  }

  size_t StartAgent(const std::string& cluster, std::vector<std::string> extra) {
    std::vector<std::string> args{"--cluster", cluster, "--heartbeat-interval", "300ms"};
    args.insert(args.end(), extra.begin(), extra.end());
    size_t index = gantryd_.StartAgent(args);
    EXPECT_TRUE(testlib::Eventually(
        [&] {
          return Ecs("ListContainerInstances", {{"cluster", cluster}},
                     /*polling=*/true)["containerInstanceArns"]
                     .size() == 1;
        },
        15s))
        << gantryd_.agent_log(index);
    return index;
  }

  // Runs a task writing 60 MB to stdout (and 6 MB to stderr), each ending with a last line;
  // returns its id once it stopped.
  std::string RunChattyTask(const std::string& cluster) {
    Ecs("RegisterTaskDefinition",
        {{"family", "chatty"},
         {"containerDefinitions",
          {{{"name", "app"},
            {"command",
             {"/bin/sh", "-c",
              "head -c 60000000 /dev/zero | tr '\\0' o; echo; echo LATEST-STDOUT-LINE; "
              "head -c 6000000 /dev/zero | tr '\\0' e >&2; echo LATEST-STDERR-LINE >&2"}},
            {"memory", 64}}}}});
    auto run = Ecs("RunTask", {{"cluster", cluster}, {"taskDefinition", "chatty"}});
    if (run["tasks"].size() != 1) {
      ADD_FAILURE() << run.dump();
      return "";
    }
    const std::string arn = run["tasks"][0]["taskArn"];
    json task;
    EXPECT_TRUE(testlib::Eventually(
        [&] {
          auto d = Ecs("DescribeTasks", {{"cluster", cluster}, {"tasks", {arn}}});
          if (d["tasks"].empty()) return false;
          task = d["tasks"][0];
          return task["lastStatus"] == "STOPPED";
        },
        60s));
    EXPECT_EQ(task["containers"][0]["exitCode"], 0) << task.dump();
    return arn.substr(arn.rfind('/') + 1);
  }

  // Bytes in the agent's files of one stream, checking each against `max_size`.
  int64_t StreamBytes(size_t agent, const std::string& task, const std::string& stream,
                      int64_t max_size, int max_files) {
    const std::string dir = gantryd_.agent_state_dir(agent) + "/tasks/" + task + "/app";
    int64_t total = 0;
    int files = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (name != stream + ".log" && !name.starts_with(stream + ".log.")) continue;
      ++files;
      int64_t size = static_cast<int64_t>(fs::file_size(entry.path()));
      EXPECT_LE(size, max_size) << name;
      total += size;
    }
    EXPECT_LE(files, max_files) << stream;
    return total;
  }

  testlib::Gantryd gantryd_;
};

TEST_F(AgentLogsTest, DefaultLimitsKeepTwoFilesOfTenMiBPerStream) {
  size_t agent = StartAgent("logs-default", {});
  const std::string task = RunChattyTask("logs-default");
  ASSERT_FALSE(task.empty());
  const int64_t out = StreamBytes(agent, task, "stdout", 10 << 20, 2);
  EXPECT_LE(out, 20 << 20);
  EXPECT_GT(out, 10 << 20) << "a full rotated file and the current one";
  EXPECT_EQ(StreamBytes(agent, task, "stderr", 10 << 20, 2), 6000000 + 19) << "under the limit";
}

TEST_F(AgentLogsTest, SmallLimitsAndTheLatestOutputStillReachesGantryctlLogs) {
  size_t agent = StartAgent("logs-small", {"--log-max-size", "1m", "--log-max-files", "2"});
  const std::string task = RunChattyTask("logs-small");
  ASSERT_FALSE(task.empty());
  for (const char* stream : {"stdout", "stderr"}) {
    const int64_t bytes = StreamBytes(agent, task, stream, 1 << 20, 2);
    EXPECT_LE(bytes, 2 << 20) << stream;
    EXPECT_GT(bytes, 1 << 20) << stream;
  }

  // What was rotated away before it was shipped is lost; the newest output arrives.
  std::string out;
  bool latest = testlib::Eventually(
      [&] {
        auto r = testlib::RunCommand(
            {testlib::BinDir() + "/gantryctl", "--server", gantryd_.url(), "logs", task});
        out = r.out + r.err;
        return r.exit_code == 0 && out.find("LATEST-STDOUT-LINE") != std::string::npos &&
               out.find("LATEST-STDERR-LINE") != std::string::npos;
      },
      60s);
  EXPECT_TRUE(latest) << out.substr(out.size() > 2000 ? out.size() - 2000 : 0)
                      << gantryd_.agent_log(agent);
}

TEST_F(AgentLogsTest, BadLimitsAreRefused) {
  for (const std::vector<std::string>& flags : {std::vector<std::string>{"--log-max-size", "10x"},
                                                {"--log-max-size", "100"},
                                                {"--log-max-files", "0"},
                                                {"--log-max-files", "65"}}) {
    const std::string log = gantryd_.dir() + "/bad-agent.log";
    int code;
    {
      testlib::Process agent(
          {testlib::BinDir() + "/gantry-agent", "--server", gantryd_.grpc_address(), "--state-dir",
           gantryd_.dir() + "/bad-agent", flags[0], flags[1]},
          log);
      code = agent.Wait(10s);
    }
    std::ifstream in(log);
    std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(code, 2) << flags[0] << " " << flags[1] << ": " << err;
    EXPECT_NE(err.find(flags[0] + " must"), std::string::npos) << err;
  }
}

}  // namespace
}  // namespace gantry
