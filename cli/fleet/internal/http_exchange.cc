#include "cli/fleet/internal/http_exchange.h"

#include <map>

namespace gantry::cli::fleet_internal {

api::StatusOr<client::HttpResult> Exchange(
    const client::Endpoint& endpoint, const std::string& bearer_token,
    const HttpRequestSpec& request, HttpTimeouts timeouts,
    const std::function<bool(std::string_view piece)>& on_body) {
  client::HttpClient http(endpoint, bearer_token, timeouts.connect);
  std::map<std::string, std::string> headers(request.headers.begin(), request.headers.end());
  return http.Exchange(request.method, request.path_and_query, request.body, request.content_type,
                       headers, on_body, timeouts.idle);
}

}  // namespace gantry::cli::fleet_internal
