#pragma once

// The apply set's view of the cluster (api/client/apply_set.h) through a controller's client.

#include <memory>
#include <string>

#include "api/client/apply_set.h"
#include "api/client/client.h"

namespace gantry::controllers::sync {

class ClientApplySetTarget : public client::ApplySetTarget {
 public:
  explicit ClientApplySetTarget(client::Client& client) : client_(client) {}

  api::StatusOr<std::unique_ptr<google::protobuf::Message>> Get(const schema::KindInfo& kind,
                                                                const std::string& name) override;
  api::StatusOr<std::string> Apply(const schema::KindInfo& kind,
                                   const google::protobuf::Message& object,
                                   const client::ApplyOptions& options) override;
  api::Status Delete(const schema::KindInfo& kind, const std::string& name,
                     const std::string& resource_version, bool dry_run) override;

 private:
  client::Client& client_;
};

}  // namespace gantry::controllers::sync
