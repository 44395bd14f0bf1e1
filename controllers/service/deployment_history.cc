#include "controllers/service/deployment_history.h"

#include <algorithm>
#include <cstdint>

#include "api/clock/format_time.h"
#include "api/schema/service_deployments.h"
#include "controllers/service/service_plan.h"

namespace gantry::controllers::service {
namespace {

using Record = v1::ServiceDeploymentRecord;

// The deployment a record left running when it completed: its own, or the one it restored.
struct Completed {
  std::string id;
  std::string revision;
};

std::optional<Completed> CompletedOf(const Record& r) {
  if (r.status() == "SUCCESSFUL") return Completed{r.id(), r.target_revision()};
  if (r.status() == "ROLLBACK_SUCCESSFUL")
    return Completed{r.rollback_deployment(), r.rollback_revision()};
  return std::nullopt;
}

bool InProgress(const std::string& status) {
  return status == "PENDING" || status == "IN_PROGRESS" || status == "STOP_REQUESTED" ||
         status == "ROLLBACK_REQUESTED" || status == "ROLLBACK_IN_PROGRESS";
}

}  // namespace

bool FailedRecord(const v1::ServiceDeploymentRecord& r) {
  const std::string& s = r.status();
  if (s == "ROLLBACK_REQUESTED" || s == "ROLLBACK_IN_PROGRESS" || s == "ROLLBACK_SUCCESSFUL" ||
      s == "ROLLBACK_FAILED")
    return true;
  return s == "STOPPED" && r.status_reason().rfind(kSupersededBy, 0) != 0;
}

int CircuitBreakerThreshold(int desired) {
  return std::clamp((std::max(desired, 0) + 1) / 2, 3, 200);
}

int FailuresSince(const std::map<std::string, std::vector<std::string>>& failed,
                  const std::string& deployment, const std::string& since) {
  auto it = failed.find(deployment);
  if (it == failed.end()) return 0;
  // As times, not strings: a failure without a time (none reported) counts only when all do.
  const int64_t from = since.empty() ? INT64_MIN : clock::ParseTimeMs(since);
  return static_cast<int>(
      std::count_if(it->second.begin(), it->second.end(), [&](const std::string& at) {
        return since.empty() || (!at.empty() && clock::ParseTimeMs(at) >= from);
      }));
}

DeploymentTarget ChooseTarget(const v1::Service& service, const std::string& revision) {
  const auto& history = service.status().history();
  if (!history.empty()) {
    const Record& newest = history[0];
    if (newest.target_revision() == revision &&
        newest.redeploy_token() == service.spec().redeploy_token()) {
      const std::string& s = newest.status();
      if (s == "ROLLBACK_REQUESTED" || s == "ROLLBACK_IN_PROGRESS" || s == "ROLLBACK_SUCCESSFUL")
        return {newest.rollback_deployment(), newest.rollback_revision(), TargetMode::kRollback};
      if (s == "ROLLBACK_FAILED")
        return {newest.rollback_deployment(), newest.rollback_revision(), TargetMode::kHalted};
      if (s == "STOPPED") return {newest.id(), revision, TargetMode::kHalted};
      return {newest.id(), revision, TargetMode::kRoll};
    }
  }
  // A new deployment. Its id never repeats one in the history (a family whose latest revision
  // went back to an earlier one under the same generation would).
  v1::Service salted = service;
  std::string id = DeploymentId(service, revision);
  for (int salt = 1;
       std::any_of(history.begin(), history.end(), [&](const Record& r) { return r.id() == id; });
       ++salt) {
    salted.mutable_metadata()->set_uid(service.metadata().uid() + "/" + std::to_string(salt));
    id = DeploymentId(salted, revision);
  }
  return {id, revision, TargetMode::kRoll, true};
}

HistoryOutcome AdvanceHistory(const HistoryInput& in) {
  const v1::Service& service = *in.service;
  const auto& breaker = service.spec().deployment_configuration().deployment_circuit_breaker();
  const int desired = std::max(service.spec().desired_count(), 0);
  const int threshold = CircuitBreakerThreshold(desired);
  static const std::map<std::string, std::vector<std::string>> kNone;
  const auto& failed = in.failed ? *in.failed : kNone;

  HistoryOutcome out;
  out.target = in.target;
  out.history = service.status().history();
  if (in.target.is_new) {
    if (!out.history.empty() && InProgress(out.history[0].status())) {
      Record& superseded = out.history[0];
      superseded.set_status("STOPPED");
      superseded.set_status_reason(std::string(kSupersededBy) + in.target.id);
      superseded.set_stopped_at(in.now);
      superseded.set_updated_at(in.now);
    }
    Record r;
    r.set_id(in.target.id);
    r.set_status("IN_PROGRESS");
    for (const auto& source : in.sources) {
      if (source != in.target.id) r.add_source_deployments(source);
    }
    r.set_target_revision(in.target.revision);
    r.set_generation(service.metadata().generation());
    r.set_redeploy_token(service.spec().redeploy_token());
    r.set_created_at(in.now);
    r.set_started_at(in.now);
    r.set_updated_at(in.now);
    out.history.Add(std::move(r));
    // Newest first.
    for (int i = out.history.size() - 1; i > 0; --i) out.history.SwapElements(i, i - 1);
    while (out.history.size() > static_cast<int>(kHistoryLimit)) out.history.RemoveLast();
  }
  if (out.history.empty() || in.target.mode == TargetMode::kHalted) return out;

  Record& r = out.history[0];
  const Record was = r;
  r.set_desired_count(desired);
  r.set_circuit_breaker_enabled(breaker.enable());
  r.set_circuit_breaker_threshold(threshold);
  r.set_running_count(in.running);
  r.set_pending_count(in.pending);
  if (in.target.mode == TargetMode::kRoll) {
    r.set_failed_count(std::max(r.failed_count(), FailuresSince(failed, r.id(), r.started_at())));
  }

  auto annotations = service.metadata().annotations();
  auto stop = annotations.find(schema::kStopDeploymentAnnotation);
  const bool stop_requested = stop != annotations.end() && stop->second == r.id();
  auto stop_type = annotations.find(schema::kStopTypeAnnotation);
  const bool abort_only =
      stop_requested && stop_type != annotations.end() && stop_type->second == "ABORT";
  const bool tripped = breaker.enable() && r.failed_count() >= threshold;
  if (r.status() == "IN_PROGRESS" && (tripped || stop_requested)) {
    out.failure = stop_requested
                      ? (abort_only ? "StopServiceDeployment stopped it"
                                    : "StopServiceDeployment requested a rollback")
                      : "deployment circuit breaker: " + std::to_string(r.failed_count()) +
                            " tasks failed to start (threshold " + std::to_string(threshold) + ")";
    std::optional<Completed> previous;
    for (int i = 1; i < out.history.size() && !previous; ++i)
      previous = CompletedOf(out.history[i]);
    const bool rollback = stop_requested ? !abort_only : breaker.rollback();
    if (rollback && previous) {
      r.set_status("ROLLBACK_IN_PROGRESS");
      r.set_rollback_deployment(previous->id);
      r.set_rollback_revision(previous->revision);
      r.set_rollback_reason(out.failure);
      r.set_rollback_started_at(in.now);
      out.target = {previous->id, previous->revision, TargetMode::kRollback};
    } else {
      r.set_status("STOPPED");
      r.set_stopped_at(in.now);
      out.target.mode = TargetMode::kHalted;
      if (rollback && !previous)
        out.failure += "; no earlier deployment completed, nothing to roll back to";
    }
    r.set_status_reason(out.failure);
  } else if (r.status() == "ROLLBACK_IN_PROGRESS" && breaker.enable() &&
             FailuresSince(failed, r.rollback_deployment(), r.rollback_started_at()) >= threshold) {
    out.failure = "the rollback to " + r.rollback_revision() +
                  " failed too: " + std::to_string(threshold) + " of its tasks failed to start";
    r.set_status("ROLLBACK_FAILED");
    r.set_status_reason(out.failure);
    r.set_finished_at(in.now);
    out.target.mode = TargetMode::kHalted;
  } else if (in.complete && r.status() == "IN_PROGRESS") {
    r.set_status("SUCCESSFUL");
    r.set_finished_at(in.now);
  } else if (in.complete && r.status() == "ROLLBACK_IN_PROGRESS") {
    r.set_status("ROLLBACK_SUCCESSFUL");
    r.set_finished_at(in.now);
  }
  Record unchanged = r;
  unchanged.set_updated_at(was.updated_at());
  if (unchanged.SerializeAsString() != was.SerializeAsString()) r.set_updated_at(in.now);
  return out;
}

}  // namespace gantry::controllers::service
