#pragma once

// What the thin mains share: one flag at a time ("--name=value" or "--name value"), durations,
// and the stop signals.

#include <signal.h>

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

// Blocks SIGINT and SIGTERM in the calling thread (call it before any thread starts, so every
// thread inherits the mask) and ignores SIGPIPE. Returns the set to sigwait on.
sigset_t BlockStopSignals();

// Waits for SIGINT or SIGTERM (blocked by BlockStopSignals) and returns "SIGINT" or "SIGTERM".
const char* WaitForStopSignal(const sigset_t& stop_signals);

}  // namespace gantry::cmd
