#pragma once

// GET /metrics on gantryd's REST port: the Prometheus text exposition (format 0.0.4) of the
// process's one registry. Behind authentication like every route but /healthz and /readyz.

#include <functional>
#include <string>

#include "api/rest/http_types.h"

namespace gantry::rest {

// False when `r` is not this route's; otherwise `out` carries what `scrape` returns.
bool MetricsRoute(const HttpRequest& r, HttpResponse& out,
                  const std::function<std::string()>& scrape);

}  // namespace gantry::rest
