#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <memory>
#include <ostream>
#include <sstream>

#include "api/codec/object_codec.h"
#include "api/schema/environment_deployments.h"
#include "cli/objects/commands.h"
#include "cli/objects/conditions.h"
#include "cli/objects/printers.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::cli {
namespace {

std::string Indent(const std::string& text, const std::string& pad) {
  std::string out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out += pad + line + "\n";
  return out;
}

// The YAML of one top-level field of the object ("spec", "status"), or "" when empty.
std::string SectionYaml(const google::protobuf::Message& m, const char* field) {
  const auto* f = m.GetDescriptor()->FindFieldByName(field);
  const auto& section = m.GetReflection()->GetMessage(m, f);
  std::string yaml = codec::ToYaml(section);
  return yaml == "{}\n" ? "" : yaml;
}

// Deployments now (PRIMARY and ACTIVE) and the history of the last ones, newest first.
void PrintServiceDeployments(const v1::Service& service, std::ostream& out) {
  out << "Deployments:\n";
  std::vector<std::vector<std::string>> rows{
      {"  Id", "Status", "Task Definition", "Desired", "Running", "Pending", "Failed", "Rollout"}};
  for (const auto& d : service.status().deployments()) {
    rows.push_back(
        {"  " + d.id(), d.status(), d.task_definition(), std::to_string(d.desired_count()),
         std::to_string(d.running_count()), std::to_string(d.pending_count()),
         std::to_string(d.failed_tasks()),
         d.rollout_state() +
             (d.rollout_state_reason().empty() ? "" : " (" + d.rollout_state_reason() + ")")});
  }
  if (rows.size() == 1) {
    out << "  <none>\n";
  } else {
    PrintRows(rows, out);
  }
  out << "Deployment History:\n";
  std::vector<std::vector<std::string>> history{
      {"  Id", "Status", "Target", "Failed", "Started", "Finished", "Reason"}};
  for (const auto& r : service.status().history()) {
    const std::string& finished = !r.finished_at().empty() ? r.finished_at() : r.stopped_at();
    history.push_back(
        {"  " + r.id(), r.status(), r.target_revision(),
         std::to_string(r.failed_count()) + "/" + std::to_string(r.circuit_breaker_threshold()),
         r.started_at(), finished.empty() ? "-" : finished,
         r.status_reason().empty() ? "-" : r.status_reason()});
  }
  if (history.size() == 1) {
    out << "  <none>\n";
  } else {
    PrintRows(history, out);
  }
}

// How much of its group runs the revision, and the instances without room with why.
void PrintEnvironmentCoverage(const v1::Environment& environment, std::ostream& out) {
  const auto& st = environment.status();
  out << "Coverage:          " << st.instances_covered() << " of " << st.instances_eligible()
      << " instances run " << (st.task_definition().empty() ? "<none>" : st.task_definition())
      << " (" << (st.health().empty() ? "<unknown>" : st.health()) << ")\n";
  out << "Failed Instances:\n";
  std::vector<std::vector<std::string>> rows{{"  Instance", "Reason", "Detail"}};
  for (const auto& f : st.instance_failures())
    rows.push_back({"  " + f.instance(), f.reason(), f.detail().empty() ? "-" : f.detail()});
  if (rows.size() == 1) {
    out << "  <none>\n";
  } else {
    PrintRows(rows, out);
  }
}

// The environment's Deployments, newest first: revision, phase, coverage, failures and times.
void PrintEnvironmentDeployments(const std::string& environment,
                                 const std::vector<std::unique_ptr<google::protobuf::Message>>& all,
                                 std::ostream& out) {
  std::vector<const v1::Deployment*> mine;
  for (const auto& o : all) {
    const auto& d = static_cast<const v1::Deployment&>(*o);
    if (d.spec().environment() == environment) mine.push_back(&d);
  }
  std::sort(mine.begin(), mine.end(),
            [](const auto* a, const auto* b) { return schema::OlderDeployment(*b, *a); });
  out << "Deployments:\n";
  std::vector<std::vector<std::string>> rows{
      {"  Name", "Task Definition", "Phase", "Covered", "Failed Tasks", "Started", "Finished"}};
  for (const auto* d : mine) {
    const auto& st = d->status();
    rows.push_back(
        {"  " + d->metadata().name(), d->spec().task_definition(),
         st.phase().empty() ? "PENDING" : st.phase(),
         std::to_string(st.instances_covered()) + "/" + std::to_string(st.instances_eligible()),
         std::to_string(st.failed_tasks()), st.started_at().empty() ? "-" : st.started_at(),
         st.finished_at().empty() ? "-" : st.finished_at()});
  }
  if (rows.size() == 1) {
    out << "  <none>\n";
  } else {
    PrintRows(rows, out);
  }
}

}  // namespace

