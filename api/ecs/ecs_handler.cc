#include "api/ecs/ecs_handler.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "api/ecs/ecs_shapes.h"
#include "api/fleet/snapshot_input.h"
#include "api/validation/validate.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::ecs {
namespace {

using api::Code;
using api::Status;
using api::StatusOr;
using Json = nlohmann::json;             // requests
using OutJson = nlohmann::ordered_json;  // responses, in the order ECS writes them

constexpr int kMaxPage = 100;          // ECS list operations: 1..100, default 100
constexpr size_t kMaxDescribe = 100;   // Describe*: at most 100 names
constexpr size_t kMaxAttributes = 10;  // Put/DeleteAttributes: at most 10 per call
constexpr size_t kMaxStoppedReason = 255;
constexpr const char* kInstanceTarget = "container-instance";

const schema::KindInfo& ClusterKind() { return *schema::FindKind("Cluster"); }
const schema::KindInfo& DefinitionKind() { return *schema::FindKind("TaskDefinition"); }
const schema::KindInfo& ServiceKind() { return *schema::FindKind("Service"); }

template <typename T>
std::string Dump(const T& j) {
  return j.dump(-1, ' ', false, T::error_handler_t::replace);
}

std::string JsonArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += items[i];
  }
  out += ']';
  return out;
}

EcsResponse Ok(std::string body) { return EcsResponse{200, std::move(body)}; }
EcsResponse Ok(const OutJson& body) { return Ok(Dump(body)); }

// Reads the members of one JSON object as botocore's model types them. The first error is kept
// (shared by the readers of nested objects) and reported once everything is read; unknown members
// are ignored and null counts as absent, as AWS's JSON protocol does.
class Input {
 public:
  Input(const Json& object, std::string path, std::shared_ptr<Status> error)
      : object_(&object), path_(std::move(path)), error_(std::move(error)) {}

  bool ok() const { return error_->ok(); }
  const Status& status() const { return *error_; }
  std::string Path(std::string_view name) const {
    return path_.empty() ? std::string(name) : path_ + "." + std::string(name);
  }
  bool Has(std::string_view name) const { return Member(name) != nullptr; }
  void Fail(std::string field, std::string message) {
    if (error_->ok()) *error_ = api::InvalidArgument(std::move(field), std::move(message));
  }
  void Require(std::string_view name) {
    if (!Has(name)) Fail(Path(name), "is required");
  }
  // Members present and not null.
  std::vector<std::string> Keys() const {
    std::vector<std::string> out;
    for (auto it = object_->begin(); it != object_->end(); ++it) {
      if (!it->is_null()) out.push_back(it.key());
    }
    return out;
  }

