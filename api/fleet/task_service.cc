#include "api/fleet/task_service.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <climits>
#include <set>

#include "api/fleet/daemon_claims.h"
#include "api/fleet/observed_write.h"
#include "api/fleet/snapshot_input.h"
#include "api/fleet/task_definitions.h"
#include "api/fleet/task_state.h"
#include "api/schema/task_groups.h"
#include "api/validation/validate.h"
#include "placement/placement.h"

namespace gantry::fleet {
namespace {

// Informer handlers that hand each change of a T to the launcher, through a feed the service
// detaches when it goes.
template <typename T, typename Feed>
controllers::runtime::EventHandlers FeedHandlers(std::shared_ptr<Feed> feed,
                                                 void (api::Launcher::*observe)(const T&),
                                                 void (api::Launcher::*forget)(const T&)) {
  using controllers::runtime::ObjectRef;
  auto to = [feed](auto method) {
    return [feed, method](const ObjectRef& o) {
      feed->With([&](api::Launcher& l) { (l.*method)(static_cast<const T&>(*o)); });
    };
  };
  auto observed = to(observe);
  return {observed, [observed](const ObjectRef&, const ObjectRef& o) { observed(o); }, to(forget)};
}

using api::Code;
using api::Status;
using api::StatusOr;

const schema::KindInfo& TaskKind() { return *schema::FindKind("Task"); }
const schema::KindInfo& DefinitionKind() { return *schema::FindKind("TaskDefinition"); }

std::string FamilyOf(const std::string& family_revision) {
  return family_revision.substr(0, family_revision.find(':'));
}

// Tries at committing one instance's part of an agent's report before it goes one report at a
// time.
constexpr int kReportGroupAttempts = 3;
// How long a retry waits for the task view to reach an instance's revision.
constexpr std::chrono::milliseconds kCatchUpWithTasksWait{200};

int Rank(const std::string& last_status) {
  if (last_status == "RUNNING") return 1;
  if (last_status == "STOPPED") return 2;
  return 0;  // PENDING or not yet reported
}

}  // namespace

StatusOr<TaskResources> ResourcesOf(const v1::TaskDefinition& def) {
  TaskResources r;
  auto size = validation::TaskDefinitionSize(def.spec());
  if (!size.ok()) return size.status();
  r.cpu = size->cpu;
  r.memory = size->memory;
  for (const auto& c : def.spec().containers()) {
    for (const auto& pm : c.port_mappings()) {
      if (pm.host_port() > 0 && (pm.protocol().empty() || pm.protocol() == "tcp"))
        r.host_ports.push_back(pm.host_port());
    }
  }
  std::sort(r.host_ports.begin(), r.host_ports.end());
  return r;
}

TaskService::TaskService(api::ObjectService& objects, const FleetView& fleet,
                         const api::Clock& clock, EcsNames names, uint64_t seed)
    : objects_(objects),
      fleet_(fleet),
      clock_(clock),
      names_(std::move(names)),
      launcher_(objects),
      feed_(std::make_shared<LauncherFeed>(launcher_)),
      rng_(seed),
      tokens_(objects.store()),
      skips_(objects, clock) {
  fleet_.tasks().AddEventHandlers(
      FeedHandlers<v1::Task>(feed_, &api::Launcher::ObserveTask, &api::Launcher::ForgetTask));
  fleet_.instances().AddEventHandlers(FeedHandlers<v1::ContainerInstance>(
      feed_, &api::Launcher::ObserveInstance, &api::Launcher::ForgetInstance));
  // Daemon first: each Environment's claim, read again when it or a task definition changes.
  // Read and handed over under the feed's lock, so the last claim handed is read from caches
  // that have both informers' latest changes.
  const controllers::runtime::Informer& definitions = fleet_.definitions();
  auto claim = [feed = feed_, &definitions](const controllers::runtime::ObjectRef& o) {
    const auto& env = static_cast<const v1::Environment&>(*o);
    feed->With([&](api::Launcher& l) {
      l.ReserveForDaemon(schema::EnvironmentGroup(env.metadata().name()),
                         DaemonClaimOf(env, definitions));
    });
  };
  auto unclaim = [feed = feed_](const controllers::runtime::ObjectRef& o) {
    const auto& env = static_cast<const v1::Environment&>(*o);
    feed->With([&](api::Launcher& l) {
      l.ReserveForDaemon(schema::EnvironmentGroup(env.metadata().name()), std::nullopt);
    });
  };
  fleet_.environments().AddEventHandlers(
      {claim, [claim](const controllers::runtime::ObjectRef&, const auto& now) { claim(now); },
       unclaim});
  auto claim_all = [claim, &environments = fleet_.environments()](const auto&...) {
    for (const auto& env : environments.List()) claim(env);
  };
  fleet_.definitions().AddEventHandlers({claim_all, claim_all, claim_all});
}

TaskService::~TaskService() { feed_->Detach(); }

void TaskService::ReportLeftOut(const std::vector<std::string>& instances) {
  if (instances.empty()) return;
  std::vector<InstancePtr> left_out;
  for (const auto& name : instances) {
    if (InstancePtr ci = fleet_.Instance(name)) left_out.push_back(std::move(ci));
  }
  skips_.Report(SnapshotInput(left_out, fleet_).skipped);
}

int64_t TaskService::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
      .count();
}

