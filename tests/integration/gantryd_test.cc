// gantryd and gantryctl as users run them: real processes on loopback ports picked at run time,
// a fresh data dir per test.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "api/client/http_client.h"
#include "gantry/v1/services.grpc.pb.h"
#include "tests/testlib/git_repo.h"
#include "tests/testlib/settled.h"
#include "tests/testlib/testlib.h"

namespace gantry {
namespace {

using testlib::RunCommand;
using namespace std::chrono_literals;

constexpr const char* kManifests = R"(apiVersion: gantry.dev/v1
kind: TaskDefinition
metadata: {name: web}                 # the family; revisions are web:1, web:2, ...
spec:
  containers:
    - name: app
      command: ["sleep", "3600"]
      cpu: 128
      memory: 128
      portMappings: [{containerPort: 8080, hostPort: 8080}]
      environment: [{name: MODE, value: prod}]
  placementConstraints: [{type: memberOf, expression: "attribute:stack == prod"}]
---
apiVersion: gantry.dev/v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec:
  cluster: default
  taskDefinition: web                 # family (latest revision) or family:revision
  desiredCount: 2
  placementStrategy: [{type: spread, field: "attribute:ecs.availability-zone"}]
  deploymentConfiguration: {maximumPercent: 200, minimumHealthyPercent: 100}
)";

class GantrydTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }

  void Start(const std::vector<std::string>& extra_flags = {}) {
    port_ = testlib::FreePort();
    grpc_port_ = testlib::FreePort();
    server_ = "http://127.0.0.1:" + std::to_string(port_);
    std::vector<std::string> argv{testlib::BinDir() + "/gantryd",
                                  "--data-dir",
                                  dir_.path() + "/data",
                                  "--listen",
                                  "127.0.0.1:" + std::to_string(port_),
                                  "--grpc-listen",
                                  "127.0.0.1:" + std::to_string(grpc_port_)};
    argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
    gantryd_ = std::make_unique<testlib::Process>(argv, dir_.path() + "/gantryd.log");
    ASSERT_TRUE(testlib::Eventually([&] { return Http().Request("GET", "/readyz").ok(); }, 10s))
        << "gantryd did not become ready";
  }

  client::HttpClient Http() const {
    return client::HttpClient(client::Endpoint{"127.0.0.1", port_, ""}, "", 10s);
  }

  testlib::CommandResult Ctl(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {testlib::BinDir() + "/gantryctl", "--server", server_});
    return RunCommand(args, input);
  }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  testlib::TempDir dir_;
  int port_ = 0;
  int grpc_port_ = 0;
  std::string server_;
  std::unique_ptr<testlib::Process> gantryd_;
};

TEST_F(GantrydTest, ApplyGetApplyRoundTripIsUnchanged) {
  std::string file = Write("web.yaml", kManifests);
  auto first = Ctl({"apply", "-f", file});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "taskdefinition/web created\nservice/web created\n");
  auto again = Ctl({"apply", "-f", file});
  EXPECT_EQ(again.out, "taskdefinition/web unchanged\nservice/web unchanged\n");

  for (const std::string kind : {"service", "taskdefinition"}) {
    auto yaml = Ctl({"get", kind, "web", "-o", "yaml"});
    ASSERT_EQ(yaml.exit_code, 0) << yaml.err;
    auto reapplied = Ctl({"apply", "-f", Write(kind + ".out.yaml", yaml.out)});
    EXPECT_EQ(reapplied.exit_code, 0) << reapplied.err;
    EXPECT_NE(reapplied.out.find(" unchanged\n"), std::string::npos) << reapplied.out;
    auto json = Ctl({"get", kind, "web", "-o", "json"});
    auto from_json = Ctl({"apply", "-f", "-"}, json.out);
    EXPECT_NE(from_json.out.find(" unchanged\n"), std::string::npos)
        << from_json.out << from_json.err;
  }
}

TEST_F(GantrydTest, VersionShowsClientAndServerAndEveryVerbHasHelp) {
  auto version = Ctl({"version"});
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_NE(version.out.find("Client Version: "), std::string::npos) << version.out;
  EXPECT_NE(version.out.find("Server Version: "), std::string::npos) << version.out;
  EXPECT_EQ(Ctl({"version", "--client"}).out.find("Server Version"), std::string::npos);
  for (const char* verb : {"apply", "get", "rollout", "run-task", "wait"}) {
    for (const char* flag : {"--help", "-h"}) {
      auto help = Ctl({verb, flag});
      EXPECT_EQ(help.exit_code, 0) << verb << " " << flag << ": " << help.err;
      EXPECT_NE(help.out.find("examples:"), std::string::npos) << help.out;
    }
  }
  auto completion = Ctl({"completion", "bash"});
  EXPECT_EQ(completion.exit_code, 0);
  EXPECT_NE(completion.out.find("complete -F _gantryctl gantryctl"), std::string::npos);
}

