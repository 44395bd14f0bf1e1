#include "controllers/environment/environment_controller.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <set>

#include "api/clock/format_time.h"
#include "api/schema/environment_deployments.h"
#include "api/schema/kinds.h"
#include "api/schema/object_state.h"
#include "api/schema/placement_specs.h"
#include "api/schema/task_groups.h"
#include "controllers/environment/daemon_breaker.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/owner_handlers.h"
#include "controllers/runtime/standard_indexes.h"
#include "controllers/runtime/task_stops.h"
#include "placement/placement.h"
#include "placement/snapshot.h"

namespace gantry::controllers::environment {
namespace {

constexpr std::chrono::milliseconds kCatchUpRetry{20};
constexpr std::chrono::seconds kFailedLaunchRetry{1};

std::string EnvironmentOfTask(const google::protobuf::Message& o) {
  return schema::EnvironmentOfGroup(static_cast<const v1::Task&>(o).spec().group());
}

}  // namespace

EnvironmentController::EnvironmentController(client::Client& client, clock::Clock& clock,
                                             runtime::InformerFactory& informers,
                                             runtime::ControllerOptions options)
    : client_(client),
      clock_(clock),
      recorder_(client, clock, kName),
      environments_(informers.For(*schema::FindKind("Environment"))),
      tasks_(informers.For(*schema::FindKind("Task"))),
      instances_(informers.For(*schema::FindKind("ContainerInstance"))),
      definitions_(informers.For(*schema::FindKind("TaskDefinition"))),
      deployments_(informers.For(*schema::FindKind("Deployment"))),
      expectations_(clock) {
  if (options.name.empty()) options.name = kName;
  controller_ = std::make_unique<runtime::Controller>(
      clock, [this](const std::string& key) { return Reconcile(key); }, std::move(options));
  runtime::WorkQueue& queue = controller_->queue();

  auto by_name = [&queue](const runtime::ObjectRef& o) { queue.Add(schema::MetaOf(*o).name()); };
  environments_.AddEventHandlers(
      {by_name,
       [by_name](const runtime::ObjectRef&, const runtime::ObjectRef& now) { by_name(now); },
       by_name});
  auto by_task = [&queue](const runtime::ObjectRef& o) {
    if (std::string env = EnvironmentOfTask(*o); !env.empty()) queue.Add(env);
  };
  tasks_.AddEventHandlers(
      {by_task,
       [this, by_task](const runtime::ObjectRef& before, const runtime::ObjectRef& now) {
         const auto& was = static_cast<const v1::Task&>(*before);
         const auto& is = static_cast<const v1::Task&>(*now);
         const std::string env = EnvironmentOfTask(is);
         if (!env.empty() && runtime::FailedOnItsOwn(is) && !runtime::FailedOnItsOwn(was)) {
           std::lock_guard lock(mu_);
           if (seen_failed_.emplace(is.metadata().name(), env).second) {
             Failures& f = failures_[env][is.spec().container_instance()];
             f.count += 1;
             f.last = clock_.Now();
           }
         }
         by_task(now);
       },
       [this, by_task](const runtime::ObjectRef& o) {
         {
           std::lock_guard lock(mu_);
           seen_failed_.erase(schema::MetaOf(*o).name());
         }
         by_task(o);
       }});
  // An instance that comes, goes, or changes its status, connection or spec changes the group;
  // not its recounts (each launch writes one).
  runtime::OnPlacementChange(
      instances_, [this](const std::string& cluster) { EnqueueEnvironmentsOf(cluster); });
  auto by_deployment = [&queue](const runtime::ObjectRef& o) {
    queue.Add(static_cast<const v1::Deployment&>(*o).spec().environment());
  };
  deployments_.AddEventHandlers(
      {by_deployment,
       [by_deployment](const runtime::ObjectRef&, const runtime::ObjectRef& now) {
         by_deployment(now);
       },
       nullptr});
  // A new revision of a family moves the environments that follow the family.
  runtime::EnqueueOnNewRevision(definitions_, environments_, queue, [](const auto& o) {
    return static_cast<const v1::Environment&>(o).spec().task_definition();
  });
}

void EnvironmentController::EnqueueEnvironmentsOf(const std::string& cluster) {
  for (const auto& e : environments_.ByIndex(runtime::kByCluster, schema::ClusterNameOf(cluster)))
    controller_->queue().Add(schema::MetaOf(*e).name());
}

api::StatusOr<std::vector<std::string>> EnvironmentController::Eligible(
    const v1::Environment& environment) const {
  const auto& group = environment.spec().instance_group();
  std::vector<std::string> ids;
  std::vector<placement::InstanceSpec> specs;  // with a filter: what it reads of each instance
  for (const auto& i :
       instances_.ByIndex(runtime::kByCluster, schema::ClusterNameOf(group.cluster()))) {
    const auto& instance = static_cast<const v1::ContainerInstance&>(*i);
    if (instance.status().status() != "ACTIVE" || !instance.status().agent_connected()) continue;
    if (group.filter().empty()) {
      ids.push_back(instance.metadata().name());
      continue;
    }
    placement::InstanceSpec spec = schema::InstanceSpecOf(instance);
    // What task:group and runningTasksCount in a filter read.
    for (const auto& t : tasks_.ByIndex(runtime::kByInstance, spec.id)) {
      const auto& task = static_cast<const v1::Task&>(*t);
      if (schema::HoldsResources(task)) spec.tasks.push_back(schema::TaskSpecOf(task));
    }
    specs.push_back(std::move(spec));
  }
  if (group.filter().empty()) return ids;
  auto snapshot = placement::ClusterSnapshot::Build(specs);
  if (!snapshot.ok()) {
    // One unreadable instance must not leave the others uncovered: check them one by one.
    for (const auto& s : specs) {
      auto one = placement::ClusterSnapshot::Build({s});
      if (!one.ok()) continue;
      auto matched = placement::Filter(*one, group.filter());
      if (!matched.ok())
        return api::InvalidArgument("spec.instanceGroup.filter", matched.error().message);
      if (!matched->empty()) ids.push_back(s.id);
    }
    return ids;
  }
  auto matched = placement::Filter(*snapshot, group.filter());
  if (!matched.ok())
    return api::InvalidArgument("spec.instanceGroup.filter", matched.error().message);
  for (uint32_t i : *matched) ids.push_back(std::string(snapshot->id(i)));
  return ids;
}

clock::Clock::Duration EnvironmentController::RestartHold(const std::string& environment,
                                                          const std::string& instance) {
  std::lock_guard lock(mu_);
  auto env = failures_.find(environment);
  if (env == failures_.end()) return clock::Clock::Duration::zero();
  auto f = env->second.find(instance);
  if (f == env->second.end() || f->second.count == 0) return clock::Clock::Duration::zero();
  const auto due = f->second.last +
                   runtime::DoublingBackoff(f->second.count, kRestartBackoff, kMaxRestartBackoff);
  const auto now = clock_.Now();
  return due > now ? due - now : clock::Clock::Duration::zero();
}

std::vector<runtime::ObjectRef> EnvironmentController::DeploymentsOf(
    const std::string& environment) const {
  std::vector<runtime::ObjectRef> out = deployments_.ByIndex(runtime::kByEnvironment, environment);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return schema::OlderDeployment(static_cast<const v1::Deployment&>(*a),
                                   static_cast<const v1::Deployment&>(*b));
  });
  return out;
}

