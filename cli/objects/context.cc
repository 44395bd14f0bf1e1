#include "cli/objects/context.h"

#include <cstdlib>
#include <ostream>

namespace gantry::cli {

api::StatusOr<GlobalOptions> TakeGlobalOptions(std::vector<std::string>& args) {
  GlobalOptions g;
  if (const char* s = std::getenv("GANTRY_SERVER"); s && *s) g.server = s;
  if (const char* t = std::getenv("GANTRY_TOKEN"); t && *t) g.token = t;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    if (FlagValue(args, i, "--server", "-s", value, error)) {
      if (!error.empty()) return api::Status(api::Code::kInvalidArgument, error);
      g.server = value;
    } else if (FlagValue(args, i, "--token", "", value, error)) {
      if (!error.empty()) return api::Status(api::Code::kInvalidArgument, error);
      g.token = value;
    } else {
      rest.push_back(args[i]);
    }
  }
  if (g.server.empty()) g.server = "http://127.0.0.1:7700";
  args = std::move(rest);
  return g;
}

api::StatusOr<client::GantryClient> CommandContext::Client() const {
  auto endpoint = client::ParseUrl(global.server);
  if (!endpoint.ok()) return endpoint.status();
  return client::GantryClient(client::HttpClient(*endpoint, global.token));
}

std::string ServerErrorText(const api::Status& status) {
  switch (status.code()) {
    case api::Code::kUnavailable:
      return status.message();
    case api::Code::kInvalidArgument:
      return "Error from server (Invalid): " + status.ToString();
    default:
      return std::string("Error from server (") + api::HttpReason(status.code()) +
             "): " + status.ToString();
  }
}

int ReportError(const CommandContext& ctx, const api::Status& status) {
  return ReportError(ctx, ServerErrorText(status));
}

int ReportError(const CommandContext& ctx, const std::string& message) {
  std::string line = message;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  ctx.err << (line.rfind("Error", 0) == 0 ? "" : "error: ") << line << "\n";
  return 1;
}

bool FlagValue(const std::vector<std::string>& args, size_t& i, const std::string& long_name,
               const std::string& short_name, std::string& value, std::string& error) {
  const std::string& a = args[i];
  for (const std::string& name : {long_name, short_name}) {
    if (name.empty()) continue;
    if (a == name) {
      if (i + 1 >= args.size()) {
        error = name + " needs a value";
        return true;
      }
      value = args[++i];
      return true;
    }
    if (a.rfind(name + "=", 0) == 0) {
      value = a.substr(name.size() + 1);
      return true;
    }
  }
  return false;
}

}  // namespace gantry::cli
