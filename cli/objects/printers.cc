#include "cli/objects/printers.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <ostream>

#include "gantry/v1/meta.pb.h"

namespace gantry::cli {
namespace {

google::protobuf::Value AsValue(const google::protobuf::Message& m) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(m, &json);
  google::protobuf::Value v;
  (void)google::protobuf::util::JsonStringToMessage(json, &v);
  return v;
}

std::string Text(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kStringValue:
      return v.string_value();
    case google::protobuf::Value::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case google::protobuf::Value::kNumberValue: {
      double d = v.number_value();
      return d == std::floor(d) ? std::to_string(static_cast<long long>(d)) : std::to_string(d);
    }
    case google::protobuf::Value::kListValue:
      return std::to_string(v.list_value().values_size());
    default:
      return "";
  }
}

const google::protobuf::Value* At(const google::protobuf::Value& root, const std::string& path) {
  const google::protobuf::Value* v = &root;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (v->kind_case() != google::protobuf::Value::kStructValue) return nullptr;
    auto it = v->struct_value().fields().find(part);
    if (it == v->struct_value().fields().end()) return nullptr;
    v = &it->second;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return v;
}

struct Column {
  const char* header;
  const char* path;  // JSON path; special: "@age", "@ready", "@count:PATH" (a list's or map's size)
  bool wide = false;
};

std::vector<Column> ColumnsFor(const std::string& kind) {
  if (kind == "Cluster") {
    return {{"STATUS", "status.status"},
            {"INSTANCES", "status.registeredContainerInstancesCount"},
            {"RUNNING", "status.runningTasksCount"},
            {"PENDING", "status.pendingTasksCount"},
            {"SERVICES", "status.activeServicesCount", true}};
  }
  if (kind == "ContainerInstance") {
    return {{"CLUSTER", "spec.cluster"},
            {"STATUS", "status.status"},
            {"AGENT", "status.agentConnected"},
            {"RUNNING", "status.runningTasksCount"},
            {"CPU", "status.remainingResources.cpu", true},
            {"MEMORY", "status.remainingResources.memory", true},
            {"EC2", "spec.ec2InstanceId", true}};
  }
  if (kind == "TaskDefinition") {
    return {
        {"FAMILY", "status.family"}, {"REVISION", "status.revision"}, {"STATUS", "status.status"}};
  }
  if (kind == "Task") {
    return {{"CLUSTER", "spec.cluster"},
            {"TASKDEF", "spec.taskDefinition"},
            {"INSTANCE", "spec.containerInstance"},
            {"LAST", "status.lastStatus"},
            {"DESIRED", "spec.desiredStatus"},
            {"GROUP", "spec.group", true},
            {"STOPPED-REASON", "status.stoppedReason", true}};
  }
  if (kind == "Service") {
    return {{"CLUSTER", "spec.cluster"},        {"TASKDEF", "spec.taskDefinition"},
            {"DESIRED", "spec.desiredCount"},   {"RUNNING", "status.runningCount"},
            {"PENDING", "status.pendingCount"}, {"READY", "@ready", true}};
  }
  if (kind == "Environment") {
    return {{"TASKDEF", "spec.taskDefinition"},
            {"CLUSTER", "spec.instanceGroup.cluster"},
            {"COVERED", "status.instancesCovered"},
            {"ELIGIBLE", "status.instancesEligible"},
            {"HEALTH", "status.health"},
            {"READY", "@ready", true},
            {"REVISION", "status.taskDefinition", true},
            {"ACTIVE-DEPLOYMENT", "status.activeDeployment", true}};
  }
  if (kind == "Inventory") return {{"MEMBERS", "@count:spec.members"}};
  if (kind == "Secret") return {{"DATA", "@count:spec.data"}};  // the keys' count, never values
  if (kind == "Sync") {
    return {{"URL", "spec.git.url"},
            {"PATH", "spec.git.path"},
            {"READY", "@ready"},
            {"MEMBERS", "status.members"},
            {"REVISION", "status.lastAppliedRevision", true},
            {"REF", "spec.git.ref", true}};
  }
  if (kind == "Deployment") {
    return {{"ENVIRONMENT", "spec.environment"},
            {"TASKDEF", "spec.taskDefinition"},
            {"PHASE", "status.phase"}};
  }
  if (kind == "Event") {
    return {{"TYPE", "spec.type"},
            {"REASON", "spec.reason"},
            {"OBJECT", "spec.involvedObject.name"},
            {"MESSAGE", "spec.message"}};
  }
  return {};
}

}  // namespace

std::string FieldText(const google::protobuf::Message& object, const std::string& path) {
  google::protobuf::Value v = AsValue(object);
  const google::protobuf::Value* at = At(v, path);
  return at ? Text(*at) : "";
}

std::string Age(const std::string& t) {
  std::tm tm{};
  if (t.size() < 19 || !strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return "<unknown>";
  auto then = std::chrono::system_clock::from_time_t(timegm(&tm));
  long long s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - then)
          .count();
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

std::vector<std::vector<std::string>> TableRows(
    const schema::KindInfo& kind, const std::vector<const google::protobuf::Message*>& objects,
    bool wide, bool header) {
  std::vector<Column> columns;
  for (const Column& c : ColumnsFor(kind.kind))
    if (!c.wide || wide) columns.push_back(c);
  std::vector<std::vector<std::string>> rows;
  if (header) {
    std::vector<std::string> h{"NAME"};
    for (const Column& c : columns) h.push_back(c.header);
    h.push_back("AGE");
    rows.push_back(std::move(h));
  }
  for (const auto* o : objects) {
    google::protobuf::Value v = AsValue(*o);
    std::vector<std::string> row;
    const auto* name = At(v, "metadata.name");
    row.push_back(name ? Text(*name) : "");
    for (const Column& c : columns) {
      std::string cell;
      if (std::string(c.path) == "@ready") {
        cell = "Unknown";
        if (const auto* conds = At(v, "status.conditions")) {
          for (const auto& cond : conds->list_value().values()) {
            const auto& f = cond.struct_value().fields();
            if (f.count("type") && f.at("type").string_value() == "Ready" && f.count("status")) {
              cell = f.at("status").string_value();
            }
          }
        }
      } else if (std::string_view(c.path).starts_with("@count:")) {
        const auto* list = At(v, c.path + std::string_view("@count:").size());
        cell = std::to_string(!list                      ? 0
                              : list->has_struct_value() ? list->struct_value().fields_size()
                                                         : list->list_value().values_size());
      } else if (const auto* field = At(v, c.path)) {
        cell = Text(*field);
      }
      row.push_back(cell.empty() ? "<none>" : cell);
    }
    const auto* created = At(v, "metadata.creationTimestamp");
    row.push_back(created ? Age(Text(*created)) : "<unknown>");
    rows.push_back(std::move(row));
  }
  return rows;
}

void PrintRows(const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    width.resize(std::max(width.size(), r.size()));
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c) {
      line += r[c];
      if (c + 1 < r.size()) line += std::string(width[c] - r[c].size() + 3, ' ');
    }
    out << line << "\n";
  }
}

std::unique_ptr<google::protobuf::Message> WithoutManagedFields(
    const google::protobuf::Message& object) {
  std::unique_ptr<google::protobuf::Message> shown(object.New());
  shown->CopyFrom(object);
  schema::MutableMetaOf(*shown)->clear_managed_fields();
  return shown;
}

}  // namespace gantry::cli
