#include "controllers/service/service_controller.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <set>

#include "api/clock/format_time.h"
#include "api/schema/kinds.h"
#include "api/schema/object_state.h"
#include "api/schema/placement_specs.h"
#include "api/schema/task_groups.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/owner_handlers.h"
#include "controllers/runtime/standard_indexes.h"
#include "controllers/runtime/task_stops.h"
#include "controllers/service/service_events.h"
#include "controllers/service/service_plan.h"
#include "controllers/service/zone_rebalancing.h"
#include "placement/scale_in.h"

namespace gantry::controllers::service {
namespace {

constexpr std::chrono::milliseconds kCatchUpRetry{20};

std::string ServiceOfTask(const google::protobuf::Message& o) {
  return schema::ServiceOfGroup(static_cast<const v1::Task&>(o).spec().group());
}

}  // namespace

ServiceController::ServiceController(client::Client& client, clock::Clock& clock,
                                     runtime::InformerFactory& informers,
                                     runtime::ControllerOptions options, uint64_t seed)
    : client_(client),
      clock_(clock),
      recorder_(client, clock, kName),
      services_(informers.For(*schema::FindKind("Service"))),
      tasks_(informers.For(*schema::FindKind("Task"))),
      instances_(informers.For(*schema::FindKind("ContainerInstance"))),
      definitions_(informers.For(*schema::FindKind("TaskDefinition"))),
      expectations_(clock),
      rng_(seed) {
  if (options.name.empty()) options.name = kName;
  controller_ = std::make_unique<runtime::Controller>(
      clock, [this](const std::string& key) { return Reconcile(key); }, std::move(options));
  runtime::WorkQueue& queue = controller_->queue();

  auto by_name = [&queue](const runtime::ObjectRef& o) { queue.Add(schema::MetaOf(*o).name()); };
  services_.AddEventHandlers(
      {by_name,
       [by_name](const runtime::ObjectRef&, const runtime::ObjectRef& now) { by_name(now); },
       by_name});
  auto by_task = [&queue](const runtime::ObjectRef& o) {
    if (std::string service = ServiceOfTask(*o); !service.empty()) queue.Add(service);
  };
  // A task of any group that stops, or goes, frees room: the services waiting for room in its
  // cluster look again (the cluster changed; no timer polls for it).
  auto freed = [this](const v1::Task& t) {
    const std::string cluster = schema::ClusterNameOf(t.spec().cluster());
    std::vector<std::string> waiting;
    {
      std::lock_guard lock(mu_);
      for (const auto& [service, in] : unplaced_)
        if (in == cluster) waiting.push_back(service);
    }
    for (const auto& service : waiting) controller_->queue().Add(service);
  };
  tasks_.AddEventHandlers(
      {by_task,
       [this, by_task, freed](const runtime::ObjectRef& before, const runtime::ObjectRef& now) {
         const auto& was = static_cast<const v1::Task&>(*before);
         const auto& is = static_cast<const v1::Task&>(*now);
         const std::string service = ServiceOfTask(is);
         if (!service.empty() && runtime::FailedOnItsOwn(is) && !runtime::FailedOnItsOwn(was))
           TaskFailed(service, is.metadata().name());
         if (schema::HoldsResources(was) && !schema::HoldsResources(is)) freed(is);
         by_task(now);
       },
       [by_task, freed](const runtime::ObjectRef& o) {
         const auto& t = static_cast<const v1::Task&>(*o);
         if (schema::HoldsResources(t)) freed(t);
         by_task(o);
       }});
  // An instance that comes, goes, or changes its status, connection or spec may make room (or
  // take it): its cluster's services look again. Not on every recount of its resources (each
  // launch writes one; a task that stops frees room, above).
  runtime::OnPlacementChange(instances_, [this](const std::string& cluster) {
    {
      std::lock_guard lock(mu_);
      full_zones_.clear();  // room may have come anywhere
    }
    EnqueueServicesOf(cluster);
  });
  // A new revision of a family moves the services that follow the family.
  runtime::EnqueueOnNewRevision(definitions_, services_, queue, [](const auto& o) {
    return static_cast<const v1::Service&>(o).spec().task_definition();
  });
}

void ServiceController::EnqueueServicesOf(const std::string& cluster) {
  for (const auto& s : services_.ByIndex(runtime::kByCluster, schema::ClusterNameOf(cluster)))
    controller_->queue().Add(schema::MetaOf(*s).name());
}

void ServiceController::TaskFailed(const std::string& service, const std::string& task) {
  std::lock_guard lock(mu_);
  Failures& f = failures_[service];
  if (!f.seen.insert(task).second) return;
  const auto now = clock_.Now();
  // Tasks that fail together (a bad revision, all at once) count once: the wait doubles only for
  // a failure of a task launched after the last one counted.
  if (f.count > 0 && !f.launched) return;
  f.count += 1;
  f.counted += 1;
  f.last = now;
  f.launched = false;
}

clock::Clock::Duration ServiceController::LaunchHold(const std::string& service) {
  std::lock_guard lock(mu_);
  auto f = failures_.find(service);
  if (f == failures_.end() || f->second.count == 0) return clock::Clock::Duration::zero();
  const auto due = f->second.last + runtime::DoublingBackoff(f->second.count, kFailedTaskBackoff,
                                                             kMaxFailedTaskBackoff);
  const auto now = clock_.Now();
  return due > now ? due - now : clock::Clock::Duration::zero();
}

void ServiceController::Record(const v1::Service& service, runtime::EventType type,
                               const std::string& reason, const std::string& message) {
  (void)recorder_.Record(service, type, reason, message);
}

std::string ServiceController::Resolve(const std::string& reference) const {
  return runtime::ResolveRevision(definitions_, reference);
}

ServiceView ServiceController::ViewOf(const v1::Service& service,
                                      std::vector<runtime::ObjectRef>& keep, bool count_failures) {
  const std::string& name = service.metadata().name();
  const std::string cluster = schema::ClusterNameOf(service.spec().cluster());
  ServiceView view;
  view.service = &service;
  view.revision = Resolve(service.spec().task_definition());
  std::set<std::string> in_cache;
  for (const auto& t : tasks_.ByIndex(runtime::kByGroup, schema::ServiceGroup(name))) {
    const auto& task = static_cast<const v1::Task&>(*t);
    in_cache.insert(task.metadata().name());
    if (runtime::FailedOnItsOwn(task)) {
      if (count_failures) TaskFailed(name, task.metadata().name());
      view.failed[task.spec().started_by()].push_back(task.status().stopped_at());
    }
    if (schema::ClusterNameOf(task.spec().cluster()) != cluster || !schema::HoldsResources(task))
      continue;
    view.tasks.push_back(&task);
    keep.push_back(t);
  }
  if (count_failures) {
    std::lock_guard lock(mu_);
    if (auto f = failures_.find(name); f != failures_.end()) {
      std::erase_if(f->second.seen, [&](const std::string& t) { return in_cache.count(t) == 0; });
    }
  }
  // The instances that host its tasks: what a scale-in weighs (their zones, what they have left,
  // whether they drain). Not the whole cluster: a pass costs the service's size, not the fleet's.
  std::set<std::string> hosts;
  for (const v1::Task* t : view.tasks) hosts.insert(t->spec().container_instance());
  for (const std::string& host : hosts) {
    runtime::ObjectRef i = instances_.Get(host);
    if (!i) continue;
    placement::InstanceSpec spec =
        schema::InstanceSpecOf(static_cast<const v1::ContainerInstance&>(*i));
    for (const auto& t : tasks_.ByIndex(runtime::kByInstance, spec.id)) {
      const auto& task = static_cast<const v1::Task&>(*t);
      if (schema::HoldsResources(task)) spec.tasks.push_back(schema::TaskSpecOf(task));
    }
    view.instances.push_back(std::move(spec));
  }
  // The zones rebalancing weighs, only where it may apply: a pass over the whole cluster.
  if (!RebalancingApplies(service.spec())) return view;
  std::set<std::string> zones;
  for (const auto& i : instances_.ByIndex(runtime::kByCluster, cluster)) {
    const auto& instance = static_cast<const v1::ContainerInstance&>(*i);
    if (instance.status().status() != "ACTIVE" || !instance.status().agent_connected()) continue;
    for (const auto& a : instance.spec().attributes())
      if (a.name() == kZoneAttribute) zones.insert(a.value());
  }
  {
    // Zones a rebalancing launch found no room in (the service's constraints may exclude them)
    // are left out until an instance changes.
    std::lock_guard lock(mu_);
    if (auto full = full_zones_.find(name); full != full_zones_.end())
      for (const auto& zone : full->second) zones.erase(zone);
  }
  view.zones.assign(zones.begin(), zones.end());
  return view;
}

v1::LaunchRequest ServiceController::LaunchFor(const v1::Service& service, const ServicePlan& plan,
                                               int count) const {
  v1::LaunchRequest launch;
  launch.set_cluster(schema::ClusterNameOf(service.spec().cluster()));
  launch.set_task_definition(plan.revision);
  launch.set_count(count);
  launch.set_group(schema::ServiceGroup(service.metadata().name()));
  launch.set_started_by(plan.deployment);
  *launch.mutable_placement_constraints() = service.spec().placement_constraints();
  *launch.mutable_placement_strategy() = service.spec().placement_strategy();
  if (launch.placement_strategy().empty()) {
    for (const auto& s : placement::ServiceDefaultStrategies()) {
      auto* strategy = launch.add_placement_strategy();
      strategy->set_type(s.type);
      strategy->set_field(s.field.value_or(""));
    }
  }
  if (!plan.zone.empty()) {  // rebalancing: into that zone
    auto* c = launch.add_placement_constraints();
    c->set_type("memberOf");
    c->set_expression(std::string("attribute:") + kZoneAttribute + " == " + plan.zone);
  }
  return launch;
}

namespace {

const char* StateName(RolloutState state) {
  switch (state) {
    case RolloutState::kProgressing:
      return "PROGRESSING";
    case RolloutState::kWaiting:
      return "WAITING";
    case RolloutState::kComplete:
      return "COMPLETE";
    case RolloutState::kStuck:
      return "STUCK";
  }
  return "?";
}

}  // namespace

api::StatusOr<v1::ServicePlanPreview> ServiceController::Preview(const v1::Service& service) {
  std::vector<runtime::ObjectRef> keep;
  const ServiceView view = ViewOf(service, keep, /*count_failures=*/false);
  if (view.revision.empty()) {
    return api::Status(api::Code::kFailedPrecondition,
                       "task definition " + service.spec().task_definition() + " not found",
                       "spec.taskDefinition");
  }
  uint64_t seed;
  {
    std::lock_guard lock(mu_);
    seed = rng_();
  }
  auto plan = PlanService(view, clock::FormatTime(clock_.Now()), seed);
  if (!plan.ok()) return plan.status();
  v1::ServicePlanPreview preview;
  preview.set_service(service.metadata().name());
  preview.set_deployment(plan->deployment);
  preview.set_new_deployment(true);
  for (const auto& d : service.status().deployments())
    if (d.id() == plan->deployment) preview.set_new_deployment(false);
  preview.set_task_definition(plan->revision);
  preview.set_desired_count(service.spec().desired_count());
  preview.set_running_count(plan->status.running_count());
  preview.set_pending_count(plan->status.pending_count());
  preview.set_state(StateName(plan->state));
  for (const auto& c : plan->status.conditions())
    if (c.type() == "Stalled" && c.status() == "True") preview.set_message(c.message());
  auto zone_of = [&](const std::string& instance) {
    runtime::ObjectRef i = instances_.Get(instance);
    if (!i) return std::string();
    for (const auto& a : static_cast<const v1::ContainerInstance&>(*i).spec().attributes())
      if (a.name() == "ecs.availability-zone") return a.value();
    return std::string();
  };
  for (const std::string& name : plan->stop) {
    runtime::ObjectRef t = tasks_.Get(name);
    if (!t) continue;
    const auto& task = static_cast<const v1::Task&>(*t);
    auto* stop = preview.add_stop();
    stop->set_task(name);
    stop->set_container_instance(task.spec().container_instance());
    stop->set_availability_zone(zone_of(task.spec().container_instance()));
    stop->set_task_definition(task.spec().task_definition());
  }
  // Where they would go: one dry-run launch (at most a transaction's worth; the rest show as
  // a later pass's).
  const int start = std::min(plan->start, static_cast<int>(client::kMaxCommitWrites));
  if (start > 0) {
    v1::LaunchRequest launch = LaunchFor(service, *plan, start);
    launch.set_dry_run(true);
    auto launched = client_.Launch(launch);
    if (!launched.ok()) return launched.status();
    for (const auto& t : launched->tasks()) {
      auto* s = preview.add_start();
      s->set_task(t.metadata().name());
      s->set_container_instance(t.spec().container_instance());
      s->set_availability_zone(zone_of(t.spec().container_instance()));
      s->set_task_definition(t.spec().task_definition());
    }
    preview.set_unplaced(start - launched->tasks_size());
    *preview.mutable_failures() = launched->failures();
  }
  return preview;
}

api::StatusOr<runtime::ReconcileOutcome> ServiceController::Reconcile(const std::string& name) {
  runtime::ObjectRef object = services_.Get(name);
  if (!object) {
    // Deleted: its tasks go with it (ECS's delete-service --force), stopped, not deleted, so
    // they show as STOPPED for their retention.
    expectations_.Forget(name);
    {
      std::lock_guard lock(mu_);
      task_writes_.erase(name);
      failures_.erase(name);
      full_zones_.erase(name);
      unplaced_.erase(name);
    }
    if (auto st = runtime::StopGroup(client_, tasks_, schema::ServiceGroup(name),
                                     "Service " + name + " was deleted");
        !st.ok())
      return st;
    return runtime::ReconcileOutcome{};
  }
  const auto& service = static_cast<const v1::Service&>(*object);
  // Plan only from caches that show this controller's own last writes: a launch the task cache
  // has not seen yet would be launched again.
  if (auto wait = expectations_.Pending(name, runtime::RevisionOf(service))) {
    return runtime::ReconcileOutcome{.requeue_after =
                                         std::min<clock::Clock::Duration>(*wait, kCatchUpRetry)};
  }
  uint64_t seed;
  uint64_t failures_before = 0;  // counted when this pass began
  {
    std::lock_guard lock(mu_);
    if (auto f = failures_.find(name); f != failures_.end()) failures_before = f->second.counted;
    auto written = task_writes_.find(name);
    if (written != task_writes_.end() && tasks_.ObservedRevision() < written->second) {
      return runtime::ReconcileOutcome{.requeue_after = kCatchUpRetry};
    }
    seed = rng_();
  }

  std::vector<runtime::ObjectRef> keep;  // the objects the view points into
  const ServiceView view = ViewOf(service, keep, /*count_failures=*/true);
  const std::string now = clock::FormatTime(clock_.Now());
  auto plan = PlanService(view, now, seed);
  if (!plan.ok()) return plan.status();

  std::vector<std::string> stopped_tasks, started_tasks;
  int64_t wrote_tasks = 0;
  // The next pass waits for the task cache to show what this one wrote, also when it ends early:
  // a stop or launch it does not see yet would be made again.
  auto remember_writes = [&] {
    if (wrote_tasks == 0) return;
    std::lock_guard lock(mu_);
    task_writes_[name] = std::max(task_writes_[name], wrote_tasks);
  };
  for (const std::string& task_name : plan->stop) {
    runtime::ObjectRef cached = tasks_.Get(task_name);
    if (!cached) continue;
    auto stopped =
        runtime::StopTask(client_, static_cast<const v1::Task&>(*cached),
                          "Scaling activity initiated by (deployment " + plan->deployment + ")");
    if (!stopped.ok()) {  // changed meanwhile: the next pass sees it
      remember_writes();
      return stopped.status();
    }
    wrote_tasks = std::max(wrote_tasks, *stopped);
    stopped_tasks.push_back(task_name);
  }

  if (plan->state == RolloutState::kComplete) {
    // Steady: the next failure starts the backoff again, unless one came while this pass
    // looked at a cache from before it.
    std::lock_guard lock(mu_);
    if (auto f = failures_.find(name); f != failures_.end() && f->second.counted == failures_before)
      f->second.count = 0;
  }
  const clock::Clock::Duration hold =
      plan->start > 0 ? LaunchHold(name) : clock::Clock::Duration::zero();
  bool unplaced = false;
  bool rebalance_blocked = false;
  std::string unplaced_message;
  for (int left = hold > clock::Clock::Duration::zero() ? 0 : plan->start; left > 0;) {
    const v1::LaunchRequest launch =
        LaunchFor(service, *plan, std::min(left, static_cast<int>(client::kMaxCommitWrites)));
    auto launched = client_.Launch(launch);
    if (!launched.ok()) {
      remember_writes();
      return launched.status();
    }
    if (launched->tasks_size() > 0) {
      std::lock_guard lock(mu_);
      if (auto f = failures_.find(name); f != failures_.end()) f->second.launched = true;
    }
    for (const auto& t : launched->tasks()) {
      wrote_tasks = std::max(wrote_tasks, runtime::RevisionOf(t));
      started_tasks.push_back(t.metadata().name());
    }
    if (launched->failures_size() > 0 && !plan->zone.empty()) {
      // No room in the emptiest zone: it is left out of the balance until an instance of the
      // cluster changes. Not a stall: every task the service needs runs.
      rebalance_blocked = true;
      std::lock_guard lock(mu_);
      full_zones_[name].insert(plan->zone);
    } else if (launched->failures_size() > 0) {
      unplaced = true;
      const auto& failure = launched->failures(0);
      unplaced_message =
          "(service " + name +
          ") was unable to place a task because no container instance met all of its "
          "requirements. Reason: " +
          failure.reason() + (failure.detail().empty() ? "" : " (" + failure.detail() + ")");
    }
    if (launched->tasks_size() == 0) break;
    left -= launched->tasks_size();
  }
  remember_writes();

  // The service's own events, in the order things happened on this pass.
  std::vector<std::pair<runtime::EventType, std::pair<std::string, std::string>>> events;
  auto tell = [&](runtime::EventType type, const std::string& reason, const std::string& message) {
    AddServiceEvent(plan->status, message, now);
    events.push_back({type, {reason, message}});
  };
  for (const auto& m :
       DeploymentMessages(name, service.status().history(), plan->status.history())) {
    tell(m.warning ? runtime::EventType::kWarning : runtime::EventType::kNormal, m.reason, m.text);
  }
  if (!stopped_tasks.empty())
    tell(runtime::EventType::kNormal, "StoppedTasks", TasksMessage(name, "stopped", stopped_tasks));
  if (!started_tasks.empty())
    tell(runtime::EventType::kNormal, "StartedTasks", TasksMessage(name, "started", started_tasks));
  if (unplaced) {
    MarkUnplaceable(*plan, service, unplaced_message, now);
    const bool told =
        !plan->status.events().empty() && plan->status.events(0).message() == unplaced_message;
    if (!told) tell(runtime::EventType::kWarning, "FailedPlacement", unplaced_message);
  }
  const bool was_ready = [&] {
    for (const auto& c : service.status().conditions())
      if (c.type() == "Ready") return c.status() == "True";
    return false;
  }();
  const bool ready = [&] {
    for (const auto& c : plan->status.conditions())
      if (c.type() == "Ready") return c.status() == "True";
    return false;
  }();
  auto rebalancing = [](const v1::ServiceStatus& status) {
    for (const auto& c : status.conditions())
      if (c.type() == "Reconciling" && c.status() == "True") return c.reason() == "Rebalancing";
    return false;
  };
  if (rebalancing(plan->status) && !rebalancing(service.status())) {
    tell(runtime::EventType::kNormal, "SERVICE_REBALANCING_STARTED",
         "(service " + name + ") has started rebalancing tasks across availability zones.");
  } else if (ready && rebalancing(service.status())) {
    tell(runtime::EventType::kNormal, "SERVICE_REBALANCING_COMPLETED",
         "(service " + name + ") has completed rebalancing tasks across availability zones.");
  }
  if (ready && !was_ready) {
    tell(runtime::EventType::kNormal, "SteadyState",
         "(service " + name + ") has reached a steady state.");
  }
  // A stall other than a failed deployment (told above) is told when it begins.
  auto stalled_reason = [](const v1::ServiceStatus& status) {
    for (const auto& c : status.conditions())
      if (c.type() == "Stalled" && c.status() == "True") return c.reason() + ": " + c.message();
    return std::string();
  };
  if (plan->state == RolloutState::kStuck && !unplaced &&
      stalled_reason(plan->status) != stalled_reason(service.status())) {
    for (const auto& c : plan->status.conditions()) {
      if (c.type() == "Stalled" && c.status() == "True" && c.reason() != "DeploymentFailed" &&
          c.reason() != "RolledBack")
        tell(runtime::EventType::kWarning, c.reason(), "(service " + name + ") " + c.message());
    }
  }
  if (!google::protobuf::util::MessageDifferencer::Equals(plan->status, service.status())) {
    v1::Service next = service;
    *next.mutable_status() = plan->status;
    auto written = client_.UpdateStatus(next);
    if (!written.ok()) return written.status();
    expectations_.Expect(name, runtime::RevisionOf(**written));
  }
  for (const auto& [type, what] : events) Record(service, type, what.first, what.second);
  if (hold > clock::Clock::Duration::zero())
    return runtime::ReconcileOutcome{.requeue_after = hold};
  if (rebalance_blocked) return runtime::ReconcileOutcome{.requeue_after = kCatchUpRetry};
  if (plan->wake_after) {
    // A bake ends: the next step moves then (a second later than the bake, in whole seconds
    // as the record's times are).
    return runtime::ReconcileOutcome{.requeue_after = *plan->wake_after + std::chrono::seconds(1)};
  }
  {
    // Waiting for room: looked at again when its cluster changes (a task stops or goes, an
    // instance comes, goes or changes).
    std::lock_guard lock(mu_);
    if (unplaced) {
      unplaced_[name] = schema::ClusterNameOf(service.spec().cluster());
    } else {
      unplaced_.erase(name);
    }
  }
  return runtime::ReconcileOutcome{};
}

}  // namespace gantry::controllers::service
