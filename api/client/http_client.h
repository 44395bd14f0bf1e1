#pragma once

// A small blocking HTTP/1.1 client over POSIX sockets (and OpenSSL for https://) for gantryctl and
// tests. One connection per request, no Expect header, bodies sent with
// Content-Length; responses read by Content-Length, chunked encoding or until close.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "api/client/endpoint.h"
#include "api/status/status.h"

namespace gantry::client {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

// Parses http[s]://HOST[:PORT][/prefix]; TLS files are the caller's to add.
api::StatusOr<Endpoint> ParseUrl(const std::string& url);

class HttpClient {
 public:
  HttpClient(Endpoint endpoint, std::string bearer_token = "",
             std::chrono::milliseconds timeout = std::chrono::seconds(30))
      : endpoint_(std::move(endpoint)), token_(std::move(bearer_token)), timeout_(timeout) {}

  api::StatusOr<HttpResult> Request(const std::string& method, const std::string& path_and_query,
                                    const std::string& body = "",
                                    const std::string& content_type = "application/json") const;

  // Request with extra headers (X-Amz-Target for the ECS endpoint).
  api::StatusOr<HttpResult> RequestWithHeaders(
      const std::string& method, const std::string& path_and_query, const std::string& body,
      const std::string& content_type, const std::map<std::string, std::string>& headers) const;
  // The general exchange: extra headers, and for a 2xx answer the body handed to `on_body`
  // piece by piece as it arrives (return false to stop reading) instead of collected; other
  // answers are collected into the result. `idle_timeout` bounds each wait for the next byte
  // (0: the client's timeout). A task's output need not end in '\n', so pieces are bytes, not
  // lines as in Stream().
  api::StatusOr<HttpResult> Exchange(const std::string& method, const std::string& path_and_query,
                                     const std::string& body, const std::string& content_type,
                                     const std::map<std::string, std::string>& headers,
                                     const std::function<bool(std::string_view)>& on_body,
                                     std::chrono::milliseconds idle_timeout) const;
  // Streams a response body line by line (a watch); `on_line` returns false to stop. Returns the
  // status line's code, or an error if the connection failed.
  api::StatusOr<int> Stream(const std::string& path_and_query,
                            const std::function<bool(const std::string& line)>& on_line,
                            std::chrono::milliseconds idle_timeout) const;

  const Endpoint& endpoint() const { return endpoint_; }

 private:
  Endpoint endpoint_;
  std::string token_;
  std::chrono::milliseconds timeout_;
};

}  // namespace gantry::client
