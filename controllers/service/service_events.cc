#include "controllers/service/service_events.h"

#include <cstdint>

#include "api/uid/uid.h"

namespace gantry::controllers::service {
namespace {

constexpr size_t kTasksListed = 10;

uint64_t Fnv1a(const std::string& text, uint64_t h) {
  for (unsigned char ch : text) h = (h ^ ch) * 1099511628211ULL;
  return h;
}

// A UUID-shaped id, as ECS gives its service events, from what the event says and when.
std::string EventId(const std::string& message, const std::string& now, int count) {
  const uint64_t a = Fnv1a(message, Fnv1a(now, 1469598103934665603ULL));
  const uint64_t b = Fnv1a(std::to_string(count), a ^ 0x9e3779b97f4a7c15ULL);
  return uid::FormatUuid(a, b);
}

}  // namespace

void AddServiceEvent(v1::ServiceStatus& status, const std::string& message,
                     const std::string& now) {
  if (!status.events().empty() && status.events(0).message() == message) return;
  auto& events = *status.mutable_events();
  v1::ServiceEvent e;
  e.set_id(EventId(message, now, events.size()));
  e.set_created_at(now);
  e.set_message(message);
  events.Add(std::move(e));
  for (int i = events.size() - 1; i > 0; --i) events.SwapElements(i, i - 1);
  while (events.size() > kServiceEventLimit) events.RemoveLast();
}

std::string TasksMessage(const std::string& service, const std::string& verb,
                         const std::vector<std::string>& tasks) {
  std::string m = "(service " + service + ") has " + verb + " " + std::to_string(tasks.size()) +
                  (tasks.size() == 1 ? " task:" : " tasks:");
  for (size_t i = 0; i < tasks.size() && i < kTasksListed; ++i) m += " (task " + tasks[i] + ")";
  if (tasks.size() > kTasksListed)
    m += " and " + std::to_string(tasks.size() - kTasksListed) + " more";
  return m + ".";
}

std::vector<DeploymentMessage> DeploymentMessages(
    const std::string& service,
    const google::protobuf::RepeatedPtrField<v1::ServiceDeploymentRecord>& before,
    const google::protobuf::RepeatedPtrField<v1::ServiceDeploymentRecord>& after) {
  std::vector<DeploymentMessage> messages;
  if (after.empty()) return messages;
  const auto& now = after[0];
  std::string was;
  for (const auto& r : before)
    if (r.id() == now.id()) was = r.status();
  if (was == now.status()) return messages;
  const std::string prefix = "(service " + service + ") (deployment " + now.id() + ") ";
  const std::string& s = now.status();
  if (s == "IN_PROGRESS" && was.empty()) {
    messages.push_back({false, "DeploymentStarted",
                        prefix + "deployment started: " + now.target_revision() + "."});
  } else if (s == "SUCCESSFUL") {
    messages.push_back({false, "DeploymentCompleted", prefix + "deployment completed."});
  } else if (s == "ROLLBACK_IN_PROGRESS") {
    messages.push_back(
        {true, "DeploymentFailed", prefix + "deployment failed: " + now.status_reason() + "."});
    messages.push_back({false, "RollingBack",
                        "(service " + service + ") rolling back to deployment " +
                            now.rollback_deployment() + "."});
  } else if (s == "ROLLBACK_SUCCESSFUL") {
    messages.push_back({false, "RollbackCompleted",
                        prefix + "rollback to " + now.rollback_revision() + " completed."});
  } else if (s == "ROLLBACK_FAILED" || s == "STOPPED") {
    messages.push_back(
        {true, "DeploymentFailed", prefix + "deployment failed: " + now.status_reason() + "."});
  }
  return messages;
}

}  // namespace gantry::controllers::service
