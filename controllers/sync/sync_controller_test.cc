#include "controllers/sync/sync_controller.h"

#include <gtest/gtest.h>

#include "api/clock/fake_clock.h"
#include "api/schema/kinds.h"
#include "api/service/local_client.h"
#include "controllers/runtime/manager.h"
#include "store/memory/memory_store.h"
#include "tests/testlib/eventually.h"
#include "tests/testlib/git_repo.h"
#include "tests/testlib/testlib.h"

namespace gantry::controllers::sync {
namespace {

constexpr const char* kTaskDefinition = R"(apiVersion: gantry.dev/v1
kind: TaskDefinition
metadata: {name: web}
spec:
  containers: [{name: app, command: ["sleep", "3600"], cpu: 64, memory: 32}]
)";

std::string ServiceYaml(const std::string& name, int desired) {
  return "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: " + name +
         "}\nspec: {cluster: default, taskDefinition: web, desiredCount: " +
         std::to_string(desired) + "}\n";
}

// The controller's reconcile called by the test (no workers), against the in-process client on
// a memory store, fetching from a repository the test commits to.
class SyncControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    controller_ = std::make_unique<SyncController>(client_, clock_, manager_.informers(), source_,
                                                   runtime::ControllerOptions{});
    ASSERT_TRUE(manager_.Start(std::chrono::seconds(10)).ok());
  }
  void TearDown() override { manager_.Stop(); }

  void ApplySync(bool prune = true, bool suspend = false, const std::string& path = "deploy",
                 const std::string& secret = "") {
    v1::Sync sync;
    schema::SetTypeMeta(sync, *schema::FindKind("Sync"));
    sync.mutable_metadata()->set_name("prod");
    sync.mutable_spec()->mutable_git()->set_url(repo_.url());
    sync.mutable_spec()->mutable_git()->set_path(path);
    sync.mutable_spec()->set_prune(prune);
    sync.mutable_spec()->set_suspend(suspend);
    sync.mutable_spec()->mutable_git()->mutable_secret_ref()->set_name(secret);
    auto applied = objects_.Apply(sync);
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
    const std::string rv = schema::MetaOf(*applied->object).resource_version();
    ASSERT_TRUE(testlib::Eventually(
        [&] {
          auto cached = manager_.informers().For(*schema::FindKind("Sync")).Get("prod");
          return cached && runtime::RevisionOf(*cached) >= std::stoll(rv);
        },
        std::chrono::seconds(10)));
  }
  // One pass, then the Sync as stored.
  v1::Sync Pass() {
    auto outcome = controller_->Reconcile("prod");
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    auto stored = objects_.Get(*schema::FindKind("Sync"), "prod");
    EXPECT_TRUE(stored.ok());
    v1::Sync sync = static_cast<const v1::Sync&>(**stored);
    // The next pass reads the status it just wrote.
    const std::string rv = sync.metadata().resource_version();
    EXPECT_TRUE(testlib::Eventually(
        [&] {
          auto cached = manager_.informers().For(*schema::FindKind("Sync")).Get("prod");
          return cached && schema::MetaOf(*cached).resource_version() == rv;
        },
        std::chrono::seconds(10)));
    return sync;
  }
  bool Exists(const std::string& kind, const std::string& name) {
    return objects_.Get(*schema::FindKind(kind), name).ok();
  }
  int DesiredOf(const std::string& service) {
    auto s = objects_.Get(*schema::FindKind("Service"), service);
    return s.ok() ? static_cast<const v1::Service&>(**s).spec().desired_count() : -1;
  }
  static std::string Condition(const v1::Sync& sync, const std::string& type) {
    for (const auto& c : sync.status().conditions())
      if (c.type() == type) return c.status() + " " + c.reason() + ": " + c.message();
    return "";
  }

  testlib::TempDir dir_;
  testlib::GitRepo repo_{dir_.path()};
  GitSource source_{dir_.path() + "/cache"};
  clock::FakeClock clock_;
  store::MemoryStore store_;
  api::ObjectService objects_{store_, clock_};
  api::LocalClient client_{objects_};
  runtime::Manager manager_{client_, clock_};
  std::unique_ptr<SyncController> controller_;
};

