#include "cmd/gantryd/fleet_observations.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "api/schema/kinds.h"
#include "api/schema/object_state.h"
#include "api/schema/task_groups.h"

namespace gantry {
namespace {

constexpr int64_t kMebibyte = 1024 * 1024;

std::string ZoneOf(const v1::ContainerInstance& instance) {
  for (const auto& a : instance.spec().attributes())
    if (a.name() == "ecs.availability-zone") return a.value();
  return "";
}

bool InRollback(const std::string& status) { return status.starts_with("ROLLBACK_"); }

}  // namespace

FleetGauges FleetGaugesOf(const std::vector<controllers::runtime::ObjectRef>& instances,
                          const std::vector<controllers::runtime::ObjectRef>& tasks,
                          const std::vector<controllers::runtime::ObjectRef>& services,
                          const std::vector<controllers::runtime::ObjectRef>& environments,
                          const std::vector<controllers::runtime::ObjectRef>& deployments) {
  FleetGauges out;
  std::map<std::tuple<std::string, std::string, bool>, int64_t> by_status;
  std::map<std::pair<std::string, std::string>, FleetGauges::Zone> by_zone;
  for (const auto& o : instances) {
    const auto& ci = static_cast<const v1::ContainerInstance&>(*o);
    const std::string& status = ci.status().status().empty() ? "ACTIVE" : ci.status().status();
    by_status[{ci.spec().cluster(), status, ci.status().agent_connected()}] += 1;
    if (status == "INACTIVE") continue;  // no longer capacity
    FleetGauges::Zone& z = by_zone[{ci.spec().cluster(), ZoneOf(ci)}];
    const auto& registered = ci.spec().registered_resources();
    const auto& remaining = ci.status().remaining_resources();
    z.cpu_registered += registered.cpu();
    z.cpu_reserved += std::max(0, registered.cpu() - remaining.cpu());
    z.memory_registered += int64_t{registered.memory()} * kMebibyte;
    z.memory_reserved += int64_t{std::max(0, registered.memory() - remaining.memory())} * kMebibyte;
  }
  for (const auto& [key, count] : by_status)
    out.instances.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), count});
  for (auto& [key, zone] : by_zone) {
    zone.cluster = key.first;
    zone.zone = key.second;
    out.zones.push_back(zone);
  }

  // Tasks not STOPPED, by group: RUNNING, and the rest (PENDING, or not reported yet).
  std::map<std::string, std::pair<int64_t, int64_t>> by_group;
  for (const auto& o : tasks) {
    const auto& t = static_cast<const v1::Task&>(*o);
    const std::string& last = t.status().last_status();
    if (last == "STOPPED" || t.spec().group().empty()) continue;
    auto& [running, pending] = by_group[t.spec().group()];
    (last == "RUNNING" ? running : pending) += 1;
  }
  std::map<std::string, int64_t> deployment_states;  // "kind\nstate"
  for (const auto& o : services) {
    const auto& s = static_cast<const v1::Service&>(*o);
    const auto& counts = by_group[schema::ServiceGroup(s.metadata().name())];
    out.services.push_back({schema::ClusterNameOf(s.spec().cluster()), s.metadata().name(),
                            s.spec().desired_count(), counts.first, counts.second});
    for (const auto& r : s.status().history()) deployment_states["service\n" + r.status()] += 1;
  }
  for (const auto& o : environments) {
    const auto& e = static_cast<const v1::Environment&>(*o);
    const auto& counts = by_group[schema::EnvironmentGroup(e.metadata().name())];
    out.environments.push_back({schema::ClusterNameOf(e.spec().instance_group().cluster()),
                                e.metadata().name(), e.status().instances_eligible(), counts.first,
                                counts.second});
  }
  for (const auto& o : deployments) {
    const auto& d = static_cast<const v1::Deployment&>(*o);
    const std::string& phase = d.status().phase().empty() ? "PENDING" : d.status().phase();
    deployment_states["environment\n" + phase] += 1;
  }
  for (const auto& [key, count] : deployment_states) {
    const size_t cut = key.find('\n');
    out.deployments.push_back({key.substr(0, cut), key.substr(cut + 1), count});
  }
  return out;
}

int RollbacksStarted(const v1::Service& before, const v1::Service& now) {
  std::set<std::string> already;
  for (const auto& r : before.status().history())
    if (InRollback(r.status())) already.insert(r.id());
  int started = 0;
  for (const auto& r : now.status().history())
    if (InRollback(r.status()) && !already.count(r.id())) started += 1;
  return started;
}

bool RolledBack(const v1::Deployment& before, const v1::Deployment& now) {
  return now.status().phase() == "ROLLED_BACK" && before.status().phase() != "ROLLED_BACK";
}

int64_t EventOccurrences(const v1::Event* before, const v1::Event& now) {
  const int64_t count = std::max(1, now.spec().count());
  if (!before) return count;
  return std::max<int64_t>(0, count - std::max(1, before->spec().count()));
}

FleetGauges ReadFleetGauges(controllers::runtime::InformerFactory& informers) {
  auto list = [&](const char* kind) { return informers.For(*schema::FindKind(kind)).List(); };
  return FleetGaugesOf(list("ContainerInstance"), list("Task"), list("Service"),
                       list("Environment"), list("Deployment"));
}

void CountFleetChanges(controllers::runtime::InformerFactory& informers,
                       FleetChangeCounters counters) {
  using controllers::runtime::ObjectRef;
  auto shared = std::make_shared<FleetChangeCounters>(std::move(counters));
  informers.For(*schema::FindKind("Service"))
      .AddEventHandlers({nullptr,
                         [shared](const ObjectRef& before, const ObjectRef& now) {
                           shared->rollbacks(
                               "service", RollbacksStarted(static_cast<const v1::Service&>(*before),
                                                           static_cast<const v1::Service&>(*now)));
                         },
                         nullptr});
  informers.For(*schema::FindKind("Deployment"))
      .AddEventHandlers({nullptr,
                         [shared](const ObjectRef& before, const ObjectRef& now) {
                           if (RolledBack(static_cast<const v1::Deployment&>(*before),
                                          static_cast<const v1::Deployment&>(*now)))
                             shared->rollbacks("environment", 1);
                         },
                         nullptr});
  auto event = [shared](const v1::Event* before, const v1::Event& now) {
    shared->events(now.spec().type(), now.spec().reason(), EventOccurrences(before, now));
  };
  informers.For(*schema::FindKind("Event"))
      .AddEventHandlers(
          {[event](const ObjectRef& o) { event(nullptr, static_cast<const v1::Event&>(*o)); },
           [event](const ObjectRef& before, const ObjectRef& now) {
             event(&static_cast<const v1::Event&>(*before), static_cast<const v1::Event&>(*now));
           },
           nullptr});
}

}  // namespace gantry
