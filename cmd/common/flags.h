#pragma once

// Command-line pieces the thin mains share: one flag at a time ("--name=value" or
// "--name value"), and durations.

#include <chrono>
#include <string>
#include <vector>

namespace gantry::cmd {

enum class FlagResult { kFlag, kHelp, kMissingValue };

// Reads the flag at args[i] into `name` and `value`, advancing `i` past a separate value.
// kHelp for -h/--help; kMissingValue when the last flag has no value.
FlagResult NextFlag(const std::vector<std::string>& args, size_t& i, std::string& name,
                    std::string& value);

// "500ms", "90s", "10m", "1h", or plain seconds ("30"); must be positive.
bool ParseDuration(const std::string& text, std::chrono::milliseconds& out);

// ParseDuration for flags counted in whole seconds: "90s", "10m", "1h" or "30".
bool ParseSeconds(const std::string& text, std::chrono::seconds& out);

}  // namespace gantry::cmd