  std::optional<std::string> String(std::string_view name) {
    const Json* m = Member(name);
    if (!m) return std::nullopt;
    if (!m->is_string()) {
      TypeError(Path(name), *m, "a string");
      return std::nullopt;
    }
    return m->get<std::string>();
  }
  std::string StringOr(std::string_view name, std::string fallback) {
    auto s = String(name);
    return s ? std::move(*s) : std::move(fallback);
  }
  std::optional<int64_t> Int(std::string_view name, int64_t min, int64_t max) {
    const Json* m = Member(name);
    if (!m) return std::nullopt;
    return IntValue(*m, Path(name), min, max);
  }
  std::optional<bool> Bool(std::string_view name) {
    const Json* m = Member(name);
    if (!m) return std::nullopt;
    if (!m->is_boolean()) {
      TypeError(Path(name), *m, "a boolean");
      return std::nullopt;
    }
    return m->get<bool>();
  }
  std::vector<std::string> Strings(std::string_view name) {
    std::vector<std::string> out;
    const Json* m = Array(name);
    if (!m) return out;
    for (size_t i = 0; i < m->size(); ++i) {
      const Json& item = (*m)[i];
      if (!item.is_string()) {
        TypeError(Index(name, i), item, "a string");
        return {};
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }
  std::vector<Input> Objects(std::string_view name) {
    std::vector<Input> out;
    const Json* m = Array(name);
    if (!m) return out;
    for (size_t i = 0; i < m->size(); ++i) {
      const Json& item = (*m)[i];
      if (!item.is_object()) {
        TypeError(Index(name, i), item, "an object");
        return {};
      }
      out.emplace_back(item, Index(name, i), error_);
    }
    return out;
  }
  std::optional<Input> Object(std::string_view name) {
    const Json* m = Member(name);
    if (!m) return std::nullopt;
    if (!m->is_object()) {
      TypeError(Path(name), *m, "an object");
      return std::nullopt;
    }
    return Input(*m, Path(name), error_);
  }
  // The number of items of a list member (0 when absent or not a list).
  size_t Count(std::string_view name) const {
    const Json* m = Member(name);
    return m && m->is_array() ? m->size() : 0;
  }

  std::optional<int64_t> IntValue(const Json& v, const std::string& field, int64_t min,
                                  int64_t max) {
    int64_t value = 0;
    if (v.is_number_unsigned()) {
      uint64_t u = v.get<uint64_t>();
      value = u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                  ? std::numeric_limits<int64_t>::max()
                  : static_cast<int64_t>(u);
    } else if (v.is_number_integer()) {
      value = v.get<int64_t>();
    } else if (v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>() &&
               std::abs(v.get<double>()) < 9e15) {
      value = static_cast<int64_t>(v.get<double>());
    } else {
      TypeError(field, v, "an integer");
      return std::nullopt;
    }
    if (value < min || value > max) {
      Fail(field, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                      ", got " + v.dump());
      return std::nullopt;
    }
    return value;
  }

 private:
  const Json* Member(std::string_view name) const {
    auto it = object_->find(std::string(name));
    if (it == object_->end() || it->is_null()) return nullptr;
    return &*it;
  }
  const Json* Array(std::string_view name) {
    const Json* m = Member(name);
    if (!m) return nullptr;
    if (!m->is_array()) {
      TypeError(Path(name), *m, "a list");
      return nullptr;
    }
    return m;
  }
  std::string Index(std::string_view name, size_t i) const {
    return Path(name) + "[" + std::to_string(i) + "]";
  }
  void TypeError(const std::string& field, const Json& got, const char* want) {
    Fail(field, std::string("expected ") + want + ", got " + got.type_name());
  }

  const Json* object_;
  std::string path_;
  std::shared_ptr<Status> error_;
};

// Renames a service-layer field path into the request's members: spec.containers[0].name →
// containerDefinitions[0].name.
Status Renamed(const Status& status,
               std::initializer_list<std::pair<std::string_view, std::string_view>> renames) {
  std::string field = status.field();
  for (const auto& [from, to] : renames) {
    if (field.starts_with(from) &&
        (field.size() == from.size() || field[from.size()] == '.' || field[from.size()] == '[')) {
      field = std::string(to) + field.substr(from.size());
      break;
    }
  }
  return Status(status.code(), status.message(), field);
}

// One page of `keys` (sorted in the order listed) after `token`, the key that ended the
// previous page. Keys stay valid as tokens while objects come and go between pages.
struct PageRange {
  size_t begin = 0;
  size_t end = 0;
  std::string next_token;
};
PageRange Paginate(const std::vector<std::string>& keys, const std::string& token, size_t max,
                   bool descending = false) {
  PageRange page;
  if (!token.empty()) {
    while (page.begin < keys.size() &&
           (descending ? keys[page.begin] >= token : keys[page.begin] <= token)) {
      ++page.begin;
    }
  }
  page.end = std::min(keys.size(), page.begin + max);
  if (page.end < keys.size() && page.end > page.begin) page.next_token = keys[page.end - 1];
  return page;
}

// {"<member>": [item(key) for one page of the sorted `keys`], "nextToken": ...}: the answer of
// every List* whose page is a list of names.
OutJson NamePage(const char* member, std::vector<std::string> keys, const std::string& token,
                 size_t max, const std::function<std::string(const std::string&)>& item) {
  std::sort(keys.begin(), keys.end());
  PageRange page = Paginate(keys, token, max);
  OutJson out = {{member, OutJson::array()}};
  for (size_t i = page.begin; i < page.end; ++i) out[member].push_back(item(keys[i]));
  if (!page.next_token.empty()) out["nextToken"] = page.next_token;
  return out;
}

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

struct Failure {
  std::string arn;
  std::string reason;
  std::string detail;
};
OutJson Failures(const std::vector<Failure>& failures) {
  OutJson out = OutJson::array();
  for (const auto& f : failures) {
    OutJson item = {{"arn", f.arn}, {"reason", f.reason}};
    if (!f.detail.empty()) item["detail"] = f.detail;
    out.push_back(std::move(item));
  }
  return out;
}

// {"<list_name>": [objects...], "failures": [...]}
std::string WithFailures(std::string_view list_name, const std::vector<std::string>& objects,
                         const std::vector<Failure>& failures) {
  return "{\"" + std::string(list_name) + "\":" + JsonArray(objects) +
         ",\"failures\":" + Dump(Failures(failures)) + "}";
}

}  // namespace

EcsResponse EcsError(int status, std::string_view type, std::string_view message) {
  OutJson j = {{"__type", type}, {"message", message}};
  return EcsResponse{status, Dump(j)};
}

EcsResponse EcsErrorFrom(const Status& status) {
  switch (status.code()) {
    case Code::kOk:
      return EcsError(500, "ServerException", "an error without a cause");
    case Code::kInvalidArgument:
      return EcsError(400, "InvalidParameterException", status.ToString());
    case Code::kNotFound:
      if (status.field() == "cluster") {
        return EcsError(400, "ClusterNotFoundException", "Cluster not found.");
      }
      return EcsError(400, "ClientException", status.ToString());
    case Code::kPermissionDenied:
    case Code::kUnauthenticated:
      return EcsError(400, "AccessDeniedException", status.ToString());
    case Code::kUnimplemented:
      return EcsError(400, "UnsupportedFeatureException", status.ToString());
    case Code::kUnknown:
    case Code::kInternal:
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
      return EcsError(500, "ServerException", status.ToString());
    case Code::kCancelled:
    case Code::kAlreadyExists:
    case Code::kResourceExhausted:
    case Code::kFailedPrecondition:
    case Code::kAborted:
    case Code::kOutOfRange:
      break;
  }
  return EcsError(400, "ClientException", status.ToString());
}

std::optional<std::string_view> EcsOperationOf(std::string_view target) {
  if (!target.starts_with(kEcsTargetPrefix) || target.size() == kEcsTargetPrefix.size()) {
    return std::nullopt;
  }
  return target.substr(kEcsTargetPrefix.size());
}

// The operations. A friend of EcsHandler, so they reach the services without the header naming
// any JSON type.
class EcsOperations {
 public:
  using Op = EcsResponse (EcsOperations::*)(Input&);
  static const std::map<std::string, Op, std::less<>>& Table();

