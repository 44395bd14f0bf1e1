// gantryctl rollout status | history | undo service NAME.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ostream>
#include <thread>

#include "api/schema/kinds.h"
#include "cli/objects/printers.h"
#include "cli/services/commands.h"
#include "cli/services/rollout_progress.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::cli {
namespace {

constexpr std::chrono::milliseconds kPollEvery{250};
constexpr int kConflictRetries = 5;

struct RolloutArgs {
  std::string action;  // status | history | undo
  std::string name;
  std::chrono::milliseconds timeout{0};    // status: 0 waits as long as it takes
  std::string to_revision;                 // undo
  const schema::KindInfo* kind = nullptr;  // Service, or Environment (status only)
};

api::StatusOr<RolloutArgs> ParseArgs(const std::vector<std::string>& args) {
  const api::Status usage = api::InvalidArgument(
      "",
      "usage: gantryctl rollout status|history|undo service NAME [--timeout=DURATION] "
      "[--to-revision=N]");
  RolloutArgs out;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    if (FlagValue(args, i, "--timeout", "", value, error)) {
      if (!error.empty()) return api::InvalidArgument("", error);
      if (!ParseDuration(value, out.timeout))
        return api::InvalidArgument(
            "", "invalid --timeout \"" + value + "\" (use e.g. 30s, 5m, 500ms)");
    } else if (FlagValue(args, i, "--to-revision", "", value, error)) {
      if (!error.empty()) return api::InvalidArgument("", error);
      if (value.empty() || value.size() > 9 ||
          value.find_first_not_of("0123456789") != std::string::npos || value == "0")
        return api::InvalidArgument(
            "", "--to-revision must be a revision number, got \"" + value + "\"");
      out.to_revision = value;
    } else if (!args[i].empty() && args[i][0] == '-') {
      return api::InvalidArgument("", "unknown flag " + args[i]);
    } else {
      positional.push_back(args[i]);
    }
  }
  if (positional.size() == 2 && positional[1].find('/') != std::string::npos) {
    const std::string kn = positional[1];
    positional = {positional[0], kn.substr(0, kn.find('/')), kn.substr(kn.find('/') + 1)};
  }
  if (positional.size() != 3) return usage;
  out.action = positional[0];
  if (out.action != "status" && out.action != "history" && out.action != "undo") return usage;
  const schema::KindInfo* kind = schema::ResolveKind(positional[1]);
  if (!kind || (kind->kind != "Service" && kind->kind != "Environment"))
    return api::InvalidArgument(
        "", "rollout works on services and environments, not \"" + positional[1] + "\"");
  if (kind->kind == "Environment" && out.action != "status")
    return api::InvalidArgument("", "rollout " + out.action + " works on services only");
  out.kind = kind;
  out.name = positional[2];
  if (!out.to_revision.empty() && out.action != "undo")
    return api::InvalidArgument("", "--to-revision is for rollout undo");
  return out;
}

const schema::KindInfo& ServiceKind() { return *schema::FindKind("Service"); }

// Live on a terminal (one line rewritten), one line per change in a pipe or file.
int Status(const RolloutArgs& a, client::GantryClient& client, const CommandContext& ctx) {
  const bool terminal = &ctx.out == &std::cout && isatty(STDOUT_FILENO) == 1;
  const auto deadline = std::chrono::steady_clock::now() + a.timeout;
  std::string shown;
  auto show = [&](const std::string& line, bool last) {
    if (line == shown && !last) return;
    if (terminal) {
      ctx.out << "\r\033[K" << line << (last ? "\n" : "") << std::flush;
    } else if (line != shown) {
      ctx.out << line << "\n" << std::flush;
    }
    shown = line;
  };
  const bool environment = a.kind->kind == "Environment";
  while (true) {
    auto got = client.Get(*a.kind, a.name);
    if (!got.ok()) {
      if (terminal && !shown.empty()) ctx.out << "\n";
      return ReportError(ctx, got.status());
    }
    // What the spec resolves to now: a family may have gained a revision the service has not
    // started on yet.
    std::string reference = FieldText(**got, "spec.taskDefinition");
    reference = reference.substr(reference.rfind('/') + 1);
    auto definition = client.Get(*schema::FindKind("TaskDefinition"), reference);
    const std::string revision = definition.ok() ? FieldText(**definition, "metadata.name") : "";
    const RolloutProgress p = environment
                                  ? ProgressOf(static_cast<const v1::Environment&>(**got), revision)
                                  : ProgressOf(static_cast<const v1::Service&>(**got), revision);
    const bool finished = p.state != RolloutProgress::State::kWaiting;
    show(p.line, finished);
    if (p.state == RolloutProgress::State::kDone) return 0;
    if (p.state == RolloutProgress::State::kFailed) return 1;
    if (a.timeout.count() > 0 && std::chrono::steady_clock::now() >= deadline) {
      if (terminal) ctx.out << "\n";
      return ReportError(ctx, "timed out waiting for the rollout of " + a.kind->singular + " \"" +
                                  a.name + "\" to finish");
    }
    std::this_thread::sleep_for(kPollEvery);
  }
}

