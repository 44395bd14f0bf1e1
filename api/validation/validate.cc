#include "api/validation/validate.h"

#include <set>
#include <string>

#include "gantry/v1/objects.pb.h"
#include "placement/cql/expression.h"
#include "placement/request.h"

namespace gantry::validation {
namespace {

using api::InvalidArgument;
using api::Status;

constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxLabelValue = 255;
constexpr size_t kMaxAnnotationBytes = 256 * 1024;

std::string At(const std::string& field, int i) { return field + "[" + std::to_string(i) + "]"; }

bool IsNameStart(char c) { return std::isalnum(static_cast<unsigned char>(c)); }
bool IsNameChar(char c) { return IsNameStart(c) || c == '-' || c == '_' || c == '.'; }

Status CheckExpression(const std::string& expression, const std::string& field) {
  auto parsed = placement::cql::Expression::Parse(expression);
  if (!parsed.ok()) return InvalidArgument(field, parsed.error().message);
  return {};
}

Status CheckConstraints(const google::protobuf::RepeatedPtrField<v1::PlacementConstraint>& list,
                        const std::string& field, bool in_task_definition) {
  if (list.size() > static_cast<int>(placement::kMaxConstraints)) {
    return InvalidArgument(
        field, "at most 10 placement constraints are allowed, got " + std::to_string(list.size()));
  }
  for (int i = 0; i < list.size(); ++i) {
    const auto& c = list[i];
    std::string f = At(field, i);
    if (c.type() == "memberOf") {
      if (!c.has_expression() || c.expression().empty()) {
        return InvalidArgument(f + ".expression", "memberOf requires an expression");
      }
      if (auto st = CheckExpression(c.expression(), f + ".expression"); !st.ok()) return st;
    } else if (c.type() == "distinctInstance") {
      if (in_task_definition) {
        return InvalidArgument(f + ".type", "distinctInstance is not allowed in a task definition");
      }
      if (c.has_expression()) {
        return InvalidArgument(f + ".expression",
                               "distinctInstance expression should not be specified.");
      }
    } else {
      return InvalidArgument(f + ".type", "unknown constraint type '" + c.type() +
                                              "' (expected memberOf or distinctInstance)");
    }
  }
  return {};
}

Status CheckStrategies(const google::protobuf::RepeatedPtrField<v1::PlacementStrategy>& list,
                       const std::string& field) {
  // Placement owns the rules; compile a request with just the strategies to apply them.
  placement::TaskRequest r;
  r.group = "validation";
  for (const auto& s : list) {
    r.strategies.push_back({s.type(), s.field().empty() ? std::nullopt : std::optional(s.field())});
  }
  auto compiled = placement::CompileRequest(r);
  if (!compiled.ok()) {
    std::string f = compiled.error().field;
    // placementStrategy[1].field -> spec.placementStrategy[1].field
    return InvalidArgument(field + f.substr(std::string("placementStrategy").size()),
                           compiled.error().message);
  }
  return {};
}

Status CheckPercent(const google::protobuf::Message& config, const std::string& field) {
  const auto* d = config.GetDescriptor();
  const auto* r = config.GetReflection();
  const auto* min_f = d->FindFieldByName("minimum_healthy_percent");
  const auto* max_f = d->FindFieldByName("maximum_percent");
  int min = r->HasField(config, min_f) ? r->GetInt32(config, min_f) : 100;
  int max = r->HasField(config, max_f) ? r->GetInt32(config, max_f) : 200;
  if (min < 0 || min > 100) {
    return InvalidArgument(field + ".minimumHealthyPercent",
                           "must be between 0 and 100, got " + std::to_string(min));
  }
  if (max < 100 || max > 1000) {
    return InvalidArgument(field + ".maximumPercent",
                           "must be between 100 and 1000, got " + std::to_string(max));
  }
  return {};
}

Status CheckMetadata(const v1::ObjectMeta& m, bool task_definition) {
  std::string name = m.name();
  if (task_definition) {
    // A family, optionally naming one revision: web or web:3.
    if (size_t colon = name.find(':'); colon != std::string::npos) {
      std::string revision = name.substr(colon + 1);
      if (revision.empty() || revision.find_first_not_of("0123456789") != std::string::npos ||
          revision[0] == '0') {
        return InvalidArgument(
            "metadata.name",
            "a task definition revision is family:N with N >= 1, got '" + m.name() + "'");
      }
      name = name.substr(0, colon);
    }
  }
  if (auto st = ValidateName(name); !st.ok()) return st;
  for (const auto& [k, v] : m.labels()) {
    std::string f = "metadata.labels." + k;
    if (k.empty() || k.size() > 317)
      return InvalidArgument(f, "label keys must be 1-317 characters");
    if (v.size() > kMaxLabelValue)
      return InvalidArgument(f, "label values must be at most 255 characters");
  }
  size_t annotation_bytes = 0;
  for (const auto& [k, v] : m.annotations()) annotation_bytes += k.size() + v.size();
  if (annotation_bytes > kMaxAnnotationBytes) {
    return InvalidArgument("metadata.annotations", "annotations may hold at most 256 KiB");
  }
  return {};
}

Status ValidateTaskDefinition(const v1::TaskDefinitionSpec& spec) {
  if (spec.containers_size() == 0)
    return InvalidArgument("spec.containers", "at least one container is required");
  std::set<std::string> names;
  std::set<int> host_ports;
  for (int i = 0; i < spec.containers_size(); ++i) {
    const auto& c = spec.containers(i);
    std::string f = At("spec.containers", i);
    if (c.name().empty()) return InvalidArgument(f + ".name", "is required");
    if (auto st = ValidateName(c.name(), f + ".name"); !st.ok()) return st;
    if (!names.insert(c.name()).second)
      return InvalidArgument(f + ".name", "duplicate container name '" + c.name() + "'");
    if (c.cpu() < 0) return InvalidArgument(f + ".cpu", "must not be negative");
    if (c.memory() < 0) return InvalidArgument(f + ".memory", "must not be negative");
    if (c.stop_timeout() < 0) return InvalidArgument(f + ".stopTimeout", "must not be negative");
    if (c.command_size() == 0 && c.image().empty()) {
      return InvalidArgument(f, "needs a command (the process driver runs it) or an image");
    }
    for (int p = 0; p < c.port_mappings_size(); ++p) {
      const auto& pm = c.port_mappings(p);
      std::string pf = At(f + ".portMappings", p);
      if (pm.container_port() < 1 || pm.container_port() > 65535) {
        return InvalidArgument(pf + ".containerPort", "must be between 1 and 65535");
      }
      if (pm.host_port() < 0 || pm.host_port() > 65535) {
        return InvalidArgument(pf + ".hostPort", "must be between 0 and 65535");
      }
      if (!pm.protocol().empty() && pm.protocol() != "tcp" && pm.protocol() != "udp") {
        return InvalidArgument(pf + ".protocol", "must be tcp or udp");
      }
      if (pm.host_port() != 0 && !host_ports.insert(pm.host_port()).second) {
        return InvalidArgument(pf + ".hostPort",
                               "host port " + std::to_string(pm.host_port()) + " is used twice");
      }
    }
    for (int e = 0; e < c.environment_size(); ++e) {
      if (c.environment(e).name().empty())
        return InvalidArgument(At(f + ".environment", e) + ".name", "is required");
    }
  }
  return CheckConstraints(spec.placement_constraints(), "spec.placementConstraints", true);
}

Status ValidateService(const v1::ServiceSpec& spec) {
  if (spec.task_definition().empty()) return InvalidArgument("spec.taskDefinition", "is required");
  if (spec.desired_count() < 0) return InvalidArgument("spec.desiredCount", "must not be negative");
  if (spec.desired_count() > 100'000)
    return InvalidArgument("spec.desiredCount", "must be at most 100000");
  if (auto st = CheckConstraints(spec.placement_constraints(), "spec.placementConstraints", false);
      !st.ok())
    return st;
  if (auto st = CheckStrategies(spec.placement_strategy(), "spec.placementStrategy"); !st.ok())
    return st;
  return CheckPercent(spec.deployment_configuration(), "spec.deploymentConfiguration");
}

}  // namespace

Status ValidateName(std::string_view name, std::string_view field) {
  std::string f(field);
  if (name.empty()) return InvalidArgument(f, "is required");
  if (name.size() > kMaxNameLength) return InvalidArgument(f, "must be at most 255 characters");
  if (!IsNameStart(name[0]))
    return InvalidArgument(f, "must start with a letter or digit, got '" + std::string(name) + "'");
  for (char c : name) {
    if (!IsNameChar(c)) {
      return InvalidArgument(
          f, "may contain only letters, digits, '-', '_' and '.', got '" + std::string(name) + "'");
    }
  }
  return {};
}

Status ValidateObject(const schema::KindInfo& kind, const google::protobuf::Message& object) {
  const auto* d = object.GetDescriptor();
  const auto* r = object.GetReflection();
  const auto& meta =
      static_cast<const v1::ObjectMeta&>(r->GetMessage(object, d->FindFieldByName("metadata")));
  if (auto st = CheckMetadata(meta, kind.kind == "TaskDefinition"); !st.ok()) return st;

  if (kind.kind == "TaskDefinition") {
    return ValidateTaskDefinition(static_cast<const v1::TaskDefinition&>(object).spec());
  }
  if (kind.kind == "Service")
    return ValidateService(static_cast<const v1::Service&>(object).spec());
  if (kind.kind == "Environment") {
    const auto& spec = static_cast<const v1::Environment&>(object).spec();
    if (spec.task_definition().empty())
      return InvalidArgument("spec.taskDefinition", "is required");
    if (spec.instance_group().cluster().empty())
      return InvalidArgument("spec.instanceGroup.cluster", "is required");
    if (!spec.instance_group().filter().empty()) {
      if (auto st = CheckExpression(spec.instance_group().filter(), "spec.instanceGroup.filter");
          !st.ok())
        return st;
    }
    return CheckPercent(spec.deployment_configuration(), "spec.deploymentConfiguration");
  }
  if (kind.kind == "Deployment") {
    const auto& spec = static_cast<const v1::Deployment&>(object).spec();
    if (spec.environment().empty()) return InvalidArgument("spec.environment", "is required");
    return {};
  }
  if (kind.kind == "Task") {
    const auto& spec = static_cast<const v1::Task&>(object).spec();
    if (spec.task_definition().empty())
      return InvalidArgument("spec.taskDefinition", "is required");
    if (spec.cluster().empty()) return InvalidArgument("spec.cluster", "is required");
    if (!spec.desired_status().empty() && spec.desired_status() != "RUNNING" &&
        spec.desired_status() != "STOPPED") {
      return InvalidArgument("spec.desiredStatus", "must be RUNNING or STOPPED");
    }
    return {};
  }
  if (kind.kind == "ContainerInstance") {
    const auto& spec = static_cast<const v1::ContainerInstance&>(object).spec();
    if (spec.cluster().empty()) return InvalidArgument("spec.cluster", "is required");
    if (!spec.desired_status().empty() && spec.desired_status() != "ACTIVE" &&
        spec.desired_status() != "DRAINING") {
      return InvalidArgument("spec.desiredStatus", "must be ACTIVE or DRAINING");
    }
    std::set<std::string> seen;
    for (int i = 0; i < spec.attributes_size(); ++i) {
      const auto& a = spec.attributes(i);
      std::string f = At("spec.attributes", i);
      if (a.name().empty() || a.name().size() > 128)
        return InvalidArgument(f + ".name", "must be 1-128 characters");
      if (!seen.insert(a.name()).second)
        return InvalidArgument(f + ".name", "attribute '" + a.name() + "' is given twice");
      if (a.value().size() > 128)
        return InvalidArgument(f + ".value", "must be at most 128 characters");
    }
    return {};
  }
  return {};
}

}  // namespace gantry::validation
