#pragma once

// The fleet verbs' view of one HTTP exchange (a request spec and timeouts), over
// client::HttpClient::Exchange: extra headers (X-Amz-Target) and the body handed over as it
// arrives, so `logs -f` shows partial and unterminated lines at once.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/client/http_client.h"
#include "api/status/status.h"

namespace gantry::cli::fleet_internal {

struct HttpRequestSpec {
  std::string method = "GET";
  std::string path_and_query;  // after the endpoint's path prefix
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";  // sent with a body or a POST
  std::string accept = "application/json";
};

struct HttpTimeouts {
  std::chrono::milliseconds connect{std::chrono::seconds(30)};
  std::chrono::milliseconds idle{std::chrono::seconds(30)};  // longest wait for the next byte
};

// Sends the request (with the bearer token when there is one). For a 2xx answer, `on_body`
// (when given) receives the body piece by piece as it arrives and returns false to stop reading;
// otherwise, and for any other status, the body is collected into the result. Transport
// failures are kUnavailable.
api::StatusOr<client::HttpResult> Exchange(
    const client::Endpoint& endpoint, const std::string& bearer_token,
    const HttpRequestSpec& request, HttpTimeouts timeouts = {},
    const std::function<bool(std::string_view piece)>& on_body = nullptr);

}  // namespace gantry::cli::fleet_internal
