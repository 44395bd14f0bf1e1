#pragma once

// gantryd's directories hold every secret (the database) and every task's output: only their
// owner may enter them.

#include <string>

#include "api/status/status.h"

namespace gantry::fleet {

// Creates `path` (and missing parents, with the usual modes) as a directory of mode 0700. An
// existing directory with a wider mode is tightened to 0700 rather than refused, so an install
// made before this rule becomes private on its next start. kFailedPrecondition naming the path
// when it is not a directory or its mode cannot be changed (another user's directory).
api::Status EnsurePrivateDir(const std::string& path);

}  // namespace gantry::fleet
