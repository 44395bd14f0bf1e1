// gantryctl scale service NAME --replicas N: the Service's desiredCount, written against the
// version read (retried when another writer got in between).

#include <ostream>

#include "api/schema/kinds.h"
#include "cli/services/commands.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::cli {
namespace {

constexpr int kMaxReplicas = 100'000;  // validation's bound on desiredCount
constexpr int kConflictRetries = 5;

}  // namespace

int RunScale(const std::vector<std::string>& args, const CommandContext& ctx) {
  std::vector<std::string> positional;
  std::string replicas_text;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    if (FlagValue(args, i, "--replicas", "", value, error)) {
      if (!error.empty()) return ReportError(ctx, error);
      replicas_text = value;
    } else if (!args[i].empty() && args[i][0] == '-') {
      return ReportError(ctx, "unknown flag " + args[i]);
    } else {
      positional.push_back(args[i]);
    }
  }
  if (positional.size() == 1 && positional[0].find('/') != std::string::npos) {
    const std::string kn = positional[0];
    positional = {kn.substr(0, kn.find('/')), kn.substr(kn.find('/') + 1)};
  }
  if (positional.size() != 2 || replicas_text.empty())
    return ReportError(ctx, "usage: gantryctl scale service NAME --replicas N");
  const schema::KindInfo* kind = schema::ResolveKind(positional[0]);
  if (!kind || kind->kind != "Service")
    return ReportError(ctx, "scale works on services, not \"" + positional[0] + "\"");
  int replicas = -1;
  if (replicas_text.size() <= 6 &&
      replicas_text.find_first_not_of("0123456789") == std::string::npos) {
    replicas = std::stoi(replicas_text);
  }
  if (replicas < 0 || replicas > kMaxReplicas) {
    return ReportError(ctx, "--replicas must be a whole number from 0 to " +
                                std::to_string(kMaxReplicas) + ", got \"" + replicas_text + "\"");
  }
  auto client = ctx.Client();
  if (!client.ok()) return ReportError(ctx, client.status());
  for (int attempt = 0;; ++attempt) {
    auto got = client->Get(*kind, positional[1]);
    if (!got.ok()) return ReportError(ctx, got.status());
    v1::Service service = static_cast<const v1::Service&>(**got);  // resourceVersion pinned
    service.clear_status();
    service.mutable_spec()->set_desired_count(replicas);
    auto applied = client->Apply(*kind, service);
    if (applied.ok()) {
      ctx.out << "service/" << positional[1] << " scaled\n";
      return 0;
    }
    if (applied.status().code() != api::Code::kAborted || attempt + 1 >= kConflictRetries)
      return ReportError(ctx, applied.status());
  }
}

}  // namespace gantry::cli
