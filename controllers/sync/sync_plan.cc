#include "controllers/sync/sync_plan.h"

#include "api/clock/parse_duration.h"
#include "controllers/runtime/conditions.h"

namespace gantry::controllers::sync {
namespace {

std::string Short(const std::string& revision) { return revision.substr(0, 12); }

void SetConditions(v1::SyncStatus& status, const v1::Sync& sync, bool ready, bool reconciling,
                   bool stalled, const std::string& reason, const std::string& message,
                   const std::string& now) {
  const auto& before = sync.status().conditions();
  const int32_t generation = static_cast<int32_t>(sync.metadata().generation());
  status.clear_conditions();
  *status.add_conditions() =
      runtime::ConditionOf(before, "Ready", ready, reason, message, now, generation);
  *status.add_conditions() =
      runtime::ConditionOf(before, "Reconciling", reconciling, reason, message, now, generation);
  *status.add_conditions() =
      runtime::ConditionOf(before, "Stalled", stalled, reason, message, now, generation);
}

}  // namespace

std::chrono::milliseconds IntervalOf(const v1::SyncSpec& spec) {
  std::chrono::milliseconds interval = kDefaultInterval;
  if (!spec.interval().empty() && !clock::ParseDuration(spec.interval(), interval))
    interval = kDefaultInterval;  // validation refuses such a spec; an old one gets the default
  return interval;
}

v1::SyncStatus StatusAfter(const v1::Sync& sync, const SyncPass& pass, const std::string& now,
                           const std::string& handled_request) {
  v1::SyncStatus status = sync.status();
  status.set_observed_generation(static_cast<int32_t>(sync.metadata().generation()));
  status.set_last_handled_request(handled_request);
  if (!pass.revision.empty()) status.set_last_attempted_revision(pass.revision);
  const std::string ref = sync.spec().git().ref().empty() ? kDefaultRef : sync.spec().git().ref();
  if (pass.error.ok()) {
    // The same revision applied again: whatever it had to change had drifted since.
    const bool reapplied = sync.status().last_applied_revision() == pass.revision;
    status.clear_drift();
    if (reapplied) {
      for (const auto& object : pass.changed) status.add_drift(object);
    }
    status.set_last_applied_revision(pass.revision);
    status.set_last_applied_at(now);
    status.set_members(pass.members);
    std::string message = "Applied revision " + ref + "@" + Short(pass.revision);
    if (!pass.pruned.empty()) message += ", pruned " + std::to_string(pass.pruned.size());
    if (reapplied && !pass.changed.empty())
      message += ", corrected drift of " + std::to_string(pass.changed.size());
    SetConditions(status, sync, true, false, false, "Applied", message, now);
    return status;
  }
  const std::string at = pass.revision.empty() ? "" : " at " + ref + "@" + Short(pass.revision);
  const std::string message = pass.error.ToString() + at;
  if (pass.own_error) {
    SetConditions(status, sync, false, false, true, pass.reason, message, now);
  } else {
    SetConditions(status, sync, false, true, false, pass.reason, message, now);
  }
  return status;
}

v1::SyncStatus SuspendedStatus(const v1::Sync& sync, const std::string& now) {
  v1::SyncStatus status = sync.status();
  status.set_observed_generation(static_cast<int32_t>(sync.metadata().generation()));
  const v1::Condition* ready = nullptr;
  for (const auto& c : sync.status().conditions())
    if (c.type() == "Ready") ready = &c;
  // Nothing moves while suspended: not Reconciling, not Stalled; Ready as the last pass left it.
  const bool was_ready = ready && ready->status() == "True";
  SetConditions(status, sync, was_ready, false, false, "Suspended",
                "Suspended: no fetches or applies until spec.suspend is false", now);
  return status;
}

}  // namespace gantry::controllers::sync
