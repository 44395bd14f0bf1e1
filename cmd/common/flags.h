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

// "HOST:PORT" or "[IPV6]:PORT" into a host (brackets removed) and a port in 1..65535 (0 too
// when `allow_zero`: pick a free one).
bool SplitHostPort(const std::string& text, std::string& host, int& port, bool allow_zero = false);

// True for "localhost" and for IP literals in 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. Decided
// from the parsed address, never by a prefix of the text: "127.example.com" is not loopback.
bool IsLoopbackHost(const std::string& host);

// Raises the soft limit of open files to the hard limit (a server holds one per connection);
// returns the limit now in force.
size_t RaiseOpenFileLimit();

// Blocks SIGINT and SIGTERM in the calling thread (call it before any thread starts, so every
// thread inherits the mask) and ignores SIGPIPE. Returns the set to sigwait on.
sigset_t BlockStopSignals();

// Waits for SIGINT or SIGTERM (blocked by BlockStopSignals) and returns "SIGINT" or "SIGTERM".
const char* WaitForStopSignal(const sigset_t& stop_signals);

}  // namespace gantry::cmd
