#include "cli/help/version_command.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

namespace gantry::cli {

int RunVersion(const std::vector<std::string>& args, const CommandContext& ctx) {
  bool client_only = false;
  for (const auto& a : args) {
    if (a == "--client") {
      client_only = true;
    } else {
      return ReportError(ctx,
                         "unexpected argument \"" + a + "\" (usage: gantryctl version [--client])");
    }
  }
  ctx.out << "Client Version: " GANTRY_VERSION "\n";
  if (client_only) return 0;
  auto client = ctx.Client();
  if (!client.ok()) return ReportError(ctx, client.status());
  auto answer = client->http().Request("GET", "/version", "");
  if (!answer.ok()) return ReportError(ctx, answer.status());
  if (answer->status != 200) return ReportError(ctx, client::StatusFromResponse(*answer));
  google::protobuf::Struct parsed;
  const bool readable = google::protobuf::util::JsonStringToMessage(answer->body, &parsed).ok() &&
                        parsed.fields().count("gantryd") > 0 &&
                        parsed.fields().at("gantryd").has_string_value();
  if (!readable)
    return ReportError(ctx, "the server's /version answer is not readable: " + answer->body);
  ctx.out << "Server Version: " << parsed.fields().at("gantryd").string_value() << "\n";
  return 0;
}

}  // namespace gantry::cli