TEST_F(SyncControllerTest, TheClusterFollowsCommitsAndABadCommitChangesNothing) {
  repo_.Write("deploy/td.yaml", kTaskDefinition);
  repo_.Write("deploy/web.yaml", ServiceYaml("web", 2));
  repo_.Write("deploy/api.yaml", ServiceYaml("api", 1));
  repo_.Write("other/ignored.yaml", ServiceYaml("ignored", 1));
  const std::string first = repo_.Commit("first");
  ApplySync();
  v1::Sync sync = Pass();
  EXPECT_EQ(sync.status().last_applied_revision(), first);
  EXPECT_EQ(sync.status().members(), 3);
  EXPECT_EQ(Condition(sync, "Ready"), "True Applied: Applied revision main@" + first.substr(0, 12));
  EXPECT_EQ(DesiredOf("web"), 2);
  EXPECT_TRUE(Exists("Service", "api"));
  EXPECT_FALSE(Exists("Service", "ignored"));

  // A commit: web scaled, api removed (pruned).
  repo_.Write("deploy/web.yaml", ServiceYaml("web", 4));
  repo_.Remove("deploy/api.yaml");
  const std::string second = repo_.Commit("second");
  sync = Pass();
  EXPECT_EQ(sync.status().last_applied_revision(), second);
  EXPECT_EQ(DesiredOf("web"), 4);
  EXPECT_FALSE(Exists("Service", "api"));

  // A bad commit: a manifest the server refuses, and web removed. Nothing changes.
  repo_.Remove("deploy/web.yaml");
  repo_.Write("deploy/bad.yaml", ServiceYaml("bad", -1));
  const std::string bad = repo_.Commit("bad");
  sync = Pass();
  EXPECT_EQ(sync.status().last_applied_revision(), second);
  EXPECT_EQ(sync.status().last_attempted_revision(), bad);
  EXPECT_NE(Condition(sync, "Stalled").find("True ApplyRefused: "), std::string::npos)
      << Condition(sync, "Stalled");
  EXPECT_NE(Condition(sync, "Stalled").find("deploy/bad.yaml: document 1, line 1"),
            std::string::npos)
      << Condition(sync, "Stalled");
  EXPECT_TRUE(Exists("Service", "web")) << "a bad commit pruned";
  EXPECT_FALSE(Exists("Service", "bad"));

  // Malformed YAML is the commit's too, named by file and line.
  repo_.Write("deploy/bad.yaml", "kind: [\n");
  repo_.Commit("worse");
  sync = Pass();
  EXPECT_NE(Condition(sync, "Stalled").find("True InvalidManifest: deploy/bad.yaml"),
            std::string::npos)
      << Condition(sync, "Stalled");

  // The revert: back to the second commit's tree.
  repo_.Remove("deploy/bad.yaml");
  repo_.Write("deploy/web.yaml", ServiceYaml("web", 4));
  const std::string revert = repo_.Commit("revert");
  sync = Pass();
  EXPECT_EQ(sync.status().last_applied_revision(), revert);
  EXPECT_EQ(Condition(sync, "Stalled").substr(0, 5), "False");
  EXPECT_TRUE(Exists("Service", "web"));
}

TEST_F(SyncControllerTest, DriftIsPutBackAndReported) {
  repo_.Write("deploy/td.yaml", kTaskDefinition);
  repo_.Write("deploy/web.yaml", ServiceYaml("web", 2));
  repo_.Commit("first");
  ApplySync();
  Pass();
  // Someone scales by hand.
  auto live = objects_.Get(*schema::FindKind("Service"), "web");
  ASSERT_TRUE(live.ok());
  v1::Service scaled = static_cast<const v1::Service&>(**live);
  scaled.mutable_metadata()->clear_resource_version();
  scaled.mutable_spec()->set_desired_count(7);
  ASSERT_TRUE(objects_.Apply(scaled).ok());
  v1::Sync sync = Pass();
  EXPECT_EQ(DesiredOf("web"), 2);
  ASSERT_EQ(sync.status().drift_size(), 1);
  EXPECT_EQ(sync.status().drift(0), "service/web");
  sync = Pass();
  EXPECT_EQ(sync.status().drift_size(), 0) << "no drift the second time";
}

