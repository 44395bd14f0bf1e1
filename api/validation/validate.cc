#include "api/validation/validate.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <set>
#include <string>

#include "api/clock/parse_duration.h"
#include "placement/cql/expression.h"
#include "placement/request.h"

namespace gantry::validation {
namespace {

using api::InvalidArgument;
using api::Status;

constexpr size_t kMaxLabelValue = 255;
// A manifest directory of this many objects is far beyond any seen; the body bound holds first.
constexpr int kMaxInventoryMembers = 100000;
constexpr size_t kMaxSecretBytes = size_t{1} << 20;
constexpr size_t kMaxAnnotationBytes = 256 * 1024;

std::string At(const std::string& field, int i) { return field + "[" + std::to_string(i) + "]"; }

bool IsNameStart(char c) { return std::isalnum(static_cast<unsigned char>(c)); }
bool IsNameChar(char c) { return IsNameStart(c) || c == '-' || c == '_' || c == '.'; }

std::string Quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "'";
}

Status CheckPort(int64_t port, const std::string& field) {
  if (port < kMinPort || port > kMaxPort) {
    return InvalidArgument(field,
                           "must be a port between 1 and 65535, got " + std::to_string(port));
  }
  return {};
}

Status CheckNotNegative(int64_t v, const std::string& field) {
  if (v < 0) return InvalidArgument(field, "must not be negative, got " + std::to_string(v));
  return {};
}

// At most `max` bytes of printable characters (no control characters: NUL, newline...).
Status CheckText(std::string_view text, size_t max, const std::string& field) {
  if (text.size() > max) {
    return InvalidArgument(field, "must be at most " + std::to_string(max) + " characters, got " +
                                      std::to_string(text.size()));
  }
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return InvalidArgument(field, "must not contain control characters, got " + Quoted(text));
    }
  }
  return {};
}

// The parts of a container instance that placement reads, as an agent registers them or a
// client writes them: ec2InstanceId, attributes (unique names), registered cpu, memory, ports.
// `prefix` is "" (registration) or "spec." (object).
Status CheckInstanceFields(const std::string& ec2_instance_id,
                           const google::protobuf::RepeatedPtrField<v1::Attribute>& attributes,
                           const v1::Resources& resources, const std::string& prefix,
                           const char* resources_name) {
  if (auto st = CheckText(ec2_instance_id, kMaxEc2InstanceIdLength, prefix + "ec2InstanceId");
      !st.ok())
    return st;
  std::set<std::string> seen;
  for (int i = 0; i < attributes.size(); ++i) {
    const auto& a = attributes[i];
    std::string f = At(prefix + "attributes", i);
    // An empty value is no value (a capability attribute such as ecs.capability.x).
    auto value = a.value().empty() ? std::nullopt : std::optional<std::string>(a.value());
    if (auto st = ValidateAttribute(a.name(), value, f); !st.ok()) return st;
    if (!seen.insert(a.name()).second)
      return InvalidArgument(f + ".name", "attribute '" + a.name() + "' is given twice");
  }
  std::string r = prefix + resources_name;
  if (auto st = CheckNotNegative(resources.cpu(), r + ".cpu"); !st.ok()) return st;
  if (auto st = CheckNotNegative(resources.memory(), r + ".memory"); !st.ok()) return st;
  for (int i = 0; i < resources.ports_size(); ++i) {
    if (auto st = CheckPort(resources.ports(i), At(r + ".ports", i)); !st.ok()) return st;
  }
  return {};
}