int History(const RolloutArgs& a, client::GantryClient& client, const CommandContext& ctx) {
  auto got = client.Get(ServiceKind(), a.name);
  if (!got.ok()) return ReportError(ctx, got.status());
  const auto& service = static_cast<const v1::Service&>(**got);
  ctx.out << "service/" << a.name << "\n";
  std::vector<std::vector<std::string>> rows{
      {"REVISION", "DEPLOYMENT", "STATUS", "STARTED", "FINISHED", "REASON"}};
  // Oldest first, as kubectl lists revisions.
  const auto& history = service.status().history();
  for (int i = history.size() - 1; i >= 0; --i) {
    const auto& r = history[i];
    std::string finished = !r.finished_at().empty() ? r.finished_at() : r.stopped_at();
    rows.push_back({r.target_revision(), r.id(), r.status(), r.started_at(),
                    finished.empty() ? "-" : finished,
                    r.status_reason().empty() ? "-" : r.status_reason()});
  }
  PrintRows(rows, ctx.out);
  return 0;
}

// The revision a deployment left running when it completed, or "".
std::string CompletedRevision(const v1::ServiceDeploymentRecord& r) {
  if (r.status() == "SUCCESSFUL") return r.target_revision();
  if (r.status() == "ROLLBACK_SUCCESSFUL") return r.rollback_revision();
  return "";
}

int Undo(const RolloutArgs& a, client::GantryClient& client, const CommandContext& ctx) {
  for (int attempt = 0;; ++attempt) {
    auto got = client.Get(ServiceKind(), a.name);
    if (!got.ok()) return ReportError(ctx, got.status());
    v1::Service service = static_cast<const v1::Service&>(**got);  // resourceVersion pinned
    std::string running;
    for (const auto& d : service.status().deployments())
      if (d.status() == "PRIMARY") running = d.task_definition();
    std::string target;
    if (!a.to_revision.empty()) {
      // The family the service runs (its spec may name it by family, revision or ARN).
      std::string reference = running.empty() ? service.spec().task_definition() : running;
      reference = reference.substr(reference.rfind('/') + 1);
      target = reference.substr(0, reference.find(':')) + ":" + a.to_revision;
      auto exists = client.Get(*schema::FindKind("TaskDefinition"), target);
      if (!exists.ok()) {
        return ReportError(
            ctx, "task definition " + target + " not found: " + ServerErrorText(exists.status()));
      }
    } else {
      // The newest completed deployment that ran something else than what runs now.
      for (const auto& r : service.status().history()) {
        const std::string done = CompletedRevision(r);
        if (!done.empty() && done != running) {
          target = done;
          break;
        }
      }
      if (target.empty()) {
        return ReportError(
            ctx, "service \"" + a.name + "\" has no earlier completed revision to roll back to");
      }
    }
    if (target == service.spec().task_definition()) {
      ctx.out << "service/" << a.name << " skipped rollback (current spec is " << target << ")\n";
      return 0;
    }
    service.clear_status();
    service.mutable_spec()->set_task_definition(target);
    auto applied = client.Apply(ServiceKind(), service, {.field_manager = "gantryctl-rollout"});
    if (applied.ok()) {
      ctx.out << "service/" << a.name << " rolled back to " << target << "\n";
      return 0;
    }
    if (applied.status().code() != api::Code::kAborted || attempt + 1 >= kConflictRetries)
      return ReportError(ctx, applied.status());
  }
}

}  // namespace

int RunRollout(const std::vector<std::string>& args, const CommandContext& ctx) {
  auto parsed = ParseArgs(args);
  if (!parsed.ok()) return ReportError(ctx, parsed.status().message());
  auto client = ctx.Client();
  if (!client.ok()) return ReportError(ctx, client.status());
  if (parsed->action == "status") return Status(*parsed, *client, ctx);
  if (parsed->action == "history") return History(*parsed, *client, ctx);
  return Undo(*parsed, *client, ctx);
}

}  // namespace gantry::cli
