#pragma once

// The gRPC server (grpcpp stays inside grpc_server.cc): gantry.v1.Objects over the same service
// layer as REST, and gantry.v1.Agent for gantry-agent, on the callback API. Watch is a server
// stream that ends when the client cancels, the watch closes or the server stops. Bearer tokens
// arrive as `authorization` metadata and go through the same Authorizer.

#include <memory>
#include <string>

#include "api/fleet/agent_backend.h"
#include "api/service/authorizer.h"
#include "api/service/object_service.h"
#include "api/status/status.h"

namespace gantry::grpcapi {

struct GrpcOptions {
  std::string address = "127.0.0.1:7701";
};

class GrpcServer {
 public:
  // `service`, `authorizer` and `agents` (both optional) must outlive the server. With `agents`
  // the server also speaks gantry.v1.Agent.
  static api::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const GrpcOptions& options, api::ObjectService& service,
      const api::Authorizer* authorizer = nullptr, fleet::AgentBackend* agents = nullptr);
  ~GrpcServer();
  // Cancels open streams, waits (up to a deadline) for calls in flight.
  void Stop();
  int port() const;

  class Impl;

 private:
  explicit GrpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry::grpcapi
