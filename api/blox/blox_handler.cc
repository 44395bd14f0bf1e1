#include "api/blox/blox_handler.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <vector>

#include "api/fleet/task_definitions.h"
#include "api/schema/environment_deployments.h"
#include "api/schema/kinds.h"
#include "api/schema/object_state.h"

namespace gantry::blox {
namespace {

using json = nlohmann::ordered_json;

constexpr size_t kMaxName = 30;
// The field manager of the objects the Blox API writes (metadata.managedFields).
constexpr std::string_view kBloxFieldManager = "blox";

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
    std::vector<std::string> parts;
    for (size_t start = kEnvironments.size(); start <= rest.size();) {
      const size_t slash = rest.find('/', start);
      parts.push_back(rest.substr(start, slash == std::string::npos ? slash : slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    const bool named = !parts.empty() && !parts[0].empty();
    if (named && parts.size() == 1) {
      if (method == "GET") return GetEnvironment(parts[0]);
      if (method == "DELETE") return DeleteEnvironment(parts[0]);
    }
    if (named && parts.size() == 2 && parts[1] == "deployments") {
      if (method == "POST") return CreateDeployment(parts[0], raw_query);
      if (method == "GET") return ListDeployments(parts[0]);
    }
    if (named && parts.size() == 3 && parts[1] == "deployments" && !parts[2].empty() &&
        method == "GET")
      return GetDeployment(parts[0], parts[2]);
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
  auto created = objects_.Create(env, {.field_manager = std::string(kBloxFieldManager)});
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

namespace {

// Blox's pattern for a token: a lowercase UUID.
bool LowercaseUuid(const std::string& t) {
  if (t.size() != 36) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? t[i] != '-'
             : !(std::isdigit(static_cast<unsigned char>(t[i])) || (t[i] >= 'a' && t[i] <= 'f')))
      return false;
  }
  return true;
}

const char* BloxStatus(const std::string& phase) {
  if (phase == "IN_PROGRESS") return "running";
  if (phase == "COMPLETED") return "completed";
  if (phase == "FAILED" || phase == "ROLLED_BACK") return "failed";
  return "pending";
}

}  // namespace

std::string BloxHandler::DeploymentJson(const v1::Deployment& d) const {
  json failed = json::array();
  for (const auto& instance : d.status().failed_instances()) failed.push_back(instance);
  json out = {{"id", d.metadata().uid()},
              {"status", BloxStatus(d.status().phase())},
              {"taskDefinition", names_.TaskDefinitionArn(d.spec().task_definition())},
              {"environmentName", d.spec().environment()},
              {"failedInstances", std::move(failed)}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

api::StatusOr<std::vector<v1::Deployment>> BloxHandler::DeploymentsOf(
    const std::string& environment) const {
  auto listed = objects_.List(*schema::FindKind("Deployment"));
  if (!listed.ok()) return listed.status();
  std::vector<v1::Deployment> out;
  for (const auto& o : listed->items) {
    const auto& d = static_cast<const v1::Deployment&>(*o);
    if (d.spec().environment() == environment) out.push_back(d);
  }
  // Newest first.
  std::sort(out.begin(), out.end(), [](const v1::Deployment& a, const v1::Deployment& b) {
    return schema::OlderDeployment(b, a);
  });
  return out;
}

BloxResponse BloxHandler::CreateDeployment(const std::string& environment,
                                           const std::string& raw_query) const {
  // Without a token of the right shape the route does not match (gorilla/mux's Queries).
  std::string token;
  for (const auto& [key, value] : QueryPairs(raw_query))
    if (key == "deploymentToken") token = Unescaped(value);
  if (!LowercaseUuid(token)) return Text(404, "404 page not found");
  auto got = objects_.Get(EnvironmentKind(), environment);
  if (!got.ok()) {
    if (got.status().code() == api::Code::kNotFound)
      return Text(404, "Environment " + environment + " does not exist");
    return Text(500, "Server Error");
  }
  const auto& env = static_cast<const v1::Environment&>(**got);
  const auto& annotations = env.metadata().annotations();
  auto current = annotations.find(kDeploymentTokenAnnotation);
  const std::string expected = current == annotations.end() ? "" : current->second;
  if (token != expected) {
    return Text(400, "Token '" + token +
                         "' is outdated and does not match the environment token '" + expected +
                         "'");
  }
  auto existing = DeploymentsOf(environment);
  if (!existing.ok()) return Text(500, "Server Error");
  std::string revision = env.status().task_definition();
  if (revision.empty()) {
    auto resolved = fleet::ResolveTaskDefinition(objects_, env.spec().task_definition());
    if (!resolved.ok())
      return Text(404, "Task definition " + env.spec().task_definition() + " does not exist");
    revision = (*resolved)->metadata().name();
  }
  // The token first, pinned to the environment as read: of two requests with the same token,
  // one wins and the other finds it stale.
  v1::Environment rotated = env;
  (*rotated.mutable_metadata()->mutable_annotations())[kDeploymentTokenAnnotation] =
      api::NewRandomUid();
  if (auto applied = objects_.Apply(rotated, {.field_manager = std::string(kBloxFieldManager)});
      !applied.ok()) {
    if (applied.status().code() == api::Code::kAborted)
      return Text(400,
                  "Token '" + token + "' is outdated and does not match the environment token");
    return Text(500, "Server Error");
  }
  v1::Deployment d;
  d.set_api_version("gantry.dev/v1");
  d.set_kind("Deployment");
  d.mutable_spec()->set_environment(environment);
  d.mutable_spec()->set_task_definition(revision);
  d.mutable_status()->set_phase("PENDING");
  // <environment>-<n>; a name the environment controller took meanwhile tries the next.
  api::StatusOr<api::ObjectPtr> created = api::Status(api::Code::kAlreadyExists, "");
  for (size_t n = existing->size() + 1;
       !created.ok() && created.status().code() == api::Code::kAlreadyExists &&
       n < existing->size() + 100;
       ++n) {
    d.mutable_metadata()->set_name(environment + "-" + std::to_string(n));
    created =
        objects_.Create(d, {.keep_status = true, .field_manager = std::string(kBloxFieldManager)});
  }
  if (!created.ok()) return Text(500, "Server Error");
  // Blox v1: one that is still pending is replaced by the newer one (an in-progress one is
  // not; the new one waits for it, controllers/environment).
  for (const auto& older : *existing) {
    if (older.status().phase() != "PENDING") continue;
    v1::Deployment replaced = older;
    replaced.mutable_status()->set_phase("FAILED");
    auto* c = replaced.mutable_status()->add_conditions();
    c->set_type("Stalled");
    c->set_status("True");
    c->set_reason("Replaced");
    c->set_message("replaced by deployment " + schema::MetaOf(**created).uid());
    (void)objects_.UpdateStatus(replaced);  // pinned: one that moved on meanwhile is left
  }
  return {200, "application/json; charset=UTF-8",
          DeploymentJson(static_cast<const v1::Deployment&>(**created))};
}

BloxResponse BloxHandler::ListDeployments(const std::string& environment) const {
  if (!objects_.Get(EnvironmentKind(), environment).ok())
    return Text(404, "Environment " + environment + " does not exist");
  auto deployments = DeploymentsOf(environment);
  if (!deployments.ok()) return Text(500, "Server Error");
  std::string items;
  for (const auto& d : *deployments) items += (items.empty() ? "" : ",") + DeploymentJson(d);
  return {200, "application/json; charset=UTF-8", "{\"items\":[" + items + "]}"};
}

BloxResponse BloxHandler::GetDeployment(const std::string& environment,
                                        const std::string& id) const {
  if (!objects_.Get(EnvironmentKind(), environment).ok())
    return Text(404, "Environment " + environment + " does not exist");
  auto deployments = DeploymentsOf(environment);
  if (!deployments.ok()) return Text(500, "Server Error");
  for (const auto& d : *deployments)
    if (d.metadata().uid() == id)
      return {200, "application/json; charset=UTF-8", DeploymentJson(d)};
  return Text(404, "Deployment " + id + " does not exist for environment " + environment);
}

BloxResponse BloxHandler::DeleteEnvironment(const std::string& name) const {
  auto gone = objects_.Delete(EnvironmentKind(), name);
  if (!gone.ok() && gone.status().code() != api::Code::kNotFound &&
      gone.status().code() != api::Code::kInvalidArgument)
    return Text(500, "Server Error");
  return {200, "text/plain", ""};  // Blox: 200 whether or not it existed
}

}  // namespace gantry::blox
