#include "cli/objects/rest_apply_set_target.h"

namespace gantry::cli {

api::StatusOr<std::unique_ptr<google::protobuf::Message>> RestApplySetTarget::Get(
    const schema::KindInfo& kind, const std::string& name) {
  return client::ObjectOrNone(client_.Get(kind, name));
}

api::StatusOr<std::string> RestApplySetTarget::Apply(const schema::KindInfo& kind,
                                                     const google::protobuf::Message& object,
                                                     const client::ApplyOptions& options) {
  auto reply = client_.Apply(kind, object, options);
  if (!reply.ok()) return reply.status();
  return reply->outcome;
}

api::Status RestApplySetTarget::Delete(const schema::KindInfo& kind, const std::string& name,
                                       const std::string& resource_version, bool dry_run) {
  return client_.Delete(kind, name, dry_run, resource_version).status();
}

}  // namespace gantry::cli