TEST_F(GantrydTest, RestAndGrpcServeTheSameObjects) {
  ASSERT_EQ(Ctl({"apply", "-f", Write("web.yaml", kManifests)}).exit_code, 0);
  auto stub = v1::Objects::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port_),
                                                       grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  v1::GetRequest req;
  req.set_kind("svc");
  req.set_name("web");
  v1::Object got;
  auto st = stub->Get(&ctx, req, &got);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(got.service().spec().desired_count(), 2);
  EXPECT_EQ(got.service().metadata().labels().at("app"), "web");
  // A write through gRPC is visible through REST.
  grpc::ClientContext apply_ctx;
  v1::ApplyRequest apply;
  *apply.mutable_object() = got;
  apply.mutable_object()->mutable_service()->mutable_spec()->set_desired_count(4);
  v1::ApplyResponse applied;
  ASSERT_TRUE(stub->Apply(&apply_ctx, apply, &applied).ok());
  EXPECT_EQ(applied.outcome(), "configured");
  EXPECT_NE(Ctl({"get", "svc", "web", "-o", "yaml"}).out.find("desiredCount: 4"),
            std::string::npos);
}

TEST_F(GantrydTest, GetPagesThroughLargeLists) {
  // More objects than one page (500): gantryctl fetches every page.
  auto http = Http();
  for (int i = 0; i < 1100; ++i) {
    std::string name = "s" + std::to_string(i);
    auto r = http.Request("PUT", "/apis/gantry.dev/v1/services/" + name,
                          R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":")" +
                              name + R"("},"spec":{"taskDefinition":"t"}})");
    ASSERT_TRUE(r.ok() && r->status == 201);
  }
  auto names = Ctl({"get", "svc", "-o", "name"});
  EXPECT_EQ(names.exit_code, 0) << names.err;
  EXPECT_EQ(std::count(names.out.begin(), names.out.end(), '\n'), 1100);
}

TEST_F(GantrydTest, DiffExitCodes) {
  std::string file = Write("web.yaml", kManifests);
  ASSERT_EQ(Ctl({"apply", "-f", file}).exit_code, 0);
  auto same = Ctl({"diff", "-f", file});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_EQ(same.out, "");
  std::string changed = kManifests;
  changed.replace(changed.find("desiredCount: 2"), 15, "desiredCount: 5");
  auto differs = Ctl({"diff", "-f", Write("changed.yaml", changed)});
  EXPECT_EQ(differs.exit_code, 1);
  EXPECT_NE(differs.out.find("-  desiredCount: 2\n+  desiredCount: 5\n"), std::string::npos)
      << differs.out;
  auto broken = Ctl({"diff", "-f", Write("broken.yaml", "kind: [")});
  EXPECT_GT(broken.exit_code, 1);
}

