#include "api/schema/kinds.h"

#include <algorithm>
#include <cctype>

#include "gantry/v1/objects.pb.h"

namespace gantry::schema {

// In the order kinds depend on each other (a Service names a TaskDefinition, a Deployment an
// Environment): an apply set applies in this order and prunes in its reverse.
const std::vector<KindInfo>& Kinds() {
  static const std::vector<KindInfo> kinds = {
      {"Cluster", "cluster", "clusters", {}, &v1::Cluster::default_instance(), true},
      {"ContainerInstance",
       "containerinstance",
       "containerinstances",
       {"ci"},
       &v1::ContainerInstance::default_instance()},
      {"TaskDefinition",
       "taskdefinition",
       "taskdefinitions",
       {"td"},
       &v1::TaskDefinition::default_instance()},
      {"Task", "task", "tasks", {}, &v1::Task::default_instance()},
      {"Service", "service", "services", {"svc"}, &v1::Service::default_instance(), true},
      {"Environment",
       "environment",
       "environments",
       {"env"},
       &v1::Environment::default_instance(),
       true},
      {"Deployment",
       "deployment",
       "deployments",
       {"deploy"},
       &v1::Deployment::default_instance(),
       true},
      {"Event", "event", "events", {"ev"}, &v1::Event::default_instance()},
      {"Inventory", "inventory", "inventories", {"inv"}, &v1::Inventory::default_instance(), true},
      {"Secret", "secret", "secrets", {}, &v1::Secret::default_instance()},
      {"Sync", "sync", "syncs", {}, &v1::Sync::default_instance(), true},
  };
  return kinds;
}

const KindInfo* FindKind(std::string_view kind) {
  for (const KindInfo& k : Kinds())
    if (k.kind == kind) return &k;
  return nullptr;
}

const KindInfo* ResolveKind(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const KindInfo& k : Kinds()) {
    if (lower == k.singular || lower == k.plural) return &k;
    for (const auto& s : k.short_names)
      if (lower == s) return &k;
  }
  return nullptr;
}

std::unique_ptr<google::protobuf::Message> NewObject(const KindInfo& kind) {
  return std::unique_ptr<google::protobuf::Message>(kind.prototype->New());
}

const KindInfo* KindOf(const google::protobuf::Message& object) {
  const auto* field = object.GetDescriptor()->FindFieldByName("kind");
  if (const KindInfo* k =
          field ? FindKind(object.GetReflection()->GetString(object, field)) : nullptr) {
    return k;
  }
  return FindKind(object.GetDescriptor()->name());
}

void SetTypeMeta(google::protobuf::Message& object, const KindInfo& kind) {
  const auto* d = object.GetDescriptor();
  object.GetReflection()->SetString(&object, d->FindFieldByName("api_version"),
                                    std::string(kApiVersion));
  object.GetReflection()->SetString(&object, d->FindFieldByName("kind"), kind.kind);
}

const v1::ObjectMeta& MetaOf(const google::protobuf::Message& object) {
  return static_cast<const v1::ObjectMeta&>(object.GetReflection()->GetMessage(
      object, object.GetDescriptor()->FindFieldByName("metadata")));
}

v1::ObjectMeta* MutableMetaOf(google::protobuf::Message& object) {
  return static_cast<v1::ObjectMeta*>(object.GetReflection()->MutableMessage(
      &object, object.GetDescriptor()->FindFieldByName("metadata")));
}

}  // namespace gantry::schema
