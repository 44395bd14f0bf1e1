// gantryctl scale service NAME --replicas N: the Service's desiredCount, written against the
// version read (retried when another writer got in between: UpdateObject).

#include <ostream>

#include "api/schema/kinds.h"
#include "cli/objects/update_object.h"
#include "cli/services/commands.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::cli {
namespace {

constexpr int kMaxReplicas = 100'000;  // validation's bound on desiredCount

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
  auto scaled = UpdateObject(
      *client, *kind, positional[1], "gantryctl-scale", [&](google::protobuf::Message& m) {
        static_cast<v1::Service&>(m).mutable_spec()->set_desired_count(replicas);
      });
  if (!scaled.ok()) return ReportError(ctx, scaled);
  ctx.out << "service/" << positional[1] << " scaled\n";
  return 0;
}

}  // namespace gantry::cli
