#pragma once

// One task on this machine: starts its containers through the process driver, stops them when
// the server asks or an essential container ends, and says what to report. The agent's loop
// calls Step(); the runner never blocks (stops are signals with a deadline the shim keeps).
//
//   new ──start ok──▶ running ──desired STOPPED / essential exit──▶ stopping ──all ended──▶ stopped
//    │                                                                                       ▲
//    └── no command, exec failure, stopped before start ────────────────────────────────────┘

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/driver/process_driver.h"
#include "gantry/v1/agent.pb.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::agent {

inline constexpr std::chrono::seconds kDefaultStopTimeout{30};

class TaskRunner {
 public:
  enum class Phase { kNew, kRunning, kStopping, kStopped };

  TaskRunner(ProcessDriver& driver, std::string instance, v1::Task task)
      : driver_(driver), instance_(std::move(instance)), task_(std::move(task)) {}

  // The server's latest view of the task.
  void Update(const v1::Task& task) { task_ = task; }
  bool stopped() const { return phase_ == Phase::kStopped; }
  // Containers the driver already runs for this task (an agent restart): the task is running.
  void Adopt(const std::vector<RecordedContainer>& containers);

  // Advances the task; returns a report when its state (or a container's) changed.
  // `definition` is the task's definition, or nullptr while the agent has not fetched it.
  std::optional<v1::TaskStateReport> Step(const v1::TaskDefinition* definition);

  bool needs_definition() const { return phase_ != Phase::kStopped; }
  Phase phase() const { return phase_; }
  const v1::Task& task() const { return task_; }
  const std::string& id() const { return task_.metadata().name(); }
  std::vector<std::string> containers() const;

 private:
  std::optional<v1::TaskStateReport> Start(const v1::TaskDefinition& definition);
  std::optional<v1::TaskStateReport> Observe(const v1::TaskDefinition& definition);
  void StopAll(const v1::TaskDefinition& definition);
  v1::TaskStateReport MakeReport(const std::string& last_status);

  ProcessDriver& driver_;
  const std::string instance_;
  v1::Task task_;
  Phase phase_ = Phase::kNew;
  // Per container: what the driver last said, and what we last reported.
  std::map<std::string, ContainerState> states_;
  std::map<std::string, std::string> reasons_;
  std::string stopped_reason_;
  std::string stop_code_;
  std::string last_reported_;
};

}  // namespace gantry::agent
