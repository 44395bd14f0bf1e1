#include "api/fleet/launch_request.h"

namespace gantry::fleet {

v1::PlacementConstraint Constraint(std::string type, std::optional<std::string> expression) {
  v1::PlacementConstraint c;
  c.set_type(std::move(type));
  if (expression) c.set_expression(std::move(*expression));
  return c;
}

v1::PlacementStrategy Strategy(std::string type, std::string field) {
  v1::PlacementStrategy s;
  s.set_type(std::move(type));
  s.set_field(std::move(field));
  return s;
}

}  // namespace gantry::fleet