// describe KIND NAME
int RunDescribe(const std::vector<std::string>& args, const CommandContext& ctx) {
  std::vector<std::string> positional = args;
  if (positional.size() == 1 && positional[0].find('/') != std::string::npos) {
    std::string kn = positional[0];
    positional = {kn.substr(0, kn.find('/')), kn.substr(kn.find('/') + 1)};
  }
  if (positional.size() != 2) return ReportError(ctx, "usage: gantryctl describe KIND NAME");
  const schema::KindInfo* kind = schema::ResolveKind(positional[0]);
  if (!kind)
    return ReportError(ctx, "the server doesn't have a resource type \"" + positional[0] + "\"");
  auto client = ctx.Client();
  if (!client.ok()) return ReportError(ctx, client.status());
  auto object = client->Get(*kind, positional[1]);
  if (!object.ok()) return ReportError(ctx, object.status());
  const auto& o = **object;

  std::ostream& out = ctx.out;
  out << "Name:              " << FieldText(o, "metadata.name") << "\n";
  out << "Kind:              " << kind->kind << "\n";
  auto map_text = [&](const char* path) {
    google::protobuf::Value v;
    std::string json;
    const auto& meta =
        o.GetReflection()->GetMessage(o, o.GetDescriptor()->FindFieldByName("metadata"));
    (void)google::protobuf::util::MessageToJsonString(meta, &json);
    (void)google::protobuf::util::JsonStringToMessage(json, &v);
    std::string text;
    auto it = v.struct_value().fields().find(path);
    if (it != v.struct_value().fields().end()) {
      for (const auto& [k, val] : it->second.struct_value().fields()) {
        text += (text.empty() ? "" : "\n                   ") + k + "=" + val.string_value();
      }
    }
    return text.empty() ? std::string("<none>") : text;
  };
  out << "Labels:            " << map_text("labels") << "\n";
  out << "Annotations:       " << map_text("annotations") << "\n";
  out << "UID:               " << FieldText(o, "metadata.uid") << "\n";
  out << "Created:           " << FieldText(o, "metadata.creationTimestamp") << " ("
      << Age(FieldText(o, "metadata.creationTimestamp")) << " ago)\n";
  out << "Generation:        " << FieldText(o, "metadata.generation") << "\n";
  out << "Resource Version:  " << FieldText(o, "metadata.resourceVersion") << "\n";
  std::string spec = SectionYaml(o, "spec");
  out << "Spec:\n" << (spec.empty() ? "  <none>\n" : Indent(spec, "  "));
  // A Service's deployments, history and events get tables of their own below.
  const v1::Service* service =
      kind->kind == "Service" ? static_cast<const v1::Service*>(&o) : nullptr;
  v1::Service service_status_only;
  if (service) {
    service_status_only = *service;
    service_status_only.mutable_status()->clear_deployments();
    service_status_only.mutable_status()->clear_history();
    service_status_only.mutable_status()->clear_events();
  }
  std::string status = SectionYaml(service ? service_status_only : o, "status");
  out << "Status:\n" << (status.empty() ? "  <none>\n" : Indent(status, "  "));

  // Conditions as a table.
  out << "Conditions:\n";
  std::vector<std::vector<std::string>> rows{
      {"  Type", "Status", "Reason", "Last Transition", "Message"}};
  for (const v1::Condition* c : ConditionsOf(o)) {
    rows.push_back(
        {"  " + c->type(), c->status(), c->reason(), c->last_transition_time(), c->message()});
  }
  if (rows.size() == 1) {
    out << "  <none>\n";
  } else {
    PrintRows(rows, out);
  }

  if (service) PrintServiceDeployments(*service, out);
  if (kind->kind == "Environment") {
    PrintEnvironmentCoverage(static_cast<const v1::Environment&>(o), out);
    auto deployments = client->List(*schema::FindKind("Deployment"));
    if (!deployments.ok()) return ReportError(ctx, deployments.status());
    PrintEnvironmentDeployments(FieldText(o, "metadata.name"), deployments->items, out);
  }

  // Recent events about this object.
  out << "Events:\n";
  const schema::KindInfo* events = schema::FindKind("Event");
  auto list = client->List(*events);
  std::vector<std::vector<std::string>> event_rows{{"  Type", "Reason", "Age", "Message"}};
  if (list.ok()) {
    for (const auto& e : list->items) {
      if (FieldText(*e, "spec.involvedObject.kind") != kind->kind ||
          FieldText(*e, "spec.involvedObject.name") != FieldText(o, "metadata.name")) {
        continue;
      }
      event_rows.push_back({"  " + FieldText(*e, "spec.type"), FieldText(*e, "spec.reason"),
                            Age(FieldText(*e, "spec.lastTimestamp")),
                            FieldText(*e, "spec.message")});
    }
  }
  if (event_rows.size() == 1) {
    out << "  <none>\n";
  } else {
    if (event_rows.size() > 21) event_rows.erase(event_rows.begin() + 1, event_rows.end() - 20);
    PrintRows(event_rows, out);
  }
  return 0;
}

}  // namespace gantry::cli
