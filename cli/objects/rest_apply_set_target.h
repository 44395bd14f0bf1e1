#pragma once

// The apply set's view of gantryd (api/client/apply_set.h) over gantryctl's REST client.

#include <memory>
#include <string>

#include "api/client/apply_set.h"
#include "api/client/gantry_client.h"

namespace gantry::cli {

class RestApplySetTarget : public client::ApplySetTarget {
 public:
  explicit RestApplySetTarget(client::GantryClient& client) : client_(client) {}

  api::StatusOr<std::unique_ptr<google::protobuf::Message>> Get(const schema::KindInfo& kind,
                                                                const std::string& name) override;
  api::StatusOr<std::string> Apply(const schema::KindInfo& kind,
                                   const google::protobuf::Message& object,
                                   const client::ApplyOptions& options) override;
  api::Status Delete(const schema::KindInfo& kind, const std::string& name,
                     const std::string& resource_version, bool dry_run) override;

 private:
  client::GantryClient& client_;
};

}  // namespace gantry::cli
