// status -f FILE|DIR|- [-R] [--wait] [--timeout=D]
//
// The kstatus health of every object the manifests name (cli/objects/health.h), as a table;
// exit 0 when every one is Current. --wait polls until they all are (0), one is Failed or the
// timeout passes (1), with progress on a terminal.

#include <chrono>
#include <thread>

#include "cli/objects/commands.h"
#include "cli/objects/health.h"
#include "cli/objects/manifests.h"
#include "cli/objects/printers.h"
#include "cli/objects/terminal_progress.h"

namespace gantry::cli {
namespace {

constexpr const char* kUsage = "usage: gantryctl status -f FILE|DIR|- [-R] [--wait] [--timeout=D]";
constexpr std::chrono::milliseconds kPollEvery{500};

struct Row {
  std::string object;  // kind/name
  ObjectHealth health;
};

}  // namespace

int RunStatus(const std::vector<std::string>& args, const CommandContext& ctx) {
  std::vector<std::string> files;
  bool recursive = false, wait = false;
  std::string timeout_text = "5m";
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    if (FlagValue(args, i, "--filename", "-f", value, error)) {
      if (!error.empty()) return ReportError(ctx, error);
      files.push_back(value);
    } else if (FlagValue(args, i, "--timeout", "", value, error)) {
      if (!error.empty()) return ReportError(ctx, error);
      timeout_text = value;
    } else if (args[i] == "-R" || args[i] == "--recursive") {
      recursive = true;
    } else if (args[i] == "--wait") {
      wait = true;
    } else {
      return ReportError(ctx, "unexpected argument '" + args[i] + "' (" + kUsage + ")");
    }
  }
  if (files.empty()) return ReportError(ctx, std::string("status needs -f (") + kUsage + ")");
  std::chrono::milliseconds timeout;
  if (!ParseDuration(timeout_text, timeout))
    return ReportError(ctx, "invalid --timeout \"" + timeout_text + "\" (use e.g. 30s, 5m)");
  auto manifests = ReadManifests(files, recursive);
  if (!manifests.ok()) return ReportError(ctx, manifests.status().ToString());
  auto client = ctx.Client();
  if (!client.ok()) return ReportError(ctx, client.status());

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  TerminalProgress progress(ctx.out);
  while (true) {
    std::vector<Row> rows;
    int current = 0;
    bool failed = false;
    for (const auto& m : *manifests) {
      const std::string name = FieldText(*m.object, "metadata.name");
      Row row{m.kind->singular + "/" + name, {}};
      auto live = client->Get(*m.kind, name);
      if (!live.ok() && live.status().code() == api::Code::kNotFound) {
        row.health = {Health::kNotFound, "not in the cluster"};
      } else if (!live.ok()) {
        progress.Clear();
        return ReportError(ctx, live.status());
      } else {
        row.health = HealthOf(m.kind->kind, **live);
      }
      current += row.health.health == Health::kCurrent;
      failed |= row.health.health == Health::kFailed;
      rows.push_back(std::move(row));
    }
    const bool all_current = current == static_cast<int>(rows.size());
    const bool timed_out = std::chrono::steady_clock::now() >= deadline;
    if (!wait || all_current || failed || timed_out) {
      progress.Clear();
      std::vector<std::vector<std::string>> table{{"OBJECT", "STATUS", "MESSAGE"}};
      for (const Row& r : rows) {
        table.push_back({r.object, HealthName(r.health.health),
                         r.health.message.empty() ? "-" : r.health.message});
      }
      PrintRows(table, ctx.out);
      if (wait && !all_current && !failed)
        return ReportError(ctx, "timed out: " + std::to_string(current) + " of " +
                                    std::to_string(rows.size()) + " objects Current");
      return all_current ? 0 : 1;
    }
    progress.Show(std::to_string(current) + " of " + std::to_string(rows.size()) +
                  " objects Current...");
    std::this_thread::sleep_for(kPollEvery);
  }
}

}  // namespace gantry::cli
