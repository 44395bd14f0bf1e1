#include "controllers/instance/instance_controller.h"

#include <algorithm>
#include <chrono>

#include "api/clock/format_time.h"
#include "api/schema/kinds.h"
#include "api/schema/object_state.h"
#include "controllers/runtime/standard_indexes.h"

namespace gantry::controllers::instance {
namespace {

std::string InstanceOf(const google::protobuf::Message& task) {
  return static_cast<const v1::Task&>(task).spec().container_instance();
}

std::string Silence(clock::Clock::Duration silent) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(silent).count()) + "s";
}

// What a lost instance's task becomes: STOPPED by gantryd, with ECS's reason and no stop code,
// in its status only (the agent that comes back reads desiredStatus STOPPED from it).
void MarkLost(v1::Task& task, const std::string& now) {
  auto* st = task.mutable_status();
  st->set_last_status("STOPPED");
  st->set_stopped_reason(schema::kReasonInstanceLost);
  st->clear_stop_code();
  if (st->stopping_at().empty()) st->set_stopping_at(now);
  st->set_stopped_at(now);
  for (auto& c : *st->mutable_containers()) c.set_last_status("STOPPED");
  st->set_version(st->version() + 1);
}

}  // namespace

InstanceController::InstanceController(client::Client& client, clock::Clock& clock,
                                       const client::HeartbeatSource& heartbeats,
                                       runtime::InformerFactory& informers,
                                       LifecycleOptions lifecycle,
                                       runtime::ControllerOptions options)
    : client_(client),
      clock_(clock),
      expectations_(clock),
      heartbeats_(heartbeats),
      lifecycle_(lifecycle),
      instances_(informers.For(*schema::FindKind("ContainerInstance"))),
      tasks_(informers.For(*schema::FindKind("Task"))),
      recorder_(client, clock, kName) {
  if (options.name.empty()) options.name = kName;
  controller_ = std::make_unique<runtime::Controller>(
      clock, [this](const std::string& key) { return Reconcile(key); }, std::move(options));
  runtime::WorkQueue& queue = controller_->queue();
  auto enqueue = [&queue](const runtime::ObjectRef& o) { queue.Add(schema::MetaOf(*o).name()); };
  // Deadlines come from the queue's timers; an instance needs a look before its next one only when
  // its connection or status changed (every task placed or reported recounts it: not those).
  instances_.AddEventHandlers({
      enqueue,
      [enqueue](const runtime::ObjectRef& before, const runtime::ObjectRef& now) {
        const auto& was = static_cast<const v1::ContainerInstance&>(*before);
        const auto& is = static_cast<const v1::ContainerInstance&>(*now);
        if (was.status().agent_connected() != is.status().agent_connected() ||
            schema::InstanceStatusOf(was) != schema::InstanceStatusOf(is)) {
          enqueue(now);
        }
      },
      nullptr,
  });
  // A task placed on a disconnected instance gives it a lost_after deadline (a connected one is
  // planned again at its heartbeat deadline anyway).
  tasks_.AddEventHandlers({
      [this, &queue](const runtime::ObjectRef& task) {
        const std::string instance = InstanceOf(*task);
        if (instance.empty()) return;
        runtime::ObjectRef on = instances_.Get(instance);
        if (on && !static_cast<const v1::ContainerInstance&>(*on).status().agent_connected())
          queue.Add(instance);
      },
      nullptr,
      nullptr,
  });
}

