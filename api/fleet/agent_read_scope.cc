#include "api/fleet/agent_read_scope.h"

#include "api/fleet/instance_service.h"

namespace gantry::fleet {

api::ObjectFilter AgentReadScope::FilterFor(const api::Principal& who,
                                            const schema::KindInfo& kind) const {
  if (who.role != api::Role::kAgent) return nullptr;
  const FleetCache& cache = cache_;
  std::string user = who.user;
  auto owns = [&cache, user](const std::string& instance_name) {
    InstancePtr instance = cache.Instance(instance_name);
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
    return [&cache, user](const google::protobuf::Message& m) {
      const std::string& name = schema::MetaOf(m).name();
      for (const InstancePtr& instance : cache.AllInstances()) {
        if (!OwnedBy(*instance, user)) continue;
        for (const TaskPtr& task : cache.TasksOn(instance->metadata().name()))
          if (task->spec().task_definition() == name) return true;
      }
      return false;
    };
  }
  return [](const google::protobuf::Message&) { return false; };
}

}  // namespace gantry::fleet
