#include <strings.h>

#include <algorithm>
#include <chrono>
#include <ostream>
#include <thread>

#include "cli/objects/commands.h"
#include "cli/objects/conditions.h"
#include "cli/objects/printers.h"
#include "cli/objects/terminal_progress.h"

namespace gantry::cli {
namespace {

// Whether the object has condition `type` with `status` (both compared without regard to case).
bool HasCondition(const google::protobuf::Message& o, const std::string& type,
                  const std::string& status) {
  const v1::Condition* c = FindCondition(o, type);
  return c && strcasecmp(c->status().c_str(), status.c_str()) == 0;
}

// What the condition says now, for the progress line: Ready=False (Deploying): 1 of 2 ...
std::string ConditionNow(const google::protobuf::Message& o, const std::string& type) {
  const v1::Condition* c = FindCondition(o, type);
  if (!c) return type + " not reported yet";
  std::string line = c->type() + "=" + c->status();
  if (!c->reason().empty()) line += " (" + c->reason() + ")";
  if (!c->message().empty()) line += ": " + c->message();
  return line;
}

}  // namespace

// wait KIND NAME --for=condition=TYPE[=STATUS] | --for=jsonpath='{.PATH}'[=VALUE] | --for=delete
//      [--timeout=DURATION]
int RunWait(const std::vector<std::string>& args, const CommandContext& ctx) {
  std::vector<std::string> positional;
  std::string for_text, timeout_text = "30s";
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    if (FlagValue(args, i, "--for", "", value, error)) {
      if (!error.empty()) return ReportError(ctx, error);
      for_text = value;
    } else if (FlagValue(args, i, "--timeout", "", value, error)) {
      if (!error.empty()) return ReportError(ctx, error);
      timeout_text = value;
    } else if (!args[i].empty() && args[i][0] == '-') {
      return ReportError(ctx, "unknown flag " + args[i]);
    } else {
      positional.push_back(args[i]);
    }
  }
  if (positional.size() == 1 && positional[0].find('/') != std::string::npos) {
    std::string kn = positional[0];
    positional = {kn.substr(0, kn.find('/')), kn.substr(kn.find('/') + 1)};
  }
  if (positional.size() != 2 || for_text.empty()) {
    return ReportError(ctx,
                       "usage: gantryctl wait KIND NAME --for=condition=Ready|jsonpath='{.PATH}'=V "
                       "[--timeout=30s]");
  }
  const schema::KindInfo* kind = schema::ResolveKind(positional[0]);
  if (!kind)
    return ReportError(ctx, "the server doesn't have a resource type \"" + positional[0] + "\"");
  std::chrono::milliseconds timeout;
  if (!ParseDuration(timeout_text, timeout)) {
    return ReportError(ctx, "invalid --timeout \"" + timeout_text + "\" (use e.g. 30s, 5m, 500ms)");
  }
  bool for_delete = for_text == "delete";
  // --for=jsonpath='{.status.runningCount}'=3 (kubectl's form; the quotes are the shell's).
  const bool for_path = for_text.rfind("jsonpath=", 0) == 0;
  std::string path, path_value;
  bool path_needs_value = false;
  if (for_path) {
    std::string expr = for_text.substr(9);
    if (expr.size() < 3 || expr[0] != '{' || expr[1] != '.' || expr.find('}') == std::string::npos)
      return ReportError(
          ctx, "--for=jsonpath needs a path like '{.status.runningCount}', got \"" + expr + "\"");
    const size_t close = expr.find('}');
    path = expr.substr(2, close - 2);
    if (close + 1 < expr.size()) {
      if (expr[close + 1] != '=')
        return ReportError(ctx, "--for=jsonpath: expected '=' after the path in \"" + expr + "\"");
      path_needs_value = true;
      path_value = expr.substr(close + 2);
    }
  }
  std::string type, want = "True";
  if (!for_delete && !for_path) {
    if (for_text.rfind("condition=", 0) != 0 || for_text.size() == 10) {
      return ReportError(
          ctx, "--for must be condition=TYPE[=STATUS] or delete, got \"" + for_text + "\"");
    }
    type = for_text.substr(10);
    if (size_t eq = type.find('='); eq != std::string::npos) {
      want = type.substr(eq + 1);
      type = type.substr(0, eq);
    }
  }
  auto client = ctx.Client();
  if (!client.ok()) return ReportError(ctx, client.status());
  const std::string& name = positional[1];
  auto deadline = std::chrono::steady_clock::now() + timeout;
  TerminalProgress progress(ctx.out);  // what it waits on, live on a terminal only
  while (true) {
    auto object = client->Get(*kind, name);
    if (for_delete) {
      if (!object.ok() && object.status().code() == api::Code::kNotFound) {
        progress.Clear();
        ctx.out << kind->singular << "/" << name << " deleted\n";
        return 0;
      }
    } else if (for_path && object.ok()) {
      const std::string now = FieldText(**object, path);
      if (path_needs_value ? now == path_value : !now.empty()) {
        progress.Clear();
        ctx.out << kind->singular << "/" << name << " condition met\n";
        return 0;
      }
    } else if (!for_path && object.ok() && HasCondition(**object, type, want)) {
      progress.Clear();
      ctx.out << kind->singular << "/" << name << " condition met\n";
      return 0;
    }
    if (!object.ok() && object.status().code() != api::Code::kNotFound) {
      progress.Clear();
      return ReportError(ctx, object.status());
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      progress.Clear();
      return ReportError(ctx,
                         "timed out waiting for the condition on " + kind->singular + "/" + name);
    }
    progress.Show("waiting for " + kind->singular + "/" + name + ": " +
                  (for_delete     ? std::string("still there")
                   : !object.ok() ? std::string("not found yet")
                   : for_path     ? path + " is \"" + FieldText(**object, path) + "\""
                                  : ConditionNow(**object, type)));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace gantry::cli
