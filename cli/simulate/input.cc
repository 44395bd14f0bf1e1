#include "cli/simulate/input.h"

#include <charconv>
#include <memory>
#include <set>
#include <string_view>

#include "api/codec/yaml_document.h"
#include "placement/cql/literals.h"

namespace gantry::cli {
namespace {

using codec::YamlNode;
using placement::ConstraintSpec;
using placement::InstanceSpec;
using placement::InstanceStatus;
using placement::StrategySpec;
using placement::TaskRequest;
using placement::TaskSpec;

// Thrown inside the reader only; ParseSimulateInput turns it into an InputError.
struct ReadError {
  InputError error;
};

[[noreturn]] void Fail(const YamlNode& node, const std::string& field, const std::string& msg) {
  throw ReadError{InputError{field, msg, node.mark.line, node.mark.column}};
}

std::string Kind(const YamlNode& n) { return n.KindName(); }

std::string ReadString(const YamlNode& n, const std::string& field) {
  if (!n.IsScalar()) Fail(n, field, "must be a string, got " + Kind(n));
  return n.scalar;
}

int64_t ReadInt(const YamlNode& n, const std::string& field) {
  if (!n.IsScalar()) Fail(n, field, "must be an integer, got " + Kind(n));
  const std::string& s = n.scalar;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) Fail(n, field, "integer '" + s + "' is out of range");
  if (ec != std::errc{} || ptr != s.data() + s.size() || s.empty()) {
    Fail(n, field, "must be an integer, got '" + s + "'");
  }
  return v;
}

uint64_t ReadUnsigned(const YamlNode& n, const std::string& field) {
  if (!n.IsScalar()) Fail(n, field, "must be a non-negative integer, got " + Kind(n));
  const std::string& s = n.scalar;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || s.empty()) {
    Fail(n, field, "must be a non-negative integer below 2^64, got '" + s + "'");
  }
  return v;
}

bool ReadBool(const YamlNode& n, const std::string& field) {
  if (n.IsScalar()) {
    const std::string& s = n.scalar;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    Fail(n, field, "must be true or false, got '" + s + "'");
  }
  Fail(n, field, "must be true or false, got " + Kind(n));
}

int32_t ReadPort(const YamlNode& n, const std::string& field) {
  int64_t v = ReadInt(n, field);
  if (v < 1 || v > 65535) Fail(n, field, "port " + std::to_string(v) + " is outside 1-65535");
  return static_cast<int32_t>(v);
}

std::vector<int32_t> ReadPorts(const YamlNode& n, const std::string& field) {
  if (!n.IsSequence()) Fail(n, field, "must be a list of ports, got " + Kind(n));
  std::vector<int32_t> out;
  out.reserve(n.items.size());
  size_t k = 0;
  for (const auto& item : n.items) {
    out.push_back(ReadPort(item, field + "[" + std::to_string(k++) + "]"));
  }
  return out;
}

// Iterates the fields of a mapping, rejecting non-mappings, unknown fields and repeats.
template <typename Handler>
void ForEachField(const YamlNode& n, const std::string& path,
                  std::initializer_list<const char*> known, Handler&& handle) {
  if (!n.IsMap()) Fail(n, path, "must be a mapping, got " + Kind(n));
  std::set<std::string> seen;
  for (const auto& kv : n.entries) {
    const YamlNode& key = kv.key;
    std::string name = key.IsScalar() ? key.scalar : "";
    std::string field = path.empty() ? name : path + "." + name;
    if (!key.IsScalar()) Fail(key, path, "field names must be strings");
    bool is_known = false;
    for (const char* k : known)
      if (name == k) is_known = true;
    if (!is_known) {
      std::string list;
      for (const char* k : known) list += std::string(list.empty() ? "" : ", ") + k;
      Fail(key, field, "unknown field '" + name + "' (expected one of: " + list + ")");
    }
    if (!seen.insert(name).second) Fail(key, field, "field is given more than once");
    handle(name, kv.value, field);
  }
}

TaskSpec ReadTask(const YamlNode& n, const std::string& path) {
  TaskSpec t;
  bool has_group = false;
  ForEachField(n, path, {"group", "cpu", "memory", "ports"},
               [&](const std::string& name, const YamlNode& v, const std::string& f) {
                 if (name == "group") {
                   t.group = ReadString(v, f);
                   has_group = true;
                 } else if (name == "cpu") {
                   t.cpu = ReadInt(v, f);
                 } else if (name == "memory") {
                   t.memory = ReadInt(v, f);
                 } else {
                   t.ports = ReadPorts(v, f);
                 }
               });
  if (!has_group) Fail(n, path + ".group", "is required");
  return t;
}