// A pipeline keeping the cluster equal to a directory: apply --prune --inventory deletes what
// left it and nothing else, diff --prune shows it first, a bad commit changes nothing.
// Server-side apply through gantryctl: a scale survives a re-apply that leaves desiredCount out,
// a manifest that sets it conflicts until --force-conflicts, and get and diff keep the
// ownership records out of sight unless asked.
TEST_F(GantrydTest, ApplyKeepsWhatOtherWritersSetAndReportsConflicts) {
  const std::string td = std::string(kManifests).substr(0, std::string(kManifests).find("---"));
  ASSERT_EQ(Ctl({"apply", "-f", Write("td.yaml", td)}).exit_code, 0);
  ASSERT_EQ(Ctl({"apply", "-f",
                 Write("cluster.yaml",
                       "apiVersion: gantry.dev/v1\nkind: Cluster\nmetadata: {name: default}\n")})
                .exit_code,
            0);
  const std::string without_count =
      "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: api}\n"
      "spec: {cluster: default, taskDefinition: web}\n";
  const std::string with_count =
      "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: api}\n"
      "spec: {cluster: default, taskDefinition: web, desiredCount: 1}\n";
  ASSERT_EQ(Ctl({"apply", "-f", Write("api.yaml", with_count)}).exit_code, 0);
  ASSERT_EQ(Ctl({"scale", "service", "api", "--replicas", "3"}).exit_code, 0);

  auto refused = Ctl({"apply", "-f", Write("api.yaml", with_count)});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("conflict with \"gantryctl-scale\": spec.desiredCount"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("--force-conflicts"), std::string::npos) << refused.err;
  auto diff = Ctl({"diff", "-f", Write("api.yaml", with_count)});
  EXPECT_EQ(diff.exit_code, 2) << "diff reports the conflict as apply would" << diff.out;

  auto kept = Ctl({"apply", "-f", Write("api.yaml", without_count)});
  ASSERT_EQ(kept.exit_code, 0) << kept.out << kept.err;
  EXPECT_NE(kept.out.find("service/api unchanged"), std::string::npos) << kept.out;
  EXPECT_NE(Ctl({"get", "service", "api", "-o", "yaml"}).out.find("desiredCount: 3"),
            std::string::npos);
  EXPECT_EQ(Ctl({"diff", "-f", Write("api.yaml", without_count)}).exit_code, 0)
      << "nothing to change, and the ownership records are not a difference";
  auto planned = Ctl({"apply", "-f", Write("api.yaml", without_count), "--dry-run=server"});
  EXPECT_NE(planned.out.find("desired 3,"), std::string::npos)
      << "a dry run plans what the apply would store, not the bare manifest\n"
      << planned.out << planned.err;

  auto forced_diff = Ctl({"diff", "-f", Write("api.yaml", with_count), "--force-conflicts"});
  EXPECT_EQ(forced_diff.exit_code, 1) << forced_diff.out << forced_diff.err;
  EXPECT_NE(forced_diff.out.find("+  desiredCount: 1"), std::string::npos) << forced_diff.out;
  EXPECT_EQ(forced_diff.out.find("managedFields"), std::string::npos) << forced_diff.out;
  auto forced = Ctl({"apply", "-f", Write("api.yaml", with_count), "--force-conflicts"});
  ASSERT_EQ(forced.exit_code, 0) << forced.out << forced.err;
  EXPECT_NE(forced.out.find("service/api configured"), std::string::npos) << forced.out;

  auto shown = Ctl({"get", "service", "api", "-o", "yaml"});
  EXPECT_NE(shown.out.find("desiredCount: 1"), std::string::npos) << shown.out;
  EXPECT_EQ(shown.out.find("managedFields"), std::string::npos) << shown.out;
  auto managed = Ctl({"get", "service", "api", "-o", "yaml", "--show-managed-fields"});
  EXPECT_NE(managed.out.find("manager: gantryctl\n"), std::string::npos) << managed.out;
  EXPECT_NE(managed.out.find("- spec.desiredCount"), std::string::npos) << managed.out;
  EXPECT_EQ(managed.out.find("gantryctl-scale"), std::string::npos)
      << "the forced apply took desiredCount, scale's only field" << managed.out;

  // The old behaviour on request: a plain apply replaces the spec (desiredCount back to 0).
  auto plain = Ctl({"apply", "-f", Write("api.yaml", without_count), "--server-side=false"});
  ASSERT_EQ(plain.exit_code, 0) << plain.out << plain.err;
  EXPECT_EQ(Ctl({"get", "service", "api", "-o", "yaml"}).out.find("desiredCount"),
            std::string::npos);
}