StatusOr<LaunchResult> TaskService::RunTask(const LaunchRequest& request) {
  if (request.count < 1 || request.count > kMaxRunTaskCount) {
    return api::InvalidArgument("count", "must be between 1 and " +
                                             std::to_string(kMaxRunTaskCount) + ", got " +
                                             std::to_string(request.count));
  }
  return Launch(request, false);
}

StatusOr<LaunchResult> TaskService::StartTask(const LaunchRequest& request) {
  if (request.container_instances.empty() || request.container_instances.size() > 10) {
    return api::InvalidArgument("containerInstances", "give between 1 and 10 container instances");
  }
  return Launch(request, true);
}

StatusOr<LaunchResult> TaskService::LaunchTasks(const LaunchRequest& request) {
  if (!request.container_instances.empty()) {
    if (request.container_instances.size() > static_cast<size_t>(kMaxLaunchCount)) {
      return api::InvalidArgument(
          "containerInstances",
          "give at most " + std::to_string(kMaxLaunchCount) + " container instances");
    }
    return Launch(request, true);
  }
  if (request.count < 1 || request.count > kMaxLaunchCount) {
    return api::InvalidArgument("count", "must be between 1 and " +
                                             std::to_string(kMaxLaunchCount) + ", got " +
                                             std::to_string(request.count));
  }
  return Launch(request, false);
}

LaunchResult TaskService::Replay(const LaunchRecord& record) const {
  (void)fleet_.AwaitNotedWrites();
  LaunchResult result;
  for (const auto& id : record.task_ids) {
    if (TaskPtr task = fleet_.Task(id)) {
      result.tasks.push_back(std::move(task));
    } else {
      result.failures.push_back({names_.TaskArn(record.cluster, id), "MISSING",
                                 "the task is no longer stored (collected after it stopped, or "
                                 "deleted)"});
    }
  }
  result.failures.insert(result.failures.end(), record.failures.begin(), record.failures.end());
  return result;
}

Status TaskService::TokenConflict(const std::string& token,
                                  const std::vector<std::string>& task_ids,
                                  const std::string& cluster) const {
  std::string tasks;
  for (const auto& id : task_ids)
    tasks += (tasks.empty() ? "" : ", ") + names_.TaskArn(cluster, id);
  return Status(
      Code::kAlreadyExists,
      "'" + token + "' was used within the last 24 hours by a request with other parameters" +
          (tasks.empty() ? std::string(" (it launched no task)") : " (its tasks: " + tasks + ")") +
          "; repeat that request unchanged or use a new token",
      "clientToken");
}

std::vector<std::string> TaskService::ClientTokenTaskArns(const std::string& token) {
  std::lock_guard lock(launch_mu_);
  std::vector<std::string> arns;
  auto found = tokens_.Find(token, NowMs());
  if (found.ok() && *found) {
    for (const auto& id : (*found)->task_ids) arns.push_back(names_.TaskArn((*found)->cluster, id));
    return arns;
  }
  if (auto it = unrecorded_.find(token); it != unrecorded_.end()) {
    (void)fleet_.AwaitNotedWrites();
    for (const auto& id : it->second.task_ids) {
      if (TaskPtr task = fleet_.Task(id))
        arns.push_back(names_.TaskArn(task->spec().cluster(), id));
    }
  }
  return arns;
}

