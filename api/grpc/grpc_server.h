#pragma once

// The gRPC server (grpcpp stays inside grpc_server.cc): gantry.v1.Objects over the same service
// layer as REST, and gantry.v1.Agent for gantry-agent, on the callback API. Watch is a server
// stream without a thread of its own: it writes when its store watch notifies, and ends when the
// client cancels, the watch closes or the server stops; watches take a slot of the shared
// StreamLimiter. List answers at most `max_page` objects and a continue token. Bearer tokens
// arrive as `authorization` metadata; with TLS and a client CA, a verified client certificate
// identifies the caller too; both go through the same Authorizer.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/fleet/agent_backend.h"
#include "api/service/authorizer.h"
#include "api/service/object_service.h"
#include "api/service/read_scope.h"
#include "api/service/stream_limiter.h"
#include "api/status/status.h"
#include "gantry/v1/launch.pb.h"

namespace gantry::grpcapi {

struct GrpcTls {
  std::string cert_pem;       // the server's chain
  std::string key_pem;        // its private key
  std::string client_ca_pem;  // optional: request client certificates, verify those presented
};

struct GrpcOptions {
  std::string address = "127.0.0.1:7701";
  std::optional<GrpcTls> tls;
  // Shared with the REST server (not owned). nullptr: a limiter of the server's own (1000 in all
  // and per user).
  api::StreamLimiter* streams = nullptr;
  const api::ReadScope* read_scope = nullptr;  // not owned; narrows what agents read
  size_t max_page = 500;
  // What gantry.v1.Launcher calls (in gantryd, fleet::LaunchThrough); without it the server does
  // not offer that service.
  std::function<api::StatusOr<v1::LaunchResponse>(const v1::LaunchRequest&)> launch;
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
