#include "api/rest/task_log_route.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "api/fleet/task_log_reader.h"
#include "api/rest/rest_handler.h"

namespace gantry::rest {

bool TaskLogRoute(const HttpRequest& r, const api::Principal* who, HttpResponse& out,
                  const fleet::TaskLogStore& logs, const fleet::FleetView& fleet,
                  const fleet::TaskService& tasks) {
  static const std::string kPrefix = "/apis/gantry.dev/v1/tasks/";
  static const std::string kSuffix = "/log";
  // r.path is decoded: %2e%2e and %2F arrive here as ".." and "/".
  if (r.path.size() <= kPrefix.size() + kSuffix.size() || !r.path.starts_with(kPrefix) ||
      !r.path.ends_with(kSuffix)) {
    return false;
  }
  using api::Code;
  using api::Status;
  if (who && who->role == api::Role::kAgent) {
    out = ErrorResponse(
        api::Status(api::Code::kPermissionDenied,
                    "user \"" + who->user + "\" (agent) ships task output; it does not read it"));
    return true;
  }
  std::string id = r.path.substr(kPrefix.size(), r.path.size() - kPrefix.size() - kSuffix.size());
  if (!fleet::SafePathComponent(id)) {
    out = ErrorResponse(api::InvalidArgument(
        "task", "not a valid task id (letters, digits, '-', '_' and '.', not \".\" or \"..\")"));
    return true;
  }
  (void)fleet.AwaitNotedWrites();  // `gantryctl logs` right after RunTask finds its task
  fleet::TaskPtr task = fleet.Task(id);
  if (!task) {
    out = ErrorResponse(api::Status(api::Code::kNotFound, "task \"" + id + "\" not found"));
    return true;
  }
  auto query = [&](const char* k) -> std::optional<std::string> {
    auto it = r.query.find(k);
    if (it == r.query.end()) return std::nullopt;
    return it->second;
  };
  std::string container = query("container").value_or("");
  if (query("container")) {
    if (!fleet::SafePathComponent(container)) {
      out = ErrorResponse(api::InvalidArgument(
          "container",
          "not a valid container name (letters, digits, '-', '_' and '.', up to "
          "255 characters, not \".\" or \"..\")"));
      return true;
    }
    // The definition says which containers there are; without it (deleted since) any valid
    // name is looked up.
    if (auto names = tasks.ContainerNames(*task); names.ok()) {
      if (std::find(names->begin(), names->end(), container) == names->end()) {
        std::string list;
        for (const auto& n : *names) list += (list.empty() ? "" : ", ") + n;
        out = ErrorResponse(api::InvalidArgument(
            "container",
            "task " + id + " has no container '" + container + "' (it has " + list + ")"));
        return true;
      }
    }
  }
  std::string follow = query("follow").value_or("");
  auto reader = std::make_shared<fleet::TaskLogReader>(logs, fleet, id, container,
                                                       follow == "true" || follow == "1");
  out.status = 200;
  out.content_type = "text/plain; charset=utf-8";
  out.long_lived = follow == "true" || follow == "1";
  out.stream = [reader](std::string& chunk) {
    switch (reader->Next(chunk)) {
      case fleet::TaskLogReader::Poll::kData:
        return HttpResponse::StreamPoll::kData;
      case fleet::TaskLogReader::Poll::kIdle:
        return HttpResponse::StreamPoll::kIdle;
      case fleet::TaskLogReader::Poll::kEnd:
        break;
    }
    return HttpResponse::StreamPoll::kEnd;
  };
  return true;
}

}  // namespace gantry::rest