StatusOr<LaunchResult> TaskService::Launch(const LaunchRequest& request, bool explicit_instances) {
  if (auto st = ValidateClientToken(request.client_token); !st.ok()) return st;
  if (request.dry_run && !request.client_token.empty())
    return api::InvalidArgument("clientToken", "a dry run takes no clientToken");
  if (request.task_definition.empty()) return api::InvalidArgument("taskDefinition", "is required");
  if (request.started_by.size() > validation::kMaxStartedByLength) {
    return api::InvalidArgument("startedBy", "is at most 36 characters");
  }
  if (auto st = validation::ValidateTaskGroup(request.group, "group"); !st.ok()) return st;
  const std::string cluster =
      request.cluster.empty() ? kDefaultCluster : ShortName(request.cluster);
  const std::string& token = request.client_token;
  std::unique_lock lock(launch_mu_, std::defer_lock);
  std::string fingerprint;
  std::vector<TaskPtr> adopted;  // launched under `token` by a call that saved no record
  if (!token.empty()) {
    // Checking the token and launching are one step, so a concurrent repeat waits for this
    // launch and then finds its record.
    lock.lock();
    fingerprint = LaunchFingerprint(explicit_instances ? "StartTask" : "RunTask", request);
    auto found = tokens_.Find(token, NowMs());
    if (!found.ok()) return found.status();
    if (*found) {
      if ((*found)->fingerprint != fingerprint)
        return TokenConflict(token, (*found)->task_ids, (*found)->cluster);
      return Replay(**found);
    }
    if (auto it = unrecorded_.find(token); it != unrecorded_.end()) {
      if (it->second.fingerprint != fingerprint)
        return TokenConflict(token, it->second.task_ids, cluster);
      (void)fleet_.AwaitNotedWrites();
      for (const auto& id : it->second.task_ids) {
        if (TaskPtr task = fleet_.Task(id)) adopted.push_back(std::move(task));
      }
    }
  }
  auto cluster_object = objects_.Get(*schema::FindKind("Cluster"), cluster);
  if (!cluster_object.ok()) {
    if (cluster_object.status().code() == Code::kNotFound)
      return Status(Code::kNotFound, "Cluster not found.", "cluster");
    return cluster_object.status();
  }
  auto resolved = ResolveTaskDefinition(objects_, request.task_definition);
  if (!resolved.ok()) {
    if (resolved.status().code() == Code::kNotFound) {
      return api::InvalidArgument(
          "taskDefinition", "Unable to find task definition '" + request.task_definition + "'");
    }
    return resolved.status();
  }
  const v1::TaskDefinition& def = **resolved;
  if (def.status().status() == "INACTIVE") {
    return api::InvalidArgument("taskDefinition",
                                "TaskDefinition is inactive: " + request.task_definition);
  }
  // A definition stored before validation checked its sizes fails only its own launches.
  auto sized = ResourcesOf(def);
  if (!sized.ok()) {
    return api::InvalidArgument("taskDefinition", "task definition " + def.metadata().name() +
                                                      " is invalid: " + sized.status().ToString());
  }
  const TaskResources& resources = *sized;
  std::string group = request.group.empty() ? "family:" + def.status().family() : request.group;

  placement::TaskRequest place;
  place.group = group;
  place.cpu = resources.cpu;
  place.memory = resources.memory;
  place.ports = resources.host_ports;
  for (const auto& c : def.spec().placement_constraints()) {
    placement::ConstraintSpec spec{c.type(), std::nullopt};
    if (c.has_expression()) spec.expression = c.expression();
    place.task_definition_constraints.push_back(std::move(spec));
  }
  for (const auto& c : request.constraints) {
    place.constraints.push_back(
        {c.type(), c.has_expression() ? std::optional<std::string>(c.expression()) : std::nullopt});
  }
  for (const auto& s : request.strategies) {
    place.strategies.push_back(
        {s.type(), s.field().empty() ? std::nullopt : std::optional<std::string>(s.field())});
  }

  {
    // Only the seed is drawn under the launch lock; the launcher serialises placements per
    // cluster. (A launch with a clientToken holds the lock throughout, see above.)
    std::unique_lock seed_lock(launch_mu_, std::defer_lock);
    if (!lock.owns_lock()) seed_lock.lock();
    place.seed = rng_();
  }
  LaunchResult result;
  result.tasks = adopted;
  api::LaunchSpec spec;
  spec.cluster = cluster;
  spec.task = NewTask(request, def, resources, group, "", fingerprint);
  if (!explicit_instances) {
    place.count = request.count - static_cast<int>(adopted.size());
  } else {
    std::set<std::string> covered;  // instances an adopted task already runs on
    for (const auto& t : adopted) covered.insert(t->spec().container_instance());
    for (const auto& given : request.container_instances) {
      std::string id = ShortName(given);
      if (covered.count(id) == 0) spec.instances.push_back(std::move(id));
    }
  }
  spec.request = std::move(place);
  spec.dry_run = request.dry_run;
  if (!request.dry_run)
    spec.with_tasks = [this](const std::vector<v1::Task>& tasks) { return RecountsWith(tasks); };
  std::set<std::string> recounted;  // instances whose recount went in with their new tasks
  if (explicit_instances ? spec.instances.empty() : spec.request.count <= 0) {
    // Everything asked for was launched by an earlier call with this clientToken.
  } else if (auto launched = launcher_.Launch(spec); !launched.ok()) {
    if (launched.status().code() == Code::kInvalidArgument || result.tasks.empty())
      return launched.status();
    result.failures.push_back({names_.ClusterArn(cluster), "STORE", launched.status().ToString()});
  } else {
    ReportLeftOut(launched->left_out);
    // Read-your-writes without waiting here for the watch to bring the launch back (most of
    // a RunTask's latency under load): a DescribeTasks right after RunTask awaits it instead.
    // The launcher's own snapshot already holds what it placed.
    if (!request.dry_run) fleet_.NoteTasksWritten(launched->revision);
    if (launched->with_tasks_written) {
      fleet_.NoteInstancesWritten(launched->revision);
      for (const auto& task : launched->tasks) recounted.insert(task->spec().container_instance());
    }
    for (const auto& task : launched->tasks) result.tasks.push_back(task);
    if (!launched->failures.empty()) {
      // Every stage's rejections when the candidates ran out, so the caller sees all of why.
      std::vector<std::string> member_of;
      for (const auto& c : def.spec().placement_constraints())
        if (c.type() == "memberOf") member_of.push_back(c.expression());
      for (const auto& c : request.constraints)
        if (c.type() == "memberOf") member_of.push_back(c.expression());
      const std::string detail =
          launched->first_task.evaluated == 0
              ? "No Container Instances were found in your cluster."
              : placement::RejectionSummary(launched->at_exhaustion.value_or(launched->first_task),
                                            member_of);
      for (auto stage : launched->failures) {
        result.failures.push_back(
            {names_.ClusterArn(cluster), placement::ReasonText(stage), detail});
      }
    }
    for (const auto& failure : launched->instance_failures) {
      std::string detail;
      if (failure.reason == "INVALID") {
        // Which object makes the instance unreadable, as the skip events name it.
        if (InstancePtr ci = fleet_.Instance(failure.instance)) {
          auto input = SnapshotInput({ci}, fleet_);
          skips_.Report(input.skipped);
          if (!input.skipped.empty()) {
            const SkippedInstance& s = input.skipped.front();
            detail = s.kind + " " + s.name + " " + s.field + ": " + s.message;
          }
        }
      }
      result.failures.push_back(
          {names_.InstanceArn(cluster, failure.instance), failure.reason, detail});
    }
  }
  if (!token.empty()) {
    LaunchRecord record{fingerprint, NowMs(), cluster, {}, result.failures};
    for (const auto& t : result.tasks) record.task_ids.push_back(t->metadata().name());
    if (tokens_.Save(token, record).ok()) {
      unrecorded_.erase(token);
    } else {
      // The tasks run all the same; a repeat adopts them (after a restart: Recover finds them
      // by their annotation).
      unrecorded_[token] = Unrecorded{fingerprint, record.task_ids};
    }
  }
  if (request.dry_run) return result;  // nothing was written: nothing to recount
  std::set<std::string> touched;
  for (const auto& t : result.tasks) {
    if (recounted.count(t->spec().container_instance()) == 0)
      touched.insert(t->spec().container_instance());
  }
  for (const auto& instance : touched) (void)RecountInstance(instance);
  return result;
}

