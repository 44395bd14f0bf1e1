#include "api/ecs/ecs_input.h"

namespace gantry::ecs {

api::Status Renamed(const api::Status& status,
                    std::initializer_list<std::pair<std::string_view, std::string_view>> renames) {
  std::string field = status.field();
  for (const auto& [from, to] : renames) {
    if (field.starts_with(from) &&
        (field.size() == from.size() || field[from.size()] == '.' || field[from.size()] == '[')) {
      field = std::string(to) + field.substr(from.size());
      break;
    }
  }
  return api::Status(status.code(), status.message(), field);
}

}  // namespace gantry::ecs
