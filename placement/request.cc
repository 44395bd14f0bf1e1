#include "placement/request.h"

#include <algorithm>

namespace gantry::placement {
namespace {

std::string Index(const std::string& field, size_t i) {
  return field + "[" + std::to_string(i) + "]";
}

Status AddConstraint(const ConstraintSpec& c, const std::string& path, bool in_task_definition,
                     CompiledRequest& out) {
  if (c.type == "memberOf") {
    if (!c.expression || c.expression->empty()) {
      return InvalidArgument(path + ".expression", "memberOf requires an expression");
    }
    auto expr = cql::Expression::Parse(*c.expression);
    if (!expr.ok()) return expr.error().WithFieldPrefix(path + ".expression");
    out.member_of.push_back(std::move(expr).value());
    return {};
  }
  if (c.type == "distinctInstance") {
    if (in_task_definition) {
      return InvalidArgument(path + ".type",
                             "distinctInstance is not allowed in a task definition");
    }
    if (c.expression) {
      return InvalidArgument(path + ".expression",
                             "distinctInstance expression should not be specified.");
    }
    out.distinct_instance = true;
    return {};
  }
  if (c.type.empty()) return InvalidArgument(path + ".type", "is required");
  return InvalidArgument(path + ".type", "unknown constraint type '" + c.type +
                                             "' (expected memberOf or distinctInstance)");
}

Status CheckResource(int64_t v, const char* field) {
  if (v < 0 || v > kMaxResource) {
    return InvalidArgument(field, "must be between 0 and " + std::to_string(kMaxResource) +
                                      ", got " + std::to_string(v));
  }
  return {};
}

}  // namespace

Result<Strategy> CompileStrategy(const StrategySpec& s, const std::string& path) {
  Strategy out;
  const std::string field = s.field.value_or("");
  if (field.size() > kMaxStrategyFieldLength) {
    return InvalidArgument(path + ".field", "is longer than 255 characters");
  }
  if (s.type == "random") {
    out.kind = Strategy::Kind::kRandom;  // ECS ignores the field of a random strategy
    out.name = "random";
    return out;
  }
  if (s.type == "binpack") {
    if (field == "cpu") {
      out.kind = Strategy::Kind::kBinpackCpu;
    } else if (field == "memory") {
      out.kind = Strategy::Kind::kBinpackMemory;
    } else if (field.empty()) {
      return InvalidArgument(path + ".field", "binpack requires field cpu or memory");
    } else {
      return InvalidArgument(path + ".field",
                             "binpack field must be cpu or memory, got '" + field + "'");
    }
    out.name = "binpack(" + field + ")";
    return out;
  }
  if (s.type == "spread") {
    static constexpr std::string_view kAttributePrefix = "attribute:";
    if (field == "instanceId" || field == "host") {
      out.kind = Strategy::Kind::kSpreadInstance;
    } else if (field.starts_with(kAttributePrefix) && field.size() > kAttributePrefix.size()) {
      out.kind = Strategy::Kind::kSpreadAttribute;
      out.attribute = field.substr(kAttributePrefix.size());
    } else if (field.empty()) {
      return InvalidArgument(path + ".field",
                             "spread requires field instanceId, host or attribute:NAME");
    } else {
      return InvalidArgument(
          path + ".field",
          "spread field must be instanceId, host or attribute:NAME, got '" + field + "'");
    }
    out.name = "spread(" + field + ")";
    return out;
  }
  if (s.type.empty()) return InvalidArgument(path + ".type", "is required");
  return InvalidArgument(path + ".type", "unknown strategy type '" + s.type +
                                             "' (expected binpack, spread or random)");
}

Result<CompiledRequest> CompileRequest(const TaskRequest& r) {
  CompiledRequest out;
  if (r.count < 1 || r.count > kMaxCount) {
    return InvalidArgument("count", "must be between 1 and " + std::to_string(kMaxCount) +
                                        ", got " + std::to_string(r.count));
  }
  out.count = r.count;
  if (r.group.empty()) return InvalidArgument("group", "is required");
  if (r.group.size() > kMaxGroupLength) {
    return InvalidArgument("group", "is longer than 255 characters");
  }
  out.group = r.group;
  if (auto st = CheckResource(r.cpu, "cpu"); !st.ok()) return st.error();
  if (auto st = CheckResource(r.memory, "memory"); !st.ok()) return st.error();
  out.cpu = r.cpu;
  out.memory = r.memory;

  for (size_t k = 0; k < r.ports.size(); ++k) {
    int32_t p = r.ports[k];
    if (p < kMinPort || p > kMaxPort) {
      return InvalidArgument(Index("ports", k),
                             "port " + std::to_string(p) + " is outside 1-65535");
    }
    for (size_t j = 0; j < k; ++j) {
      if (r.ports[j] == p) {
        return InvalidArgument(Index("ports", k), "port " + std::to_string(p) + " is listed twice");
      }
    }
  }
  out.ports = r.ports;
  std::sort(out.ports.begin(), out.ports.end());

  size_t total = r.task_definition_constraints.size() + r.constraints.size();
  if (total > kMaxConstraints) {
    return InvalidArgument("placementConstraints",
                           "at most " + std::to_string(kMaxConstraints) +
                               " placement constraints are allowed (task definition and request "
                               "together), got " +
                               std::to_string(total));
  }
  for (size_t k = 0; k < r.task_definition_constraints.size(); ++k) {
    auto st = AddConstraint(r.task_definition_constraints[k],
                            Index("taskDefinition.placementConstraints", k), true, out);
    if (!st.ok()) return st.error();
  }
  for (size_t k = 0; k < r.constraints.size(); ++k) {
    auto st = AddConstraint(r.constraints[k], Index("placementConstraints", k), false, out);
    if (!st.ok()) return st.error();
  }

  if (r.strategies.size() > kMaxStrategies) {
    return InvalidArgument("placementStrategy", "at most " + std::to_string(kMaxStrategies) +
                                                    " placement strategies are allowed, got " +
                                                    std::to_string(r.strategies.size()));
  }
  for (size_t k = 0; k < r.strategies.size(); ++k) {
    auto s = CompileStrategy(r.strategies[k], Index("placementStrategy", k));
    if (!s.ok()) return s.error();
    out.strategies.push_back(std::move(s).value());
  }
  if (out.strategies.empty()) out.strategies.push_back({Strategy::Kind::kRandom, "", "random"});
  out.seed = r.seed;
  return out;
}

}  // namespace gantry::placement
