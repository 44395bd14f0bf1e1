#include "cli/objects/health.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "cli/objects/printers.h"

namespace gantry::cli {
namespace {

struct Condition {
  bool present = false;
  std::string status, reason, message;
};

// The object's status.conditions of `type`.
Condition ConditionOf(const google::protobuf::Value& object, const std::string& type) {
  Condition out;
  const auto& fields = object.struct_value().fields();
  auto status = fields.find("status");
  if (status == fields.end()) return out;
  auto conditions = status->second.struct_value().fields().find("conditions");
  if (conditions == status->second.struct_value().fields().end()) return out;
  for (const auto& c : conditions->second.list_value().values()) {
    const auto& cf = c.struct_value().fields();
    auto get = [&](const char* k) {
      auto it = cf.find(k);
      return it == cf.end() ? std::string() : it->second.string_value();
    };
    if (get("type") != type) continue;
    out.present = true;
    out.status = get("status");
    out.reason = get("reason");
    out.message = get("message");
  }
  return out;
}

std::string Why(const Condition& c) {
  if (c.reason.empty()) return c.message;
  return c.message.empty() ? c.reason : c.reason + ": " + c.message;
}

}  // namespace

const char* HealthName(Health health) {
  switch (health) {
    case Health::kCurrent:
      return "Current";
    case Health::kInProgress:
      return "InProgress";
    case Health::kFailed:
      return "Failed";
    case Health::kNotFound:
      return "NotFound";
  }
  return "Unknown";
}

ObjectHealth HealthOf(const std::string& kind, const google::protobuf::Message& object) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(object, &json);
  google::protobuf::Value v;
  (void)google::protobuf::util::JsonStringToMessage(json, &v);

  // Kinds whose state is a field of their own, not conditions a controller keeps.
  if (kind == "Task") {
    const std::string last = FieldText(object, "status.lastStatus");
    if (last == "RUNNING") return {Health::kCurrent, ""};
    if (last == "STOPPED") {
      const std::string reason = FieldText(object, "status.stoppedReason");
      if (FieldText(object, "spec.desiredStatus") == "STOPPED") return {Health::kCurrent, reason};
      return {Health::kFailed, reason.empty() ? "stopped" : reason};
    }
    return {Health::kInProgress, last.empty() ? "not started yet" : last};
  }
  if (kind == "Deployment") {
    const std::string phase = FieldText(object, "status.phase");
    if (phase == "COMPLETED") return {Health::kCurrent, ""};
    if (phase == "FAILED" || phase == "ROLLED_BACK") return {Health::kFailed, phase};
    return {Health::kInProgress, phase.empty() ? "PENDING" : phase};
  }
  if (kind == "ContainerInstance") {
    if (FieldText(object, "status.agentConnected") == "true") return {Health::kCurrent, ""};
    return {Health::kInProgress, "agent not connected"};
  }
  const std::string generation = FieldText(object, "metadata.generation");
  const std::string observed = FieldText(object, "status.observedGeneration");
  const bool has_conditions = ConditionOf(v, "Ready").present ||
                              ConditionOf(v, "Stalled").present ||
                              ConditionOf(v, "Reconciling").present;
  // Services and Environments have a controller that reports on them; so does any object that
  // carries conditions or an observedGeneration.
  const bool reported =
      kind == "Service" || kind == "Environment" || has_conditions || !observed.empty();
  if (reported) {
    // A controller reports this kind: it has to have seen the spec as it is.
    const long long wanted = generation.empty() ? 0 : std::stoll(generation);
    const long long seen = observed.empty() ? 0 : std::stoll(observed);
    if (wanted > seen)
      return {Health::kInProgress, "generation " + generation + " not observed yet"};
    if (const Condition stalled = ConditionOf(v, "Stalled");
        stalled.present && stalled.status == "True")
      return {Health::kFailed, Why(stalled)};
    if (const Condition reconciling = ConditionOf(v, "Reconciling");
        reconciling.present && reconciling.status == "True")
      return {Health::kInProgress, Why(reconciling)};
    if (const Condition ready = ConditionOf(v, "Ready"); ready.present) {
      if (ready.status == "True") return {Health::kCurrent, ""};
      return {Health::kInProgress, Why(ready)};
    }
  }
  return {Health::kCurrent, ""};
}

}  // namespace gantry::cli
