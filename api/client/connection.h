#pragma once

// One client connection to gantryd: a TCP socket, or TLS over it for https:// endpoints
// (OpenSSL; the server's certificate verified against the endpoint's CA file or the system's
// trust store, and its name or IP address checked). Blocking, with every wait bounded.

#include <chrono>
#include <memory>
#include <string>

#include "api/client/endpoint.h"
#include "api/status/status.h"

namespace gantry::client {

class Connection {
 public:
  static api::StatusOr<std::unique_ptr<Connection>> Open(const Endpoint& endpoint,
                                                         std::chrono::milliseconds timeout);
  virtual ~Connection() = default;

  virtual api::Status SendAll(const std::string& data) = 0;
  // Reads what is there (waiting at most `timeout` for the first byte): > 0 bytes read, 0 at the
  // end of the stream, < 0 on error or timeout with `error` set.
  virtual long Receive(char* buffer, size_t size, std::chrono::milliseconds timeout,
                       std::string& error) = 0;
};

}  // namespace gantry::client
