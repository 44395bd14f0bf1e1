#include "controllers/service/zone_rebalancing.h"

#include <algorithm>
#include <cctype>

namespace gantry::controllers::service {

bool RebalancingApplies(const v1::ServiceSpec& spec) {
  const auto& strategies = spec.placement_strategy();
  if (spec.availability_zone_rebalancing() == "DISABLED") return false;
  if (spec.availability_zone_rebalancing().empty()) {
    const bool binpack = std::any_of(strategies.begin(), strategies.end(),
                                     [](const auto& s) { return s.type() == "binpack"; });
    if (binpack) return false;
  }
  // ECS's default strategies spread by zone first; given ones must too.
  return strategies.empty() ||
         (strategies[0].type() == "spread" &&
          strategies[0].field() == std::string("attribute:") + kZoneAttribute);
}

std::optional<std::string> EmptiestIfUneven(const std::map<std::string, int>& tasks_by_zone) {
  if (tasks_by_zone.size() < 2) return std::nullopt;
  auto [emptiest, fullest] =
      std::minmax_element(tasks_by_zone.begin(), tasks_by_zone.end(),
                          [](const auto& a, const auto& b) { return a.second < b.second; });
  if (fullest->second - emptiest->second <= 1) return std::nullopt;
  return emptiest->first;
}

bool PlainZoneName(const std::string& zone) {
  return !zone.empty() && std::all_of(zone.begin(), zone.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace gantry::controllers::service