api::StatusOr<runtime::ReconcileOutcome> InstanceController::Reconcile(const std::string& name) {
  runtime::ObjectRef object = instances_.Get(name);
  if (!object) {  // deleted: nothing to watch
    expectations_.Forget(name);
    return runtime::ReconcileOutcome{};
  }
  // Its own last write not yet in the cache: a later event or the requeue brings the key back.
  if (auto wait = expectations_.Pending(name, runtime::RevisionOf(*object))) {
    return runtime::ReconcileOutcome{.requeue_after = *wait};
  }
  const auto& instance = static_cast<const v1::ContainerInstance&>(*object);
  if (schema::InstanceStatusOf(instance) == "INACTIVE") return runtime::ReconcileOutcome{};
  std::vector<const v1::Task*> tasks;
  bool unfinished = false;
  // The index holds the tasks alive; `placed` keeps them so while this pass reads them.
  const std::vector<runtime::ObjectRef> placed = tasks_.ByIndex(runtime::kByInstance, name);
  for (const auto& t : placed) {
    tasks.push_back(static_cast<const v1::Task*>(t.get()));
    unfinished |= schema::HoldsResources(*tasks.back());
  }
  const auto now = clock_.Now();
  const auto last_heard = heartbeats_.LastHeard(name);
  const LifecyclePlan plan =
      PlanLifecycle({instance.status().agent_connected(), unfinished, last_heard}, now, lifecycle_);
  if (plan.disconnect || plan.lose) {
    if (auto st = Act(instance, tasks, plan, now); !st.ok()) {
      // Gone meanwhile: its delete event ends it. A stale resourceVersion (a heartbeat or a
      // report got there first) or a store error is retried with backoff, and planned again.
      if (st.code() == api::Code::kNotFound) return runtime::ReconcileOutcome{};
      return st;
    }
    const std::string silence = Silence(now - last_heard);
    if (plan.disconnect) {
      (void)recorder_.Record(instance, runtime::EventType::kWarning, "AgentDisconnected",
                             "no heartbeat from the agent for " + silence);
    }
    if (plan.lose) {
      (void)recorder_.Record(
          instance, runtime::EventType::kWarning, "InstanceLost",
          "no heartbeat from the agent for " + silence + "; its unfinished tasks are stopped");
    }
  }
  runtime::ReconcileOutcome outcome;
  if (plan.recheck_after) outcome.requeue_after = *plan.recheck_after;
  return outcome;
}

api::Status InstanceController::Act(const v1::ContainerInstance& instance,
                                    const std::vector<const v1::Task*>& tasks,
                                    const LifecyclePlan& plan, clock::Clock::TimePoint now) {
  const std::string stamp = clock::FormatTime(now);
  // Copies of the cached objects keep their resourceVersions: every write below is pinned, so a
  // heartbeat or an agent report that lands first makes the commit fail rather than be undone.
  std::vector<v1::Task> lost;
  std::vector<const v1::Task*> after;  // the instance's tasks as this pass leaves them
  lost.reserve(tasks.size());
  for (const v1::Task* t : tasks) {
    if (plan.lose && schema::HoldsResources(*t)) {
      MarkLost(lost.emplace_back(*t), stamp);
      after.push_back(&lost.back());
    } else {
      after.push_back(t);
    }
  }
  v1::ContainerInstance next = instance;
  if (plan.disconnect) {
    next.mutable_status()->set_agent_connected(false);
    next.mutable_status()->set_agent_updated_at(stamp);
  }
  *next.mutable_status() = schema::CountedInstanceStatus(next, after);

  // Tasks first, in as many transactions as they need; the instance with the last of them, so
  // its counts never run ahead of its tasks.
  std::vector<client::Write> writes;
  for (size_t i = 0;;) {
    writes.clear();
    while (i < lost.size() && writes.size() + 1 < client::kMaxCommitWrites)
      writes.push_back({client::Write::Type::kUpdateStatus, &lost[i++]});
    const bool last = i == lost.size();
    if (last) writes.push_back({client::Write::Type::kUpdateStatus, &next});
    auto committed = client_.Commit(writes);
    if (!committed.ok()) return committed.status();
    if (last) {
      // The instance and the last of its tasks, one revision: the next pass waits to see it.
      expectations_.Expect(instance.metadata().name(), runtime::RevisionOf(*committed->back()));
      break;
    }
  }
  return {};
}

}  // namespace gantry::controllers::instance
