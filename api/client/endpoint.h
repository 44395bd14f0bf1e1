#pragma once

#include <string>

namespace gantry::client {

// Where gantryd is and how to reach it. TLS settings follow kubectl's: the CA that signed the
// server's certificate (--certificate-authority), and an optional client certificate.
struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 7700;
  std::string path_prefix;  // from a URL such as http://host:port/prefix
  bool tls = false;         // https://
  std::string ca_file{};    // empty: the system's trust store
  std::string cert_file{};  // client certificate (PEM), with key_file
  std::string key_file{};
};

}  // namespace gantry::client