TEST_F(SyncControllerTest, WithoutPruneNothingIsDeletedAndSuspendStopsPasses) {
  repo_.Write("deploy/td.yaml", kTaskDefinition);
  repo_.Write("deploy/web.yaml", ServiceYaml("web", 2));
  repo_.Commit("first");
  ApplySync(/*prune=*/false);
  Pass();
  repo_.Remove("deploy/web.yaml");
  repo_.Commit("web leaves");
  Pass();
  EXPECT_TRUE(Exists("Service", "web")) << "pruned with prune: false";

  ApplySync(/*prune=*/true, /*suspend=*/true);
  v1::Sync sync = Pass();
  EXPECT_TRUE(Exists("Service", "web")) << "a suspended Sync applied";
  EXPECT_NE(Condition(sync, "Ready").find("Suspended"), std::string::npos);
  ApplySync(/*prune=*/true, /*suspend=*/false);
  Pass();
  EXPECT_FALSE(Exists("Service", "web")) << "pruning on again: web left the directory";
}

TEST_F(SyncControllerTest, WhatARepositoryMayNotDeclareIsRefused) {
  repo_.Write("deploy/task.yaml",
              "apiVersion: gantry.dev/v1\nkind: Task\nmetadata: {name: t}\n"
              "spec: {cluster: default, taskDefinition: web:1}\n");
  repo_.Commit("a task");
  ApplySync();
  v1::Sync sync = Pass();
  EXPECT_NE(Condition(sync, "Stalled").find("a Task is not synced from Git"), std::string::npos)
      << Condition(sync, "Stalled");
  EXPECT_FALSE(Exists("Task", "t"));
  // A missing path stalls too, naming it.
  ApplySync(true, false, "clusters/prod");
  sync = Pass();
  EXPECT_NE(Condition(sync, "Stalled").find("True GitFetchFailed: "), std::string::npos)
      << Condition(sync, "Stalled");
}

TEST_F(SyncControllerTest, ASecretNamedButMissingIsWaitedForThenUsed) {
  repo_.Write("deploy/td.yaml", kTaskDefinition);
  repo_.Commit("first");
  ApplySync(true, false, "deploy", "git-creds");
  v1::Sync sync = Pass();
  EXPECT_EQ(Condition(sync, "Ready").rfind("False SecretNotFound: ", 0), 0u)
      << Condition(sync, "Ready");
  EXPECT_NE(Condition(sync, "Ready").find("secret \"git-creds\" (spec.git.secretRef)"),
            std::string::npos);
  EXPECT_EQ(Condition(sync, "Stalled").rfind("True", 0), std::string::npos)
      << "a Secret made later is used at the next pass: " << Condition(sync, "Stalled");
  EXPECT_FALSE(Exists("TaskDefinition", "web"));

  v1::Secret secret;
  schema::SetTypeMeta(secret, *schema::FindKind("Secret"));
  secret.mutable_metadata()->set_name("git-creds");
  (*secret.mutable_spec()->mutable_data())["username"] = "ci-bot";
  (*secret.mutable_spec()->mutable_data())["password"] = "hunter2-token";
  ASSERT_TRUE(objects_.Apply(secret).ok());
  sync = Pass();
  EXPECT_EQ(Condition(sync, "Ready").rfind("True Applied", 0), 0u) << Condition(sync, "Ready");
  EXPECT_TRUE(Exists("TaskDefinition", "web"));
  EXPECT_EQ(sync.DebugString().find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace gantry::controllers::sync
