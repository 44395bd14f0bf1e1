// TaskRunner over the real process driver: what it starts, stops and reports.
#include "agent/task_runner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace gantry::agent {
namespace {

v1::TaskDefinition Definition(std::vector<std::vector<std::string>> commands,
                              std::vector<bool> essential = {}) {
  v1::TaskDefinition td;
  td.mutable_metadata()->set_name("app:1");
  for (size_t i = 0; i < commands.size(); ++i) {
    auto* c = td.mutable_spec()->add_containers();
    c->set_name("c" + std::to_string(i));
    for (const auto& arg : commands[i]) c->add_command(arg);
    if (i < essential.size()) c->set_essential(essential[i]);
    c->set_stop_timeout(1);
  }
  return td;
}

v1::Task Task(const std::string& id, const std::string& desired = "RUNNING") {
  v1::Task t;
  t.mutable_metadata()->set_name(id);
  t.mutable_spec()->set_desired_status(desired);
  t.mutable_spec()->set_task_definition("app:1");
  t.mutable_status()->set_last_status("PENDING");
  return t;
}

class TaskRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("task-runner-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    driver_ = std::make_unique<ProcessDriver>(dir_.string());
  }
  void TearDown() override {
    for (const auto& id : {"t1", "t2"}) (void)driver_->RemoveTask(id);
    std::filesystem::remove_all(dir_);
  }
  // Steps until a report with `status` comes (or 10 s pass).
  std::optional<v1::TaskStateReport> StepUntil(TaskRunner& r, const v1::TaskDefinition& td,
                                               const std::string& status) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      auto report = r.Step(&td);
      if (report && report->last_status() == status) return report;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
  }

  std::filesystem::path dir_;
  std::unique_ptr<ProcessDriver> driver_;
};

TEST_F(TaskRunnerTest, EssentialExitStopsTheTaskWithItsExitCode) {
  auto td = Definition({{"/bin/sh", "-c", "echo hello; exit 3"}, {"sleep", "1000"}});
  TaskRunner r(*driver_, "i-1", Task("t1"));
  auto running = r.Step(&td);
  ASSERT_TRUE(running);
  EXPECT_EQ(running->last_status(), "RUNNING");
  EXPECT_EQ(running->container_instance(), "i-1");
  auto stopped = StepUntil(r, td, "STOPPED");
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->stopped_reason(), "Essential container in task exited");
  EXPECT_EQ(stopped->stop_code(), "EssentialContainerExited");
  ASSERT_EQ(stopped->containers_size(), 2);
  EXPECT_EQ(stopped->containers(0).exit_code(), 3);
  EXPECT_EQ(stopped->containers(1).exit_code(), 143);  // the sidecar got SIGTERM
  EXPECT_EQ(r.phase(), TaskRunner::Phase::kStopped);
}

TEST_F(TaskRunnerTest, DesiredStoppedStopsRunningTask) {
  auto td = Definition({{"sleep", "1000"}});
  TaskRunner r(*driver_, "i-1", Task("t1"));
  ASSERT_EQ(r.Step(&td)->last_status(), "RUNNING");
  EXPECT_FALSE(r.Step(&td));  // nothing changed
  auto t = Task("t1", "STOPPED");
  t.mutable_spec()->set_stopped_reason("Task stopped by user");
  r.Update(t);
  auto stopped = StepUntil(r, td, "STOPPED");
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->stopped_reason(), "Task stopped by user");
  EXPECT_EQ(stopped->containers(0).exit_code(), 143);
}

TEST_F(TaskRunnerTest, NonEssentialExitKeepsTaskRunning) {
  auto td = Definition({{"sleep", "1000"}, {"/bin/sh", "-c", "exit 0"}}, {true, false});
  TaskRunner r(*driver_, "i-1", Task("t1"));
  ASSERT_EQ(r.Step(&td)->last_status(), "RUNNING");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool saw_exit = false;
  while (!saw_exit && std::chrono::steady_clock::now() < deadline) {
    if (auto report = r.Step(&td)) {
      EXPECT_EQ(report->last_status(), "RUNNING");
      saw_exit = report->containers(1).last_status() == "STOPPED";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(saw_exit);
  EXPECT_EQ(r.phase(), TaskRunner::Phase::kRunning);
}

TEST_F(TaskRunnerTest, ImageWithoutCommandStopsWithClearReason) {
  auto td = Definition({{}});
  td.mutable_spec()->mutable_containers(0)->set_image("nginx:latest");
  TaskRunner r(*driver_, "i-1", Task("t1"));
  auto report = r.Step(&td);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->last_status(), "STOPPED");
  EXPECT_EQ(report->stop_code(), "TaskFailedToStart");
  EXPECT_NE(report->stopped_reason().find("has image 'nginx:latest' but no command"),
            std::string::npos)
      << report->stopped_reason();
}

TEST_F(TaskRunnerTest, MissingBinaryFailsToStart) {
  auto td = Definition({{"/no/such/binary"}});
  TaskRunner r(*driver_, "i-1", Task("t1"));
  auto report = r.Step(&td);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->last_status(), "STOPPED");
  EXPECT_EQ(report->stop_code(), "TaskFailedToStart");
  EXPECT_NE(report->stopped_reason().find("CannotStartContainerError"), std::string::npos);
}

TEST_F(TaskRunnerTest, StoppedBeforeStartNeverRuns) {
  auto t = Task("t1", "STOPPED");
  TaskRunner r(*driver_, "i-1", t);
  auto report = r.Step(nullptr);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->last_status(), "STOPPED");
  EXPECT_FALSE(driver_->Poll("t1", "c0").ok());
}

TEST_F(TaskRunnerTest, AdoptedTaskIsObservedAfterRestart) {
  auto td = Definition({{"/bin/sh", "-c", "sleep 0.3; exit 7"}});
  {
    TaskRunner first(*driver_, "i-1", Task("t1"));
    ASSERT_EQ(first.Step(&td)->last_status(), "RUNNING");
  }  // the agent "restarts": a new runner adopts what the driver recorded
  auto recorded = driver_->Recorded();
  ASSERT_TRUE(recorded.ok());
  auto t = Task("t1");
  t.mutable_status()->set_last_status("RUNNING");
  TaskRunner second(*driver_, "i-1", t);
  second.Adopt(*recorded);
  auto stopped = StepUntil(second, td, "STOPPED");
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->containers(0).exit_code(), 7);
}

// The agent of a lost instance comes back: gantryd has recorded its task STOPPED ("Container
// instance lost") without asking through desiredStatus; the process it finds still running stops.
TEST_F(TaskRunnerTest, AdoptedTaskThatGantrydRecordedStoppedIsStopped) {
  auto td = Definition({{"sleep", "1000"}});
  {
    TaskRunner first(*driver_, "i-1", Task("t1"));
    ASSERT_EQ(first.Step(&td)->last_status(), "RUNNING");
  }
  auto recorded = driver_->Recorded();
  ASSERT_TRUE(recorded.ok());
  auto t = Task("t1");
  t.mutable_status()->set_last_status("STOPPED");
  t.mutable_status()->set_stopped_reason("Container instance lost");
  TaskRunner second(*driver_, "i-1", t);
  second.Adopt(*recorded);
  auto stopped = StepUntil(second, td, "STOPPED");
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->containers(0).exit_code(), 143);
  EXPECT_EQ(second.phase(), TaskRunner::Phase::kStopped);
}

}  // namespace
}  // namespace gantry::agent
