#include "api/fleet/task_definitions.h"

#include "api/fleet/ecs_names.h"
#include "api/schema/kinds.h"

namespace gantry::fleet {

api::StatusOr<std::unique_ptr<v1::TaskDefinition>> ResolveTaskDefinition(
    api::ObjectService& objects, const std::string& reference, WhenNoneActive none_active) {
  const schema::KindInfo& kind = *schema::FindKind("TaskDefinition");
  const std::string name = ShortName(reference);
  auto as_definition = [](api::ObjectPtr object) {
    return std::unique_ptr<v1::TaskDefinition>(static_cast<v1::TaskDefinition*>(object.release()));
  };
  auto latest = objects.Get(kind, name);
  if (!latest.ok()) return latest.status();
  auto definition = as_definition(std::move(*latest));
  if (name.find(':') != std::string::npos || definition->status().status() != "INACTIVE") {
    return definition;
  }
  for (int revision = definition->status().revision() - 1; revision >= 1; --revision) {
    auto older = objects.Get(kind, name + ":" + std::to_string(revision));
    if (!older.ok()) {
      if (older.status().code() == api::Code::kNotFound) continue;
      return older.status();
    }
    auto candidate = as_definition(std::move(*older));
    if (candidate->status().status() != "INACTIVE") return candidate;
  }
  if (none_active == WhenNoneActive::kLatest) return definition;
  return api::Status(api::Code::kNotFound,
                     "task definition family '" + name + "' has no ACTIVE revision",
                     "taskDefinition");
}

}  // namespace gantry::fleet
