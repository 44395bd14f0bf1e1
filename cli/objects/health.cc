#include "cli/objects/health.h"

#include "cli/objects/conditions.h"
#include "cli/objects/printers.h"

namespace gantry::cli {
namespace {

std::string Why(const v1::Condition& c) {
  if (c.reason().empty()) return c.message();
  return c.message().empty() ? c.reason() : c.reason() + ": " + c.message();
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
  const v1::Condition* ready = FindCondition(object, "Ready");
  const v1::Condition* stalled = FindCondition(object, "Stalled");
  const v1::Condition* reconciling = FindCondition(object, "Reconciling");
  const bool has_conditions = ready || stalled || reconciling;
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
    if (stalled && stalled->status() == "True") return {Health::kFailed, Why(*stalled)};
    if (reconciling && reconciling->status() == "True")
      return {Health::kInProgress, Why(*reconciling)};
    if (ready) {
      if (ready->status() == "True") return {Health::kCurrent, ""};
      return {Health::kInProgress, Why(*ready)};
    }
  }
  return {Health::kCurrent, ""};
}

}  // namespace gantry::cli
