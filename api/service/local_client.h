#pragma once

// client::Client inside gantryd: each call goes straight to the ObjectService, with no transport
// and no authorization (controllers are gantryd's own). On a MemoryStore it is also the fake
// that controller tests use.

#include <functional>

#include "api/client/client.h"
#include "api/service/object_service.h"

namespace gantry::api {

class LocalClient : public client::Client {
 public:
  // What Launch calls: in gantryd, fleet::LaunchThrough on its TaskService (api/fleet sits
  // above this layer, so it is handed in).
  using LaunchFunc = std::function<StatusOr<v1::LaunchResponse>(const v1::LaunchRequest&)>;

  // `objects` must outlive the client and every watch it returns. Without `launch`, Launch is
  // kUnimplemented.
  explicit LocalClient(ObjectService& objects, LaunchFunc launch = nullptr)
      : objects_(objects), launch_(std::move(launch)) {}

  StatusOr<client::Object> Get(const schema::KindInfo& kind, std::string_view name) override;
  StatusOr<client::ListPage> List(const schema::KindInfo& kind,
                                  const client::ListOptions& options) override;
  StatusOr<std::unique_ptr<client::WatchStream>> Watch(const schema::KindInfo& kind,
                                                       std::string_view resource_version,
                                                       std::string_view label_selector) override;
  StatusOr<client::Applied> Apply(const google::protobuf::Message& manifest,
                                  const client::ApplyOptions& options = {}) override;
  StatusOr<client::Object> Create(const google::protobuf::Message& object) override;
  StatusOr<client::Object> Delete(const schema::KindInfo& kind, std::string_view name,
                                  std::string_view resource_version) override;
  StatusOr<client::Object> UpdateStatus(const google::protobuf::Message& object) override;
  StatusOr<std::vector<client::Object>> Commit(const std::vector<client::Write>& writes) override;
  StatusOr<v1::LaunchResponse> Launch(const v1::LaunchRequest& request) override;

 private:
  ObjectService& objects_;
  const LaunchFunc launch_;
};

}  // namespace gantry::api
