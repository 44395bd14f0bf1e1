#include "controllers/gc/garbage_collector.h"

#include "api/schema/kinds.h"
#include "controllers/gc/collection_plan.h"

namespace gantry::controllers::gc {
namespace {

constexpr std::string_view kTaskKey = "Task/";
constexpr std::string_view kEventKey = "Event/";

}  // namespace

runtime::ObjectRef KeepEventTimes(runtime::ObjectRef object) {
  const auto& event = static_cast<const v1::Event&>(*object);
  auto kept = std::make_shared<v1::Event>();
  kept->set_api_version(event.api_version());
  kept->set_kind(event.kind());
  *kept->mutable_metadata() = event.metadata();
  kept->mutable_spec()->set_first_timestamp(event.spec().first_timestamp());
  kept->mutable_spec()->set_last_timestamp(event.spec().last_timestamp());
  // What gantryd's events metric counts by (small, and fixed per Event).
  kept->mutable_spec()->set_type(event.spec().type());
  kept->mutable_spec()->set_reason(event.spec().reason());
  kept->mutable_spec()->set_count(event.spec().count());
  return kept;
}

GarbageCollector::GarbageCollector(client::Client& client, clock::Clock& clock,
                                   runtime::InformerFactory& informers, Retention retention,
                                   runtime::ControllerOptions options)
    : client_(client),
      clock_(clock),
      tasks_(informers.For(*schema::FindKind("Task"))),
      events_(informers.For(*schema::FindKind("Event"))),
      retention_(std::move(retention)) {
  if (options.name.empty()) options.name = kName;
  controller_ = std::make_unique<runtime::Controller>(
      clock, [this](const std::string& key) { return Reconcile(key); }, std::move(options));
  runtime::WorkQueue& queue = controller_->queue();

  // Only stopped tasks are of interest; the rest of a busy fleet's task changes cost a check.
  auto enqueue_stopped = [&queue](const runtime::ObjectRef& o) {
    const auto& task = static_cast<const v1::Task&>(*o);
    if (task.status().last_status() == "STOPPED")
      queue.Add(std::string(kTaskKey) + task.metadata().name());
  };
  tasks_.AddEventHandlers({
      enqueue_stopped,
      [enqueue_stopped](const runtime::ObjectRef&, const runtime::ObjectRef& now) {
        enqueue_stopped(now);
      },
      // However it went (collected here, deleted by a user), its output goes with it.
      [&queue](const runtime::ObjectRef& deleted) {
        queue.Add(std::string(kTaskKey) + schema::MetaOf(*deleted).name());
      },
  });
  // The collector reads an Event's name, resourceVersion and times (gantryd's events metric its
  // type, reason and count), the only readers of the Event informer: it keeps no more. An Event's
  // ECS detail is most of its size, and a busy fleet keeps hundreds of thousands for their hour.
  events_.SetTransform(KeepEventTimes);
  auto enqueue_event = [&queue](const runtime::ObjectRef& o) {
    queue.Add(std::string(kEventKey) + schema::MetaOf(*o).name());
  };
  events_.AddEventHandlers({
      enqueue_event,
      [enqueue_event](const runtime::ObjectRef&, const runtime::ObjectRef& now) {
        enqueue_event(now);
      },
      nullptr,
  });
}

api::StatusOr<runtime::ReconcileOutcome> GarbageCollector::Reconcile(const std::string& key) {
  const bool is_task = key.starts_with(kTaskKey);
  if (!is_task && !key.starts_with(kEventKey)) return runtime::ReconcileOutcome{};  // not ours
  const std::string name = key.substr(is_task ? kTaskKey.size() : kEventKey.size());
  runtime::Informer& informer = is_task ? tasks_ : events_;
  runtime::ObjectRef object = informer.Get(name);
  if (!object) {  // gone: a task's output is removed once its delete has been seen
    if (is_task && retention_.on_task_collected) retention_.on_task_collected(name);
    return runtime::ReconcileOutcome{};
  }

  const auto since = is_task ? CollectableSince(static_cast<const v1::Task&>(*object))
                             : CollectableSince(static_cast<const v1::Event&>(*object));
  const auto action =
      PlanCollection(since, is_task ? retention_.stopped_tasks : retention_.events, clock_.Now());
  if (!action.collect) return runtime::ReconcileOutcome{.requeue_after = action.wait};

  auto deleted = client_.Delete(informer.kind(), name, schema::MetaOf(*object).resource_version());
  // Changed since the cache saw it: retried, and its update event brings the new facts. Deleted
  // (here or meanwhile): its delete event finishes the job.
  if (!deleted.ok() && deleted.status().code() != api::Code::kNotFound) return deleted.status();
  return runtime::ReconcileOutcome{};
}

}  // namespace gantry::controllers::gc
