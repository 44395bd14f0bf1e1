// Findings 7 and 8 (agent side): the agent's token was in its argv (/proc/PID/cmdline, readable
// by every local user and task), and tasks ran as the agent's user (root), so any task could
// read the token and the agent's state. Now the token comes from a 0600 file (or GANTRY_TOKEN,
// which tasks never inherit), tasks run as their definition's `user` or as nobody, root only when
// asked for explicitly and allowed with --allow-root-tasks, and the agent's state dir is its own.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>
#include <utility>

#include "tests/testlib/gantry_processes.h"

namespace gantry {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kTokens =
    "admin-token-0001,alice,admin\n"
    "agent-token-0001,agent-1,agent\n"
    "agent-token-0002,agent-2,agent\n";

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class TaskIsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(gantryd_.ready()) << gantryd_.log();
    // The scratch dir may be entered (not listed) by anyone, so only the modes of the token file
    // and the state dir stand between a task and them.
    ASSERT_EQ(::chmod(gantryd_.dir().c_str(), 0711), 0);
  }

  json Ecs(const std::string& op, const json& body) {
    auto r = gantryd_.Ecs(op, body.dump(), {{"Authorization", "Bearer admin-token-0001"}});
    EXPECT_TRUE(r.ok()) << op << ": " << r.status().ToString();
    if (!r.ok()) return json::object();
    EXPECT_EQ(r->status, 200) << op << ": " << r->body;
    auto parsed = json::parse(r->body, nullptr, false);
    return parsed.is_discarded() ? json::object() : parsed;
  }

  // Starts an agent in `cluster` with its token in a 0600 file; waits until it registered.
  size_t StartAgent(const std::string& cluster, const std::string& token,
                    std::vector<std::string> extra = {}) {
    token_file_ = gantryd_.WriteFile(cluster + ".token", token + "\n", 0600);
    std::vector<std::string> args{
        "--cluster", cluster, "--token-file", token_file_, "--heartbeat-interval", "300ms"};
    args.insert(args.end(), extra.begin(), extra.end());
    size_t index = gantryd_.StartAgent(args);
    bool registered = testlib::Eventually(
        [&] {
          auto r = gantryd_.Ecs("ListContainerInstances", json{{"cluster", cluster}}.dump(),
                                {{"Authorization", "Bearer admin-token-0001"}});
          if (!r.ok() || r->status != 200) return false;
          auto listed = json::parse(r->body, nullptr, false);
          return !listed.is_discarded() && listed["containerInstanceArns"].size() == 1;
        },
        15s);
    EXPECT_TRUE(registered) << gantryd_.agent_log(index);
    return index;
  }

  struct Outcome {
    std::string stopped_reason;
    std::string output;  // what `GET .../log` returns once the task printed its last line
  };

  // Registers `family` with one container running `script` (and `user` when not empty), runs
  // it in `cluster` and waits until it stopped and its output (ending in END) came back.
  Outcome Run(const std::string& cluster, const std::string& family, const std::string& script,
              const std::string& user, bool expect_output = true) {
    json container = {
        {"name", "app"}, {"command", {"/bin/sh", "-c", script + "; echo END"}}, {"memory", 32}};
    if (!user.empty()) container["user"] = user;
    Ecs("RegisterTaskDefinition", {{"family", family}, {"containerDefinitions", {container}}});
    auto run = Ecs("RunTask", {{"cluster", cluster}, {"taskDefinition", family}});
    Outcome out;
    if (run["tasks"].size() != 1) {
      ADD_FAILURE() << run.dump();
      return out;
    }
    const std::string arn = run["tasks"][0]["taskArn"];
    const std::string id = arn.substr(arn.rfind('/') + 1);
    json task;
    bool stopped = testlib::Eventually(
        [&] {
          auto d = Ecs("DescribeTasks", {{"cluster", cluster}, {"tasks", {arn}}});
          if (d["tasks"].empty()) return false;
          task = d["tasks"][0];
          return task["lastStatus"] == "STOPPED";
        },
        20s);
    EXPECT_TRUE(stopped) << task.dump();
    out.stopped_reason = task.value("stoppedReason", "");
    if (!expect_output) return out;
    bool complete = testlib::Eventually(
        [&] {
          auto r = gantryd_.Http("admin-token-0001")
                       .Request("GET", "/apis/gantry.dev/v1/tasks/" + id + "/log");
          out.output = r.ok() ? r->body : "";
          return Contains(out.output, "END\n");
        },
        15s);
    EXPECT_TRUE(complete) << out.output;
    return out;
  }

  bool IsRoot() const { return ::geteuid() == 0; }

  testlib::Gantryd gantryd_{{"--token-file", [] {
                               static testlib::TempDir dir;
                               std::string p = dir.path() + "/tokens.csv";
                               std::ofstream(p) << kTokens;
                               return p;
                             }()}};
  std::string token_file_;
};

