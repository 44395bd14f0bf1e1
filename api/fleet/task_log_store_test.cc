// Task output in gantryd: only the containers of the task's definition may have output, any valid
// container name (dots included) is read back, and the files are private (dirs 0700, files 0600).
#include "api/fleet/task_log_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "api/fleet/agent_backend.h"
#include "api/fleet/private_dir.h"
#include "api/fleet/task_log_reader.h"
#include "api/fleet/testing/fleet_harness.h"

namespace gantry::fleet {
namespace {

int ModeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

std::string FreshDir(const std::string& name) {
  std::string tmpl = ::testing::TempDir() + "/" + name + "_XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return "";
  return tmpl;
}

std::string ReadAll(TaskLogReader& reader) {
  std::string out;
  while (reader.Next(out) == TaskLogReader::Poll::kData) {
  }
  return out;
}

class TaskLogTest : public testing::FleetHarness {
 protected:
  void SetUp() override {
    FleetHarness::SetUp();
    // Two containers, one with a dot in its name, as validation allows.
    v1::TaskDefinition td;
    td.set_api_version("gantry.dev/v1");
    td.set_kind("TaskDefinition");
    td.mutable_metadata()->set_name("dotted");
    for (const char* name : {"app.v2", "app"}) {
      auto* c = td.mutable_spec()->add_containers();
      c->set_name(name);
      c->add_command("/bin/true");
      c->set_memory(16);
    }
    ASSERT_TRUE(objects_.Apply(td).ok());
    RegisterNine();
    LaunchRequest req;
    req.cluster = "demo";
    req.task_definition = "dotted";
    req.container_instances = {"i-00"};
    auto started = tasks_.StartTask(req);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    ASSERT_EQ(started->tasks.size(), 1u);
    task_ = started->tasks[0]->metadata().name();
    root_ = FreshDir("task_logs");
    ASSERT_FALSE(root_.empty());
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  v1::AppendTaskLogsRequest Chunks(std::vector<std::pair<std::string, std::string>> items) {
    v1::AppendTaskLogsRequest req;
    req.set_container_instance("i-00");
    for (const auto& [container, data] : items) {
      auto* chunk = req.add_chunks();
      chunk->set_task(task_);
      chunk->set_container(container);
      chunk->set_stream("stdout");
      chunk->set_data(data);
    }
    return req;
  }

  std::string task_;
  std::string root_;
};

TEST_F(TaskLogTest, OnlyTheDefinitionsContainersHaveOutput) {
  TaskLogStore logs(root_ + "/logs");
  AgentBackend backend(instances_, tasks_, logs);
  ASSERT_TRUE(backend.AppendLogs(Chunks({{"app.v2", "v2 says hi\n"}, {"app", "app too\n"}})).ok());

  // A name the definition does not have is refused, and nothing of that batch is written.
  auto refused = backend.AppendLogs(Chunks({{"app", "more\n"}, {"evil-1", "x"}}));
  EXPECT_EQ(refused.code(), api::Code::kInvalidArgument);
  EXPECT_EQ(refused.field(), "chunks[1].container");
  EXPECT_NE(refused.message().find("app.v2, app"), std::string::npos) << refused.message();
  EXPECT_EQ(logs.Containers(task_), (std::vector<std::string>{"app", "app.v2"}));
  for (int i = 0; i < 12; ++i) {
    EXPECT_FALSE(backend.AppendLogs(Chunks({{"c" + std::to_string(i), "x"}})).ok());
  }
  EXPECT_EQ(logs.Containers(task_).size(), 2u);
  auto app = logs.Read(task_, "app", "stdout", 0, 1 << 20);
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(*app, "app too\n");
}

TEST_F(TaskLogTest, ContainerNamesWithDotsAreReadBack) {
  TaskLogStore logs(root_ + "/logs");
  ASSERT_TRUE(logs.Append(task_, "app.v2", "stdout", 0, "from v2\n").ok());
  ASSERT_TRUE(logs.Append(task_, "app.v2", "stderr", 0, "v2 err\n").ok());
  ASSERT_TRUE(logs.Append(task_, "app", "stdout", 0, "from app\n").ok());
  EXPECT_EQ(logs.Containers(task_), (std::vector<std::string>{"app", "app.v2"}));

  TaskLogReader one(logs, fleet_, task_, "app.v2", false);
  EXPECT_EQ(ReadAll(one), "from v2\nv2 err\n");
  TaskLogReader all(logs, fleet_, task_, "", false);
  std::string everything = ReadAll(all);
  EXPECT_NE(everything.find("from v2\n"), std::string::npos) << everything;
  EXPECT_NE(everything.find("v2 err\n"), std::string::npos) << everything;
  EXPECT_NE(everything.find("from app\n"), std::string::npos) << everything;
}

TEST_F(TaskLogTest, DirectoriesAre0700AndFiles0600WhateverTheUmask) {
  mode_t old = ::umask(0);
  TaskLogStore logs(root_ + "/logs");
  ASSERT_TRUE(logs.Init().ok());
  EXPECT_EQ(ModeOf(root_ + "/logs"), 0700);
  ASSERT_TRUE(logs.Append(task_, "app", "stdout", 0, "secret\n").ok());
  EXPECT_EQ(ModeOf(root_ + "/logs/" + task_), 0700);
  EXPECT_EQ(ModeOf(root_ + "/logs/" + task_ + "/app.stdout.log"), 0600);
  ::umask(old);

  // A log dir an older gantryd left open is tightened.
  ASSERT_EQ(::chmod((root_ + "/logs").c_str(), 0755), 0);
  TaskLogStore again(root_ + "/logs");
  ASSERT_TRUE(again.Init().ok());
  EXPECT_EQ(ModeOf(root_ + "/logs"), 0700);
  // And one created lazily by the first append is private too.
  TaskLogStore lazy(root_ + "/lazy");
  ASSERT_TRUE(lazy.Append(task_, "app", "stdout", 0, "x").ok());
  EXPECT_EQ(ModeOf(root_ + "/lazy"), 0700);
}

TEST(PrivateDirTest, CreatesTightensAndRefuses) {
  std::string root = FreshDir("private_dir");
  ASSERT_FALSE(root.empty());
  mode_t old = ::umask(0);
  ASSERT_TRUE(EnsurePrivateDir(root + "/a/b/data").ok());
  EXPECT_EQ(ModeOf(root + "/a/b/data"), 0700);
  ::umask(old);
  ASSERT_EQ(::chmod((root + "/a/b/data").c_str(), 0777), 0);
  ASSERT_TRUE(EnsurePrivateDir(root + "/a/b/data").ok());
  EXPECT_EQ(ModeOf(root + "/a/b/data"), 0700);
  std::ofstream(root + "/file") << "x";
  auto not_dir = EnsurePrivateDir(root + "/file");
  EXPECT_EQ(not_dir.code(), api::Code::kFailedPrecondition);
  EXPECT_NE(not_dir.message().find(root + "/file"), std::string::npos) << not_dir.message();
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace gantry::fleet