api::Status EnvironmentController::RecordDeployment(const std::string& environment,
                                                    const std::string& revision) {
  const auto mine = DeploymentsOf(environment);
  const int count = static_cast<int>(mine.size());
  for (const auto& o : mine) {
    const auto& d = static_cast<const v1::Deployment&>(*o);
    const std::string& phase = d.status().phase();
    if (d.spec().task_definition() == revision &&
        (phase.empty() || phase == "PENDING" || phase == "IN_PROGRESS"))
      return {};  // already recorded (a pass that did not see its own write yet writes none)
  }
  v1::Deployment d;
  d.set_api_version("gantry.dev/v1");
  d.set_kind("Deployment");
  d.mutable_spec()->set_environment(environment);
  d.mutable_spec()->set_task_definition(revision);
  // Its status (IN_PROGRESS, then COMPLETED) follows from AdvanceDeployments once the
  // deployment informer has it. <environment>-<n>; a name taken (one the cache has not shown
  // yet) tries the next.
  for (int n = count + 1; n < count + 100; ++n) {
    d.mutable_metadata()->set_name(environment + "-" + std::to_string(n));
    auto created = client_.Create(d);
    if (created.ok() || created.status().code() != api::Code::kAlreadyExists)
      return created.ok() ? api::Status() : created.status();
  }
  return api::Status(api::Code::kAborted, "no free deployment name for " + environment);
}