// What a task tries against the agent: its own ids, its directory, the agent's token file,
// identity and records, the agent's environment, its own environment.
std::string Probe(const std::string& token_file, const std::string& state_dir, pid_t agent) {
  std::string script =
      "id -u; id -g; id -G; echo \"owner $(stat -c %u:%g .)\"; touch mine && echo wrote-work; ";
  for (const std::string& path : {token_file, state_dir + "/instance-id", std::string("../state"),
                                  "/proc/" + std::to_string(agent) + "/environ"}) {
    script += "if cat '" + path + "' >/dev/null 2>&1; then echo 'read " + path +
              "'; else echo 'denied " + path + "'; fi; ";
  }
  script += "if ls '" + state_dir + "' >/dev/null 2>&1; then echo listed-state; else echo " +
            "denied-state; fi; env";
  return script;
}

TEST_F(TaskIsolationTest, TheTokenIsNeitherInTheAgentsArgvNorInATasksEnvironment) {
  // GANTRY_TOKEN in the agent's environment as well: the task must not inherit it.
  ASSERT_EQ(::setenv("GANTRY_TOKEN", "agent-token-0001", 1), 0);
  size_t agent = StartAgent("iso", "agent-token-0001");
  ::unsetenv("GANTRY_TOKEN");
  const pid_t pid = gantryd_.agent(agent).pid();
  std::string cmdline = Slurp("/proc/" + std::to_string(pid) + "/cmdline");
  ASSERT_FALSE(cmdline.empty());
  EXPECT_TRUE(Contains(cmdline, "--token-file"));
  EXPECT_FALSE(Contains(cmdline, "agent-token-0001")) << "the token shows in /proc/PID/cmdline";

  Outcome out = Run("iso", "env", "env", "");
  EXPECT_FALSE(Contains(out.output, "agent-token-0001")) << out.output;
  EXPECT_FALSE(Contains(out.output, "GANTRY_TOKEN")) << out.output;
  EXPECT_TRUE(Contains(out.output, "PATH=")) << out.output;
}

