#pragma once

// The object kinds Gantry serves: their names as users type them and the message type of each.

#include <google/protobuf/message.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::v1 {
class ObjectMeta;
}

namespace gantry::schema {

inline constexpr std::string_view kApiVersion = "gantry.dev/v1";

struct KindInfo {
  std::string kind;                      // Service
  std::string singular;                  // service
  std::string plural;                    // services (the REST resource)
  std::vector<std::string> short_names;  // svc
  const google::protobuf::Message* prototype;
  // Whether writes record who set which fields (metadata.managedFields) and apply merges by
  // them: the declarative kinds users keep in manifests. Tasks, instances, events and the
  // immutable TaskDefinition revisions do not.
  bool records_field_managers = false;
  bool namespaced_by_cluster = false;  // reserved; all kinds are global today
};

const std::vector<KindInfo>& Kinds();

// By kind name (exact: "Service").
const KindInfo* FindKind(std::string_view kind);
// By anything a user may type: kind, singular, plural or short name, any case ("svc").
const KindInfo* ResolveKind(std::string_view name);

// A new, empty message of the kind.
std::unique_ptr<google::protobuf::Message> NewObject(const KindInfo& kind);

// The kind of an object message: from its `kind` field, else from its message type.
const KindInfo* KindOf(const google::protobuf::Message& object);
// Sets apiVersion and kind.
void SetTypeMeta(google::protobuf::Message& object, const KindInfo& kind);
// Every kind has `metadata`; these reach it without knowing the concrete type.
const v1::ObjectMeta& MetaOf(const google::protobuf::Message& object);
v1::ObjectMeta* MutableMetaOf(google::protobuf::Message& object);

}  // namespace gantry::schema