InstanceSpec ReadInstance(const YamlNode& n, const std::string& path) {
  InstanceSpec in;
  bool has_id = false;
  ForEachField(n, path,
               {"id", "ec2InstanceId", "status", "agentConnected", "agentVersion", "registeredAt",
                "attributes", "cpu", "memory", "ports", "tasks"},
               [&](const std::string& name, const YamlNode& v, const std::string& f) {
                 if (name == "id") {
                   in.id = ReadString(v, f);
                   if (in.id.empty()) Fail(v, f, "must not be empty");
                   has_id = true;
                 } else if (name == "ec2InstanceId") {
                   in.ec2_instance_id = ReadString(v, f);
                 } else if (name == "status") {
                   std::string s = ReadString(v, f);
                   if (s == "ACTIVE") {
                     in.status = InstanceStatus::kActive;
                   } else if (s == "DRAINING") {
                     in.status = InstanceStatus::kDraining;
                   } else if (s == "INACTIVE") {
                     in.status = InstanceStatus::kInactive;
                   } else {
                     Fail(v, f, "must be ACTIVE, DRAINING or INACTIVE, got '" + s + "'");
                   }
                 } else if (name == "agentConnected") {
                   in.agent_connected = ReadBool(v, f);
                 } else if (name == "agentVersion") {
                   in.agent_version = ReadString(v, f);
                 } else if (name == "registeredAt") {
                   std::string s = ReadString(v, f);
                   auto ms = placement::cql::ParseTimestamp(s);
                   if (!ms) {
                     Fail(
                         v, f,
                         "invalid time '" + s +
                             "' (expected 2018-06-18, 2018-06-18T22:28:28, 2018-06-18T22:28:28Z or "
                             "2018-06-18T22:28:28+00:00)");
                   }
                   in.registered_at_ms = ms;
                 } else if (name == "attributes") {
                   if (!v.IsMap())
                     Fail(v, f, "must be a mapping of attribute names to values, got " + Kind(v));
                   in.attributes.reserve(v.entries.size());
                   for (const auto& kv : v.entries) {
                     if (!kv.key.IsScalar()) Fail(kv.key, f, "attribute names must be strings");
                     const std::string& key = kv.key.scalar;
                     std::string af = f + "." + key;
                     if (key.empty()) Fail(kv.key, f, "attribute name is empty");
                     // A capability attribute carries no value: `name:` (null) or `name: ""`.
                     if (kv.value.IsNull()) {
                       in.attributes.emplace_back(key, "");
                     } else {
                       in.attributes.emplace_back(key, ReadString(kv.value, af));
                     }
                   }
                 } else if (name == "cpu") {
                   in.cpu = ReadInt(v, f);
                 } else if (name == "memory") {
                   in.memory = ReadInt(v, f);
                 } else if (name == "ports") {
                   in.ports = ReadPorts(v, f);
                 } else {
                   if (!v.IsSequence()) Fail(v, f, "must be a list of tasks, got " + Kind(v));
                   size_t k = 0;
                   in.tasks.reserve(v.items.size());
                   for (const auto& t : v.items)
                     in.tasks.push_back(ReadTask(t, f + "[" + std::to_string(k++) + "]"));
                 }
               });
  if (!has_id) Fail(n, path + ".id", "is required");
  return in;
}

ConstraintSpec ReadConstraint(const YamlNode& n, const std::string& path) {
  ConstraintSpec c;
  ForEachField(n, path, {"type", "expression"},
               [&](const std::string& name, const YamlNode& v, const std::string& f) {
                 if (name == "type") {
                   c.type = ReadString(v, f);
                 } else {
                   // `expression:` with no value is present-but-empty, as "" is.
                   c.expression = v.IsNull() ? "" : ReadString(v, f);
                 }
               });
  return c;
}

StrategySpec ReadStrategy(const YamlNode& n, const std::string& path) {
  StrategySpec s;
  ForEachField(n, path, {"type", "field"},
               [&](const std::string& name, const YamlNode& v, const std::string& f) {
                 if (name == "type") {
                   s.type = ReadString(v, f);
                 } else {
                   s.field = ReadString(v, f);
                 }
               });
  return s;
}

