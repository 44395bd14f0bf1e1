// logs TASK [-f] [--container NAME]: a task's output from
// GET /apis/gantry.dev/v1/tasks/TASK/log[?follow=true][&container=NAME] (text/plain). With -f the
// server keeps the response open until the task has stopped and its agent has shipped all of it;
// bytes are written as they arrive, partial lines included, so the output is live.

#include <ostream>

#include "cli/fleet/commands.h"
#include "cli/fleet/internal/ecs_call.h"
#include "cli/fleet/internal/http_exchange.h"

namespace gantry::cli {

int RunLogs(const std::vector<std::string>& args, const CommandContext& ctx) {
  constexpr const char* kUsage = "usage: gantryctl logs TASK [-f] [--container NAME]";
  std::string container;
  bool follow = false;
  std::vector<std::string> tasks;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    if (FlagValue(args, i, "--container", "-c", value, error)) {
      if (!error.empty()) return ReportError(ctx, error);
      container = value;
    } else if (args[i] == "-f" || args[i] == "--follow" || args[i] == "--follow=true") {
      follow = true;
    } else if (args[i] == "--follow=false") {
      follow = false;
    } else if (args[i].starts_with("-")) {
      return ReportError(ctx, "unknown flag " + args[i] + " (" + kUsage + ")");
    } else {
      tasks.push_back(args[i]);
    }
  }
  if (tasks.size() != 1) return ReportError(ctx, kUsage);
  const std::string id = fleet_internal::IdOf(tasks[0]);

  auto endpoint = ctx.global.ServerEndpoint();
  if (!endpoint.ok()) return ReportError(ctx, endpoint.status().message());
  fleet_internal::HttpRequestSpec request;
  request.path_and_query = "/apis/gantry.dev/v1/tasks/" + client::UrlEncode(id) + "/log";
  std::string query;
  if (follow) query += "&follow=true";
  if (!container.empty()) query += "&container=" + client::UrlEncode(container);
  if (!query.empty()) request.path_and_query += "?" + query.substr(1);
  request.accept = "text/plain";
  fleet_internal::HttpTimeouts timeouts;
  // A following task may be quiet for a long time; the server holds the response open.
  if (follow) timeouts.idle = std::chrono::hours(24);

  bool output_failed = false;
  auto reply = fleet_internal::Exchange(
      *endpoint, ctx.global.token, request, timeouts, [&](std::string_view piece) {
        ctx.out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
        ctx.out.flush();
        output_failed = !ctx.out.good();
        return !output_failed;  // e.g. `| head` has exited
      });
  if (!reply.ok()) {
    return ReportError(ctx, fleet_internal::TransportErrorText(reply.status().message()));
  }
  if (reply->status == 404) return ReportError(ctx, "task \"" + id + "\" not found");
  if (reply->status < 200 || reply->status >= 300) {
    return ReportError(ctx, client::StatusFromResponse(*reply));
  }
  return output_failed ? 1 : 0;
}

}  // namespace gantry::cli