TEST_F(GantrydTest, ApplyPruneKeepsTheClusterEqualToADirectory) {
  const std::string dir = dir_.path() + "/deploy";
  std::filesystem::create_directories(dir);
  auto service = [](const std::string& name, const std::string& desired) {
    return "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: " + name +
           "}\nspec: {cluster: default, taskDefinition: web, desiredCount: " + desired + "}\n";
  };
  const std::string td = std::string(kManifests).substr(0, std::string(kManifests).find("---"));
  std::ofstream(dir + "/td.yaml") << td;
  std::ofstream(dir + "/a.yaml") << service("a", "1");
  std::ofstream(dir + "/b.yaml") << service("b", "1");
  auto first = Ctl({"apply", "-f", dir, "--prune", "--inventory", "prod"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("service/a created"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("service/b created"), std::string::npos) << first.out;
  auto inventory = Ctl({"get", "inventory", "prod"});
  EXPECT_NE(inventory.out.find("prod"), std::string::npos) << inventory.out << inventory.err;
  EXPECT_NE(inventory.out.find(" 3 "), std::string::npos) << inventory.out;
  ASSERT_EQ(Ctl({"apply", "-f", Write("by-hand.yaml", service("by-hand", "0"))}).exit_code, 0);

  // b leaves the directory: diff and a dry run say so, and only the apply deletes it.
  std::filesystem::remove(dir + "/b.yaml");
  auto drift = Ctl({"diff", "-f", dir, "--inventory", "prod", "--prune"});
  EXPECT_EQ(drift.exit_code, 1) << drift.out << drift.err;
  EXPECT_NE(drift.out.find("-  name: b\n"), std::string::npos) << drift.out;
  auto dry = Ctl({"apply", "-f", dir, "--prune", "--inventory", "prod", "--dry-run=server"});
  EXPECT_NE(dry.out.find("service/b pruned (server dry run)"), std::string::npos)
      << dry.out << dry.err;
  EXPECT_EQ(Ctl({"get", "service", "b"}).exit_code, 0) << "a dry run pruned";
  auto pruned = Ctl({"apply", "-f", dir, "--prune", "--inventory", "prod"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.out << pruned.err;
  EXPECT_NE(pruned.out.find("service/a unchanged"), std::string::npos) << pruned.out;
  EXPECT_NE(pruned.out.find("service/b pruned"), std::string::npos) << pruned.out;
  EXPECT_NE(Ctl({"get", "service", "b"}).exit_code, 0) << "b is still there";
  EXPECT_EQ(Ctl({"get", "service", "by-hand"}).exit_code, 0) << "pruned what it never applied";
  auto in_sync = Ctl({"diff", "-f", dir, "--inventory", "prod", "--prune"});
  EXPECT_EQ(in_sync.exit_code, 0) << in_sync.out << in_sync.err;

  // Another inventory may not take a's place; a bad commit neither applies nor prunes.
  auto taken = Ctl({"apply", "-f", dir + "/a.yaml", "--prune", "--inventory", "other"});
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_NE(taken.err.find("belongs to inventory \"prod\""), std::string::npos) << taken.err;
  std::filesystem::remove(dir + "/a.yaml");
  std::ofstream(dir + "/c.yaml") << service("c", "-1");
  auto bad = Ctl({"apply", "-f", dir, "--prune", "--inventory", "prod"});
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_NE(bad.err.find("c.yaml"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("spec.desiredCount"), std::string::npos) << bad.err;
  EXPECT_EQ(Ctl({"get", "service", "a"}).exit_code, 0) << "a bad commit pruned";
  EXPECT_NE(Ctl({"get", "service", "c"}).exit_code, 0) << "a bad commit applied";
  auto no_inventory = Ctl({"apply", "-f", dir, "--prune"});
  EXPECT_EQ(no_inventory.exit_code, 1);
  EXPECT_NE(no_inventory.err.find("--prune needs --inventory"), std::string::npos);
}

// gantryd keeps the cluster equal to a directory of a Git repository: a commit shows up after
// `gantryctl sync`, a bad commit stalls the Sync and changes nothing, status and wait read it.
TEST_F(GantrydTest, ASyncFollowsAGitRepository) {
  testlib::GitRepo repo(dir_.path() + "/git");
  const std::string td = std::string(kManifests).substr(0, std::string(kManifests).find("---"));
  repo.Write("clusters/prod/td.yaml", td);
  repo.Write("clusters/prod/web.yaml",
             "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: web}\n"
             "spec: {cluster: default, taskDefinition: web, desiredCount: 1}\n");
  const std::string first = repo.Commit("first");
  const std::string sync_yaml =
      "apiVersion: gantry.dev/v1\nkind: Sync\nmetadata: {name: prod}\n"
      "spec:\n  git: {url: \"" +
      repo.url() +
      "\", ref: main, path: clusters/prod}\n"
      "  interval: 10m\n  prune: true\n";
  ASSERT_EQ(Ctl({"apply", "-f", Write("sync.yaml", sync_yaml)}).exit_code, 0);
  auto ready = Ctl({"wait", "sync", "prod", "--for=condition=Ready", "--timeout=30s"});
  ASSERT_EQ(ready.exit_code, 0) << ready.out << ready.err;
  EXPECT_EQ(Ctl({"get", "service", "web"}).exit_code, 0);
  auto listed = Ctl({"get", "syncs"});
  EXPECT_NE(listed.out.find("prod"), std::string::npos) << listed.out;
  auto yaml = Ctl({"get", "sync", "prod", "-o", "yaml"});
  EXPECT_NE(yaml.out.find("lastAppliedRevision: " + first), std::string::npos) << yaml.out;

  // A new commit: web leaves, api comes; `gantryctl sync` applies it now.
  repo.Remove("clusters/prod/web.yaml");
  repo.Write("clusters/prod/api.yaml",
             "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: api}\n"
             "spec: {cluster: default, taskDefinition: web, desiredCount: 1}\n");
  const std::string second = repo.Commit("second");
  auto synced = Ctl({"sync", "prod", "--timeout=30s"});
  ASSERT_EQ(synced.exit_code, 0) << synced.out << synced.err;
  EXPECT_NE(synced.out.find("Applied revision main@" + second.substr(0, 12)), std::string::npos)
      << synced.out;
  EXPECT_EQ(Ctl({"get", "service", "api"}).exit_code, 0);
  EXPECT_NE(Ctl({"get", "service", "web"}).exit_code, 0) << "web left the directory";

  // A bad commit: the Sync stalls naming the file, the cluster keeps the last good commit.
  repo.Write("clusters/prod/api.yaml", "kind: [\n");
  repo.Commit("bad");
  auto stalled = Ctl({"sync", "prod", "--timeout=30s"});
  EXPECT_EQ(stalled.exit_code, 1) << stalled.out << stalled.err;
  EXPECT_NE(stalled.out.find("clusters/prod/api.yaml"), std::string::npos) << stalled.out;
  EXPECT_EQ(Ctl({"get", "service", "api"}).exit_code, 0) << "a bad commit pruned";
  auto health = Ctl({"status", "-f", Write("sync-only.yaml", sync_yaml)});
  EXPECT_EQ(health.exit_code, 1);
  EXPECT_NE(health.out.find("Failed"), std::string::npos) << health.out;
}

TEST_F(GantrydTest, GetTableNamesAndErrors) {
  ASSERT_EQ(Ctl({"apply", "-f", Write("web.yaml", kManifests)}).exit_code, 0);
  auto table = Ctl({"get", "svc"});
  EXPECT_EQ(table.out.substr(0, table.out.find('\n')),
            "NAME   CLUSTER   TASKDEF   DESIRED   RUNNING   PENDING   AGE");
  EXPECT_EQ(Ctl({"get", "services", "-o", "name"}).out, "service/web\n");
  EXPECT_EQ(Ctl({"get", "td", "-o", "name"}).out, "taskdefinition/web:1\n");
  auto list = Ctl({"get", "svc", "-o", "json", "-l", "app=web"});
  EXPECT_EQ(list.out.rfind("{\"items\":[{", 0), 0u) << list.out;
  auto missing = Ctl({"get", "svc", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "Error from server (NotFound): service \"nope\" not found\n");
  auto bad =
      Ctl({"apply", "-f", "-"},
          "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: x}\nspec: {replicas: 1}\n");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("line 4, column 8: spec.replicas: unknown field 'replicas'"),
            std::string::npos)
      << bad.err;
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1);
  EXPECT_EQ(Ctl({"delete", "svc", "web"}).out, "service \"web\" deleted\n");
  auto wait = Ctl({"wait", "svc", "web", "--for=delete", "--timeout=5s"});
  EXPECT_EQ(wait.exit_code, 0) << wait.err;
}

TEST_F(GantrydTest, RestartContinuesWhereItStopped) {
  ASSERT_EQ(Ctl({"apply", "-f", Write("web.yaml", kManifests)}).exit_code, 0);
  gantryd_->Signal(SIGTERM);
  EXPECT_EQ(gantryd_->Wait(10s), 0) << "gantryd did not stop cleanly on SIGTERM";
  Start();
  auto svc = Ctl({"get", "svc", "web", "-o", "yaml"});
  EXPECT_EQ(svc.exit_code, 0) << svc.err;
  EXPECT_NE(svc.out.find("resourceVersion: \"2\""), std::string::npos) << svc.out;
  std::string changed = kManifests;
  changed.replace(changed.find("desiredCount: 2"), 15, "desiredCount: 3");
  EXPECT_EQ(Ctl({"apply", "-f", Write("c.yaml", changed)}).out,
            "taskdefinition/web unchanged\nservice/web configured\n");
}

TEST_F(GantrydTest, BadInputNeverTakesTheServerDown) {
  auto http = Http();
  const std::string base = "/apis/gantry.dev/v1/services/web";
  struct Case {
    const char* name;
    std::string body;
    int status;
  };
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    bomb += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k)
      bomb += std::string(k ? ", " : "") + (i == 1 ? "*a" : "*l" + std::to_string(i - 1));
    bomb += "]\n";
  }
  const Case cases[] = {
      {"malformed", "{\"apiVersion\": ", 400},
      {"truncated",
       R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":"web"},"spec":{"desir)",
       400},
      {"unknown field",
       R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":"web"},"spec":{"x":1}})",
       400},
      {"wrong type",
       R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":"web"},"spec":{"desiredCount":[1]}})",
       400},
      {"deep nesting", deep, 400},
      {"alias bomb", bomb, 400},
      {"10 MB body", std::string(10 << 20, 'x'), 413},
      {"invalid name",
       R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":"-bad"},"spec":{"taskDefinition":"t"}})",
       400},
      {"binary junk", std::string("\x00\xff\xfe\x01", 4), 400},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string path =
        std::string(c.name) == "invalid name" ? "/apis/gantry.dev/v1/services/-bad" : base;
    auto r = http.Request("PUT", path, c.body);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, c.status) << r->body.substr(0, 200);
    EXPECT_NE(r->body.find("\"message\":"), std::string::npos) << r->body.substr(0, 200);
  }
  // A stale resourceVersion, and concurrent conflicting writes: exactly one wins.
  const std::string good =
      R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":"web"},"spec":{"taskDefinition":"t","desiredCount":1}})";
  ASSERT_EQ(http.Request("PUT", base, good)->status, 201);
  auto stale = http.Request(
      "PUT", base,
      R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":"web","resourceVersion":"999"},"spec":{"taskDefinition":"t"}})");
  EXPECT_EQ(stale->status, 409);
  // The resourceVersion once the service controller has written the status for this
  // generation (its task definition does not exist: Stalled), which it then leaves alone.
  const nlohmann::json settled = testlib::Settled([&] {
    auto got = http.Request("GET", base);
    if (!got.ok() || got->status != 200) return nlohmann::json();
    return nlohmann::json::parse(got->body, nullptr, false);
  });
  const std::string current_rv = settled["metadata"].value("resourceVersion", "");
  ASSERT_FALSE(current_rv.empty()) << settled.dump();
  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < 8; ++i) {
    writers.emplace_back([&, i] {
      auto r = Http().Request(
          "PUT", base,
          R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":"web","resourceVersion":")" +
              current_rv + R"("},"spec":{"taskDefinition":"t","desiredCount":)" +
              std::to_string(10 + i) + "}}");
      if (r.ok() && r->status == 200) ++wins;
      if (r.ok() && r->status == 409) ++conflicts;
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(wins, 1);
  EXPECT_EQ(conflicts, 7);
  EXPECT_TRUE(gantryd_->running());
  EXPECT_EQ(http.Request("GET", "/healthz")->status, 200);
}