  explicit EcsOperations(const EcsHandler& h)
      : objects_(h.objects_),
        tasks_(h.tasks_),
        instances_(h.instances_),
        fleet_(h.fleet_),
        names_(h.names_) {}

  EcsResponse CreateCluster(Input& in);
  EcsResponse DeleteCluster(Input& in);
  EcsResponse ListClusters(Input& in);
  EcsResponse DescribeClusters(Input& in);
  EcsResponse RegisterTaskDefinition(Input& in);
  EcsResponse DeregisterTaskDefinition(Input& in);
  EcsResponse DescribeTaskDefinition(Input& in);
  EcsResponse ListTaskDefinitions(Input& in);
  EcsResponse ListTaskDefinitionFamilies(Input& in);
  EcsResponse RegisterContainerInstance(Input& in);
  EcsResponse ListContainerInstances(Input& in);
  EcsResponse DescribeContainerInstances(Input& in);
  EcsResponse UpdateContainerInstancesState(Input& in);
  EcsResponse DeregisterContainerInstance(Input& in);
  EcsResponse PutAttributes(Input& in);
  EcsResponse DeleteAttributes(Input& in);
  EcsResponse ListAttributes(Input& in);
  EcsResponse RunTask(Input& in);
  EcsResponse StartTask(Input& in);
  EcsResponse StopTask(Input& in);
  EcsResponse ListTasks(Input& in);
  EcsResponse DescribeTasks(Input& in);