void TaskService::CatchUpWith(const std::vector<std::string>& instances) const {
  // Not the store's revision: the last write may be of another kind (an Event), which neither
  // view ever shows.
  int64_t newest = 0;
  for (const auto& name : instances) {
    auto stored = objects_.Get(*schema::FindKind("ContainerInstance"), name);
    if (stored.ok()) newest = std::max(newest, controllers::runtime::RevisionOf(**stored));
  }
  (void)fleet_.WaitForInstances(newest);
  // A launch or a report wrote its tasks in the instance's revision; a heartbeat wrote the
  // instance alone, and then no task may come to move the task view there: a short wait.
  (void)fleet_.WaitForTasks(newest, kCatchUpWithTasksWait);
}

std::vector<std::shared_ptr<const google::protobuf::Message>> TaskService::RecountsWith(
    const std::vector<v1::Task>& placed) const {
  std::map<std::string, std::vector<const v1::Task*>> by_instance;
  for (const auto& t : placed) by_instance[t.spec().container_instance()].push_back(&t);
  std::vector<std::shared_ptr<const google::protobuf::Message>> writes;
  for (const auto& [name, tasks] : by_instance) {
    InstancePtr ci = fleet_.Instance(name);
    if (!ci) continue;
    // The counts as of the instance's resourceVersion plus the new tasks. Every task write
    // recounts its instance in the same transaction, so a task written since makes the pinned
    // resourceVersion stale and the launch recounts afterwards instead.
    v1::ContainerInstanceStatus counted = schema::CountedWithPlaced(*ci, tasks);
    if (google::protobuf::util::MessageDifferencer::Equals(counted, ci->status())) continue;
    auto write = std::make_shared<v1::ContainerInstance>();
    write->set_api_version(ci->api_version());
    write->set_kind(ci->kind());
    write->mutable_metadata()->set_name(name);
    write->mutable_metadata()->set_resource_version(ci->metadata().resource_version());
    *write->mutable_status() = std::move(counted);
    writes.push_back(std::move(write));
  }
  return writes;
}

