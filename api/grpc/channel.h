#pragma once

// The channel gantryd's gRPC clients (gantry-agent, controllers outside gantryd) open to it:
// TLS when asked, quick reconnects after gantryd restarts, large enough messages for a page of
// objects. grpcpp stays in channel.cc; callers hold the channel without its definition.

#include <memory>
#include <string>

#include "api/status/status.h"

namespace grpc {
class Channel;
class Status;
}  // namespace grpc

namespace gantry::grpcapi {

// How the channel to gantryd is secured. PEM text, not file names: the caller reads the files and
// reports a missing one by name.
struct ChannelTls {
  bool enabled = false;
  std::string root_certs_pem;  // empty: the system trust store
  std::string cert_chain_pem;  // a client certificate, with private_key_pem
  std::string private_key_pem;
};

// `address` is HOST:PORT.
std::shared_ptr<grpc::Channel> OpenChannel(const std::string& address, const ChannelTls& tls);

// A call's gRPC status as the service layer's (the codes are the same canonical ones).
api::Status FromGrpc(const grpc::Status& status);

}  // namespace gantry::grpcapi
