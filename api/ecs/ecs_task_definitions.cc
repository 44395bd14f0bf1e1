// ECS task definitions: Register, Deregister, Describe, ListTaskDefinitions and
// ListTaskDefinitionFamilies.

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "api/ecs/ecs_operations.h"
#include "api/ecs/ecs_shapes.h"
#include "api/fleet/task_definitions.h"
#include "api/validation/validate.h"

namespace gantry::ecs {
namespace {

using api::Code;
using api::Status;
using api::StatusOr;

const schema::KindInfo& DefinitionKind() { return *schema::FindKind("TaskDefinition"); }

// Task-level cpu ("1024", "1 vCPU", "0.5 vcpu") or memory ("2048", "2GB", "2 GB") as the decimal
// integer Gantry stores, or nullopt when it is neither.
std::optional<std::string> TaskUnits(std::string_view text, std::string_view unit) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  double number = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || p == text.data() || !(number >= 0)) return std::nullopt;
  std::string_view rest(p, text.data() + text.size() - p);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty()) {
    if (text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  } else {
    std::string lower(rest);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != unit) return std::nullopt;
    number *= 1024;
  }
  number = std::round(number);
  if (number > std::numeric_limits<int32_t>::max()) return std::nullopt;
  return std::to_string(static_cast<int64_t>(number));
}

}  // namespace

EcsResponse EcsOperations::RegisterTaskDefinition(Input& in) {
  in.Require("family");
  in.Require("containerDefinitions");
  v1::TaskDefinition def;
  def.set_api_version(std::string(schema::kApiVersion));
  def.set_kind("TaskDefinition");
  def.mutable_metadata()->set_name(in.StringOr("family", ""));
  auto* spec = def.mutable_spec();
  // Host networking publishes a container port on the same host port unless told otherwise.
  const bool host_network = in.StringOr("networkMode", "") == "host";
  const std::optional<std::string> task_cpu = in.String("cpu");
  const std::optional<std::string> task_memory = in.String("memory");
  std::vector<std::string> needs_memory;  // containers without memory or memoryReservation
  auto definitions = in.Objects("containerDefinitions");
  for (auto& d : definitions) {
    auto* c = spec->add_containers();
    c->set_name(d.StringOr("name", ""));
    c->set_image(d.StringOr("image", ""));
    if (auto cpu = d.Int("cpu", 0, std::numeric_limits<int32_t>::max())) c->set_cpu(*cpu);
    auto memory = d.Int("memory", 0, std::numeric_limits<int32_t>::max());
    auto reservation = d.Int("memoryReservation", 0, std::numeric_limits<int32_t>::max());
    // One memory figure: Gantry reserves it and the agent enforces it as the hard limit, so the
    // hard limit wins when both are given.
    if (memory) {
      c->set_memory(static_cast<int32_t>(*memory));
      if (reservation && *reservation > *memory) {
        d.Fail(d.Path("memoryReservation"),
               "must not exceed memory (" + std::to_string(*memory) + ")");
      }
    } else if (reservation) {
      c->set_memory(static_cast<int32_t>(*reservation));
    }
    if (c->memory() == 0) needs_memory.push_back(c->name());
    for (auto& pm : d.Objects("portMappings")) {
      auto* mapping = c->add_port_mappings();
      auto container_port = pm.Int("containerPort", 0, 65535);
      auto host_port = pm.Int("hostPort", 0, 65535);
      mapping->set_container_port(static_cast<int32_t>(container_port.value_or(0)));
      mapping->set_host_port(
          static_cast<int32_t>(host_port.value_or(host_network ? container_port.value_or(0) : 0)));
      mapping->set_protocol(pm.StringOr("protocol", ""));
    }
    for (auto& e : d.Objects("environment")) {
      auto* kv = c->add_environment();
      kv->set_name(e.StringOr("name", ""));
      kv->set_value(e.StringOr("value", ""));
    }
    if (auto essential = d.Bool("essential")) c->set_essential(*essential);
    for (auto& s : d.Strings("entryPoint")) c->add_entry_point(std::move(s));
    for (auto& s : d.Strings("command")) c->add_command(std::move(s));
    if (auto t = d.Int("stopTimeout", 0, std::numeric_limits<int32_t>::max())) {
      c->set_stop_timeout(static_cast<int32_t>(*t));
    }
    c->set_working_directory(d.StringOr("workingDirectory", ""));
    c->set_user(d.StringOr("user", ""));
  }
  for (auto& p : in.Objects("placementConstraints")) {
    auto* constraint = spec->add_placement_constraints();
    constraint->set_type(p.StringOr("type", ""));
    if (auto expression = p.String("expression")) constraint->set_expression(*expression);
  }
  if (!in.ok()) return EcsErrorFrom(in.status());
  // Checked here so a ':' reads as a bad family, not as a revision.
  if (auto st = validation::ValidateName(def.metadata().name(), "family"); !st.ok()) {
    return EcsErrorFrom(st);
  }
  if (definitions.empty()) {
    return EcsErrorFrom(
        api::InvalidArgument("containerDefinitions", "at least one container is required"));
  }
  if (task_cpu) {
    auto units = TaskUnits(*task_cpu, "vcpu");
    if (!units) {
      return EcsErrorFrom(api::InvalidArgument(
          "cpu", "must be CPU units (1024) or vCPUs (1 vCPU), got '" + *task_cpu + "'"));
    }
    spec->set_cpu(*units);
  }
  if (task_memory) {
    auto mib = TaskUnits(*task_memory, "gb");
    if (!mib) {
      return EcsErrorFrom(api::InvalidArgument(
          "memory", "must be MiB (2048) or GB (2 GB), got '" + *task_memory + "'"));
    }
    spec->set_memory(*mib);
  }
  if (spec->memory().empty() && !needs_memory.empty()) {
    return EcsError(400, "ClientException",
                    "Invalid setting for container '" + needs_memory.front() +
                        "'. At least one of 'memory' or 'memoryReservation' must be specified.");
  }
  auto created = objects_.Create(def);
  if (!created.ok()) {
    return EcsErrorFrom(
        Renamed(created.status(), {{"metadata.name", "family"},
                                   {"spec.containers", "containerDefinitions"},
                                   {"spec.placementConstraints", "placementConstraints"},
                                   {"spec.cpu", "cpu"},
                                   {"spec.memory", "memory"}}));
  }
  return Ok("{\"taskDefinition\":" +
            TaskDefinitionJson(static_cast<const v1::TaskDefinition&>(**created), names_,
                               TimeStyle::kEpochSeconds) +
            "}");
}

