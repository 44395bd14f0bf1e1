#pragma once

// The agent's bearer token for gantryd. Never on the command line, where /proc/PID/cmdline shows
// it to every local user and every task: it comes from --token-file, a file only the agent's user
// may read, or from GANTRY_TOKEN in the agent's environment (which tasks never inherit).

#include <optional>
#include <string>

#include "api/status/status.h"

namespace gantry::agent {

// The token in `path`: a regular file owned by this process's effective user with no group or
// other permission bits (0600 or stricter), holding one token on one line (a trailing newline is
// ignored). kFailedPrecondition names the path and what is wrong.
api::StatusOr<std::string> ReadTokenFile(const std::string& path);

// The token from --token-file when given, else GANTRY_TOKEN when set (`env` is its value), else
// none. A GANTRY_TOKEN that is not one line is an error too.
api::StatusOr<std::optional<std::string>> LoadAgentToken(const std::string& token_file,
                                                         const char* env);

}  // namespace gantry::agent