std::string EnvironmentController::ActiveDeployment(const std::string& environment,
                                                    const std::string& revision) const {
  const auto mine = DeploymentsOf(environment);
  for (auto o = mine.rbegin(); o != mine.rend(); ++o) {
    const auto& d = static_cast<const v1::Deployment&>(**o);
    const std::string& phase = d.status().phase();
    if (d.spec().task_definition() == revision && phase != "FAILED" && phase != "ROLLED_BACK")
      return d.metadata().name();
  }
  return "";
}

api::Status EnvironmentController::AdvanceDeployments(const std::string& environment,
                                                      const v1::EnvironmentStatus& status,
                                                      bool ready, int failed_tasks) {
  const std::string now = clock::FormatTime(clock_.Now());
  // Oldest first: one moves at a time, and a later one waits while an earlier is in progress.
  bool earlier_open = false;
  for (const auto& o : DeploymentsOf(environment)) {
    const auto& d = static_cast<const v1::Deployment&>(*o);
    const std::string& phase = d.status().phase();
    if (phase == "COMPLETED" || phase == "FAILED" || phase == "ROLLED_BACK") continue;
    v1::Deployment next = d;
    auto* st = next.mutable_status();
    const bool ours = d.spec().task_definition().empty() ||
                      d.spec().task_definition() == status.task_definition();
    if (earlier_open && ours) {
      st->set_phase("PENDING");  // waits for the one before it (Blox v1)
    } else if (!ours && !status.task_definition().empty()) {
      st->set_phase("FAILED");  // the environment has moved on to another revision
      st->set_finished_at(now);
    } else if (ready) {
      st->set_phase("COMPLETED");
      if (st->started_at().empty()) st->set_started_at(now);
      st->set_finished_at(now);
    } else {
      st->set_phase("IN_PROGRESS");
      if (st->started_at().empty()) st->set_started_at(now);
    }
    if (st->phase() == "IN_PROGRESS" || st->phase() == "PENDING") earlier_open = true;
    st->clear_failed_instances();
    for (const auto& f : status.instance_failures()) st->add_failed_instances(f.instance());
    if (ours && st->phase() != "PENDING") {
      st->set_instances_eligible(status.instances_eligible());
      st->set_instances_covered(status.instances_covered());
      st->set_failed_tasks(failed_tasks);
    }
    if (google::protobuf::util::MessageDifferencer::Equals(*st, d.status())) continue;
    auto written = client_.UpdateStatus(next);
    if (!written.ok() && written.status().code() != api::Code::kNotFound) return written.status();
  }
  return {};
}