// A task-level cpu or memory value as stored: the decimal integer ECS's "1 vCPU" and "2 GB"
// become at registration.
Status ParseTaskLevel(const std::string& text, const std::string& field, int32_t& out) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || text[0] == '-' || text[0] == '+' || ec != std::errc{} ||
      p != text.data() + text.size() || v > kMaxResource) {
    return InvalidArgument(field, "must be a whole number between 0 and " +
                                      std::to_string(kMaxResource) + ", got " + Quoted(text));
  }
  out = static_cast<int32_t>(v);
  return {};
}

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
      const std::string& name = c.environment(e).name();
      std::string ef = At(f + ".environment", e) + ".name";
      if (name.empty()) return InvalidArgument(ef, "is required");
      // The agent passes NAME=VALUE to the process: an '=' in the name would set another
      // variable, a NUL would cut the string, and a newline or other control character breaks
      // every env-file and log format that shows the name.
      const bool control = std::any_of(name.begin(), name.end(), [](char ch) {
        return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
      });
      if (control || name.find('=') != std::string::npos) {
        return InvalidArgument(ef,
                               "an environment variable name may not contain '=' or a control "
                               "character, got " +
                                   Quoted(name));
      }
    }
  }
  if (auto size = TaskDefinitionSize(spec); !size.ok()) return size.status();
  return CheckConstraints(spec.placement_constraints(), "spec.placementConstraints", true);
}

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// ECS's ranges: canaryPercent 0.1–100, stepPercent 3–100, bake times 0–1440 minutes.
Status CheckStagedRollout(const v1::DeploymentConfiguration& c) {
  const std::string f = "spec.deploymentConfiguration";
  const std::string& strategy = c.strategy();
  if (!strategy.empty() && strategy != "ROLLING" && strategy != "CANARY" && strategy != "LINEAR")
    return InvalidArgument(f + ".strategy",
                           "must be ROLLING, CANARY or LINEAR, got " + Quoted(strategy));
  auto minutes = [&](int32_t value, const std::string& field) -> Status {
    if (value < 0 || value > 1440)
      return InvalidArgument(field,
                             "must be between 0 and 1440 minutes, got " + std::to_string(value));
    return {};
  };
  if (auto st = minutes(c.bake_time_in_minutes(), f + ".bakeTimeInMinutes"); !st.ok()) return st;
  if (strategy == "CANARY") {
    const auto& canary = c.canary_configuration();
    if (!(canary.canary_percent() >= 0.1 && canary.canary_percent() <= 100))
      return InvalidArgument(f + ".canaryConfiguration.canaryPercent",
                             "must be between 0.1 and 100 with strategy CANARY, got " +
                                 Number(canary.canary_percent()));
    if (auto st = minutes(canary.canary_bake_time_in_minutes(),
                          f + ".canaryConfiguration.canaryBakeTimeInMinutes");
        !st.ok())
      return st;
  }
  if (strategy == "LINEAR") {
    const auto& linear = c.linear_configuration();
    if (!(linear.step_percent() >= 3 && linear.step_percent() <= 100))
      return InvalidArgument(
          f + ".linearConfiguration.stepPercent",
          "must be between 3 and 100 with strategy LINEAR, got " + Number(linear.step_percent()));
    if (auto st = minutes(linear.step_bake_time_in_minutes(),
                          f + ".linearConfiguration.stepBakeTimeInMinutes");
        !st.ok())
      return st;
  }
  return {};
}

