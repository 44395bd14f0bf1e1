// gantryctl sync NAME [--timeout=2m] [--no-wait]: asks the Sync controller for a pass now (the
// annotation gantry.dev/sync-requested-at, written against the version read), then waits until
// the controller has answered that request and says how it went.

#include <chrono>
#include <ostream>
#include <thread>

#include "api/clock/format_time.h"
#include "api/schema/kinds.h"
#include "cli/objects/commands.h"
#include "cli/objects/conditions.h"
#include "cli/objects/update_object.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::cli {
namespace {

constexpr const char* kRequestedAt = "gantry.dev/sync-requested-at";
constexpr auto kPoll = std::chrono::milliseconds(250);

// RFC 3339 with milliseconds (2026-12-07T13:36:34.618Z), so two requests within a second differ.
std::string RequestStamp() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::string stamp = clock::FormatTime(now);  // ...:34Z
  std::string fraction = std::to_string(ms);
  fraction.insert(0, 3 - fraction.size(), '0');
  stamp.insert(stamp.size() - 1, "." + fraction);
  return stamp;
}

}  // namespace

int RunSync(const std::vector<std::string>& args, const CommandContext& ctx) {
  std::vector<std::string> positional;
  std::chrono::milliseconds timeout = std::chrono::minutes(2);
  bool wait = true;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    if (FlagValue(args, i, "--timeout", "", value, error)) {
      if (!error.empty()) return ReportError(ctx, error);
      if (!ParseDuration(value, timeout))
        return ReportError(ctx, "--timeout must be a duration such as 30s or 5m, got " + value);
    } else if (args[i] == "--no-wait") {
      wait = false;
    } else if (!args[i].empty() && args[i][0] == '-') {
      return ReportError(ctx, "unknown flag " + args[i]);
    } else {
      positional.push_back(args[i]);
    }
  }
  if (positional.size() != 1)
    return ReportError(ctx, "usage: gantryctl sync NAME [--timeout=2m] [--no-wait]");
  const std::string& name = positional[0];
  const schema::KindInfo& kind = *schema::FindKind("Sync");
  auto client = ctx.Client();
  if (!client.ok()) return ReportError(ctx, client.status());

  const std::string stamp = RequestStamp();
  auto asked =
      UpdateObject(*client, kind, name, "gantryctl-sync", [&](google::protobuf::Message& sync) {
        (*schema::MutableMetaOf(sync)->mutable_annotations())[kRequestedAt] = stamp;
      });
  if (!asked.ok()) return ReportError(ctx, asked);
  if (!wait) {
    ctx.out << "sync/" << name << " asked\n";
    return 0;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto got = client->Get(kind, name);
    if (!got.ok()) return ReportError(ctx, got.status());
    const auto& sync = static_cast<const v1::Sync&>(**got);
    if (sync.status().last_handled_request() == stamp) {
      const v1::Condition* ready = FindCondition(sync, "Ready");
      const bool ok = ready && ready->status() == "True";
      ctx.out << "sync/" << name << ": " << (ready ? ready->message() : "no status") << "\n";
      return ok ? 0 : 1;
    }
    std::this_thread::sleep_for(kPoll);
  }
  return ReportError(ctx, "sync/" + name + ": the controller did not answer within the timeout");
}

}  // namespace gantry::cli
