#include "cmd/common/flags.h"

#include <arpa/inet.h>
#include <sys/resource.h>

#include <cctype>
#include <cstring>

#include "api/clock/parse_duration.h"

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
  return clock::ParseDuration(text, out) && out.count() > 0;
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

namespace gantry::cmd {

bool SplitHostPort(const std::string& s, std::string& host, int& port, bool allow_zero) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = s.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return false;  // an IPv6 literal needs brackets: [::1]:7700
  }
  std::string digits = s.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return false;
  port = std::stoi(digits);
  return (port > 0 || (allow_zero && port == 0)) && port < 65536;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    static const unsigned char kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6.s6_addr, kLoopback, 16) == 0) return true;
    return std::memcmp(v6.s6_addr, kMapped, 12) == 0 && v6.s6_addr[12] == 127;
  }
  return false;
}

size_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<size_t>(limit.rlim_cur);
}

}  // namespace gantry::cmd