v1::Task TaskService::NewTask(const LaunchRequest& request, const v1::TaskDefinition& def,
                              const TaskResources& resources, const std::string& group,
                              const std::string& instance, const std::string& fingerprint) const {
  InstancePtr ci = fleet_.Instance(instance);
  v1::Task task;
  task.set_api_version("gantry.dev/v1");
  task.set_kind("Task");
  auto* meta = task.mutable_metadata();
  meta->set_name(api::NewRandomUid());
  const std::string cluster = ci ? ci->spec().cluster() : request.cluster;
  (*meta->mutable_labels())["gantry.dev/cluster"] = cluster;
  (*meta->mutable_labels())["gantry.dev/container-instance"] = instance;
  if (!request.client_token.empty()) {
    // What a repeat after a crash recognizes these tasks by (launch_tokens.h).
    (*meta->mutable_annotations())[kClientTokenAnnotation] = request.client_token;
    (*meta->mutable_annotations())[kLaunchFingerprintAnnotation] = fingerprint;
  }
  auto* spec = task.mutable_spec();
  spec->set_task_definition(def.metadata().name());
  spec->set_cluster(cluster);
  spec->set_container_instance(instance);
  spec->set_group(group);
  spec->set_started_by(request.started_by);
  spec->set_desired_status("RUNNING");
  spec->set_cpu(resources.cpu);
  spec->set_memory(resources.memory);
  for (int32_t p : resources.host_ports) spec->add_host_ports(p);
  auto* status = task.mutable_status();
  status->set_last_status("PENDING");
  status->set_created_at(api::FormatTime(clock_.Now()));
  status->set_version(1);
  for (const auto& c : def.spec().containers()) {
    auto* cs = status->add_containers();
    cs->set_name(c.name());
    cs->set_last_status("PENDING");
  }
  return task;
}

StatusOr<std::vector<std::string>> TaskService::ContainerNames(const v1::Task& task) const {
  auto def = objects_.Get(DefinitionKind(), task.spec().task_definition());
  if (!def.ok()) {
    return Status(def.status().code(), "task definition " + task.spec().task_definition() +
                                           " of task " + task.metadata().name() + ": " +
                                           def.status().message());
  }
  std::vector<std::string> names;
  for (const auto& c : static_cast<const v1::TaskDefinition&>(**def).spec().containers())
    names.push_back(c.name());
  return names;
}

StatusOr<TaskPtr> TaskService::StopTask(const std::string& cluster, const std::string& task,
                                        const std::string& reason) {
  std::string id = ShortName(task);
  (void)fleet_.AwaitNotedWrites();
  TaskPtr current = fleet_.Task(id);
  std::string want_cluster = cluster.empty() ? kDefaultCluster : ShortName(cluster);
  if (!current || current->spec().cluster() != want_cluster)
    return api::InvalidArgument("task", "The referenced task was not found.");
  return MutateObserved<v1::Task>(objects_, fleet_, id, [&](v1::Task& t) -> StatusOr<bool> {
    if (DesiredStatusOf(t) == "STOPPED") return false;
    t.mutable_spec()->set_desired_status("STOPPED");
    t.mutable_spec()->set_stopped_reason(reason.empty() ? kReasonUserStop : reason);
    if (t.status().stopping_at().empty())
      t.mutable_status()->set_stopping_at(api::FormatTime(clock_.Now()));
    t.mutable_status()->set_version(t.status().version() + 1);
    return true;
  });
}

std::vector<TaskPtr> TaskService::ListTasks(const TaskFilter& filter) const {
  (void)fleet_.AwaitNotedWrites();
  std::vector<TaskPtr> out;
  const std::string cluster = filter.cluster.empty() ? kDefaultCluster : ShortName(filter.cluster);
  const std::string instance = ShortName(filter.container_instance);
  for (auto& t : instance.empty() ? fleet_.TasksIn(cluster) : fleet_.TasksOn(instance)) {
    if (t->spec().cluster() != cluster) continue;
    if (!filter.family.empty() && FamilyOf(t->spec().task_definition()) != filter.family) continue;
    if (!filter.started_by.empty() && t->spec().started_by() != filter.started_by) continue;
    if (!filter.desired_status.empty() && DesiredStatusOf(*t) != filter.desired_status) continue;
    out.push_back(std::move(t));
  }
  return out;
}