Status CheckDaemonRollout(const v1::EnvironmentDeploymentConfiguration& c) {
  const std::string f = "spec.deploymentConfiguration";
  const int drain = c.has_drain_percent() ? c.drain_percent() : 25;
  if (drain < 0 || drain > 100)
    return InvalidArgument(f + ".drainPercent",
                           "must be between 0 and 100, got " + std::to_string(drain));
  if (c.max_surge_percent() < 0 || c.max_surge_percent() > 100) {
    return InvalidArgument(f + ".maxSurgePercent", "must be between 0 and 100, got " +
                                                       std::to_string(c.max_surge_percent()));
  }
  if (drain == 0 && c.max_surge_percent() == 0) {
    return InvalidArgument(
        f + ".drainPercent",
        "drainPercent and maxSurgePercent are both 0: no task could be replaced");
  }
  if (c.circuit_breaker().threshold() < 0) {
    return InvalidArgument(
        f + ".circuitBreaker.threshold",
        "must not be negative, got " + std::to_string(c.circuit_breaker().threshold()));
  }
  return {};
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
  if (auto st = CheckStagedRollout(spec.deployment_configuration()); !st.ok()) return st;
  const std::string& rebalancing = spec.availability_zone_rebalancing();
  if (!rebalancing.empty() && rebalancing != "ENABLED" && rebalancing != "DISABLED") {
    return InvalidArgument("spec.availabilityZoneRebalancing",
                           "must be ENABLED or DISABLED, got " + Quoted(rebalancing));
  }
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

// An inventory lists what one apply set owns: kinds that exist, names as their kind takes them
// (a task definition by family or family:N), each once.
Status ValidateInventory(const v1::InventorySpec& spec) {
  if (spec.members_size() > kMaxInventoryMembers) {
    return InvalidArgument("spec.members", "holds at most " + std::to_string(kMaxInventoryMembers) +
                                               " objects, got " +
                                               std::to_string(spec.members_size()));
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (int i = 0; i < spec.members_size(); ++i) {
    const auto& m = spec.members(i);
    const std::string f = At("spec.members", i);
    const schema::KindInfo* kind = schema::FindKind(m.kind());
    if (!kind || m.kind() == "Inventory")
      return InvalidArgument(f + ".kind", "is not a kind an inventory can own: '" + m.kind() + "'");
    std::string_view name = m.name();
    if (m.kind() == "TaskDefinition") name = name.substr(0, name.find(':'));
    if (auto st = ValidateName(name, f + ".name"); !st.ok()) return st;
    if (!seen.insert({m.kind(), m.name()}).second)
      return InvalidArgument(f, "lists " + m.kind() + " " + m.name() + " twice");
  }
  return {};
}

// A Sync names a repository, a ref and a directory the controller can fetch, and an interval it
// can keep (at least 10 s: a repository is not polled in a tight loop).
Status ValidateSync(const v1::SyncSpec& spec) {
  if (spec.git().url().empty()) return InvalidArgument("spec.git.url", "is required");
  if (auto st = CheckText(spec.git().url(), 2048, "spec.git.url"); !st.ok()) return st;
  if (auto st = CheckText(spec.git().ref(), 255, "spec.git.ref"); !st.ok()) return st;
  if (auto st = CheckText(spec.git().path(), 1024, "spec.git.path"); !st.ok()) return st;
  if (auto st = CheckText(spec.git().secret_ref().name(), 253, "spec.git.secretRef.name"); !st.ok())
    return st;
  if (!spec.interval().empty()) {
    std::chrono::milliseconds interval{};
    if (!clock::ParseDuration(spec.interval(), interval)) {
      return InvalidArgument("spec.interval", "must be a duration such as 30s, 1m or 1h, got '" +
                                                  spec.interval() + "'");
    }
    if (interval < std::chrono::seconds(10))
      return InvalidArgument("spec.interval", "must be at least 10s");
  }
  return {};
}

// Keys as Kubernetes allows them in a Secret; at most 1 MiB in all, as there.
Status ValidateSecret(const v1::SecretSpec& spec) {
  size_t total = 0;
  for (const auto& [key, value] : spec.data()) {
    const std::string field = "spec.data." + key;
    if (key.empty() || key.size() > 253 ||
        !std::all_of(key.begin(), key.end(), [](unsigned char c) {
          return std::isalnum(c) || c == '-' || c == '_' || c == '.';
        })) {
      return InvalidArgument(field, "keys are 1 to 253 letters, digits, '-', '_' or '.'");
    }
    total += key.size() + value.size();
  }
  if (total > kMaxSecretBytes) {
    return InvalidArgument("spec.data",
                           "holds at most " + std::to_string(kMaxSecretBytes >> 10) + " KiB");
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
    return CheckDaemonRollout(spec.deployment_configuration());
  }
  if (kind.kind == "Sync") return ValidateSync(static_cast<const v1::Sync&>(object).spec());
  if (kind.kind == "Secret") return ValidateSecret(static_cast<const v1::Secret&>(object).spec());
  if (kind.kind == "Inventory")
    return ValidateInventory(static_cast<const v1::Inventory&>(object).spec());
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
    // What the task reserves on its instance, as placement reads it.
    if (auto st = ValidateTaskGroup(spec.group(), "spec.group"); !st.ok()) return st;
    if (auto st = CheckText(spec.started_by(), kMaxStartedByLength, "spec.startedBy"); !st.ok())
      return st;
    if (auto st = CheckNotNegative(spec.cpu(), "spec.cpu"); !st.ok()) return st;
    if (auto st = CheckNotNegative(spec.memory(), "spec.memory"); !st.ok()) return st;
    for (int i = 0; i < spec.host_ports_size(); ++i) {
      if (auto st = CheckPort(spec.host_ports(i), At("spec.hostPorts", i)); !st.ok()) return st;
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
    return CheckInstanceFields(spec.ec2_instance_id(), spec.attributes(),
                               spec.registered_resources(), "spec.", "registeredResources");
  }
  return {};
}

Status ValidateAttribute(std::string_view name, const std::optional<std::string>& value,
                         const std::string& field) {
  auto name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '/' ||
           c == '\\' || c == '.';
  };
  if (name.empty() || name.size() > kMaxAttributeNameLength)
    return InvalidArgument(field + ".name", "must be 1 to 128 characters");
  if (!std::all_of(name.begin(), name.end(), name_char)) {
    return InvalidArgument(
        field + ".name",
        "may contain letters, digits, '-', '_', '/', '\\' and '.', got " + Quoted(name));
  }
  if (!value) return {};
  auto value_char = [&](char c) { return name_char(c) || c == '@' || c == ':' || c == ' '; };
  if (value->empty() || value->size() > kMaxAttributeValueLength)
    return InvalidArgument(field + ".value", "must be 1 to 128 characters");
  if (!std::all_of(value->begin(), value->end(), value_char) || value->front() == ' ' ||
      value->back() == ' ') {
    return InvalidArgument(field + ".value",
                           "may contain letters, digits, spaces (not first or last) and "
                           "'-', '_', '.', '@', '/', '\\', ':', got " +
                               Quoted(*value));
  }
  return {};
}

Status ValidateRegistration(const v1::InstanceRegistration& r) {
  if (auto st = ValidateName(r.container_instance(), "containerInstance"); !st.ok()) return st;
  if (!r.cluster().empty()) {
    if (auto st = ValidateName(r.cluster(), "cluster"); !st.ok()) return st;
  }
  if (auto st = CheckInstanceFields(r.ec2_instance_id(), r.attributes(), r.registered_resources(),
                                    "", "registeredResources");
      !st.ok())
    return st;
  const auto& v = r.version_info();
  for (auto [text, name] : {std::pair{&v.agent_version(), "versionInfo.agentVersion"},
                            std::pair{&v.agent_hash(), "versionInfo.agentHash"},
                            std::pair{&v.docker_version(), "versionInfo.dockerVersion"}}) {
    if (auto st = CheckText(*text, kMaxVersionInfoLength, name); !st.ok()) return st;
  }
  return {};
}

Status ValidateTaskGroup(std::string_view group, const std::string& field) {
  return CheckText(group, kMaxTaskGroupLength, field);
}

api::StatusOr<TaskSize> TaskDefinitionSize(const v1::TaskDefinitionSpec& spec) {
  // Summed in 64 bits: two containers of 2^31-1 cpu must not wrap around to -2.
  int64_t cpu = 0, memory = 0;
  for (int i = 0; i < spec.containers_size(); ++i) {
    const auto& c = spec.containers(i);
    std::string f = At("spec.containers", i);
    if (auto st = CheckNotNegative(c.cpu(), f + ".cpu"); !st.ok()) return st;
    if (auto st = CheckNotNegative(c.memory(), f + ".memory"); !st.ok()) return st;
    cpu += c.cpu();
    memory += c.memory();
    if (cpu > kMaxResource) {
      return InvalidArgument(f + ".cpu", "brings the task's cpu to " + std::to_string(cpu) +
                                             " units; a task may reserve at most " +
                                             std::to_string(kMaxResource));
    }
    if (memory > kMaxResource) {
      return InvalidArgument(
          f + ".memory", "brings the task's memory to " + std::to_string(memory) +
                             " MiB; a task may reserve at most " + std::to_string(kMaxResource));
    }
  }
  TaskSize size{static_cast<int32_t>(cpu), static_cast<int32_t>(memory)};
  if (!spec.cpu().empty()) {
    if (auto st = ParseTaskLevel(spec.cpu(), "spec.cpu", size.cpu); !st.ok()) return st;
  }
  if (!spec.memory().empty()) {
    if (auto st = ParseTaskLevel(spec.memory(), "spec.memory", size.memory); !st.ok()) return st;
  }
  return size;
}

}  // namespace gantry::validation