 private:
  // The cluster a request names (default "default"), which must exist.
  StatusOr<std::string> ExistingCluster(const std::string& given);
  // Services by cluster, for DeleteCluster's precondition. (DescribeClusters shows the counts
  // the cluster controller keeps in the cluster's status.)
  std::map<std::string, int> ActiveServices();
  // family, family:revision or ARN; a bare family means its latest ACTIVE revision.
  StatusOr<std::unique_ptr<v1::TaskDefinition>> FindDefinition(const std::string& reference);
  std::string TaskWithZone(const v1::Task& task);
  // Reads what RunTask and StartTask share; rejects what Gantry cannot honour.
  fleet::LaunchRequest ReadLaunch(Input& in, Status& unsupported);
  // A clientToken conflict answers ConflictException with the token's tasks as resourceIds.
  EcsResponse Launched(const StatusOr<fleet::LaunchResult>& result,
                       const std::string& client_token);
  // Attribute changes of Put/DeleteAttributes, checked and resolved against `cluster`.
  StatusOr<std::vector<fleet::AttributeChange>> ReadAttributeChanges(Input& in, bool with_values,
                                                                     OutJson& echo,
                                                                     std::string& cluster);

  api::ObjectService& objects_;
  fleet::TaskService& tasks_;
  fleet::InstanceService& instances_;
  const fleet::FleetView& fleet_;
  const fleet::EcsNames& names_;
};

const std::map<std::string, EcsOperations::Op, std::less<>>& EcsOperations::Table() {
  static const std::map<std::string, Op, std::less<>> table = {
      {"CreateCluster", &EcsOperations::CreateCluster},
      {"DeleteCluster", &EcsOperations::DeleteCluster},
      {"ListClusters", &EcsOperations::ListClusters},
      {"DescribeClusters", &EcsOperations::DescribeClusters},
      {"RegisterTaskDefinition", &EcsOperations::RegisterTaskDefinition},
      {"DeregisterTaskDefinition", &EcsOperations::DeregisterTaskDefinition},
      {"DescribeTaskDefinition", &EcsOperations::DescribeTaskDefinition},
      {"ListTaskDefinitions", &EcsOperations::ListTaskDefinitions},
      {"ListTaskDefinitionFamilies", &EcsOperations::ListTaskDefinitionFamilies},
      {"RegisterContainerInstance", &EcsOperations::RegisterContainerInstance},
      {"ListContainerInstances", &EcsOperations::ListContainerInstances},
      {"DescribeContainerInstances", &EcsOperations::DescribeContainerInstances},
      {"UpdateContainerInstancesState", &EcsOperations::UpdateContainerInstancesState},
      {"DeregisterContainerInstance", &EcsOperations::DeregisterContainerInstance},
      {"PutAttributes", &EcsOperations::PutAttributes},
      {"DeleteAttributes", &EcsOperations::DeleteAttributes},
      {"ListAttributes", &EcsOperations::ListAttributes},
      {"RunTask", &EcsOperations::RunTask},
      {"StartTask", &EcsOperations::StartTask},
      {"StopTask", &EcsOperations::StopTask},
      {"ListTasks", &EcsOperations::ListTasks},
      {"DescribeTasks", &EcsOperations::DescribeTasks},
  };
  return table;
}

// ---- helpers ----

StatusOr<std::string> EcsOperations::ExistingCluster(const std::string& given) {
  std::string name = given.empty() ? fleet::kDefaultCluster : fleet::ShortName(given);
  auto got = objects_.Get(ClusterKind(), name);
  if (!got.ok()) {
    if (got.status().code() == Code::kNotFound)
      return Status(Code::kNotFound, "Cluster not found.", "cluster");
    return got.status();
  }
  return name;
}

std::map<std::string, int> EcsOperations::ActiveServices() {
  std::map<std::string, int> out;
  auto list = objects_.List(ServiceKind());
  if (!list.ok()) return out;  // counts are informative; a failed list shows 0
  for (const auto& item : list->items) {
    const auto& spec = static_cast<const v1::Service&>(*item).spec();
    out[spec.cluster().empty() ? fleet::kDefaultCluster : fleet::ShortName(spec.cluster())] += 1;
  }
  return out;
}

StatusOr<std::unique_ptr<v1::TaskDefinition>> EcsOperations::FindDefinition(
    const std::string& reference) {
  const std::string name = fleet::ShortName(reference);
  auto as_definition = [](api::ObjectPtr object) {
    return std::unique_ptr<v1::TaskDefinition>(static_cast<v1::TaskDefinition*>(object.release()));
  };
  auto latest = objects_.Get(DefinitionKind(), name);
  if (!latest.ok()) return latest.status();
  auto definition = as_definition(std::move(*latest));
  if (name.find(':') != std::string::npos || definition->status().status() != "INACTIVE") {
    return definition;
  }
  for (int revision = definition->status().revision() - 1; revision >= 1; --revision) {
    auto older = objects_.Get(DefinitionKind(), name + ":" + std::to_string(revision));
    if (!older.ok()) {
      if (older.status().code() == Code::kNotFound) continue;
      return older.status();
    }
    auto candidate = as_definition(std::move(*older));
    if (candidate->status().status() != "INACTIVE") return candidate;
  }
  return Status(Code::kNotFound, "task definition family '" + name + "' has no ACTIVE revision",
                "taskDefinition");
}

std::string EcsOperations::TaskWithZone(const v1::Task& task) {
  fleet::InstancePtr instance = fleet_.Instance(task.spec().container_instance());
  return TaskJson(task, names_, TimeStyle::kEpochSeconds, instance.get());
}

// ---- clusters ----

EcsResponse EcsOperations::CreateCluster(Input& in) {
  std::string name = in.StringOr("clusterName", fleet::kDefaultCluster);
  // tags, settings, configuration, capacity providers and Service Connect defaults are ignored.
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (auto st = validation::ValidateName(name, "clusterName"); !st.ok()) return EcsErrorFrom(st);
  v1::Cluster cluster;
  cluster.set_api_version(std::string(schema::kApiVersion));
  cluster.set_kind("Cluster");
  cluster.mutable_metadata()->set_name(name);
  cluster.mutable_status()->set_status("ACTIVE");
  auto created = objects_.Create(cluster, {.keep_status = true});
  api::ObjectPtr stored;
  if (created.ok()) {
    stored = std::move(*created);
  } else if (created.status().code() == Code::kAlreadyExists) {
    // ECS answers an existing name with the existing cluster.
    auto got = objects_.Get(ClusterKind(), name);
    if (!got.ok()) return EcsErrorFrom(got.status());
    stored = std::move(*got);
  } else {
    return EcsErrorFrom(Renamed(created.status(), {{"metadata.name", "clusterName"}}));
  }
  return Ok("{\"cluster\":" + ClusterJson(static_cast<const v1::Cluster&>(*stored), names_) + "}");
}

EcsResponse EcsOperations::DeleteCluster(Input& in) {
  in.Require("cluster");
  std::string given = in.StringOr("cluster", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  auto cluster = ExistingCluster(given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  for (const auto& ci : fleet_.InstancesIn(*cluster)) {
    if (fleet::InstanceStatusOf(*ci) != "INACTIVE") {
      return EcsError(400, "ClusterContainsContainerInstancesException",
                      "The Cluster cannot be deleted while Container Instances are active or "
                      "draining.");
    }
  }
  for (const auto& t : fleet_.TasksIn(*cluster)) {
    if (fleet::HoldsResources(*t)) {
      return EcsError(400, "ClusterContainsTasksException",
                      "The Cluster cannot be deleted while Tasks are active.");
    }
  }
  if (ActiveServices().count(*cluster)) {
    return EcsError(400, "ClusterContainsServicesException",
                    "The Cluster cannot be deleted while Services are active.");
  }
  auto deleted = objects_.Delete(ClusterKind(), *cluster);
  if (!deleted.ok()) {
    if (deleted.status().code() == Code::kNotFound)
      return EcsErrorFrom(Status(Code::kNotFound, "Cluster not found.", "cluster"));
    return EcsErrorFrom(deleted.status());
  }
  // ECS keeps a deleted cluster as INACTIVE for a while; Gantry deletes the object and answers
  // with its last state marked INACTIVE.
  v1::Cluster gone = static_cast<const v1::Cluster&>(**deleted);
  gone.mutable_status()->set_status("INACTIVE");
  return Ok("{\"cluster\":" + ClusterJson(gone, names_) + "}");
}

EcsResponse EcsOperations::ListClusters(Input& in) {
  auto max = in.Int("maxResults", 1, kMaxPage);
  std::string token = in.StringOr("nextToken", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  auto list = objects_.List(ClusterKind(), {}, max.value_or(kMaxPage), token);
  if (!list.ok()) return EcsErrorFrom(list.status());
  OutJson out = {{"clusterArns", OutJson::array()}};
  for (const auto& item : list->items) {
    out["clusterArns"].push_back(names_.ClusterArn(schema::MetaOf(*item).name()));
  }
  if (!list->continue_token.empty()) out["nextToken"] = list->continue_token;
  return Ok(out);
}

EcsResponse EcsOperations::DescribeClusters(Input& in) {
  std::vector<std::string> given = in.Strings("clusters");
  (void)in.Strings("include");  // statistics, settings, tags: nothing to add
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (given.size() > kMaxDescribe)
    return EcsErrorFrom(api::InvalidArgument("clusters", "at most 100 clusters per call"));
  if (given.empty()) given.push_back(fleet::kDefaultCluster);
  std::vector<std::string> clusters;
  std::vector<Failure> failures;
  for (const auto& g : given) {
    std::string name = fleet::ShortName(g);
    auto got = objects_.Get(ClusterKind(), name);
    if (!got.ok()) {
      if (got.status().code() != Code::kNotFound) return EcsErrorFrom(got.status());
      failures.push_back({names_.ClusterArn(name), "MISSING", ""});
      continue;
    }
    clusters.push_back(ClusterJson(static_cast<const v1::Cluster&>(**got), names_));
  }
  return Ok(WithFailures("clusters", clusters, failures));
}

// ---- task definitions ----

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
  auto def = FindDefinition(given);
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

// ---- container instances ----

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
  auto cluster = ExistingCluster(given_cluster);
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
  auto cluster = ExistingCluster(given);
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
  auto cluster = ExistingCluster(given);
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
  auto cluster = ExistingCluster(given);
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
  auto cluster = ExistingCluster(given);
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
  auto existing = ExistingCluster(given);
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
  auto cluster = ExistingCluster(given);
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

// ---- tasks ----

fleet::LaunchRequest EcsOperations::ReadLaunch(Input& in, Status& unsupported) {
  fleet::LaunchRequest request;
  in.Require("taskDefinition");
  request.cluster = in.StringOr("cluster", "");
  request.task_definition = in.StringOr("taskDefinition", "");
  request.group = in.StringOr("group", "");
  request.started_by = in.StringOr("startedBy", "");
  for (auto& c : in.Objects("placementConstraints")) {
    placement::ConstraintSpec spec{c.StringOr("type", ""), c.String("expression")};
    request.constraints.push_back(std::move(spec));
  }
  for (auto& s : in.Objects("placementStrategy")) {
    placement::StrategySpec spec{s.StringOr("type", ""), s.String("field")};
    request.strategies.push_back(std::move(spec));
  }
  auto unsupported_if = [&](bool condition, const std::string& field, const std::string& what) {
    if (condition && unsupported.ok()) unsupported = Status(Code::kUnimplemented, what, field);
  };
  std::string launch_type = in.StringOr("launchType", "EC2");
  unsupported_if(launch_type != "EC2", "launchType",
                 "Gantry runs the EC2 launch type only, got '" + launch_type + "'");
  unsupported_if(in.Count("capacityProviderStrategy") > 0, "capacityProviderStrategy",
                 "capacity providers are not supported");
  unsupported_if(in.Has("networkConfiguration"), "networkConfiguration",
                 "awsvpc networking is not supported");
  unsupported_if(in.Count("volumeConfigurations") > 0, "volumeConfigurations",
                 "volume configurations are not supported");
  unsupported_if(in.Bool("enableExecuteCommand").value_or(false), "enableExecuteCommand",
                 "ECS Exec is not supported");
  if (auto overrides = in.Object("overrides")) {
    // The CLI may send container overrides that only name the container; anything that would
    // change what runs is refused rather than ignored.
    for (const auto& key : overrides->Keys()) {
      if (key == "containerOverrides") {
        for (auto& c : overrides->Objects("containerOverrides")) {
          for (const auto& k : c.Keys()) {
            unsupported_if(k != "name", c.Path(k), "task overrides are not supported");
          }
        }
      } else if (key != "inferenceAcceleratorOverrides" || overrides->Count(key) > 0) {
        unsupported_if(true, overrides->Path(key), "task overrides are not supported");
      }
    }
  }
  // RunTask's clientToken (botocore fills in a UUID when the caller gives none); StartTask has
  // none in ECS's model, but takes one here too, checked the same way.
  request.client_token = in.StringOr("clientToken", "");
  // tags, propagateTags, enableECSManagedTags, referenceId, platformVersion: ignored.
  return request;
}

EcsResponse EcsOperations::Launched(const StatusOr<fleet::LaunchResult>& result,
                                    const std::string& client_token) {
  if (!result.ok()) {
    if (result.status().code() == Code::kAlreadyExists &&
        result.status().field() == "clientToken") {
      // ECS: the token is in use by another request; resourceIds are that request's tasks.
      OutJson body = {{"__type", "ConflictException"},
                      {"message", result.status().ToString()},
                      {"resourceIds", tasks_.ClientTokenTaskArns(client_token)}};
      return EcsResponse{400, Dump(body)};
    }
    return EcsErrorFrom(result.status());
  }
  std::vector<std::string> tasks;
  for (const auto& t : result->tasks) tasks.push_back(TaskWithZone(*t));
  std::vector<Failure> failures;
  for (const auto& f : result->failures) failures.push_back({f.arn, f.reason, f.detail});
  return Ok(WithFailures("tasks", tasks, failures));
}

EcsResponse EcsOperations::RunTask(Input& in) {
  Status unsupported;
  fleet::LaunchRequest request = ReadLaunch(in, unsupported);
  // TaskService checks the range (1..10) and names the member.
  auto count =
      in.Int("count", std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
  request.count = static_cast<int>(count.value_or(1));
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (!unsupported.ok()) return EcsErrorFrom(unsupported);
  auto cluster = ExistingCluster(request.cluster);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  request.cluster = *cluster;
  // TaskService runs a bare family's latest ACTIVE revision, as ECS does; the reference stays as
  // given, which is what a clientToken repeat is compared by.
  return Launched(tasks_.RunTask(request), request.client_token);
}

EcsResponse EcsOperations::StartTask(Input& in) {
  Status unsupported;
  fleet::LaunchRequest request = ReadLaunch(in, unsupported);
  in.Require("containerInstances");
  request.container_instances = in.Strings("containerInstances");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (!unsupported.ok()) return EcsErrorFrom(unsupported);
  auto cluster = ExistingCluster(request.cluster);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  request.cluster = *cluster;
  return Launched(tasks_.StartTask(request), request.client_token);
}

EcsResponse EcsOperations::StopTask(Input& in) {
  std::string given = in.StringOr("cluster", "");
  in.Require("task");
  std::string task = in.StringOr("task", "");
  std::string reason = in.StringOr("reason", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (reason.size() > kMaxStoppedReason) {
    return EcsErrorFrom(api::InvalidArgument("reason", "must be at most 255 characters"));
  }
  auto cluster = ExistingCluster(given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  auto stopped = tasks_.StopTask(*cluster, task, reason);
  if (!stopped.ok()) return EcsErrorFrom(stopped.status());
  return Ok("{\"task\":" + TaskWithZone(**stopped) + "}");
}

EcsResponse EcsOperations::ListTasks(Input& in) {
  std::string given = in.StringOr("cluster", "");
  fleet::TaskFilter filter;
  filter.container_instance = in.StringOr("containerInstance", "");
  filter.family = in.StringOr("family", "");
  filter.started_by = in.StringOr("startedBy", "");
  filter.desired_status = in.StringOr("desiredStatus", "RUNNING");
  std::string service = in.StringOr("serviceName", "");
  std::string launch_type = in.StringOr("launchType", "");
  (void)in.StringOr("daemonName", "");
  auto max = in.Int("maxResults", 1, kMaxPage);
  std::string token = in.StringOr("nextToken", "");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (filter.desired_status != "RUNNING" && filter.desired_status != "PENDING" &&
      filter.desired_status != "STOPPED") {
    return EcsErrorFrom(api::InvalidArgument(
        "desiredStatus",
        "must be RUNNING, PENDING or STOPPED, got '" + filter.desired_status + "'"));
  }
  auto cluster = ExistingCluster(given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  filter.cluster = *cluster;
  std::vector<std::string> ids;
  if (launch_type.empty() || launch_type == "EC2") {
    for (const auto& t : tasks_.ListTasks(filter)) {
      // Service tasks are in the group service:<name>, as in ECS.
      if (!service.empty() && t->spec().group() != "service:" + fleet::ShortName(service)) continue;
      ids.push_back(t->metadata().name());
    }
  }
  return Ok(NamePage("taskArns", std::move(ids), token, max.value_or(kMaxPage),
                     [&](const std::string& id) { return names_.TaskArn(*cluster, id); }));
}

EcsResponse EcsOperations::DescribeTasks(Input& in) {
  std::string given = in.StringOr("cluster", "");
  in.Require("tasks");
  std::vector<std::string> refs = in.Strings("tasks");
  (void)in.Strings("include");
  if (!in.ok()) return EcsErrorFrom(in.status());
  if (refs.empty() || refs.size() > kMaxDescribe)
    return EcsErrorFrom(api::InvalidArgument("tasks", "give between 1 and 100 tasks"));
  auto cluster = ExistingCluster(given);
  if (!cluster.ok()) return EcsErrorFrom(cluster.status());
  std::vector<std::string> found;
  std::vector<Failure> failures;
  for (const auto& ref : refs) {
    fleet::TaskPtr t = fleet_.Task(fleet::ShortName(ref));
    if (!t || t->spec().cluster() != *cluster) {
      failures.push_back(
          {ref.starts_with("arn:") ? ref : names_.TaskArn(*cluster, ref), "MISSING", ""});
      continue;
    }
    found.push_back(TaskWithZone(*t));
  }
  return Ok(WithFailures("tasks", found, failures));
}

// ---- the handler ----

EcsHandler::EcsHandler(api::ObjectService& objects, fleet::TaskService& tasks,
                       fleet::InstanceService& instances, const fleet::FleetView& fleet,
                       const fleet::EcsNames& names)
    : objects_(objects), tasks_(tasks), instances_(instances), fleet_(fleet), names_(names) {}

std::vector<std::string> EcsHandler::Operations() {
  std::vector<std::string> out;
  for (const auto& [name, op] : EcsOperations::Table()) out.push_back(name);
  return out;
}

EcsResponse EcsHandler::Handle(std::string_view operation, std::string_view body) const {
  const auto& table = EcsOperations::Table();
  auto it = table.find(operation);
  if (it == table.end()) {
    return EcsError(400, "UnknownOperationException",
                    "Unknown or unsupported operation " + std::string(operation));
  }
  Json request = Json::object();
  if (body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    try {
      request = Json::parse(body);
    } catch (const Json::parse_error& e) {
      // "[json.exception.parse_error.101] parse error at line 1, column 9: ..." without the tag.
      std::string what = e.what();
      if (size_t tag = what.find("] "); tag != std::string::npos) what = what.substr(tag + 2);
      return EcsError(400, "SerializationException", "Unable to parse request body: " + what);
    }
    if (!request.is_object()) {
      return EcsError(400, "SerializationException",
                      std::string("Unable to parse request body: expected a JSON object, got ") +
                          request.type_name());
    }
  }
  try {
    EcsOperations ops(*this);
    Input in(request, "", std::make_shared<Status>());
    return (ops.*(it->second))(in);
  } catch (const std::exception& e) {
    // Library exceptions (nlohmann, protobuf, std) stop here: the caller gets AWS's 500 shape.
    return EcsError(500, "ServerException", std::string(operation) + " failed: " + e.what());
  }
}

}  // namespace gantry::ecs
