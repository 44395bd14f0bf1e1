#pragma once

// client::Client over gRPC: what a controller uses when it runs outside gantryd. Every call goes
// to gantryd's gantry.v1.Objects and gantry.v1.Launcher services, authenticated with a bearer
// token and authorized there as any API caller; grpcpp stays in grpc_client.cc.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/client/client.h"
#include "api/grpc/channel.h"

namespace gantry::grpcapi {

class GrpcClient : public client::Client {
 public:
  // `address` is HOST:PORT; `token` (optional) is sent as a bearer token. Unary calls give up
  // after `timeout`; watches run until cancelled.
  GrpcClient(const std::string& address, const std::string& token, const ChannelTls& tls = {},
             std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~GrpcClient() override;

  api::StatusOr<client::Object> Get(const schema::KindInfo& kind, std::string_view name) override;
  api::StatusOr<client::ListPage> List(const schema::KindInfo& kind,
                                       const client::ListOptions& options) override;
  api::StatusOr<std::unique_ptr<client::WatchStream>> Watch(
      const schema::KindInfo& kind, std::string_view resource_version,
      std::string_view label_selector) override;
  api::StatusOr<client::Applied> Apply(const google::protobuf::Message& manifest,
                                       const client::ApplyOptions& options = {}) override;
  api::StatusOr<client::Object> Create(const google::protobuf::Message& object) override;
  api::StatusOr<client::Object> Delete(const schema::KindInfo& kind, std::string_view name,
                                       std::string_view resource_version) override;
  api::StatusOr<client::Object> UpdateStatus(const google::protobuf::Message& object) override;
  api::StatusOr<std::vector<client::Object>> Commit(
      const std::vector<client::Write>& writes) override;
  api::StatusOr<v1::LaunchResponse> Launch(const v1::LaunchRequest& request) override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gantry::grpcapi
