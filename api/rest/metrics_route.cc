#include "api/rest/metrics_route.h"

namespace gantry::rest {

bool MetricsRoute(const HttpRequest& r, HttpResponse& out,
                  const std::function<std::string()>& scrape) {
  if (r.path != "/metrics") return false;
  out.status = 200;
  out.content_type = "text/plain; version=0.0.4";
  out.body = scrape();
  return true;
}

}  // namespace gantry::rest
