#include "api/ecs/ecs_events.h"

#include <google/protobuf/util/json_util.h>

#include <iostream>

#include "api/ecs/ecs_shapes.h"
#include "api/fleet/task_state.h"
#include "api/service/clock.h"
#include "api/service/object_service.h"

namespace gantry::ecs {
namespace {

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::unique_ptr<v1::Event> EcsEventFor(const google::protobuf::Message& object,
                                       const v1::ContainerInstance* task_instance,
                                       const fleet::EcsNames& names,
                                       std::chrono::system_clock::time_point at) {
  const auto* task = dynamic_cast<const v1::Task*>(&object);
  const auto* ci = dynamic_cast<const v1::ContainerInstance*>(&object);
  if (!task && !ci) return nullptr;
  std::string detail, arn, detail_type, kind, name, uid, message, revision;
  if (task) {
    detail = TaskJson(*task, names, TimeStyle::kIso8601, task_instance);
    arn = names.TaskArn(task->spec().cluster(), task->metadata().name());
    detail_type = "ECS Task State Change";
    kind = "Task";
    name = task->metadata().name();
    uid = task->metadata().uid();
    revision = task->metadata().resource_version();
    message = "task " + name + " " + task->status().last_status() + " (desired " +
              fleet::DesiredStatusOf(*task) + ") on " + task->spec().container_instance();
    if (!task->status().stopped_reason().empty()) message += ": " + task->status().stopped_reason();
  } else {
    detail = InstanceJson(*ci, names, TimeStyle::kIso8601);
    arn = names.InstanceArn(ci->spec().cluster(), ci->metadata().name());
    detail_type = "ECS Container Instance State Change";
    kind = "ContainerInstance";
    name = ci->metadata().name();
    uid = ci->metadata().uid();
    revision = ci->metadata().resource_version();
    message = "container instance " + name + " " + ci->status().status() +
              (ci->status().agent_connected() ? ", agent connected" : ", agent disconnected") +
              ", " + std::to_string(ci->status().running_tasks_count()) + " running task(s)";
  }
  auto event = std::make_unique<v1::Event>();
  const std::string event_name = (task ? "task." : "containerinstance.") + name + "." + revision;
  const std::string now = api::FormatTime(at);
  std::string envelope = "{\"version\":\"0\",\"id\":" + Quote(api::NewRandomUid()) +
                         ",\"detail-type\":" + Quote(detail_type) +
                         ",\"source\":\"gantry\",\"account\":" + Quote(names.account) +
                         ",\"time\":" + Quote(now) + ",\"region\":" + Quote(names.region) +
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
  spec->set_reason(task ? "TaskStateChange" : "ContainerInstanceStateChange");
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

}  // namespace gantry::ecs