TEST_F(GantrydTest, TokenAuthentication) {
  gantryd_.reset();
  std::string tokens =
      Write("tokens.csv",
            "# token,user,role\nadmin-secret-1,alice,admin\nviewer-secret-1,carol,viewer\n");
  port_ = testlib::FreePort();
  server_ = "http://127.0.0.1:" + std::to_string(port_);
  gantryd_ = std::make_unique<testlib::Process>(
      std::vector<std::string>{
          testlib::BinDir() + "/gantryd", "--data-dir", dir_.path() + "/auth-data", "--listen",
          "127.0.0.1:" + std::to_string(port_), "--grpc-listen",
          "127.0.0.1:" + std::to_string(testlib::FreePort()), "--token-file", tokens},
      dir_.path() + "/gantryd-auth.log");
  ASSERT_TRUE(testlib::Eventually([&] { return Http().Request("GET", "/readyz").ok(); }, 10s));
  std::string file = Write("web.yaml", kManifests);
  auto anonymous = Ctl({"apply", "-f", file});
  EXPECT_EQ(anonymous.exit_code, 1);
  EXPECT_EQ(anonymous.err.rfind("Error from server (Unauthorized): ", 0), 0u) << anonymous.err;
  auto wrong = Ctl({"get", "svc", "--token", "not-a-token"});
  EXPECT_NE(wrong.err.find("invalid bearer token"), std::string::npos) << wrong.err;
  auto viewer_write = Ctl({"apply", "-f", file, "--token", "viewer-secret-1"});
  EXPECT_EQ(viewer_write.exit_code, 1);
  EXPECT_NE(viewer_write.err.find("(Forbidden): user \"carol\" (viewer) may only read"),
            std::string::npos)
      << viewer_write.err;
  auto admin = Ctl({"apply", "-f", file, "--token", "admin-secret-1"});
  EXPECT_EQ(admin.exit_code, 0) << admin.err;
  setenv("GANTRY_TOKEN", "viewer-secret-1", 1);
  auto read = Ctl({"get", "svc", "-o", "name"});
  unsetenv("GANTRY_TOKEN");
  EXPECT_EQ(read.out, "service/web\n") << read.err;
  EXPECT_EQ(Http().Request("GET", "/metrics")->status, 401);
  EXPECT_EQ(Http().Request("GET", "/healthz")->status, 200);
  // Off loopback without authentication is refused.
  auto refused = RunCommand(
      {testlib::BinDir() + "/gantryd", "--data-dir", dir_.path() + "/x", "--listen", "0.0.0.0:1"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("refusing to listen on 0.0.0.0 without authentication"),
            std::string::npos)
      << refused.err;
  auto bad_tokens = RunCommand({testlib::BinDir() + "/gantryd", "--data-dir", dir_.path() + "/x",
                                "--token-file", Write("bad.csv", "x-long-token,u,root\n")});
  EXPECT_EQ(bad_tokens.exit_code, 2);
  EXPECT_NE(bad_tokens.err.find("line 1: unknown role 'root'"), std::string::npos)
      << bad_tokens.err;
}

TEST_F(GantrydTest, WatchesOfDepartedClientsEnd) {
  auto watch_streams = [&] {
    auto m = Http().Request("GET", "/metrics");
    size_t at = m->body.find("\ngantry_watch_streams ");
    return at == std::string::npos ? -1 : std::stoi(m->body.substr(at + 22));
  };
  std::vector<std::thread> clients;
  for (int i = 0; i < 5; ++i) {
    clients.emplace_back([&] {
      // Read one event, then hang up.
      (void)Http().Stream(
          "/apis/gantry.dev/v1/services?watch=1&resourceVersion=0",
          [](const std::string& line) { return line.find("\"ADDED\"") == std::string::npos; }, 10s);
    });
  }
  ASSERT_TRUE(testlib::Eventually([&] { return watch_streams() == 5; }, 5s));
  ASSERT_EQ(Ctl({"apply", "-f", Write("web.yaml", kManifests)}).exit_code, 0);
  for (auto& t : clients) t.join();
  // Later events find nobody reading: the streams end instead of buffering for nobody.
  std::string changed = kManifests;
  for (int i = 3; i < 8 && watch_streams() > 0; ++i) {
    changed.replace(changed.find("desiredCount: "), 15, "desiredCount: " + std::to_string(i));
    ASSERT_EQ(Ctl({"apply", "-f", Write("c.yaml", changed)}).exit_code, 0);
    std::this_thread::sleep_for(300ms);
  }
  EXPECT_TRUE(testlib::Eventually([&] { return watch_streams() == 0; }, 5s)) << watch_streams();
}

TEST_F(GantrydTest, ExpectContinueRequestsAreServed) {
  // A client that announces `Expect: 100-continue` and sends its body without waiting for the
  // interim response (curl waits 1 s for it, then does the same).
  std::string body =
      R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":"web","annotations":{"pad":")" +
      std::string(2000, 'x') + R"("}},"spec":{"taskDefinition":"web","desiredCount":1}})";
  std::string request =
      "PUT /apis/gantry.dev/v1/services/web HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nExpect: 100-continue\r\nConnection: close\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    response.append(buf, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_EQ(response.rfind("HTTP/1.1 201", 0), 0u) << response.substr(0, 200);
  EXPECT_NE(Ctl({"get", "svc", "web", "-o", "name"}).out.find("service/web"), std::string::npos);
}

