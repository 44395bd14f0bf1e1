// grpcpp for the clients' channel; the header stays free of it.
#include "api/grpc/channel.h"

#include <grpcpp/grpcpp.h>

namespace gantry::grpcapi {

std::shared_ptr<grpc::Channel> OpenChannel(const std::string& address, const ChannelTls& tls) {
  grpc::ChannelArguments args;
  // Reconnect quickly after gantryd restarts; callers retry anyway.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 64 << 20);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (tls.enabled) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = tls.root_certs_pem;
    ssl.pem_cert_chain = tls.cert_chain_pem;
    ssl.pem_private_key = tls.private_key_pem;
    credentials = grpc::SslCredentials(ssl);
  }
  return grpc::CreateCustomChannel(address, credentials, args);
}

api::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return {};
  return api::Status(static_cast<api::Code>(static_cast<int>(status.error_code())),
                     status.error_message());
}

}  // namespace gantry::grpcapi
