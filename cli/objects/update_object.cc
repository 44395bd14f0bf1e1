#include "cli/objects/update_object.h"

namespace gantry::cli {
namespace {

constexpr int kConflictRetries = 5;

}  // namespace

api::Status UpdateObject(client::GantryClient& client, const schema::KindInfo& kind,
                         const std::string& name, const std::string& field_manager,
                         const std::function<void(google::protobuf::Message&)>& change) {
  for (int attempt = 0;; ++attempt) {
    auto got = client.Get(kind, name);
    if (!got.ok()) return got.status();
    google::protobuf::Message& object = **got;  // resourceVersion pinned
    object.GetReflection()->ClearField(&object, object.GetDescriptor()->FindFieldByName("status"));
    change(object);
    auto applied = client.Apply(kind, object, {.field_manager = field_manager});
    if (applied.ok()) return {};
    if (applied.status().code() != api::Code::kAborted || attempt + 1 >= kConflictRetries)
      return applied.status();
  }
}

}  // namespace gantry::cli