namespace {

// A report applied to the task as it stands. False when it changes nothing: states only move
// forward and STOPPED is final.
bool ApplyReport(v1::Task& t, const v1::TaskStateReport& r, const std::string& now) {
  auto* st = t.mutable_status();
  if (Rank(r.last_status()) < Rank(st->last_status())) return false;
  v1::TaskStatus before = *st;
  if (r.last_status() == "RUNNING" && st->started_at().empty()) st->set_started_at(now);
  // Once STOPPED, why it stopped is settled: the agent of a lost instance that comes back and
  // stops the task does not replace "Container instance lost" with its own reason.
  if (r.last_status() == "STOPPED" && before.last_status() != "STOPPED") {
    if (st->stopped_at().empty()) st->set_stopped_at(now);
    if (st->stopping_at().empty()) st->set_stopping_at(now);
    // The reason the server gave (StopTask, instance lost) wins over the agent's.
    st->set_stopped_reason(!t.spec().stopped_reason().empty() ? t.spec().stopped_reason()
                                                              : r.stopped_reason());
    // A stop gantryd was asked for (StopTask, a forced deregistration) is the user's.
    st->set_stop_code(t.spec().stopped_reason().empty() ? r.stop_code() : "UserInitiated");
  }
  st->set_last_status(r.last_status());
  if (r.containers_size() > 0) *st->mutable_containers() = r.containers();
  if (google::protobuf::util::MessageDifferencer::Equals(before, *st)) return false;
  st->set_version(st->version() + 1);
  return true;
}

}  // namespace

v1::ContainerInstanceStatus CountedStatus(const v1::ContainerInstance& instance,
                                          const std::vector<TaskPtr>& tasks) {
  std::vector<const v1::Task*> raw;
  raw.reserve(tasks.size());
  for (const auto& t : tasks) raw.push_back(t.get());
  return schema::CountedInstanceStatus(instance, raw);
}

