#pragma once

// The HTTP server (cpprestsdk; this header does not include it). It adapts requests to
// RestHandler, runs them on a WorkerPool, and streams watches as newline-delimited JSON:
//   {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}
// Bodies over `max_body_bytes` get 413 before they are read. `Expect: 100-continue` requests are
// served, but cpprest never sends the interim 100 response, so such clients (curl) send the
// body after their own wait (1 s for curl); gantryctl never sends Expect.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api/rest/rest_handler.h"
#include "api/status/status.h"

namespace gantry::rest {

struct RestOptions {
  std::string host = "127.0.0.1";
  int port = 7700;
  size_t max_body_bytes = 4 << 20;
  // Requests in flight at once; writes among them share store transactions (group commit), so
  // this should not be lower than the concurrent writers expected.
  size_t workers = 32;
  std::chrono::milliseconds bookmark_interval{10'000};
  size_t max_watches = 1000;
  // Extra routes served before RestHandler (GET only), e.g. /metrics. Returns true if it answered.
  std::function<bool(const HttpRequest&, HttpResponse&)> extra_routes;
  // Routes that authenticate on their own (the ECS endpoint signs with SigV4), asked before the
  // bearer-token check, any method. Returns true if it answered. `resource` names it in metrics.
  std::function<bool(const HttpRequest&, HttpResponse&, std::string& resource)> own_auth_routes;
  // Called once per request: method, resource (a plural, "healthz", "readyz", "metrics" or
  // "other"; never an object name), HTTP status, seconds taken.
  std::function<void(const std::string&, const std::string&, int, double)> on_request;
};

class RestServer {
 public:
  // `authorizer` (optional, must outlive the server) turns on bearer-token auth.
  static api::StatusOr<std::unique_ptr<RestServer>> Start(
      const RestOptions& options, api::ObjectService& service,
      const api::Authorizer* authorizer = nullptr);
  ~RestServer();
  // Stops accepting, ends open watches, waits for work in flight.
  void Stop();
  int port() const;
  size_t open_watches() const;

  class Impl;

 private:
  explicit RestServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry::rest
