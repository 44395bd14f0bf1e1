#include "agent/task_runner.h"

#include <set>

namespace gantry::agent {
namespace {

bool Ended(RunState s) { return s != RunState::kRunning; }

bool Essential(const v1::ContainerDefinition& c) { return !c.has_essential() || c.essential(); }

std::chrono::seconds StopTimeoutOf(const v1::ContainerDefinition& c) {
  return c.stop_timeout() > 0 ? std::chrono::seconds(c.stop_timeout()) : kDefaultStopTimeout;
}

}  // namespace

void TaskRunner::Adopt(const std::vector<RecordedContainer>& containers) {
  for (const auto& c : containers) states_[c.name] = c.state;
  phase_ = Phase::kRunning;
  last_reported_ = task_.status().last_status();
}

std::vector<std::string> TaskRunner::containers() const {
  std::vector<std::string> out;
  for (const auto& [name, state] : states_) out.push_back(name);
  return out;
}

std::optional<v1::TaskStateReport> TaskRunner::Step(const v1::TaskDefinition* definition) {
  // Asked to stop, or already recorded STOPPED by gantryd (its instance was lost while this
  // agent was away): whatever still runs of it must stop.
  const bool stop_wanted =
      task_.spec().desired_status() == "STOPPED" || task_.status().last_status() == "STOPPED";
  switch (phase_) {
    case Phase::kNew:
      if (stop_wanted || task_.status().last_status() == "STOPPED") {
        phase_ = Phase::kStopped;
        if (task_.status().last_status() == "STOPPED") return std::nullopt;
        stopped_reason_ = task_.spec().stopped_reason().empty() ? "Task stopped before it started"
                                                                : task_.spec().stopped_reason();
        stop_code_ = "UserInitiated";
        return MakeReport("STOPPED");
      }
      if (!definition) return std::nullopt;
      return Start(*definition);
    case Phase::kRunning:
      if (!definition) return std::nullopt;
      if (stop_wanted) {
        stopped_reason_ = task_.spec().stopped_reason();
        stop_code_ = "UserInitiated";
        StopAll(*definition);
        phase_ = Phase::kStopping;
      }
      return Observe(*definition);
    case Phase::kStopping:
      if (!definition) return std::nullopt;
      return Observe(*definition);
    case Phase::kStopped:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<v1::TaskStateReport> TaskRunner::Start(const v1::TaskDefinition& def) {
  // Refuse the whole task before starting anything when a container has nothing to run.
  for (const auto& c : def.spec().containers()) {
    if (c.command().empty() && c.entry_point().empty()) {
      phase_ = Phase::kStopped;
      stopped_reason_ = "CannotStartContainerError: container '" + c.name() + "' has image '" +
                        c.image() +
                        "' but no command; the process driver runs commands, not images";
      stop_code_ = "TaskFailedToStart";
      for (const auto& d : def.spec().containers()) {
        ContainerState never;
        never.state = RunState::kExecFailed;
        states_[d.name()] = never;
        reasons_[d.name()] = d.name() == c.name() ? "no command to run" : "task failed to start";
      }
      return MakeReport("STOPPED");
    }
  }
  for (const auto& c : def.spec().containers()) {
    ContainerSpec spec;
    spec.task_id = id();
    spec.name = c.name();
    spec.command.assign(c.entry_point().begin(), c.entry_point().end());
    spec.command.insert(spec.command.end(), c.command().begin(), c.command().end());
    for (const auto& e : c.environment()) spec.environment.emplace_back(e.name(), e.value());
    spec.working_directory = c.working_directory();
    spec.user = c.user();
    spec.memory_mib = c.memory();
    spec.cpu_units = c.cpu();
    auto started = driver_.Start(spec);
    std::string failure;
    if (!started.ok()) {
      failure = started.status().ToString();
    } else if (started->state.state == RunState::kExecFailed) {
      failure = started->state.message;
      states_[c.name()] = started->state;
    } else {
      states_[c.name()] = started->state;
    }
    if (!failure.empty()) {
      (void)driver_.KillTask(id());
      phase_ = Phase::kStopped;
      stopped_reason_ = "CannotStartContainerError: " + failure;
      stop_code_ = "TaskFailedToStart";
      reasons_[c.name()] = failure;
      for (const auto& d : def.spec().containers()) {
        if (!states_.count(d.name()) || states_[d.name()].state == RunState::kRunning) {
          ContainerState killed;
          killed.state = RunState::kSignaled;
          killed.exit_code = 137;
          states_[d.name()] = killed;
        }
      }
      return MakeReport("STOPPED");
    }
  }
  phase_ = Phase::kRunning;
  return MakeReport("RUNNING");
}

void TaskRunner::StopAll(const v1::TaskDefinition& def) {
  for (const auto& c : def.spec().containers()) {
    auto it = states_.find(c.name());
    if (it == states_.end() || Ended(it->second.state)) continue;
    (void)driver_.Stop(id(), c.name(), StopTimeoutOf(c));
  }
}

std::optional<v1::TaskStateReport> TaskRunner::Observe(const v1::TaskDefinition& def) {
  bool changed = false;
  bool all_ended = true;
  bool essential_ended = false;
  for (const auto& c : def.spec().containers()) {
    auto polled = driver_.Poll(id(), c.name());
    ContainerState now;
    if (polled.ok()) {
      now = *polled;
    } else {
      now.state = RunState::kLost;
      now.message = polled.status().message();
    }
    auto& before = states_[c.name()];
    if (before.state != now.state || before.exit_code != now.exit_code) changed = true;
    before = now;
    if (now.state == RunState::kLost) reasons_[c.name()] = "process lost: " + now.message;
    if (!Ended(now.state)) {
      all_ended = false;
    } else if (Essential(c)) {
      essential_ended = true;
    }
  }
  if (phase_ == Phase::kRunning && essential_ended) {
    stopped_reason_ = "Essential container in task exited";
    stop_code_ = "EssentialContainerExited";
    StopAll(def);
    phase_ = Phase::kStopping;
  }
  if (phase_ == Phase::kStopping && all_ended) {
    phase_ = Phase::kStopped;
    if (stopped_reason_.empty()) stopped_reason_ = "Task stopped by user";
    return MakeReport("STOPPED");
  }
  if (last_reported_ == "STOPPED") return std::nullopt;  // never RUNNING again once STOPPED
  if (changed || last_reported_ != "RUNNING") return MakeReport("RUNNING");
  return std::nullopt;
}

v1::TaskStateReport TaskRunner::MakeReport(const std::string& last_status) {
  v1::TaskStateReport r;
  r.set_task(id());
  r.set_container_instance(instance_);
  r.set_last_status(last_status);
  for (const auto& [name, state] : states_) {
    auto* c = r.add_containers();
    c->set_name(name);
    if (state.state == RunState::kRunning) {
      c->set_last_status("RUNNING");
    } else {
      c->set_last_status("STOPPED");
      if (state.state == RunState::kExited || state.state == RunState::kSignaled)
        c->set_exit_code(state.exit_code);
    }
    auto reason = reasons_.find(name);
    if (reason != reasons_.end()) {
      c->set_reason(reason->second);
    } else if (state.state == RunState::kExecFailed) {
      c->set_reason(state.message);
    }
  }
  if (last_status == "STOPPED") {
    r.set_stopped_reason(stopped_reason_);
    r.set_stop_code(stop_code_);
  }
  last_reported_ = last_status;
  return r;
}

}  // namespace gantry::agent
