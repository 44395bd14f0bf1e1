#pragma once

// What the tick simulations share: agents that act on the tasks as they stand, and waiting for
// the controllers to catch up.

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "api/fleet/task_service.h"
#include "store/store.h"
#include "tests/testlib/eventually.h"

namespace gantry::simulation {

// The agents' move on `tasks` (those not STOPPED): told to stop ─▶ STOPPED; PENDING ─▶ RUNNING,
// or STOPPED on its own with `fail_rate`. True when a task died on its own.
inline bool AgentsAct(fleet::TaskService& service, const std::vector<v1::Task>& tasks,
                      double fail_rate, std::mt19937_64& rng) {
  bool died = false;
  std::vector<v1::TaskStateReport> reports;
  for (const v1::Task& t : tasks) {
    std::string next;
    if (t.spec().desired_status() == "STOPPED" && t.status().last_status() != "STOPPED") {
      next = "STOPPED";
    } else if (t.status().last_status() == "PENDING") {
      next = std::bernoulli_distribution(fail_rate)(rng) ? "STOPPED" : "RUNNING";
      died |= next == "STOPPED";
    }
    if (next.empty()) continue;
    v1::TaskStateReport r;
    r.set_task(t.metadata().name());
    r.set_container_instance(t.spec().container_instance());
    r.set_last_status(next);
    reports.push_back(r);
  }
  std::vector<v1::ReportFailure> failures;
  if (!reports.empty()) service.Report(reports, failures);
  return died;
}

// Until the store's revision holds still for one poll (the controllers have caught up with
// what changed), at most half a second.
inline void WaitForQuietStore(store::Store& store) {
  int64_t last = -1;
  testlib::Eventually(
      [&] {
        const int64_t now = store.CurrentRevision();
        const bool still = now == last;
        last = now;
        return still;
      },
      std::chrono::milliseconds(500), std::chrono::milliseconds(15));
}

}  // namespace gantry::simulation
