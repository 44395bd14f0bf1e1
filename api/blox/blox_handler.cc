#include "api/blox/blox_handler.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <vector>

#include "api/fleet/task_definitions.h"
#include "api/schema/kinds.h"
#include "api/schema/object_state.h"

namespace gantry::blox {
namespace {

using json = nlohmann::ordered_json;

constexpr size_t kMaxName = 30;

const schema::KindInfo& EnvironmentKind() { return *schema::FindKind("Environment"); }

BloxResponse Text(int status, const std::string& message) {
  return {status, "text/plain; charset=utf-8", message + "\n"};
}

// ^[a-zA-Z0-9-_]{1,30}$
bool BloxName(const std::string& name) {
  return !name.empty() && name.size() <= kMaxName &&
         std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

// A cluster name (ECS: 1 to 255 letters, digits, '-' and '_') or a cluster ARN.
bool ClusterNameOrArn(const std::string& value) {
  std::string name = value;
  if (value.starts_with("arn:")) {
    const size_t at = value.find(":cluster/");
    if (at == std::string::npos) return false;
    name = value.substr(at + std::string(":cluster/").size());
  }
  return !name.empty() && name.size() <= 255 &&
         std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

// The query's keys as sent, repeats kept.
std::vector<std::pair<std::string, std::string>> QueryPairs(const std::string& raw) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start < raw.size()) {
    size_t amp = raw.find('&', start);
    const std::string part = raw.substr(start, amp == std::string::npos ? amp : amp - start);
    if (!part.empty()) {
      const size_t eq = part.find('=');
      out.emplace_back(part.substr(0, eq), eq == std::string::npos ? "" : part.substr(eq + 1));
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return out;
}

// %XX and '+' as a query value carries them.
std::string Unescaped(const std::string& value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '+') {
      out += ' ';
    } else if (value[i] == '%' && i + 2 < value.size() && std::isxdigit(value[i + 1]) &&
               std::isxdigit(value[i + 2])) {
      out += static_cast<char>(std::stoi(value.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += value[i];
    }
  }
  return out;
}

}  // namespace

std::optional<BloxResponse> BloxHandler::Handle(const std::string& method, const std::string& path,
                                                const std::string& raw_query,
                                                const std::string& body) const {
  static const std::string kRoot = "/v1/";
  if (!path.starts_with(kRoot)) return std::nullopt;
  const std::string rest = path.substr(kRoot.size());
  if (rest == "ping" && method == "GET") return BloxResponse{200, "text/plain", ""};
  if (rest == "environments") {
    if (method == "POST") return CreateEnvironment(body);
    if (method == "GET") return ListEnvironments(raw_query);
  }
  static const std::string kEnvironments = "environments/";
  if (rest.starts_with(kEnvironments)) {
    const std::string name = rest.substr(kEnvironments.size());
    if (!name.empty() && name.find('/') == std::string::npos) {
      if (method == "GET") return GetEnvironment(name);
      if (method == "DELETE") return DeleteEnvironment(name);
    }
  }
  // gorilla/mux of Blox's vintage: anything unmatched is a plain 404, no 405.
  return Text(404, "404 page not found");
}

std::string BloxHandler::EnvironmentJson(const v1::Environment& env) const {
  const std::string cluster = schema::ClusterNameOf(env.spec().instance_group().cluster());
  std::string revision = env.status().task_definition();
  if (revision.empty()) {
    auto resolved = fleet::ResolveTaskDefinition(objects_, env.spec().task_definition());
    revision = resolved.ok() ? (*resolved)->metadata().name()
                             : fleet::ShortName(env.spec().task_definition());
  }
  const auto& annotations = env.metadata().annotations();
  auto token = annotations.find(kDeploymentTokenAnnotation);
  json out = {{"name", env.metadata().name()},
              {"instanceGroup", {{"cluster", names_.ClusterArn(cluster)}}},
              {"taskDefinition", names_.TaskDefinitionArn(revision)},
              {"deploymentToken", token != annotations.end() ? token->second : ""},
              {"health", env.status().health().empty() ? "healthy" : env.status().health()}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

BloxResponse BloxHandler::CreateEnvironment(const std::string& body) const {
  // Blox reads what it can and validates the result: a body it cannot parse is a missing field.
  const json parsed = json::parse(body, nullptr, false);
  auto member = [&](const json& o, const char* key) -> std::string {
    if (!o.is_object() || !o.contains(key) || !o[key].is_string()) return "";
    return o[key].get<std::string>();
  };
  const std::string name = member(parsed, "name");
  if (!BloxName(name)) {
    return Text(400, "name: must match ^[a-zA-Z0-9-_]{1,30}$, got \"" + name + "\"");
  }
  const json group =
      parsed.is_object() && parsed.contains("instanceGroup") ? parsed["instanceGroup"] : json();
  if (!group.is_object()) return Text(400, "instanceGroup: is required");
  const std::string task_definition = member(parsed, "taskDefinition");
  if (task_definition.empty()) return Text(400, "taskDefinition: is required");
  std::string cluster = member(group, "cluster");
  if (cluster.empty()) cluster = fleet::kDefaultCluster;
  if (!ClusterNameOrArn(cluster)) return Text(400, "Invalid cluster ARN or name");
  cluster = fleet::ShortName(cluster);
  auto found = objects_.Get(*schema::FindKind("Cluster"), cluster);
  if (!found.ok()) {
    if (found.status().code() == api::Code::kNotFound)
      return Text(404, "Cluster " + cluster + " does not exist");
    return Text(500, "Server Error");
  }
  auto definition = fleet::ResolveTaskDefinition(objects_, fleet::ShortName(task_definition),
                                                 fleet::WhenNoneActive::kNotFound);
  if (!definition.ok() || (*definition)->status().status() == "INACTIVE")
    return Text(404, "Task definition " + task_definition + " does not exist or is inactive");

  v1::Environment env;
  env.set_api_version("gantry.dev/v1");
  env.set_kind("Environment");
  env.mutable_metadata()->set_name(name);
  (*env.mutable_metadata()->mutable_annotations())[kDeploymentTokenAnnotation] =
      api::NewRandomUid();
  env.mutable_spec()->set_task_definition(fleet::ShortName(task_definition));
  env.mutable_spec()->mutable_instance_group()->set_cluster(cluster);
  auto created = objects_.Create(env);
  if (!created.ok()) {
    if (created.status().code() == api::Code::kAlreadyExists)
      return Text(400, "An environment with name " + name + " already exists");
    if (created.status().code() == api::Code::kInvalidArgument)
      return Text(400, created.status().ToString());
    return Text(500, "Server Error");
  }
  return {200, "application/json; charset=UTF-8",
          EnvironmentJson(static_cast<const v1::Environment&>(**created))};
}

BloxResponse BloxHandler::ListEnvironments(const std::string& raw_query) const {
  std::string cluster;
  int clusters = 0;
  for (const auto& [key, value] : QueryPairs(raw_query)) {
    if (key != "cluster") return Text(400, "At least one of the filters provided is not supported");
    ++clusters;
    cluster = Unescaped(value);
  }
  if (clusters > 1)
    return Text(400, "At least one of the filters provided is specified multiple times");
  if (clusters == 1 && !ClusterNameOrArn(cluster)) return Text(400, "Invalid cluster ARN or name");
  auto listed = objects_.List(EnvironmentKind());
  if (!listed.ok()) return Text(500, "Server Error");
  std::string items;
  for (const auto& o : listed->items) {
    const auto& env = static_cast<const v1::Environment&>(*o);
    if (clusters == 1 &&
        schema::ClusterNameOf(env.spec().instance_group().cluster()) != fleet::ShortName(cluster))
      continue;
    items += (items.empty() ? "" : ",") + EnvironmentJson(env);
  }
  return {200, "application/json; charset=UTF-8", "{\"items\":[" + items + "]}"};
}

BloxResponse BloxHandler::GetEnvironment(const std::string& name) const {
  auto got = objects_.Get(EnvironmentKind(), name);
  if (!got.ok()) {
    if (got.status().code() == api::Code::kNotFound)
      return Text(404, "Environment " + name + " does not exist");
    return Text(500, "Server Error");
  }
  return {200, "application/json; charset=UTF-8",
          EnvironmentJson(static_cast<const v1::Environment&>(**got))};
}

BloxResponse BloxHandler::DeleteEnvironment(const std::string& name) const {
  auto gone = objects_.Delete(EnvironmentKind(), name);
  if (!gone.ok() && gone.status().code() != api::Code::kNotFound &&
      gone.status().code() != api::Code::kInvalidArgument)
    return Text(500, "Server Error");
  return {200, "text/plain", ""};  // Blox: 200 whether or not it existed
}

}  // namespace gantry::blox