TEST_F(GantrydTest, MetricsAreServedAndValid) {
  ASSERT_EQ(Ctl({"apply", "-f", Write("web.yaml", kManifests)}).exit_code, 0);
  ASSERT_EQ(Ctl({"get", "svc", "nope"}).exit_code, 1);
  auto metrics = Http().Request("GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  ASSERT_EQ(metrics->status, 200);
  const std::string& text = metrics->body;
  for (const char* expected : {
           "gantry_api_requests_total{code=\"201\",resource=\"services\",verb=\"PATCH\"} 1",
           "gantry_api_requests_total{code=\"404\",resource=\"services\",verb=\"GET\"} 1",
           "gantry_api_request_duration_seconds_bucket{resource=\"services\",verb=\"PATCH\",le=",
           "gantry_store_commit_duration_seconds_count 2",
           "gantry_store_revision 2",
           "gantry_store_db_size_bytes ",
           "gantry_watch_streams 0",
           "process_resident_memory_bytes ",
           "process_cpu_seconds_total ",
           // The controllers gantryd runs, under controller-runtime's names.
           "controller_runtime_reconcile_total{controller=\"cluster\",result=\"success\"} ",
           "controller_runtime_reconcile_total{controller=\"gc\",result=\"success\"} ",
           "controller_runtime_active_workers{controller=\"gc\"} ",
           "controller_runtime_active_workers{controller=\"instance\"} ",
           "controller_runtime_active_workers{controller=\"events\"} ",
           "workqueue_depth{name=\"cluster\"} ",
           "workqueue_depth{name=\"instance\"} ",
           "workqueue_depth{name=\"events\"} ",
       }) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
  }
  // Object names are labels only where the series is per workload (a Service's task counts),
  // never elsewhere: labels stay bounded by what users declare, never by tasks or requests.
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"web\"") != std::string::npos) {
      EXPECT_TRUE(line.starts_with("gantry_service_")) << line;
    }
  }
  // Prometheus' own linter agrees with the exposition.
  auto lint = RunCommand({"/usr/bin/promtool", "check", "metrics"}, text);
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
}