EcsResponse EcsOperations::DeregisterTaskDefinition(Input& in) {
  in.Require("taskDefinition");
  std::string given = in.StringOr("taskDefinition", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  const std::string name = fleet::ShortName(given);
  if (name.find(':') == std::string::npos) {
    return EcsErrorFrom(api::InvalidArgument(
        "taskDefinition", "name a revision (family:revision or its ARN), got '" + given + "'"));
  }
  auto updated =
      objects_.Mutate(DefinitionKind(), name, [](google::protobuf::Message& m) -> StatusOr<bool> {
        auto* st = static_cast<v1::TaskDefinition&>(m).mutable_status();
        if (st->status() == "INACTIVE") return false;
        st->set_status("INACTIVE");
        return true;
      });
  if (!updated.ok()) {
    if (updated.status().code() == Code::kNotFound) {
      return EcsError(400, "ClientException", "The specified task definition does not exist.");
    }
    return EcsErrorFrom(updated.status());
  }
  return Ok("{\"taskDefinition\":" +
            TaskDefinitionJson(static_cast<const v1::TaskDefinition&>(**updated), names_,
                               TimeStyle::kEpochSeconds) +
            "}");
}

EcsResponse EcsOperations::DescribeTaskDefinition(Input& in) {
  in.Require("taskDefinition");
  std::string given = in.StringOr("taskDefinition", "");
  (void)in.Strings("include");
  if (!in.ok()) return EcsErrorFrom(in.status());
  auto def = fleet::ResolveTaskDefinition(objects_, given, fleet::WhenNoneActive::kNotFound);
  if (!def.ok()) {
    if (def.status().code() == Code::kNotFound)
      return EcsError(400, "ClientException", "Unable to describe task definition.");
    return EcsErrorFrom(def.status());
  }
  return Ok("{\"taskDefinition\":" + TaskDefinitionJson(**def, names_, TimeStyle::kEpochSeconds) +
            ",\"tags\":[]}");
}

namespace {

struct DefinitionEntry {
  std::string family;
  int revision = 0;
  bool active = true;
  std::string name;  // family:revision
};

StatusOr<std::vector<DefinitionEntry>> AllDefinitions(api::ObjectService& objects) {
  auto list = objects.List(*schema::FindKind("TaskDefinition"));
  if (!list.ok()) return list.status();
  std::vector<DefinitionEntry> out;
  out.reserve(list->items.size());
  for (const auto& item : list->items) {
    const auto& def = static_cast<const v1::TaskDefinition&>(*item);
    DefinitionEntry e;
    e.name = def.metadata().name();
    e.family =
        def.status().family().empty() ? e.name.substr(0, e.name.find(':')) : def.status().family();
    e.revision = def.status().revision();
    e.active = def.status().status() != "INACTIVE";
    out.push_back(std::move(e));
  }
  return out;
}

// Sorts as ECS lists: by family, then by revision as a number. A space sorts before every
// character a family may hold, so "web" comes before "web-api".
std::string DefinitionKey(const DefinitionEntry& e) {
  char revision[16];
  std::snprintf(revision, sizeof revision, "%010d", e.revision);
  return e.family + " " + revision;
}

}  // namespace

EcsResponse EcsOperations::ListTaskDefinitions(Input& in) {
  std::string family = in.StringOr("familyPrefix", "");
  std::string status = in.StringOr("status", "ACTIVE");
  std::string sort = in.StringOr("sort", "ASC");
  auto max = in.Int("maxResults", 1, kMaxPage);
  std::string token = in.StringOr("nextToken", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (status != "ACTIVE" && status != "INACTIVE" && status != "DELETE_IN_PROGRESS") {
    return EcsErrorFrom(api::InvalidArgument(
        "status", "must be ACTIVE, INACTIVE or DELETE_IN_PROGRESS, got '" + status + "'"));
  }
  if (sort != "ASC" && sort != "DESC")
    return EcsErrorFrom(api::InvalidArgument("sort", "must be ASC or DESC, got '" + sort + "'"));
  auto all = AllDefinitions(objects_);
  if (!all.ok()) return EcsErrorFrom(all.status());
  std::vector<std::pair<std::string, std::string>> keyed;  // key, name
  for (const auto& e : *all) {
    // ECS's familyPrefix here is the full family name.
    if (!family.empty() && e.family != family) continue;
    if (status == "DELETE_IN_PROGRESS" || e.active != (status == "ACTIVE")) continue;
    keyed.emplace_back(DefinitionKey(e), e.name);
  }
  std::sort(keyed.begin(), keyed.end());
  const bool descending = sort == "DESC";
  if (descending) std::reverse(keyed.begin(), keyed.end());
  std::vector<std::string> keys;
  for (const auto& k : keyed) keys.push_back(k.first);
  PageRange page = Paginate(keys, token, max.value_or(kMaxPage), descending);
  OutJson out = {{"taskDefinitionArns", OutJson::array()}};
  for (size_t i = page.begin; i < page.end; ++i) {
    out["taskDefinitionArns"].push_back(names_.TaskDefinitionArn(keyed[i].second));
  }
  if (!page.next_token.empty()) out["nextToken"] = page.next_token;
  return Ok(out);
}

EcsResponse EcsOperations::ListTaskDefinitionFamilies(Input& in) {
  std::string prefix = in.StringOr("familyPrefix", "");
  std::string status = in.StringOr("status", "ALL");
  auto max = in.Int("maxResults", 1, kMaxPage);
  std::string token = in.StringOr("nextToken", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (status != "ACTIVE" && status != "INACTIVE" && status != "ALL") {
    return EcsErrorFrom(
        api::InvalidArgument("status", "must be ACTIVE, INACTIVE or ALL, got '" + status + "'"));
  }
  auto all = AllDefinitions(objects_);
  if (!all.ok()) return EcsErrorFrom(all.status());
  std::map<std::string, bool> families;  // family -> has an ACTIVE revision
  for (const auto& e : *all) {
    if (!e.family.starts_with(prefix)) continue;
    families[e.family] = families[e.family] || e.active;
  }
  std::vector<std::string> keys;
  for (const auto& [family, active] : families) {
    if (status == "ALL" || active == (status == "ACTIVE")) keys.push_back(family);
  }
  return Ok(NamePage("families", std::move(keys), token, max.value_or(kMaxPage),
                     [](const std::string& family) { return family; }));
}

}  // namespace gantry::ecs
