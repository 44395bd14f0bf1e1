#include "api/service/launcher.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "api/schema/placement_specs.h"
#include "placement/placement.h"
#include "placement/request.h"
#include "store/store.h"

namespace gantry::api {
namespace {

using schema::HoldsResources;
using schema::InstanceSpecOf;
using schema::TaskSpecOf;

bool SameForPlacement(const placement::InstanceSpec& a, const placement::InstanceSpec& b) {
  return a.id == b.id && a.ec2_instance_id == b.ec2_instance_id && a.status == b.status &&
         a.agent_connected == b.agent_connected && a.agent_version == b.agent_version &&
         a.registered_at_ms == b.registered_at_ms && a.attributes == b.attributes &&
         a.cpu == b.cpu && a.memory == b.memory && a.ports == b.ports;
}

bool SameTask(const placement::TaskSpec& a, const placement::TaskSpec& b) {
  return a.group == b.group && a.cpu == b.cpu && a.memory == b.memory && a.ports == b.ports;
}

bool SameClaim(const DaemonReservation& a, const DaemonReservation& b) {
  return a.cluster == b.cluster && a.filter == b.filter && SameTask(a.task, b.task);
}

Status FromPlacement(const placement::Error& e) {
  return InvalidArgument(e.field.empty() ? "request" : e.field, e.message);
}

}  // namespace

Launcher::Launcher(ObjectService& objects, std::function<std::string()> new_name)
    : objects_(objects), new_name_(new_name ? std::move(new_name) : NewRandomUid) {}

Launcher::ClusterState& Launcher::Cluster(const std::string& name) {
  std::lock_guard lock(clusters_mu_);
  auto& state = clusters_[name];
  if (!state) state = std::make_unique<ClusterState>();
  return *state;
}

Launcher::Stats Launcher::stats() const {
  return Stats{launches_.load(),
               tasks_committed_.load(),
               snapshot_builds_.load(),
               released_.load(),
               with_tasks_stale_.load(),
               static_cast<uint64_t>(std::max<int64_t>(0, daemon_reservations_.load()))};
}

void Launcher::ObserveInstance(const v1::ContainerInstance& instance) {
  ClusterState& c = Cluster(instance.spec().cluster());
  InstanceEntry entry{InstanceSpecOf(instance), true};
  entry.valid = placement::ValidateInstance(entry.spec).ok();
  std::lock_guard lock(c.mu);
  auto it = c.instances.find(entry.spec.id);
  if (it != c.instances.end() && SameForPlacement(it->second.spec, entry.spec)) return;
  c.instances.insert_or_assign(entry.spec.id, std::move(entry));
  c.stale = true;
}

void Launcher::ForgetInstance(const v1::ContainerInstance& instance) {
  ClusterState& c = Cluster(instance.spec().cluster());
  std::lock_guard lock(c.mu);
  if (c.instances.erase(instance.metadata().name()) > 0) c.stale = true;
}

void Launcher::ObserveTask(const v1::Task& task) {
  ClusterState& c = Cluster(task.spec().cluster());
  const bool holds = HoldsResources(task) && !task.spec().container_instance().empty();
  HeldTask held{task.spec().container_instance(), TaskSpecOf(task), true};
  held.valid = placement::ValidateTask(held.spec, "task").ok();
  std::lock_guard lock(c.mu);
  auto it = c.tasks.find(task.metadata().name());
  if (it != c.tasks.end()) {
    // Seen before, or reserved by a launch. What a task holds is fixed when it is made; only a
    // write around validation changes it, and then the new values count.
    if (holds && it->second.instance == held.instance && SameTask(it->second.spec, held.spec))
      return;
    Release(c, it);
  }
  if (holds) Hold(c, task.metadata().name(), std::move(held));
}

void Launcher::ForgetTask(const v1::Task& task) {
  ClusterState& c = Cluster(task.spec().cluster());
  std::lock_guard lock(c.mu);
  if (auto it = c.tasks.find(task.metadata().name()); it != c.tasks.end()) Release(c, it);
}

void Launcher::ReserveForDaemon(const std::string& group, std::optional<DaemonReservation> daemon) {
  if (daemon) {
    daemon->task.group = group;
    // A claim placement cannot hold is no claim (its controller reports the definition).
    if (!placement::ValidateTask(daemon->task, "task").ok()) daemon.reset();
  }
  std::string previous;
  {
    std::lock_guard lock(clusters_mu_);
    if (auto it = daemon_clusters_.find(group); it != daemon_clusters_.end()) {
      previous = it->second;
      if (!daemon) daemon_clusters_.erase(it);
    }
    if (daemon) daemon_clusters_[group] = daemon->cluster;
  }
  if (!previous.empty() && (!daemon || daemon->cluster != previous)) {
    ClusterState& c = Cluster(previous);
    std::lock_guard lock(c.mu);
    if (c.daemons.erase(group) > 0) c.stale = true;
  }
  if (!daemon) return;
  ClusterState& c = Cluster(daemon->cluster);
  std::lock_guard lock(c.mu);
  auto it = c.daemons.find(group);
  if (it != c.daemons.end() && SameClaim(it->second, *daemon)) return;
  c.daemons.insert_or_assign(group, std::move(*daemon));
  c.stale = true;  // the instances it covers are read at the rebuild
}

void Launcher::Hold(ClusterState& c, const std::string& name, HeldTask task) {
  if (!c.stale && c.snapshot) {
    auto at = c.index.find(task.instance);
    if (!task.valid) {
      c.stale = true;  // its instance is left out from now on
    } else if (at != c.index.end() && !c.snapshot->AddTask(at->second, task.spec).ok()) {
      c.stale = true;
    }
  }
  auto held = c.tasks.insert_or_assign(name, std::move(task)).first;
  Rebalance(c, held->second, +1);
}

void Launcher::Release(ClusterState& c, std::unordered_map<std::string, HeldTask>::iterator it) {
  const HeldTask& task = it->second;
  if (!c.stale && c.snapshot) {
    auto at = c.index.find(task.instance);
    if (!task.valid) {
      c.stale = true;  // its instance may come back
    } else if (at != c.index.end() && !c.snapshot->RemoveTask(at->second, task.spec).ok()) {
      c.stale = true;
    }
  }
  Rebalance(c, task, -1);
  c.tasks.erase(it);
}

void Launcher::Rebalance(ClusterState& c, const HeldTask& task, int sign) {
  // A stale snapshot's reservations are recounted from the tasks when it is rebuilt.
  if (c.daemons.empty() || c.stale || !c.snapshot) return;
  // Most tasks are no daemon's: answered without building a slot key.
  auto daemon = c.daemons.find(task.spec.group);
  if (daemon == c.daemons.end()) return;
  auto slot = c.slots.find(SlotKey{task.instance, task.spec.group});
  if (slot == c.slots.end()) return;  // not on an instance the daemon covers
  auto at = c.index.find(task.instance);
  if (at == c.index.end()) {
    c.stale = true;  // slots are only made for indexed instances; not expected
    return;
  }
  DaemonSlot& s = slot->second;
  s.cpu_held += sign * task.spec.cpu;
  s.memory_held += sign * task.spec.memory;
  for (int32_t p : task.spec.ports) {
    if (sign > 0) {
      s.ports_held.push_back(p);
    } else if (auto held = std::find(s.ports_held.begin(), s.ports_held.end(), p);
               held != s.ports_held.end()) {
      s.ports_held.erase(held);
    }
  }
  Reserve(c, at->second, daemon->second, s);
}

bool Launcher::Reserve(ClusterState& c, uint32_t at, const DaemonReservation& daemon,
                       DaemonSlot& slot) {
  if (slot.reserved) {
    if (!c.snapshot->RemoveTask(at, *slot.reserved).ok()) {
      c.stale = true;
      return false;
    }
    slot.reserved.reset();
    daemon_reservations_.fetch_sub(1);
  }
  placement::TaskSpec lack;
  lack.group = daemon.task.group;
  lack.cpu = std::max<int64_t>(0, daemon.task.cpu - slot.cpu_held);
  lack.memory = std::max<int64_t>(0, daemon.task.memory - slot.memory_held);
  for (int32_t p : daemon.task.ports) {
    if (std::find(slot.ports_held.begin(), slot.ports_held.end(), p) == slot.ports_held.end())
      lack.ports.push_back(p);
  }
  if (lack.cpu == 0 && lack.memory == 0 && lack.ports.empty()) return true;
  if (!c.snapshot->AddTask(at, lack).ok()) {
    c.stale = true;
    return false;
  }
  slot.reserved = std::move(lack);
  daemon_reservations_.fetch_add(1);
  return true;
}

void Launcher::ReserveAll(ClusterState& c) {
  for (const auto& [key, slot] : c.slots)
    if (slot.reserved) daemon_reservations_.fetch_sub(1);
  c.slots.clear();
  if (c.daemons.empty()) return;
  std::map<SlotKey, DaemonSlot> held;  // what the daemons' tasks hold, where they run
  for (const auto& [name, task] : c.tasks) {
    if (c.daemons.count(task.spec.group) == 0) continue;
    DaemonSlot& s = held[SlotKey{task.instance, task.spec.group}];
    s.cpu_held += task.spec.cpu;
    s.memory_held += task.spec.memory;
    s.ports_held.insert(s.ports_held.end(), task.spec.ports.begin(), task.spec.ports.end());
  }
  for (const auto& [group, daemon] : c.daemons) {
    std::vector<uint32_t> covered;
    if (daemon.filter.empty()) {
      covered.resize(c.snapshot->size());
      for (uint32_t i = 0; i < covered.size(); ++i) covered[i] = i;
    } else {
      auto matched = placement::Filter(*c.snapshot, daemon.filter);
      if (!matched.ok()) continue;  // its controller reports the filter; nothing to cover
      covered = std::move(matched).value();
    }
    for (uint32_t i : covered) {
      const std::string id(c.snapshot->id(i));
      auto entry = c.instances.find(id);
      if (entry == c.instances.end() ||
          entry->second.spec.status != placement::InstanceStatus::kActive)
        continue;
      SlotKey key{id, group};
      DaemonSlot slot;
      if (auto h = held.find(key); h != held.end()) slot = std::move(h->second);
      DaemonSlot& s = c.slots.insert_or_assign(std::move(key), std::move(slot)).first->second;
      if (!Reserve(c, i, daemon, s)) c.stale = false;  // not expected; placed on as it stands
    }
  }
}

std::vector<std::string> Launcher::Rebuild(ClusterState& c) {
  std::unordered_map<std::string, std::vector<const HeldTask*>> by_instance;
  std::set<std::string> with_invalid_task;
  for (const auto& [name, task] : c.tasks) {
    by_instance[task.instance].push_back(&task);
    if (!task.valid) with_invalid_task.insert(task.instance);
  }
  std::vector<placement::InstanceSpec> specs;
  std::vector<std::string> skipped;
  specs.reserve(c.instances.size());
  for (const auto& [name, entry] : c.instances) {
    if (!entry.valid || with_invalid_task.count(name) > 0) {
      skipped.push_back(name);
      continue;
    }
    placement::InstanceSpec spec = entry.spec;
    if (auto tasks = by_instance.find(name); tasks != by_instance.end()) {
      spec.tasks.reserve(tasks->second.size());
      for (const HeldTask* t : tasks->second) spec.tasks.push_back(t->spec);
    }
    specs.push_back(std::move(spec));
  }
  auto built = placement::ClusterSnapshot::Build(specs);
  c.index.clear();
  if (!built.ok()) {
    // Every instance was checked on its own, so this is not expected; place on nothing rather
    // than on a snapshot that does not match the cluster.
    built = placement::ClusterSnapshot::Build({});
    specs.clear();
  }
  c.snapshot.emplace(std::move(built).value());
  for (uint32_t i = 0; i < specs.size(); ++i) c.index.emplace(specs[i].id, i);
  c.stale = false;
  ReserveAll(c);
  snapshot_builds_.fetch_add(1);
  return skipped;
}

void Launcher::PlaceOnGiven(ClusterState& c, const LaunchSpec& spec,
                            const placement::TaskRequest& one, std::vector<uint32_t>& placements,
                            std::vector<SlotKey>& taken, LaunchOutcome& outcome) {
  std::set<std::string> seen;
  for (const std::string& name : spec.instances) {
    if (!seen.insert(name).second) continue;
    auto entry = c.instances.find(name);
    if (entry == c.instances.end()) {
      outcome.instance_failures.push_back({name, "MISSING"});
      continue;
    }
    if (entry->second.spec.status == placement::InstanceStatus::kInactive) {
      outcome.instance_failures.push_back({name, "INACTIVE"});
      continue;
    }
    auto at = c.index.find(name);
    if (at == c.index.end()) {
      outcome.instance_failures.push_back({name, "INVALID"});
      continue;
    }
    // A daemon starting on an instance of its group is judged with its own reservation there
    // lifted: that room is its.
    auto slot = c.slots.find(SlotKey{name, one.group});
    const placement::TaskSpec* lifted = nullptr;
    if (slot != c.slots.end() && slot->second.reserved &&
        c.snapshot->RemoveTask(at->second, *slot->second.reserved).ok())
      lifted = &*slot->second.reserved;
    auto explained = placement::Explain(*c.snapshot, one);
    const placement::InstanceExplanation* verdict =
        explained.ok() ? &explained->instances[at->second] : nullptr;
    if (!verdict || verdict->rejected_by) {
      if (lifted && !c.snapshot->AddTask(at->second, *lifted).ok()) c.stale = true;
      // An explanation fails only for a request that did not compile, checked before.
      if (verdict)
        outcome.instance_failures.push_back({name, placement::ReasonText(*verdict->rejected_by)});
      continue;
    }
    if (lifted) taken.push_back(slot->first);
    // The instances given are distinct, so one's task changes nothing another is judged by.
    placements.push_back(at->second);
  }
}

StatusOr<CommitResult> Launcher::CommitTasks(const LaunchSpec& spec,
                                             const std::vector<v1::Task>& tasks,
                                             bool& with_tasks_written) {
  std::vector<ObjectWrite> writes;
  writes.reserve(tasks.size());
  for (const auto& t : tasks) writes.push_back(ObjectWrite::Create(t, /*keep_status=*/true));
  std::vector<std::shared_ptr<const google::protobuf::Message>> with;
  if (spec.with_tasks) with = spec.with_tasks(tasks);
  with_tasks_written = false;
  if (!with.empty() && tasks.size() + with.size() <= store::kMaxTxnOps) {
    for (const auto& w : with) writes.push_back(ObjectWrite::UpdateStatus(*w));
    auto committed = objects_.Commit(writes);
    // Stale: an instance changed since the caller read it; its recount is the caller's again.
    if (committed.ok() || committed.status().code() != Code::kAborted) {
      with_tasks_written = committed.ok();
      return committed;
    }
    with_tasks_stale_.fetch_add(1);
    writes.resize(tasks.size());
  }
  return objects_.Commit(writes);
}

StatusOr<LaunchOutcome> Launcher::Launch(const LaunchSpec& spec) {
  if (spec.cluster.empty()) return InvalidArgument("cluster", "is required");
  const bool given = !spec.instances.empty();
  if (spec.instances.size() > store::kMaxTxnOps) {
    return InvalidArgument("containerInstances",
                           "at most " + std::to_string(store::kMaxTxnOps) + " instances");
  }
  if (!given && (spec.request.count < 1 || spec.request.count > int64_t{store::kMaxTxnOps})) {
    return InvalidArgument("count", "must be between 1 and " + std::to_string(store::kMaxTxnOps) +
                                        ", got " + std::to_string(spec.request.count));
  }
  placement::TaskRequest one = spec.request;
  if (given) {
    one.count = 1;
    one.strategies.clear();
  }
  auto compiled = placement::CompileRequest(one);
  if (!compiled.ok()) return FromPlacement(compiled.error());
  launches_.fetch_add(1);

  ClusterState& c = Cluster(spec.cluster);
  LaunchOutcome outcome;
  std::vector<v1::Task> tasks;
  const auto placing = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration placed_in{};
  {
    std::lock_guard lock(c.mu);
    if (c.stale || !c.snapshot) outcome.left_out = Rebuild(c);
    std::vector<uint32_t> placements;
    std::vector<SlotKey> taken;  // daemon reservations this launch's placements lifted
    if (given) {
      PlaceOnGiven(c, spec, one, placements, taken, outcome);
      for (const SlotKey& key : taken) {
        DaemonSlot& slot = c.slots.at(key);
        if (spec.dry_run) {
          // A preview leaves everything as it was.
          if (!c.snapshot->AddTask(c.index.at(key.first), *slot.reserved).ok()) c.stale = true;
        } else {
          // The task about to be held takes the room; Hold reserves whatever it leaves lacking.
          slot.reserved.reset();
          daemon_reservations_.fetch_sub(1);
        }
      }
    } else {
      placement::Decision decision = placement::Place(*c.snapshot, *compiled);
      placements = std::move(decision.placements);
      outcome.failures = std::move(decision.failures);
      outcome.first_task = decision.first_task;
      outcome.at_exhaustion = decision.at_exhaustion;
    }
    tasks.reserve(placements.size());
    for (uint32_t i : placements) {
      const std::string instance(c.snapshot->id(i));
      v1::Task task = spec.task;
      task.set_api_version("gantry.dev/v1");
      task.set_kind("Task");
      auto* meta = task.mutable_metadata();
      meta->set_name(new_name_());
      meta->clear_resource_version();
      (*meta->mutable_labels())["gantry.dev/cluster"] = spec.cluster;
      (*meta->mutable_labels())["gantry.dev/container-instance"] = instance;
      auto* s = task.mutable_spec();
      s->set_cluster(spec.cluster);
      s->set_container_instance(instance);
      s->set_group(spec.request.group);
      s->set_cpu(static_cast<int32_t>(spec.request.cpu));
      s->set_memory(static_cast<int32_t>(spec.request.memory));
      s->clear_host_ports();
      for (int32_t p : spec.request.ports) s->add_host_ports(p);
      if (!spec.dry_run) Hold(c, meta->name(), HeldTask{instance, TaskSpecOf(task), true});
      tasks.push_back(std::move(task));
    }
    placed_in = std::chrono::steady_clock::now() - placing;
  }
  if (observer_ && !spec.dry_run) {
    std::vector<std::string> reasons;
    reasons.reserve(outcome.failures.size() + outcome.instance_failures.size());
    for (placement::Stage stage : outcome.failures)
      reasons.emplace_back(placement::ReasonText(stage));
    for (const auto& f : outcome.instance_failures) reasons.push_back(f.reason);
    observer_->ObservePlacement(spec.cluster, std::chrono::duration<double>(placed_in).count(),
                                tasks.size(), reasons);
  }
  if (spec.dry_run) {
    for (auto& t : tasks) outcome.tasks.push_back(std::make_shared<const v1::Task>(std::move(t)));
    return outcome;
  }
  if (tasks.empty()) return outcome;

  auto committed = CommitTasks(spec, tasks, outcome.with_tasks_written);
  if (!committed.ok()) {
    std::lock_guard lock(c.mu);
    for (const auto& t : tasks) {
      if (auto it = c.tasks.find(t.metadata().name()); it != c.tasks.end()) Release(c, it);
    }
    released_.fetch_add(tasks.size());
    return committed.status();
  }
  outcome.revision = committed->revision;
  outcome.tasks.reserve(tasks.size());
  committed->objects.resize(tasks.size());  // the tasks come first; the rest were with_tasks's
  for (auto& object : committed->objects) {
    outcome.tasks.push_back(
        std::make_shared<const v1::Task>(std::move(static_cast<v1::Task&>(*object))));
  }
  tasks_committed_.fetch_add(tasks.size());
  return outcome;
}

}  // namespace gantry::api