TEST_F(GantrydTest, EventsGoWhenTheirRetentionEnds) {
  gantryd_->Signal(SIGTERM);
  ASSERT_EQ(gantryd_->Wait(10s), 0);
  Start({"--event-retention", "2s"});
  const std::string event = R"({"apiVersion":"gantry.dev/v1","kind":"Event",
      "metadata":{"name":"note"},
      "spec":{"involvedObject":{"kind":"Task","name":"t-1"},"type":"Normal","reason":"Started",
              "message":"task t-1 RUNNING","count":1}})";
  auto created = Http().Request("PUT", "/apis/gantry.dev/v1/events/note", event);
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->status, 201) << created->body;
  // Its creation time counts (it has no lastTimestamp): gone two seconds later, by the gc
  // controller, with nothing else asking.
  EXPECT_TRUE(testlib::Eventually(
      [&] {
        auto got = Http().Request("GET", "/apis/gantry.dev/v1/events/note");
        return got.ok() && got->status == 404;
      },
      15s));
}

TEST_F(GantrydTest, KillDashNineLosesNoAcknowledgedWrite) {
  // Clients update their own service in a loop and remember the last acknowledged value; after
  // kill -9 and a restart each service holds that value, or the one that was in flight.
  constexpr int kClients = 8;
  for (int cycle = 0; cycle < 3; ++cycle) {
    std::mutex mu;
    std::map<int, std::pair<int, int>> acked_and_inflight;  // client -> (acked, in flight)
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        auto http = Http();
        for (int v = 1; !stop; ++v) {
          {
            std::lock_guard lock(mu);
            acked_and_inflight[c].second = v;
          }
          std::string body =
              R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":"svc-)" +
              std::to_string(c) + R"("},"spec":{"taskDefinition":"t","desiredCount":)" +
              std::to_string(v) + "}}";
          auto r =
              http.Request("PUT", "/apis/gantry.dev/v1/services/svc-" + std::to_string(c), body);
          if (!r.ok()) return;  // the server died
          if (r->status == 200 || r->status == 201) {
            std::lock_guard lock(mu);
            acked_and_inflight[c].first = v;
          }
        }
      });
    }
    std::this_thread::sleep_for(400ms);
    gantryd_->Signal(SIGKILL);
    gantryd_->Wait(5s);
    stop = true;
    for (auto& t : clients) t.join();

    auto check = RunCommand(
        {"/usr/bin/sqlite3", dir_.path() + "/data/gantry.db", "PRAGMA integrity_check;"});
    EXPECT_EQ(check.out, "ok\n") << check.err;
    Start();
    int acknowledged = 0;
    for (const auto& [c, values] : acked_and_inflight) acknowledged += values.first > 0;
    ASSERT_GT(acknowledged, kClients / 2)
        << "too few writes were acknowledged for the test to mean anything";
    for (const auto& [c, values] : acked_and_inflight) {
      if (values.first == 0) continue;
      auto got = Http().Request("GET", "/apis/gantry.dev/v1/services/svc-" + std::to_string(c));
      ASSERT_EQ(got->status, 200) << "cycle " << cycle << " client " << c << " lost its service";
      size_t at = got->body.find("\"desiredCount\":") + 15;
      int stored = std::stoi(got->body.substr(at));
      EXPECT_TRUE(stored == values.first || stored == values.second)
          << "cycle " << cycle << " client " << c << ": acknowledged " << values.first
          << ", in flight " << values.second << ", stored " << stored;
    }
  }
}

}  // namespace
}  // namespace gantry
