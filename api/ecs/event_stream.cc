#include "api/ecs/event_stream.h"

#include <google/protobuf/util/json_util.h>

#include <iostream>

#include "api/ecs/ecs_shapes.h"
#include "api/fleet/task_state.h"

namespace gantry::ecs {
namespace {

constexpr std::string_view kTaskPrefix = "/registry/tasks/";
constexpr std::string_view kInstancePrefix = "/registry/containerinstances/";
constexpr const char* kCursorKey = "/gantry/event-stream/cursor";
// Below store::kMaxTxnOps, and small enough that one commit stays a few milliseconds.
constexpr size_t kMaxEventsPerCommit = 500;

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

EventStream::EventStream(store::Store& store, api::ObjectService& objects,
                         const fleet::FleetCache& cache, const fleet::EcsNames& names,
                         const api::Clock& clock)
    : store_(store), objects_(objects), cache_(cache), names_(names), clock_(clock) {}

api::Status EventStream::Start() {
  int64_t from = 0;
  if (auto cursor = store_.Get(kCursorKey); cursor.ok()) {
    from = std::strtoll(cursor->value.c_str(), nullptr, 10);
    saved_cursor_ = from;
  }
  auto watch = store_.Watch("/registry/", from);
  if (!watch.ok() && from != 0) {
    std::cerr << "gantryd: event stream: history before revision " << from
              << " is compacted; events of changes made while gantryd was down are lost"
              << std::endl;
    watch = store_.Watch("/registry/", 0);
  }
  if (!watch.ok()) return api::Status(api::Code::kUnavailable, watch.error().message);
  watch_ = std::move(*watch);
  thread_ = std::thread([this] { Run(); });
  return {};
}

void EventStream::Stop() {
  if (stopping_.exchange(true)) return;
  {
    std::lock_guard lock(watch_mu_);
    if (watch_) watch_->Cancel();
  }
  if (thread_.joinable()) thread_.join();
}

void EventStream::Run() {
  int64_t last = saved_cursor_;
  auto last_save = std::chrono::steady_clock::now();
  while (!stopping_) {
    store::WatchEvent e;
    auto polled = watch_->Next(e, std::chrono::milliseconds(500));
    if (polled == store::Watch::Poll::kClosed) {
      if (stopping_) break;
      auto watch = store_.Watch("/registry/", last);
      if (!watch.ok()) watch = store_.Watch("/registry/", 0);
      if (!watch.ok()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the store is shutting down
        continue;
      }
      std::lock_guard lock(watch_mu_);
      if (stopping_) break;
      watch_ = std::move(*watch);
      continue;
    }
    if (polled == store::Watch::Poll::kEvent) {
      // Whatever else the watch already holds goes into the same store transaction: a burst of
      // task changes costs one revision, not one per change.
      std::vector<store::KeyValue> batch;
      do {
        last = e.kv.mod_revision;
        if (e.type == store::WatchEvent::Type::kPut) batch.push_back(std::move(e.kv));
      } while (batch.size() < kMaxEventsPerCommit &&
               watch_->Next(e, std::chrono::milliseconds(0)) == store::Watch::Poll::kEvent);
      Emit(batch);
    }
    auto now = std::chrono::steady_clock::now();
    if (last != saved_cursor_ && now - last_save > std::chrono::seconds(1)) {
      SaveCursor(last);
      last_save = now;
    }
  }
  if (last != saved_cursor_) SaveCursor(last);
}

std::unique_ptr<v1::Event> EventStream::EventFor(const store::KeyValue& kv) const {
  const bool is_task = kv.key.starts_with(kTaskPrefix);
  const bool is_instance = kv.key.starts_with(kInstancePrefix);
  if (!is_task && !is_instance) return nullptr;
  std::string detail, arn, detail_type, kind, name, uid, message;
  if (is_task) {
    v1::Task task;
    if (!task.ParseFromString(kv.value)) return nullptr;
    task.mutable_metadata()->set_resource_version(std::to_string(kv.mod_revision));
    fleet::InstancePtr instance = cache_.Instance(task.spec().container_instance());
    detail = TaskJson(task, names_, TimeStyle::kIso8601, instance.get());
    arn = names_.TaskArn(task.spec().cluster(), task.metadata().name());
    detail_type = "ECS Task State Change";
    kind = "Task";
    name = task.metadata().name();
    uid = task.metadata().uid();
    message = "task " + name + " " + task.status().last_status() + " (desired " +
              fleet::DesiredStatusOf(task) + ") on " + task.spec().container_instance();
    if (!task.status().stopped_reason().empty()) message += ": " + task.status().stopped_reason();
  } else {
    v1::ContainerInstance ci;
    if (!ci.ParseFromString(kv.value)) return nullptr;
    ci.mutable_metadata()->set_resource_version(std::to_string(kv.mod_revision));
    detail = InstanceJson(ci, names_, TimeStyle::kIso8601);
    arn = names_.InstanceArn(ci.spec().cluster(), ci.metadata().name());
    detail_type = "ECS Container Instance State Change";
    kind = "ContainerInstance";
    name = ci.metadata().name();
    uid = ci.metadata().uid();
    message = "container instance " + name + " " + ci.status().status() +
              (ci.status().agent_connected() ? ", agent connected" : ", agent disconnected") +
              ", " + std::to_string(ci.status().running_tasks_count()) + " running task(s)";
  }
  auto event = std::make_unique<v1::Event>();
  const std::string event_name =
      (is_task ? "task." : "containerinstance.") + name + "." + std::to_string(kv.mod_revision);
  const std::string now = api::FormatTime(clock_.Now());
  std::string envelope = "{\"version\":\"0\",\"id\":" + Quote(api::NewRandomUid()) +
                         ",\"detail-type\":" + Quote(detail_type) +
                         ",\"source\":\"gantry\",\"account\":" + Quote(names_.account) +
                         ",\"time\":" + Quote(now) + ",\"region\":" + Quote(names_.region) +
                         ",\"resources\":[" + Quote(arn) + "],\"detail\":" + detail + "}";
  event->set_api_version("gantry.dev/v1");
  event->set_kind("Event");
  event->mutable_metadata()->set_name(event_name);
  (*event->mutable_metadata()->mutable_labels())["gantry.dev/involved-kind"] = kind;
  auto* spec = event->mutable_spec();
  spec->mutable_involved_object()->set_kind(kind);
  spec->mutable_involved_object()->set_name(name);
  spec->mutable_involved_object()->set_uid(uid);
  spec->set_type("Normal");
  spec->set_reason(is_task ? "TaskStateChange" : "ContainerInstanceStateChange");
  spec->set_message(message);
  spec->set_first_timestamp(now);
  spec->set_last_timestamp(now);
  spec->set_count(1);
  if (auto st = google::protobuf::util::JsonStringToMessage(envelope, spec->mutable_detail());
      !st.ok()) {
    std::cerr << "gantryd: event stream: bad detail for " << event_name << ": " << st.ToString()
              << std::endl;
    return nullptr;
  }
  return event;
}

void EventStream::Emit(const std::vector<store::KeyValue>& changes) {
  std::vector<std::unique_ptr<v1::Event>> events;
  for (const auto& kv : changes) {
    if (auto event = EventFor(kv)) events.push_back(std::move(event));
  }
  if (events.empty()) return;
  std::vector<api::ObjectWrite> writes;
  for (const auto& event : events) writes.push_back(api::ObjectWrite::Create(*event));
  if (objects_.Commit(writes).ok()) return;
  // One by one, so an event a replay after a restart finds already recorded (AlreadyExists)
  // does not hold up the others.
  for (const auto& event : events) {
    auto created = objects_.Create(*event);
    if (!created.ok() && created.status().code() != api::Code::kAlreadyExists && !warned_) {
      std::cerr << "gantryd: event stream: cannot record " << event->metadata().name() << ": "
                << created.status().ToString() << std::endl;
      warned_ = true;
    }
  }
}

void EventStream::SaveCursor(int64_t revision) {
  auto current = store_.Get(kCursorKey);
  auto value = std::to_string(revision);
  if (current.ok()) {
    (void)store_.Update(kCursorKey, value, current->mod_revision);
  } else {
    (void)store_.Create(kCursorKey, value);
  }
  saved_cursor_ = revision;
}

}  // namespace gantry::ecs