// gantry-agent with `flags`, expected to exit at once: its exit code (-1 if it kept running)
// and what it printed.
std::pair<int, std::string> RunAgentBriefly(const testlib::Gantryd& gantryd,
                                            std::vector<std::string> flags) {
  std::vector<std::string> argv{testlib::BinDir() + "/gantry-agent", "--server",
                                gantryd.grpc_address(), "--state-dir",
                                gantryd.dir() + "/brief-agent"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  const std::string log = gantryd.dir() + "/brief-agent.log";
  int code;
  {
    testlib::Process agent(argv, log);
    code = agent.Wait(10s);
  }  // killed here if it is still running
  return {code, Slurp(log)};
}

TEST_F(TaskIsolationTest, TokenInArgvIsRefused) {
  auto [code, err] = RunAgentBriefly(gantryd_, {"--token", "agent-token-0001"});
  EXPECT_EQ(code, 2) << err;
  EXPECT_TRUE(Contains(err, "--token-file")) << err;
  EXPECT_TRUE(Contains(err, "GANTRY_TOKEN")) << err;

  const std::string loose = gantryd_.WriteFile("loose.token", "agent-token-0001\n", 0644);
  std::tie(code, err) = RunAgentBriefly(gantryd_, {"--token-file", loose});
  EXPECT_EQ(code, 2) << err;
  EXPECT_TRUE(Contains(err, "mode 0644")) << err;
}

TEST_F(TaskIsolationTest, ATaskWithoutUserRunsAsNobodyAndCannotReachTheAgent) {
  if (!IsRoot())
    GTEST_SKIP() << "needs root (CI runs as root): an agent not running as root "
                    "runs its tasks as itself";
  size_t agent = StartAgent("iso", "agent-token-0001");
  const std::string state = gantryd_.agent_state_dir(agent);
  Outcome out = Run("iso", "probe", Probe(token_file_, state, gantryd_.agent(agent).pid()), "");
  EXPECT_EQ(out.output.rfind("65534\n65534\n65534\nowner 65534:65534\nwrote-work\n", 0), 0u)
      << out.output;
  for (const std::string& path :
       {token_file_, state + "/instance-id", std::string("../state"),
        "/proc/" + std::to_string(gantryd_.agent(agent).pid()) + "/environ"}) {
    EXPECT_TRUE(Contains(out.output, "denied " + path + "\n")) << path << "\n" << out.output;
  }
  EXPECT_TRUE(Contains(out.output, "denied-state\n")) << out.output;
  EXPECT_FALSE(Contains(out.output, "agent-token-0001")) << out.output;

  struct stat st {};
  ASSERT_EQ(::stat(state.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST_F(TaskIsolationTest, TheDefinitionsUserIsHonoured) {
  if (!IsRoot()) GTEST_SKIP() << "needs root (CI runs as root) to run a task as another user";
  StartAgent("iso", "agent-token-0001");
  Outcome out =
      Run("iso", "numeric", "id -u; id -g; id -G; echo \"owner $(stat -c %u:%g .)\"", "1234:1234");
  EXPECT_EQ(out.output.rfind("1234\n1234\n1234\nowner 1234:1234\n", 0), 0u) << out.output;

  auto described = Ecs("DescribeTaskDefinition", {{"taskDefinition", "numeric"}});
  EXPECT_EQ(described["taskDefinition"]["containerDefinitions"][0]["user"], "1234:1234")
      << described.dump();
}

TEST_F(TaskIsolationTest, RootOnlyWhenAskedForAndAllowed) {
  if (!IsRoot()) GTEST_SKIP() << "needs root (CI runs as root)";
  StartAgent("iso", "agent-token-0001");
  Outcome refused = Run("iso", "wants-root", "id -u", "root", /*expect_output=*/false);
  EXPECT_EQ(refused.stopped_reason.rfind("CannotStartContainerError: container app: user "
                                         "\"root\" is 0:0 (root)",
                                         0),
            0u)
      << refused.stopped_reason;
  EXPECT_TRUE(Contains(refused.stopped_reason, "--allow-root-tasks")) << refused.stopped_reason;

  StartAgent("iso-root", "agent-token-0002", {"--allow-root-tasks"});
  Outcome allowed = Run("iso-root", "wants-root", "id -u", "root");
  EXPECT_EQ(allowed.output.rfind("0\n", 0), 0u) << allowed.output;
  // Allowing root does not make root the default.
  Outcome plain = Run("iso-root", "plain", "id -u", "");
  EXPECT_EQ(plain.output.rfind("65534\n", 0), 0u) << plain.output;
}

TEST_F(TaskIsolationTest, UserRoundTripsThroughGantryctlApply) {
  const std::string manifest = gantryd_.WriteFile("td.yaml",
                                                  "apiVersion: gantry.dev/v1\n"
                                                  "kind: TaskDefinition\n"
                                                  "metadata: {name: applied}\n"
                                                  "spec:\n"
                                                  "  containers:\n"
                                                  "    - name: app\n"
                                                  "      command: [\"true\"]\n"
                                                  "      memory: 16\n"
                                                  "      user: \"www-data:www-data\"\n",
                                                  0644);
  auto r = testlib::RunCommand({testlib::BinDir() + "/gantryctl", "--server", gantryd_.url(),
                                "--token", "admin-token-0001", "apply", "-f", manifest});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto described = Ecs("DescribeTaskDefinition", {{"taskDefinition", "applied"}});
  EXPECT_EQ(described["taskDefinition"]["containerDefinitions"][0]["user"], "www-data:www-data")
      << described.dump();
}

}  // namespace
}  // namespace gantry