api::StatusOr<runtime::ReconcileOutcome> EnvironmentController::Reconcile(const std::string& name) {
  runtime::ObjectRef object = environments_.Get(name);
  if (!object) {
    // Deleted: its tasks stop with it (they stay as STOPPED for their retention).
    expectations_.Forget(name);
    {
      std::lock_guard lock(mu_);
      task_writes_.erase(name);
      failures_.erase(name);
    }
    if (auto st = runtime::StopGroup(client_, tasks_, schema::EnvironmentGroup(name),
                                     "Environment " + name + " was deleted");
        !st.ok())
      return st;
    return runtime::ReconcileOutcome{};
  }
  const auto& env = static_cast<const v1::Environment&>(*object);
  if (auto wait = expectations_.Pending(name, runtime::RevisionOf(env))) {
    return runtime::ReconcileOutcome{.requeue_after =
                                         std::min<clock::Clock::Duration>(*wait, kCatchUpRetry)};
  }
  {
    std::lock_guard lock(mu_);
    auto written = task_writes_.find(name);
    if (written != task_writes_.end() && tasks_.ObservedRevision() < written->second)
      return runtime::ReconcileOutcome{.requeue_after = kCatchUpRetry};
  }
  const std::string now = clock::FormatTime(clock_.Now());
  const auto generation = static_cast<int32_t>(env.metadata().generation());
  const v1::EnvironmentStatus& before = env.status();
  v1::EnvironmentStatus status;
  status.set_observed_generation(generation);
  runtime::ReconcileOutcome outcome;  // a held restart or a failed launch: look again then

  auto stalled = [&](const std::string& reason, const std::string& message) {
    *status.add_conditions() =
        runtime::ConditionOf(before.conditions(), "Ready", false, reason, message, now, generation);
    *status.add_conditions() =
        runtime::ConditionOf(before.conditions(), "Reconciling", false, "", "", now, generation);
    *status.add_conditions() = runtime::ConditionOf(before.conditions(), "Stalled", true, reason,
                                                    message, now, generation);
  };
  const std::string wanted = runtime::ResolveRevision(definitions_, env.spec().task_definition());
  // The circuit breaker may hold the roll to `wanted`, or run the revision it rolled back to.
  BreakerOutcome breaker;
  breaker.run = wanted;
  if (!wanted.empty()) {
    BreakerInput in;
    in.wanted = wanted;
    const std::vector<runtime::ObjectRef> held = DeploymentsOf(name);  // in.deployments' objects
    for (auto o = held.rbegin(); o != held.rend(); ++o)                // newest first
      in.deployments.push_back(&static_cast<const v1::Deployment&>(**o));
    const auto& cb = env.spec().deployment_configuration().circuit_breaker();
    in.threshold = cb.threshold();
    in.rollback = cb.rollback();
    for (const auto& t : tasks_.ByIndex(runtime::kByGroup, schema::EnvironmentGroup(name))) {
      const auto& task = static_cast<const v1::Task&>(*t);
      if (task.spec().task_definition() == wanted && runtime::FailedOnItsOwn(task))
        in.failed_at.push_back(task.status().stopped_at());
    }
    breaker = ApplyBreaker(in);
    if (!breaker.tripped.empty()) {
      for (const auto* d : in.deployments) {
        if (d->metadata().name() != breaker.tripped) continue;
        v1::Deployment failed = *d;
        failed.mutable_status()->set_phase(breaker.phase);
        failed.mutable_status()->set_finished_at(now);
        failed.mutable_status()->set_failed_tasks(breaker.failures);
        *failed.mutable_status()->add_conditions() = runtime::ConditionOf(
            d->status().conditions(), "Stalled", true, kCircuitBreaker, breaker.reason, now,
            static_cast<int32_t>(d->metadata().generation()));
        auto written = client_.UpdateStatus(failed);
        if (!written.ok() && written.status().code() != api::Code::kNotFound)
          return written.status();
        (void)recorder_.Record(env, runtime::EventType::kWarning, "DeploymentFailed",
                               "(environment " + name + ") deployment " + breaker.tripped +
                                   " failed: " + breaker.reason);
      }
    }
  }
  const std::string revision = breaker.run;
  bool revision_done = false;  // every eligible instance runs `revision`, nothing else
  auto eligible = Eligible(env);
  if (revision.empty() || !eligible.ok()) {
    status.set_health("unhealthy");
    status.set_task_definition(before.task_definition());
    if (revision.empty()) {
      stalled("TaskDefinitionNotFound",
              "task definition " + env.spec().task_definition() + " not found");
    } else {
      stalled("InvalidFilter", eligible.status().ToString());
    }
  } else {
    DaemonView view;
    view.revision = revision;
    view.eligible = *eligible;
    {
      // Restart backoffs of instances that left the group go with them.
      const std::set<std::string> eligible_now(view.eligible.begin(), view.eligible.end());
      std::lock_guard lock(mu_);
      if (auto f = failures_.find(name); f != failures_.end())
        std::erase_if(f->second, [&](const auto& kv) { return !eligible_now.count(kv.first); });
    }
    std::vector<runtime::ObjectRef> keep;  // what view.tasks points into
    for (const auto& t : tasks_.ByIndex(runtime::kByGroup, schema::EnvironmentGroup(name))) {
      const auto& task = static_cast<const v1::Task&>(*t);
      if (!schema::HoldsResources(task)) continue;
      view.tasks.push_back(&task);
      keep.push_back(t);
    }
    const auto& config = env.spec().deployment_configuration();
    view.drain_percent = config.has_drain_percent() ? config.drain_percent() : kDefaultDrainPercent;
    view.max_surge_percent = config.max_surge_percent();
    for (const auto& f : before.instance_failures()) view.no_room.insert(f.instance());
    DaemonPlan plan = PlanDaemon(view);
    if (breaker.halted) {
      // A failed roll holds: nothing starts, only tasks on instances that left the group stop.
      const std::set<std::string> in_group_now(view.eligible.begin(), view.eligible.end());
      plan.start.clear();
      std::erase_if(plan.stop, [&](const std::string& task_name) {
        runtime::ObjectRef t = tasks_.Get(task_name);
        return t &&
               in_group_now.count(static_cast<const v1::Task&>(*t).spec().container_instance());
      });
    }

    int64_t wrote = 0;
    auto remember_writes = [&] {
      if (wrote == 0) return;
      std::lock_guard lock(mu_);
      task_writes_[name] = std::max(task_writes_[name], wrote);
    };
    const std::set<std::string> in_group(view.eligible.begin(), view.eligible.end());
    for (const std::string& task_name : plan.stop) {
      runtime::ObjectRef cached = tasks_.Get(task_name);
      if (!cached) continue;
      const auto& task = static_cast<const v1::Task&>(*cached);
      const std::string why =
          !in_group.count(task.spec().container_instance())
              ? "its instance is no longer in the group (draining, disconnected or filtered out)"
          : task.spec().task_definition() != revision ? "replaced by " + revision
                                                      : "a second task on its instance";
      auto stopped = runtime::StopTask(client_, task, "Environment " + name + ": " + why);
      if (!stopped.ok()) {
        remember_writes();
        return stopped.status();
      }
      wrote = std::max(wrote, *stopped);
    }
    // Starts, except where a task keeps failing and its backoff has not passed.
    std::vector<std::string> start;
    clock::Clock::Duration hold = clock::Clock::Duration::max();
    for (const std::string& instance : plan.start) {
      const auto wait = RestartHold(name, instance);
      if (wait > clock::Clock::Duration::zero()) {
        hold = std::min(hold, wait);
      } else {
        start.push_back(instance);
      }
    }
    std::map<std::string, v1::EnvironmentInstanceFailure> failed;
    for (const auto& f : before.instance_failures()) failed[f.instance()] = f;
    for (size_t from = 0; from < start.size(); from += client::kMaxCommitWrites) {
      v1::LaunchRequest launch;
      launch.set_cluster(schema::ClusterNameOf(env.spec().instance_group().cluster()));
      launch.set_task_definition(revision);
      launch.set_group(schema::EnvironmentGroup(name));
      const size_t to = std::min(start.size(), from + client::kMaxCommitWrites);
      for (size_t i = from; i < to; ++i) launch.add_container_instances(start[i]);
      auto launched = client_.Launch(launch);
      if (!launched.ok()) {
        remember_writes();
        return launched.status();
      }
      for (const auto& t : launched->tasks()) {
        wrote = std::max(wrote, runtime::RevisionOf(t));
        failed.erase(t.spec().container_instance());
      }
      for (const auto& f : launched->failures()) {
        const std::string instance = f.arn().substr(f.arn().rfind('/') + 1);
        v1::EnvironmentInstanceFailure& out = failed[instance];
        out.set_instance(instance);
        out.set_reason(f.reason());
        out.set_detail(f.detail());
        // The launcher may judge from a view behind ours (an instance it has not seen join or
        // come back yet), and no event of ours comes when it catches up: look again later.
        hold = std::min<clock::Clock::Duration>(hold, kFailedLaunchRetry);
        // Counted on one Event while it repeats (the recorder's dedup).
        (void)recorder_.Record(env, runtime::EventType::kWarning, "FailedPlacement",
                               "(environment " + name + ") could not start its task on " +
                                   instance + ". Reason: " + f.reason() +
                                   (f.detail().empty() ? "" : " (" + f.detail() + ")"));
      }
    }
    remember_writes();

    // Failures of instances that are no longer eligible, or now run the revision, are over.
    const std::set<std::string> still(view.eligible.begin(), view.eligible.end());
    std::set<std::string> covered_instances;
    for (const v1::Task* t : view.tasks) {
      if (t->spec().task_definition() == revision && t->status().last_status() == "RUNNING")
        covered_instances.insert(t->spec().container_instance());
    }
    std::erase_if(failed, [&](const auto& kv) {
      return !still.count(kv.first) || covered_instances.count(kv.first);
    });
    status.set_task_definition(revision);
    status.set_active_deployment(ActiveDeployment(name, revision));
    if (before.task_definition() != revision && revision == wanted) {
      // A changed task definition is a deployment, recorded as Blox records one; the first
      // revision too (what a rollback returns to). A rollback is its failed deployment's end,
      // not a deployment of its own.
      if (auto st = RecordDeployment(name, revision); !st.ok()) return st;
    }
    status.set_instances_eligible(plan.eligible);
    status.set_instances_covered(plan.covered);
    for (const auto& [instance, f] : failed) {
      *status.add_instance_failures() = f;
      status.add_failed_instances(instance);
    }
    status.set_health(failed.empty() ? "healthy" : "unhealthy");
    const std::string progress = std::to_string(plan.covered) + " of " +
                                 std::to_string(plan.eligible) + " instances run " + revision;
    const bool rolled_back = revision != wanted;
    revision_done = plan.complete && failed.empty();
    const bool ready = plan.complete && failed.empty() && !rolled_back && !breaker.halted;
    // Every eligible instance runs the task or has no room for it: nothing left to wait for.
    const bool stuck = (!failed.empty() && plan.stop.empty() &&
                        plan.covered + static_cast<int>(failed.size()) >= plan.eligible) ||
                       breaker.halted || (rolled_back && plan.complete);
    *status.add_conditions() =
        runtime::ConditionOf(before.conditions(), "Ready", ready, ready ? "Covered" : "Deploying",
                             progress, now, generation);
    *status.add_conditions() = runtime::ConditionOf(
        before.conditions(), "Reconciling", !ready && !stuck, ready || stuck ? "" : "Deploying",
        ready || stuck ? "" : progress, now, generation);
    std::string stall_reason, stall_message;
    if (breaker.halted || rolled_back) {
      stall_reason = rolled_back ? "RolledBack" : "DeploymentFailed";
      stall_message = "the roll to " + wanted + " failed" +
                      (rolled_back ? "; " + revision + " restored" : "; held where it stands");
    } else if (stuck) {
      stall_reason = "InstancesFailed";
      stall_message = std::to_string(failed.size()) + " instances have no room for the task";
    }
    *status.add_conditions() =
        runtime::ConditionOf(before.conditions(), "Stalled", stuck, stuck ? stall_reason : "",
                             stuck ? stall_message : "", now, generation);
    if (hold != clock::Clock::Duration::max()) outcome.requeue_after = hold;
  }
  if (!google::protobuf::util::MessageDifferencer::Equals(status, before)) {
    v1::Environment next = env;
    *next.mutable_status() = status;
    auto written = client_.UpdateStatus(next);
    if (!written.ok()) return written.status();
    expectations_.Expect(name, runtime::RevisionOf(**written));
  }
  bool ready = false, was_ready = false;
  for (const auto& c : status.conditions())
    if (c.type() == "Ready") ready = c.status() == "True";
  const bool deployed = revision_done;
  for (const auto& c : before.conditions())
    if (c.type() == "Ready") was_ready = c.status() == "True";
  if (ready && !was_ready) {
    (void)recorder_.Record(env, runtime::EventType::kNormal, "Covered",
                           "(environment " + name + ") runs " + status.task_definition() +
                               " on all " + std::to_string(status.instances_eligible()) +
                               " instances of its group.");
  }
  // The open deployment's failures, counted while its revision runs.
  const int failed_tasks = status.task_definition() == wanted ? breaker.failures : 0;
  if (auto st = AdvanceDeployments(name, status, deployed, failed_tasks); !st.ok()) return st;
  return outcome;
}

}  // namespace gantry::controllers::environment
