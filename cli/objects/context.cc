#include "cli/objects/context.h"

#include <cctype>
#include <cstdlib>
#include <ostream>

#include "api/clock/parse_duration.h"

namespace gantry::cli {

api::StatusOr<GlobalOptions> TakeGlobalOptions(std::vector<std::string>& args) {
  GlobalOptions g;
  if (const char* s = std::getenv("GANTRY_SERVER"); s && *s) g.server = s;
  if (const char* t = std::getenv("GANTRY_TOKEN"); t && *t) g.token = t;
  if (const char* c = std::getenv("GANTRY_CA"); c && *c) g.certificate_authority = c;
  if (const char* c = std::getenv("GANTRY_CLIENT_CERT"); c && *c) g.client_certificate = c;
  if (const char* k = std::getenv("GANTRY_CLIENT_KEY"); k && *k) g.client_key = k;
  const std::pair<const char*, std::string*> flags[] = {
      {"--token", &g.token},
      {"--certificate-authority", &g.certificate_authority},
      {"--client-certificate", &g.client_certificate},
      {"--client-key", &g.client_key},
  };
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    bool taken = false;
    if (FlagValue(args, i, "--server", "-s", value, error)) {
      taken = true;
      g.server = value;
    }
    for (const auto& [name, field] : flags) {
      if (taken) break;
      if (FlagValue(args, i, name, "", value, error)) {
        taken = true;
        *field = value;
      }
    }
    if (!error.empty()) return api::Status(api::Code::kInvalidArgument, error);
    if (!taken) rest.push_back(args[i]);
  }
  if (g.server.empty()) g.server = "http://127.0.0.1:7700";
  if (g.client_certificate.empty() != g.client_key.empty()) {
    return api::Status(api::Code::kInvalidArgument,
                       "--client-certificate and --client-key go together");
  }
  args = std::move(rest);
  return g;
}

api::StatusOr<client::Endpoint> GlobalOptions::ServerEndpoint() const {
  auto endpoint = client::ParseUrl(server);
  if (!endpoint.ok()) return endpoint.status();
  if (!endpoint->tls && (!certificate_authority.empty() || !client_certificate.empty())) {
    return api::Status(api::Code::kInvalidArgument,
                       "--certificate-authority and --client-certificate need an https:// server, "
                       "got " +
                           server);
  }
  endpoint->ca_file = certificate_authority;
  endpoint->cert_file = client_certificate;
  endpoint->key_file = client_key;
  return endpoint;
}

api::StatusOr<client::GantryClient> CommandContext::Client() const {
  auto endpoint = global.ServerEndpoint();
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

bool ParseDuration(const std::string& s, std::chrono::milliseconds& out) {
  return clock::ParseDuration(s, out);
}

}  // namespace gantry::cli
