#include "cmd/common/flags.h"

#include <cctype>

namespace gantry::cmd {

FlagResult NextFlag(const std::vector<std::string>& args, size_t& i, std::string& name,
                    std::string& value) {
  name = args[i];
  value.clear();
  if (name == "-h" || name == "--help") return FlagResult::kHelp;
  if (size_t eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
    value = name.substr(eq + 1);
    name = name.substr(0, eq);
    return FlagResult::kFlag;
  }
  if (i + 1 >= args.size()) return FlagResult::kMissingValue;
  value = args[++i];
  return FlagResult::kFlag;
}

bool ParseDuration(const std::string& text, std::chrono::milliseconds& out) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 9) return false;
  long long n = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  if (unit == "ms") {
    out = std::chrono::milliseconds(n);
  } else if (unit.empty() || unit == "s") {
    out = std::chrono::seconds(n);
  } else if (unit == "m") {
    out = std::chrono::minutes(n);
  } else if (unit == "h") {
    out = std::chrono::hours(n);
  } else {
    return false;
  }
  return n > 0;
}

bool ParseSeconds(const std::string& text, std::chrono::seconds& out) {
  std::chrono::milliseconds ms;
  if (text.ends_with("ms") || !ParseDuration(text, ms)) return false;
  out = std::chrono::duration_cast<std::chrono::seconds>(ms);
  return true;
}

sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return stop_signals;
}

const char* WaitForStopSignal(const sigset_t& stop_signals) {
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  return signal_number == SIGINT ? "SIGINT" : "SIGTERM";
}

}  // namespace gantry::cmd