TaskRequest ReadRequest(const YamlNode& n, const std::string& path) {
  TaskRequest r;
  std::optional<std::string> group, task_definition;
  ForEachField(
      n, path,
      {"count", "group", "taskDefinition", "cpu", "memory", "ports", "placementConstraints",
       "placementStrategy", "seed"},
      [&](const std::string& name, const YamlNode& v, const std::string& f) {
        if (name == "count") {
          r.count = ReadInt(v, f);
        } else if (name == "group") {
          group = ReadString(v, f);
        } else if (name == "taskDefinition") {
          task_definition = ReadString(v, f);
        } else if (name == "cpu") {
          r.cpu = ReadInt(v, f);
        } else if (name == "memory") {
          r.memory = ReadInt(v, f);
        } else if (name == "ports") {
          r.ports = ReadPorts(v, f);
        } else if (name == "placementConstraints") {
          if (!v.IsSequence()) Fail(v, f, "must be a list, got " + Kind(v));
          size_t k = 0;
          for (const auto& c : v.items)
            r.constraints.push_back(ReadConstraint(c, f + "[" + std::to_string(k++) + "]"));
        } else if (name == "placementStrategy") {
          if (!v.IsSequence()) Fail(v, f, "must be a list, got " + Kind(v));
          size_t k = 0;
          for (const auto& s : v.items)
            r.strategies.push_back(ReadStrategy(s, f + "[" + std::to_string(k++) + "]"));
        } else {
          r.seed = ReadUnsigned(v, f);
        }
      });
  r.group = group ? *group : DefaultGroup(task_definition);
  return r;
}

// Finds the node for a field path such as `instances[2].attributes.ecs.instance-type`. Attribute
// names contain dots, so at a mapping the longest key that matches the path wins.
const YamlNode& Locate(const YamlNode& root, std::string_view path) {
  const YamlNode* node = &root;
  while (!path.empty()) {
    if (path.front() == '.') path.remove_prefix(1);
    if (!path.empty() && path.front() == '[') {
      size_t close = path.find(']');
      if (close == std::string_view::npos || !node->IsSequence()) return *node;
      size_t index = 0;
      std::from_chars(path.data() + 1, path.data() + close, index);
      if (index >= node->items.size()) return *node;
      node = &node->items[index];
      path.remove_prefix(close + 1);
      continue;
    }
    if (!node->IsMap()) return *node;
    const YamlNode* best = nullptr;
    size_t best_len = 0;
    for (const auto& [key, value] : node->entries) {
      if (!key.IsScalar()) continue;
      const std::string& k = key.scalar;
      if (k.size() > best_len && path.starts_with(k) &&
          (path.size() == k.size() || path[k.size()] == '.' || path[k.size()] == '[')) {
        best = &value;
        best_len = k.size();
      }
    }
    if (!best) return *node;
    node = best;
    path.remove_prefix(best_len);
  }
  return *node;
}

}  // namespace

std::string DefaultGroup(const std::optional<std::string>& task_definition) {
  if (!task_definition || task_definition->empty()) return "family:default";
  std::string_view td = *task_definition;
  // arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION
  if (size_t slash = td.rfind('/'); slash != std::string_view::npos) td.remove_prefix(slash + 1);
  if (size_t colon = td.find(':'); colon != std::string_view::npos) td = td.substr(0, colon);
  return "family:" + std::string(td);
}

std::string InputError::Format(const std::string& file) const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!field.empty()) out += field + ": ";
  out += message;
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return out;
}

std::optional<SimulateInput> ParseSimulateInput(const std::string& text, InputError& error) {
  codec::YamlError yaml_error;
  auto docs = codec::ParseYaml(text, yaml_error);
  if (!docs) {
    error = InputError{"", yaml_error.message, yaml_error.mark.line, yaml_error.mark.column};
    return std::nullopt;
  }
  if (docs->empty()) {
    error = InputError{"", "the file is empty", 0, 0};
    return std::nullopt;
  }
  if (docs->size() > 1) {
    const YamlNode& second = (*docs)[1];
    error = InputError{"", "expected one document, found " + std::to_string(docs->size()),
                       second.mark.line, second.mark.column};
    return std::nullopt;
  }
  auto root = std::make_shared<const YamlNode>(std::move((*docs)[0]));
  SimulateInput in;
  try {
    bool has_instances = false;
    ForEachField(
        *root, "", {"instances", "filter", "request"},
        [&](const std::string& name, const YamlNode& v, const std::string& f) {
          if (name == "instances") {
            has_instances = true;
            if (v.IsNull()) return;  // `instances:` with nothing: an empty cluster
            if (!v.IsSequence()) Fail(v, f, "must be a list of instances, got " + Kind(v));
            in.instances.reserve(v.items.size());
            size_t k = 0;
            for (const auto& inst : v.items)
              in.instances.push_back(ReadInstance(inst, f + "[" + std::to_string(k++) + "]"));
          } else if (name == "filter") {
            in.filter = ReadString(v, f);
          } else {
            in.request = ReadRequest(v, f);
          }
        });
    if (!has_instances) Fail(*root, "instances", "is required");
    if (!in.filter && !in.request) {
      Fail(*root, "",
           "nothing to simulate: give 'filter' (list instances) or 'request' (place tasks)");
    }
  } catch (const ReadError& e) {
    error = e.error;
    return std::nullopt;
  }
  in.locate_ = [root](const std::string& field) {
    const YamlNode& n = Locate(*root, field);
    return SimulateInput::Position{n.mark.line, n.mark.column};
  };
  return in;
}

}  // namespace gantry::cli