std::vector<TaskPtr> TaskService::Report(const std::vector<v1::TaskStateReport>& reports,
                                         std::vector<v1::ReportFailure>& failures) {
  auto fail = [&](const std::string& task, const std::string& message, bool retry) {
    v1::ReportFailure f;
    f.set_task(task);
    f.set_message(message);
    f.set_retry(retry);
    failures.push_back(std::move(f));
  };
  // The recounts below count every task launched on the instances so far.
  (void)fleet_.AwaitNotedWrites();
  // Every report is applied to the task as the batch has left it; the changed tasks and the
  // recounts of their instances then go to the store together, one transaction per group of
  // instances, so a report costs one revision rather than one per task plus one per instance.
  std::map<std::string, std::shared_ptr<v1::Task>> changed;  // by task, as the batch left it
  std::map<std::string, std::vector<std::string>> by_instance;
  std::vector<std::string> reported;  // in report order, for the answer
  std::map<std::string, std::vector<const v1::TaskStateReport*>> reports_of;
  std::map<std::string, TaskPtr> unchanged;  // reported tasks no report changed
  const std::string now = api::FormatTime(clock_.Now());
  for (const auto& r : reports) {
    auto it = changed.find(r.task());
    TaskPtr current = it != changed.end() ? it->second : fleet_.Task(r.task());
    if (!current) {
      auto loaded = objects_.Get(TaskKind(), r.task());
      if (!loaded.ok()) {
        fail(r.task(), "task not found", loaded.status().code() != Code::kNotFound);
        continue;
      }
      current = std::make_shared<v1::Task>(static_cast<const v1::Task&>(**loaded));
    }
    if (current->spec().container_instance() != r.container_instance()) {
      fail(r.task(),
           "assigned to container instance " + current->spec().container_instance() + ", not " +
               r.container_instance(),
           false);
      continue;
    }
    if (Rank(r.last_status()) == 0 && r.last_status() != "PENDING") {
      fail(r.task(),
           "lastStatus must be PENDING, RUNNING or STOPPED, got '" + r.last_status() + "'", false);
      continue;
    }
    reported.push_back(r.task());
    reports_of[r.task()].push_back(&r);
    auto next = std::make_shared<v1::Task>(*current);
    if (!ApplyReport(*next, r, now)) {
      unchanged.emplace(r.task(), current);
      continue;
    }
    if (it == changed.end()) {
      by_instance[next->spec().container_instance()].push_back(r.task());
      changed.emplace(r.task(), std::move(next));
    } else {
      it->second = std::move(next);
    }
  }

  std::set<std::string> failed;
  // One report at a time, as before batching: for a group whose commit failed (a task or
  // instance changed since the cache saw it, or went away).
  auto apply_one_by_one = [&](const std::vector<std::string>& instances) {
    for (const auto& instance : instances) {
      for (const auto& id : by_instance[instance]) {
        if (failed.count(id) > 0) continue;
        auto stored =
            MutateObserved<v1::Task>(objects_, fleet_, id, [&](v1::Task& t) -> StatusOr<bool> {
              bool any = false;
              for (const auto* r : reports_of[id]) any |= ApplyReport(t, *r, now);
              return any;
            });
        if (!stored.ok()) {
          fail(id, stored.status().ToString(), stored.status().code() != Code::kNotFound);
          failed.insert(id);
          continue;
        }
        changed[id] = std::const_pointer_cast<v1::Task>(*stored);
      }
      (void)RecountInstance(instance);
    }
  };
  // The group's changed tasks and their instances' recounts in one transaction. `fresh`: the
  // reports are applied again to the tasks as the view has them now (after a conflict). False
  // when the commit failed.
  auto commit = [&](const std::vector<std::string>& instances, bool fresh) {
    std::vector<api::ObjectWrite> writes;
    std::vector<v1::ContainerInstance> recounted;
    recounted.reserve(instances.size());  // writes point into it
    for (const auto& instance : instances) {
      for (const auto& id : by_instance[instance]) {
        if (fresh && failed.count(id) == 0) {
          TaskPtr current = fleet_.Task(id);
          if (!current) {
            fail(id, "task not found", false);
            failed.insert(id);
            changed.erase(id);
            continue;
          }
          auto next = std::make_shared<v1::Task>(*current);
          bool any = false;
          for (const auto* r : reports_of[id]) any |= ApplyReport(*next, *r, now);
          if (!any) {  // a report sent twice: the first one is in
            changed.erase(id);
            unchanged[id] = std::move(current);
            continue;
          }
          changed[id] = std::move(next);
        }
        if (auto it = changed.find(id); it != changed.end())
          writes.push_back(api::ObjectWrite::UpdateStatus(*it->second));
      }
      InstancePtr ci = fleet_.Instance(instance);
      if (!ci) continue;
      std::vector<TaskPtr> tasks = fleet_.TasksOn(instance);
      for (auto& t : tasks) {
        auto it = changed.find(t->metadata().name());
        if (it != changed.end()) t = it->second;
      }
      v1::ContainerInstanceStatus counted = CountedStatus(*ci, tasks);
      if (google::protobuf::util::MessageDifferencer::Equals(counted, ci->status())) continue;
      v1::ContainerInstance& next = recounted.emplace_back(*ci);
      *next.mutable_status() = std::move(counted);
      writes.push_back(api::ObjectWrite::UpdateStatus(next));
    }
    if (writes.empty()) return true;
    auto committed = objects_.Commit(writes);
    if (!committed.ok()) return false;
    bool instances_written = false;
    for (auto& object : committed->objects) {
      if (auto* task = dynamic_cast<v1::Task*>(object.get())) {
        // The name is read before the move: an assignment evaluates its right side first.
        auto& entry = changed[task->metadata().name()];
        entry = std::make_shared<v1::Task>(std::move(*task));
      } else {
        instances_written = true;
      }
    }
    // The agent's next report is pinned to these resourceVersions: the view must have them.
    (void)fleet_.WaitForTasks(committed->revision);
    if (instances_written) (void)fleet_.WaitForInstances(committed->revision);
    return true;
  };
  // A group fails as a whole when one of its instances changed since the view showed it (a
  // launch placed a task there) or one of its tasks did; under launches, the larger the group
  // the likelier. It is applied again in halves, each on a view caught up with its instances as
  // stored, down to a single instance, which is tried again, and only then one report at a
  // time: a write per task would make a large report outlast the agent's deadline.
  std::function<void(const std::vector<std::string>&, bool)> commit_group =
      [&](const std::vector<std::string>& instances, bool fresh) {
        if (commit(instances, fresh)) return;
        CatchUpWith(instances);
        if (instances.size() > 1) {
          const auto half = instances.begin() + static_cast<std::ptrdiff_t>(instances.size() / 2);
          commit_group({instances.begin(), half}, true);
          commit_group({half, instances.end()}, true);
          return;
        }
        for (int attempt = 1; attempt < kReportGroupAttempts; ++attempt) {
          if (commit(instances, true)) return;
          CatchUpWith(instances);
        }
        apply_one_by_one(instances);
      };
  std::vector<std::string> group;  // instances whose tasks go in the next commit
  size_t group_ops = 0;
  auto flush = [&] {
    if (group.empty()) return;
    if (group_ops > store::kMaxTxnOps) {
      apply_one_by_one(group);  // one instance with more reports than a transaction holds
    } else {
      commit_group(group, false);
    }
    group.clear();
    group_ops = 0;
  };
  for (const auto& [instance, tasks] : by_instance) {
    if (group_ops + tasks.size() + 1 > store::kMaxTxnOps) flush();
    group.push_back(instance);
    group_ops += tasks.size() + 1;
  }
  flush();

  std::vector<TaskPtr> out;
  for (const auto& id : reported) {
    if (failed.count(id)) continue;
    auto it = changed.find(id);
    out.push_back(it != changed.end() ? TaskPtr(it->second) : unchanged[id]);
  }
  return out;
}

