#include "controllers/environment/daemon_plan.h"

#include <algorithm>
#include <map>
#include <set>

namespace gantry::controllers::environment {
namespace {

bool Stopping(const v1::Task& t) { return t.spec().desired_status() == "STOPPED"; }
bool Running(const v1::Task& t) { return t.status().last_status() == "RUNNING"; }

int Share(int of, int percent) {
  return static_cast<int>((static_cast<int64_t>(of) * std::clamp(percent, 0, 100) + 99) / 100);
}

// The task to keep among several of the revision on one instance: RUNNING before PENDING, then
// the oldest, then by name (deterministic).
bool Better(const v1::Task* a, const v1::Task* b) {
  if (Running(*a) != Running(*b)) return Running(*a);
  if (a->metadata().creation_timestamp() != b->metadata().creation_timestamp())
    return a->metadata().creation_timestamp() < b->metadata().creation_timestamp();
  return a->metadata().name() < b->metadata().name();
}

struct OnInstance {
  std::vector<const v1::Task*> current;  // the revision's, not told to stop
  std::vector<const v1::Task*> old;      // older revisions', not told to stop
  bool stopping = false;                 // a task told to stop has not stopped yet
};

}  // namespace

int DrainBudget(int eligible, int drain_percent) {
  return drain_percent <= 0 ? 0 : std::max(1, Share(eligible, drain_percent));
}

DaemonPlan PlanDaemon(const DaemonView& view) {
  DaemonPlan plan;
  const std::set<std::string> eligible(view.eligible.begin(), view.eligible.end());
  plan.eligible = static_cast<int>(eligible.size());
  std::map<std::string, OnInstance> on;
  for (const std::string& id : eligible) on[id];
  for (const v1::Task* t : view.tasks) {
    const std::string& instance = t->spec().container_instance();
    if (!eligible.count(instance)) {
      if (!Stopping(*t)) plan.stop.push_back(t->metadata().name());  // stopped, not moved
      continue;
    }
    OnInstance& here = on[instance];
    if (Stopping(*t)) {
      here.stopping = true;
    } else if (t->spec().task_definition() == view.revision) {
      here.current.push_back(t);
    } else {
      here.old.push_back(t);
    }
  }

  // Served: a RUNNING task that stays (the revision's, or an old one not yet being replaced).
  int unserved = 0;
  int surging = 0;  // instances running an old task beside a new one
  std::vector<std::string> to_replace;
  for (auto& [id, here] : on) {
    std::sort(here.current.begin(), here.current.end(), Better);
    for (size_t i = 1; i < here.current.size(); ++i)
      plan.stop.push_back(here.current[i]->metadata().name());  // duplicates
    const v1::Task* keep = here.current.empty() ? nullptr : here.current.front();
    const bool old_running =
        std::any_of(here.old.begin(), here.old.end(), [](const auto* t) { return Running(*t); });
    if (keep && Running(*keep)) {
      plan.covered += 1;
      for (const auto* t : here.old) plan.stop.push_back(t->metadata().name());  // replaced
      continue;
    }
    if (keep) {  // the revision's task is on its way
      if (old_running) {
        surging += 1;  // served by the old one until the new runs
      } else {
        unserved += 1;
      }
      continue;
    }
    if (here.old.empty()) {
      // Nothing here (a new instance, a task that stopped): start at once, not held by a
      // deployment elsewhere. Not while a task told to stop still holds the instance's room.
      if (!here.stopping) plan.start.push_back(id);
      unserved += 1;
      continue;
    }
    if (old_running) {
      to_replace.push_back(id);
    } else {
      unserved += 1;  // an old task not running yet: replaced below like any other
      to_replace.push_back(id);
    }
  }

  // Replacements within the budget; old PENDING ones first (they serve nobody yet).
  std::stable_sort(to_replace.begin(), to_replace.end(), [&](const auto& a, const auto& b) {
    auto pending_only = [&](const std::string& id) {
      const auto& old = on[id].old;
      return std::none_of(old.begin(), old.end(), [](const auto* t) { return Running(*t); });
    };
    return pending_only(a) && !pending_only(b);
  });
  const int budget = DrainBudget(plan.eligible, view.drain_percent);
  const int surge_budget =
      view.max_surge_percent > 0 ? std::max(1, Share(plan.eligible, view.max_surge_percent)) : 0;
  int unserved_now = unserved;
  for (const std::string& id : to_replace) {
    OnInstance& here = on[id];
    const bool old_running =
        std::any_of(here.old.begin(), here.old.end(), [](const auto* t) { return Running(*t); });
    if (!old_running) {
      // It serves nobody: replaced at once, within no budget.
      for (const auto* t : here.old) plan.stop.push_back(t->metadata().name());
      continue;
    }
    // Where the new task found no room beside the old one, draining replaces it, unless
    // nothing may drain: then beside it is tried again.
    const bool beside = budget == 0 || !view.no_room.count(id);
    if (surging < surge_budget && beside) {
      plan.start.push_back(id);  // beside the old one; the old stops once the new runs
      surging += 1;
      continue;
    }
    if (unserved_now >= budget) continue;
    for (const auto* t : here.old) plan.stop.push_back(t->metadata().name());
    unserved_now += 1;
  }

  std::sort(plan.start.begin(), plan.start.end());
  std::sort(plan.stop.begin(), plan.stop.end());
  plan.complete =
      plan.covered == plan.eligible && plan.start.empty() && plan.stop.empty() &&
      std::all_of(on.begin(), on.end(), [](const auto& kv) {
        return kv.second.old.empty() && !kv.second.stopping && kv.second.current.size() == 1;
      });
  return plan;
}

}  // namespace gantry::controllers::environment
