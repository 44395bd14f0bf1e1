#pragma once

// What every object verb needs: where the server is, and the streams to write to.

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

#include "api/client/gantry_client.h"
#include "api/status/status.h"

namespace gantry::cli {

struct GlobalOptions {
  std::string server;  // --server, else GANTRY_SERVER, else http://127.0.0.1:7700
  std::string token;   // --token, else GANTRY_TOKEN
  // kubectl's names for an https:// server: the CA that signed its certificate (else the system
  // trust store) and an optional client certificate with its key.
  std::string certificate_authority{};  // --certificate-authority, else GANTRY_CA
  std::string client_certificate{};     // --client-certificate, else GANTRY_CLIENT_CERT
  std::string client_key{};             // --client-key, else GANTRY_CLIENT_KEY

  // The server URL with the TLS files applied.
  api::StatusOr<client::Endpoint> ServerEndpoint() const;
};

// Removes the global flags (--server, --token, --certificate-authority, --client-certificate,
// --client-key; anywhere on the line) from `args` into the result.
api::StatusOr<GlobalOptions> TakeGlobalOptions(std::vector<std::string>& args);

struct CommandContext {
  GlobalOptions global;
  std::ostream& out;
  std::ostream& err;
  api::StatusOr<client::GantryClient> Client() const;
};

// Prints "error: ..." (one line) and returns exit code 1.
int ReportError(const CommandContext& ctx, const api::Status& status);
int ReportError(const CommandContext& ctx, const std::string& message);
// kubectl's wording for server errors: Error from server (NotFound): service "web" not found
std::string ServerErrorText(const api::Status& status);

// A duration as kubectl writes them: 500ms, 30s (or 30), 5m, 1h. False when it is not one.
bool ParseDuration(const std::string& text, std::chrono::milliseconds& out);

// Reads the value of a flag given as `--name value`, `--name=value` or `-n value`.
// Returns false when args[i] is not that flag; on success advances i past the value.
bool FlagValue(const std::vector<std::string>& args, size_t& i, const std::string& long_name,
               const std::string& short_name, std::string& value, std::string& error);

}  // namespace gantry::cli
