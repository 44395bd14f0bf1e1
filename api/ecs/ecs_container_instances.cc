// ECS container instances: Register, List, Describe, UpdateContainerInstancesState,
// Deregister, and the attribute operations (Put, Delete, ListAttributes).

#include <algorithm>
#include <charconv>
#include <set>

#include "api/ecs/ecs_operations.h"
#include "api/ecs/ecs_shapes.h"
#include "api/validation/validate.h"

namespace gantry::ecs {
namespace {

using api::Code;
using api::Status;
using api::StatusOr;

constexpr size_t kMaxAttributes = 10;  // Put/DeleteAttributes: at most 10 per call
constexpr const char* kInstanceTarget = "container-instance";

}  // namespace

EcsResponse EcsOperations::RegisterContainerInstance(Input& in) {
  std::string given_cluster = in.StringOr("cluster", "");
  std::string identity = in.StringOr("instanceIdentityDocument", "");
  std::string arn = in.StringOr("containerInstanceArn", "");
  v1::InstanceRegistration reg;
  for (auto& r : in.Objects("totalResources")) {
    std::string name = r.StringOr("name", "");
    auto integer = r.Int("integerValue", 0, std::numeric_limits<int32_t>::max());
    auto long_value = r.Int("longValue", 0, std::numeric_limits<int32_t>::max());
    std::vector<std::string> set = r.Strings("stringSetValue");
    int32_t value = static_cast<int32_t>(integer.value_or(long_value.value_or(0)));
    if (name == "CPU") {
      reg.mutable_registered_resources()->set_cpu(value);
    } else if (name == "MEMORY") {
      reg.mutable_registered_resources()->set_memory(value);
    } else if (name == "PORTS") {
      for (size_t i = 0; i < set.size(); ++i) {
        int port = 0;
        auto [p, ec] = std::from_chars(set[i].data(), set[i].data() + set[i].size(), port);
        if (ec != std::errc{} || p != set[i].data() + set[i].size() || port < 1 || port > 65535) {
          r.Fail(r.Path("stringSetValue") + "[" + std::to_string(i) + "]",
                 "must be a port number between 1 and 65535, got '" + set[i] + "'");
          break;
        }
        reg.mutable_registered_resources()->add_ports(port);
      }
    }
    // PORTS_UDP, GPU and the rest: Gantry reserves cpu, memory and tcp ports only.
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> attributes;
  for (auto& a : in.Objects("attributes")) {
    a.Require("name");
    attributes.emplace_back(a.StringOr("name", ""), a.String("value"));
  }
  if (auto info = in.Object("versionInfo")) {
    reg.mutable_version_info()->set_agent_version(info->StringOr("agentVersion", ""));
    reg.mutable_version_info()->set_agent_hash(info->StringOr("agentHash", ""));
    reg.mutable_version_info()->set_docker_version(info->StringOr("dockerVersion", ""));
  }
  if (!in.ok()) return EcsErrorFrom(in.status());
  for (size_t i = 0; i < attributes.size(); ++i) {
    auto st = validation::ValidateAttribute(attributes[i].first, attributes[i].second,
                                            "attributes[" + std::to_string(i) + "]");
    if (!st.ok()) return EcsErrorFrom(st);
  }
  auto cluster = clusters_.Existing(given_cluster);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());

  // The EC2 identity document names the instance, its zone and type, as ECS reads it.
  std::string zone, type;
  if (!identity.empty()) {
    Json doc = Json::parse(identity, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      return EcsErrorFrom(api::InvalidArgument("instanceIdentityDocument", "is not a JSON object"));
    }
    auto text = [&](const char* key) {
      auto it = doc.find(key);
      return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    reg.set_ec2_instance_id(text("instanceId"));
    zone = text("availabilityZone");
    type = text("instanceType");
  }
  reg.set_container_instance(arn.empty() ? api::NewRandomUid() : fleet::ShortName(arn));
  reg.set_cluster(*cluster);
  std::set<std::string> named;
  for (const auto& [name, value] : attributes) {
    auto* a = reg.add_attributes();
    a->set_name(name);
    a->set_value(value.value_or(""));
    named.insert(name);
  }
  if (!zone.empty() && !named.count("ecs.availability-zone")) {
    auto* a = reg.add_attributes();
    a->set_name("ecs.availability-zone");
    a->set_value(zone);
  }
  if (!type.empty() && !named.count("ecs.instance-type")) {
    auto* a = reg.add_attributes();
    a->set_name("ecs.instance-type");
    a->set_value(type);
  }
  // The rules every registration follows (the agent's too), checked here so that errors name
  // the members of this request.
  if (auto st = validation::ValidateRegistration(reg); !st.ok()) {
    return EcsErrorFrom(Renamed(st, {{"ec2InstanceId", "instanceIdentityDocument.instanceId"},
                                     {"registeredResources", "totalResources"},
                                     {"containerInstance", "containerInstanceArn"}}));
  }
  auto registered = instances_.Register({reg});
  if (!registered.ok()) {
    return EcsErrorFrom(Renamed(registered.status(), {{"spec.attributes", "attributes"},
                                                      {"metadata.name", "containerInstanceArn"}}));
  }
  return Ok("{\"containerInstance\":" +
            InstanceJson(*registered->at(0), names_, TimeStyle::kEpochSeconds) + "}");
}

EcsResponse EcsOperations::ListContainerInstances(Input& in) {
  std::string given = in.StringOr("cluster", "");
  std::string filter = in.StringOr("filter", "");
  std::string status = in.StringOr("status", "");
  auto max = in.Int("maxResults", 1, kMaxPage);
  std::string token = in.StringOr("nextToken", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  auto cluster = clusters_.Existing(given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  auto listed = instances_.List(*cluster, filter, status);
  if (!listed.ok()) return EcsErrorFrom(listed.status());
  std::vector<std::string> ids;
  for (const auto& ci : *listed) ids.push_back(ci->metadata().name());
  return Ok(NamePage("containerInstanceArns", std::move(ids), token, max.value_or(kMaxPage),
                     [&](const std::string& id) { return names_.InstanceArn(*cluster, id); }));
}

EcsResponse EcsOperations::DescribeContainerInstances(Input& in) {
  std::string given = in.StringOr("cluster", "");
  in.Require("containerInstances");
  std::vector<std::string> refs = in.Strings("containerInstances");
  (void)in.Strings("include");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (refs.empty() || refs.size() > kMaxDescribe) {
    return EcsErrorFrom(
        api::InvalidArgument("containerInstances", "give between 1 and 100 container instances"));
  }
  auto cluster = clusters_.Existing(given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  std::vector<std::string> found;
  std::vector<Failure> failures;
  for (const auto& ref : refs) {
    auto ci = instances_.Get(*cluster, ref);
    if (!ci.ok()) {
      if (ci.status().code() != Code::kNotFound) return EcsErrorFrom(ci.status());
      failures.push_back(
          {ref.starts_with("arn:") ? ref : names_.InstanceArn(*cluster, ref), "MISSING", ""});
      continue;
    }
    found.push_back(InstanceJson(**ci, names_, TimeStyle::kEpochSeconds));
  }
  return Ok(WithFailures("containerInstances", found, failures));
}

EcsResponse EcsOperations::DeregisterContainerInstance(Input& in) {
  std::string given = in.StringOr("cluster", "");
  in.Require("containerInstance");
  std::string ref = in.StringOr("containerInstance", "");
  bool force = in.Bool("force").value_or(false);
  if (!in.ok()) return EcsErrorFrom(in.status());
  auto cluster = clusters_.Existing(given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  auto ci = instances_.Deregister(*cluster, ref, force);
  if (!ci.ok()) return EcsErrorFrom(ci.status());
  return Ok("{\"containerInstance\":" + InstanceJson(**ci, names_, TimeStyle::kEpochSeconds) + "}");
}

EcsResponse EcsOperations::UpdateContainerInstancesState(Input& in) {
  std::string given = in.StringOr("cluster", "");
  in.Require("containerInstances");
  in.Require("status");
  std::vector<std::string> refs = in.Strings("containerInstances");
  std::string status = in.StringOr("status", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (refs.empty() || refs.size() > 10) {
    return EcsErrorFrom(
        api::InvalidArgument("containerInstances", "give between 1 and 10 container instances"));
  }
  if (status != "ACTIVE" && status != "DRAINING") {
    return EcsErrorFrom(
        api::InvalidArgument("status", "must be ACTIVE or DRAINING, got '" + status + "'"));
  }
  auto cluster = clusters_.Existing(given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  std::vector<std::string> updated;
  std::vector<Failure> failures;
  for (const auto& ref : refs) {
    auto ci = instances_.SetState(*cluster, ref, status);
    if (!ci.ok()) {
      if (ci.status().code() != Code::kNotFound) return EcsErrorFrom(ci.status());
      failures.push_back(
          {ref.starts_with("arn:") ? ref : names_.InstanceArn(*cluster, ref), "MISSING", ""});
      continue;
    }
    updated.push_back(InstanceJson(**ci, names_, TimeStyle::kEpochSeconds));
  }
  return Ok(WithFailures("containerInstances", updated, failures));
}

StatusOr<std::vector<fleet::AttributeChange>> EcsOperations::ReadAttributeChanges(
    Input& in, bool with_values, OutJson& echo, std::string& cluster) {
  std::string given = in.StringOr("cluster", "");
  in.Require("attributes");
  auto attributes = in.Objects("attributes");
  struct Given {
    std::string name;
    std::optional<std::string> value, target_type, target_id;
  };
  std::vector<Given> items;
  for (auto& a : attributes) {
    a.Require("name");
    items.push_back(
        {a.StringOr("name", ""), a.String("value"), a.String("targetType"), a.String("targetId")});
  }
  if (!in.ok()) return in.status();
  if (items.empty() || items.size() > kMaxAttributes) {
    return api::InvalidArgument("attributes", "give between 1 and 10 attributes");
  }
  auto existing = clusters_.Existing(given);
  if (!existing.ok()) return existing.status();
  cluster = *existing;
  std::vector<fleet::AttributeChange> changes;
  echo = OutJson::array();
  for (size_t i = 0; i < items.size(); ++i) {
    const Given& g = items[i];
    const std::string path = "attributes[" + std::to_string(i) + "]";
    if (auto st = validation::ValidateAttribute(g.name, with_values ? g.value : std::nullopt, path);
        !st.ok())
      return st;
    if (g.target_type && *g.target_type != kInstanceTarget) {
      return api::InvalidArgument(path + ".targetType",
                                  "must be container-instance, got '" + *g.target_type + "'");
    }
    if (!g.target_id || g.target_id->empty()) {
      return api::InvalidArgument(path + ".targetId",
                                  "is required (attributes live on container instances)");
    }
    auto ci = instances_.Get(cluster, *g.target_id);
    if (!ci.ok()) {
      if (ci.status().code() == Code::kNotFound) {
        return Status(Code::kNotFound, "Could not find " + *g.target_id + " in cluster " + cluster,
                      "targetId");
      }
      return ci.status();
    }
    fleet::AttributeChange change;
    change.instance = (*ci)->metadata().name();
    change.name = g.name;
    if (with_values) change.value = g.value.value_or("");
    changes.push_back(std::move(change));
    OutJson item = {{"name", g.name}};
    if (g.value) item["value"] = *g.value;
    if (g.target_type) item["targetType"] = *g.target_type;
    item["targetId"] = *g.target_id;
    echo.push_back(std::move(item));
  }
  return changes;
}

EcsResponse EcsOperations::PutAttributes(Input& in) {
  OutJson echo;
  std::string cluster;
  auto changes = ReadAttributeChanges(in, true, echo, cluster);
  if (!changes.ok()) {
    if (changes.status().field() == "targetId")
      return EcsError(400, "TargetNotFoundException", changes.status().message());
    return EcsErrorFrom(changes.status());
  }
  if (auto st = instances_.PutAttributes(cluster, *changes); !st.ok()) return EcsErrorFrom(st);
  return Ok(OutJson{{"attributes", echo}});
}

EcsResponse EcsOperations::DeleteAttributes(Input& in) {
  OutJson echo;
  std::string cluster;
  auto changes = ReadAttributeChanges(in, false, echo, cluster);
  if (!changes.ok()) {
    if (changes.status().field() == "targetId")
      return EcsError(400, "TargetNotFoundException", changes.status().message());
    return EcsErrorFrom(changes.status());
  }
  if (auto st = instances_.DeleteAttributes(cluster, *changes); !st.ok()) return EcsErrorFrom(st);
  return Ok(OutJson{{"attributes", echo}});
}

EcsResponse EcsOperations::ListAttributes(Input& in) {
  std::string given = in.StringOr("cluster", "");
  in.Require("targetType");
  std::string target_type = in.StringOr("targetType", "");
  std::optional<std::string> name = in.String("attributeName");
  std::optional<std::string> value = in.String("attributeValue");
  auto max = in.Int("maxResults", 1, kMaxPage);
  std::string token = in.StringOr("nextToken", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (target_type != kInstanceTarget) {
    return EcsErrorFrom(api::InvalidArgument(
        "targetType", "must be container-instance, got '" + target_type + "'"));
  }
  if (value && !name) {
    return EcsErrorFrom(
        api::InvalidArgument("attributeValue", "needs attributeName to filter with"));
  }
  auto cluster = clusters_.Existing(given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  struct Row {
    std::string key, instance;
    const v1::Attribute* attribute;
  };
  std::vector<fleet::InstancePtr> instances = fleet_.InstancesIn(*cluster);  // keeps rows alive
  std::vector<Row> rows;
  for (const auto& ci : instances) {
    if (fleet::InstanceStatusOf(*ci) == "INACTIVE") continue;
    for (const auto& a : ci->spec().attributes()) {
      if (name && a.name() != *name) continue;
      if (value && a.value() != *value) continue;
      // Attribute names hold no spaces, so the key sorts by instance, then name.
      rows.push_back({ci->metadata().name() + " " + a.name(), ci->metadata().name(), &a});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.key < b.key; });
  std::vector<std::string> keys;
  for (const auto& r : rows) keys.push_back(r.key);
  PageRange page = Paginate(keys, token, max.value_or(kMaxPage));
  OutJson out = {{"attributes", OutJson::array()}};
  for (size_t i = page.begin; i < page.end; ++i) {
    OutJson item = {{"name", rows[i].attribute->name()}};
    if (!rows[i].attribute->value().empty()) item["value"] = rows[i].attribute->value();
    item["targetType"] = kInstanceTarget;
    item["targetId"] = names_.InstanceArn(*cluster, rows[i].instance);
    out["attributes"].push_back(std::move(item));
  }
  if (!page.next_token.empty()) out["nextToken"] = page.next_token;
  return Ok(out);
}

}  // namespace gantry::ecs