void TaskService::StopTasksOn(const std::string& instance, const std::string& reason) {
  (void)fleet_.AwaitNotedWrites();
  auto now = api::FormatTime(clock_.Now());
  for (const auto& task : fleet_.TasksOn(instance)) {
    if (!HoldsResources(*task)) continue;
    (void)MutateObserved<v1::Task>(objects_, fleet_, task->metadata().name(),
                                   [&](v1::Task& t) -> StatusOr<bool> {
                                     if (t.status().last_status() == "STOPPED") return false;
                                     t.mutable_spec()->set_desired_status("STOPPED");
                                     if (t.spec().stopped_reason().empty())
                                       t.mutable_spec()->set_stopped_reason(reason);
                                     auto* st = t.mutable_status();
                                     st->set_last_status("STOPPED");
                                     st->set_stopped_reason(reason);
                                     st->clear_stop_code();  // ECS has no code for a lost instance
                                     if (st->stopping_at().empty()) st->set_stopping_at(now);
                                     st->set_stopped_at(now);
                                     for (auto& c : *st->mutable_containers())
                                       c.set_last_status("STOPPED");
                                     st->set_version(st->version() + 1);
                                     return true;
                                   });
  }
  (void)RecountInstance(instance);
}

api::Status TaskService::RecountInstance(const std::string& instance) {
  (void)fleet_.AwaitNotedWrites();  // every task launched on it so far counts
  InstancePtr ci = fleet_.Instance(instance);
  if (!ci) return Status(Code::kNotFound, "container instance " + instance + " not found");
  auto updated = MutateObserved<v1::ContainerInstance>(
      objects_, fleet_, instance, [&](v1::ContainerInstance& c) -> StatusOr<bool> {
        v1::ContainerInstanceStatus want = CountedStatus(c, fleet_.TasksOn(instance));
        if (google::protobuf::util::MessageDifferencer::Equals(want, c.status())) return false;
        *c.mutable_status() = want;
        return true;
      });
  return updated.status();
}

size_t TaskService::CollectExpiredClientTokens() {
  const int64_t now = NowMs();
  const int64_t lifetime =
      std::chrono::duration_cast<std::chrono::milliseconds>(kClientTokenLifetime).count();
  {
    std::lock_guard lock(launch_mu_);
    for (auto it = unrecorded_.begin(); it != unrecorded_.end();) {
      bool live = false;
      for (const auto& id : it->second.task_ids) {
        TaskPtr task = fleet_.Task(id);
        live |= task && now - ParseTimeMs(task->status().created_at()) < lifetime;
      }
      it = live ? std::next(it) : unrecorded_.erase(it);
    }
  }
  return tokens_.CollectExpired(now);
}

Status TaskService::Recover() {
  // Recounting is idempotent: an instance whose counts match its tasks is not written.
  Status first_error;
  for (const auto& instance : fleet_.AllInstances()) {
    Status st = RecountInstance(instance->metadata().name());
    if (!st.ok() && first_error.ok()) first_error = st;
  }
  std::lock_guard lock(launch_mu_);
  if (Status st = tokens_.Load(); !st.ok()) return st;
  unrecorded_.clear();
  const int64_t now = NowMs();
  const int64_t lifetime =
      std::chrono::duration_cast<std::chrono::milliseconds>(kClientTokenLifetime).count();
  for (const auto& task : fleet_.AllTasks()) {
    const auto& annotations = task->metadata().annotations();
    auto token = annotations.find(kClientTokenAnnotation);
    if (token == annotations.end() || tokens_.Recorded(token->second, now)) continue;
    int64_t created = ParseTimeMs(task->status().created_at());
    if (created < 0 || now - created >= lifetime) continue;
    auto fingerprint = annotations.find(kLaunchFingerprintAnnotation);
    Unrecorded& u = unrecorded_[token->second];
    u.fingerprint = fingerprint == annotations.end() ? "" : fingerprint->second;
    u.task_ids.push_back(task->metadata().name());
  }
  return first_error;
}

}  // namespace gantry::fleet
