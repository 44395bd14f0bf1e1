#pragma once

// The HTTP server (Boost.Beast over Boost.Asio; this header includes neither). It reads requests
// with every input bounded while it is read, adapts them to RestHandler (or the routes given in
// RestOptions), runs the work on a WorkerPool, and streams watches as newline-delimited JSON:
//   {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}
// Bounds, each answered without reading further:
//   headers     over max_header_bytes: 431; not complete within header_timeout: closed
//   bodies      counted while read, chunked or not: over max_body_bytes 413 (Content-Length over
//               the limit is refused before any body byte is read); `Expect: 100-continue` is
//               answered with 100 only when the body will be accepted
//   connections at most max_connections; at the cap a new connection evicts the oldest one that
//               is idle or still sending headers, else it is closed at once. An idle keep-alive
//               connection is closed after idle_timeout, a new one that sends nothing after
//               header_timeout; a client that stops reading a response after write_timeout
//   streams     watches and followed logs take a slot of the shared StreamLimiter (per user and
//               in all; 429 when full) and no thread: a watch wakes on its store notification
// With TLS (cert and key files) the port speaks HTTPS only; with a client CA, client
// certificates are requested and, when presented, must verify; their identity reaches the
// handlers in HttpRequest::peer_certificate.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/rest/rest_handler.h"
#include "api/service/stream_limiter.h"
#include "api/status/status.h"

namespace gantry::rest {

struct TlsFiles {
  std::string cert_file;       // PEM chain, the server's certificate first
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // optional: verify client certificates against these CAs
};

struct RestOptions {
  std::string host = "127.0.0.1";
  int port = 7700;
  std::optional<TlsFiles> tls;
  size_t max_body_bytes = 4 << 20;
  size_t max_header_bytes = 64 << 10;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds write_timeout{30'000};
  // 0: derived from RLIMIT_NOFILE (leaving room for the store, gRPC and logs).
  size_t max_connections = 0;
  // Threads that read and write sockets; request work runs on `workers` threads. Writes among
  // concurrent requests share store transactions (group commit), so `workers` should not be
  // lower than the concurrent writers expected.
  size_t io_threads = 2;
  size_t workers = 32;
  std::chrono::milliseconds bookmark_interval{10'000};
  // Shared with the gRPC server (not owned; must outlive the server). nullptr: a limiter of the
  // server's own with 1000 streams in all and 1000 per user.
  api::StreamLimiter* streams = nullptr;
  // Narrows what agents read (not owned; optional).
  const api::ReadScope* read_scope = nullptr;
  // Extra routes, asked after authentication and the generic authorization, before RestHandler
  // (e.g. /metrics, task logs). `who` is nullptr when authentication is off. Returns true if it
  // answered.
  std::function<bool(const HttpRequest&, const api::Principal* who, HttpResponse&)> extra_routes;
  // Routes that authenticate on their own (the ECS endpoint: SigV4 or bearer), asked before the
  // generic authentication, any method. Returns true if it answered. `resource` names it in
  // metrics.
  std::function<bool(const HttpRequest&, HttpResponse&, std::string& resource)> own_auth_routes;
  // Called once per request: method, resource (a plural, "healthz", "readyz", "metrics" or
  // "other"; never an object name), HTTP status, seconds taken.
  std::function<void(const std::string&, const std::string&, int, double)> on_request;
};

class RestServer {
 public:
  // `authorizer` (optional, must outlive the server) turns on authentication for every route
  // but /healthz and /readyz. Fails (kInvalidArgument) on unreadable TLS files, kUnavailable
  // when the address cannot be bound.
  static api::StatusOr<std::unique_ptr<RestServer>> Start(
      const RestOptions& options, api::ObjectService& service,
      const api::Authorizer* authorizer = nullptr);
  ~RestServer();
  // Stops accepting, ends open streams and connections, waits for work in flight.
  void Stop();
  int port() const;
  size_t open_watches() const;
  size_t open_connections() const;

  class Impl;

 private:
  explicit RestServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The connection cap for a descriptor limit: what is left after `reserved` descriptors, at least
// 16 and at most 16384.
size_t ConnectionCapFor(size_t descriptor_limit, size_t reserved = 256);

}  // namespace gantry::rest
