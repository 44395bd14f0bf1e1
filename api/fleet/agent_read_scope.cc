#include "api/fleet/agent_read_scope.h"

#include "api/fleet/instance_service.h"

namespace gantry::fleet {

api::ObjectFilter AgentReadScope::FilterFor(const api::Principal& who,
                                            const schema::KindInfo& kind) const {
  if (who.role != api::Role::kAgent) return nullptr;
  const FleetView& fleet = fleet_;
  std::string user = who.user;
  auto owns = [&fleet, user](const std::string& instance_name) {
    InstancePtr instance = fleet.Instance(instance_name);
    return instance && OwnedBy(*instance, user);
  };
  if (kind.kind == "ContainerInstance") {
    return [user](const google::protobuf::Message& m) {
      const auto& labels = schema::MetaOf(m).labels();
      auto it = labels.find(kAgentLabel);
      return it != labels.end() && it->second == user;
    };
  }
  if (kind.kind == "Task") {
    return [owns](const google::protobuf::Message& m) {
      const auto* task = dynamic_cast<const v1::Task*>(&m);
      return task != nullptr && owns(task->spec().container_instance());
    };
  }
  if (kind.kind == "TaskDefinition") {
    return [&fleet, user](const google::protobuf::Message& m) {
      const std::string& name = schema::MetaOf(m).name();
      for (const InstancePtr& instance : fleet.AllInstances()) {
        if (!OwnedBy(*instance, user)) continue;
        for (const TaskPtr& task : fleet.TasksOn(instance->metadata().name()))
          if (task->spec().task_definition() == name) return true;
      }
      return false;
    };
  }
  return [](const google::protobuf::Message&) { return false; };
}

}  // namespace gantry::fleet
