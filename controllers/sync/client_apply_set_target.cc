#include "controllers/sync/client_apply_set_target.h"

#include "api/schema/kinds.h"

namespace gantry::controllers::sync {

api::StatusOr<std::unique_ptr<google::protobuf::Message>> ClientApplySetTarget::Get(
    const schema::KindInfo& kind, const std::string& name) {
  return client::ObjectOrNone(client_.Get(kind, name));
}

api::StatusOr<std::string> ClientApplySetTarget::Apply(const schema::KindInfo&,
                                                       const google::protobuf::Message& object,
                                                       const client::ApplyOptions& options) {
  auto applied = client_.Apply(object, options);
  if (!applied.ok()) return applied.status();
  switch (applied->outcome) {
    case client::ApplyOutcome::kCreated:
      return std::string("created");
    case client::ApplyOutcome::kConfigured:
      return std::string("configured");
    case client::ApplyOutcome::kUnchanged:
      break;
  }
  return std::string("unchanged");
}

api::Status ClientApplySetTarget::Delete(const schema::KindInfo& kind, const std::string& name,
                                         const std::string& resource_version, bool dry_run) {
  if (dry_run) {  // the client has no dry-run delete: whether the delete would find it as it is
    auto live = client_.Get(kind, name);
    if (!live.ok()) return live.status();
    if (schema::MetaOf(**live).resource_version() != resource_version)
      return api::Status(api::Code::kAborted, kind.singular + " \"" + name + "\" changed");
    return {};
  }
  return client_.Delete(kind, name, resource_version).status();
}

}  // namespace gantry::controllers::sync
