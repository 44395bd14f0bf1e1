#include "api/clock/format_time.h"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace gantry::clock {

std::string FormatTime(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int64_t ParseTimeMs(const std::string& s) {
  std::tm tm{};
  int fraction_ms = 0;
  if (s.size() < 20) return -1;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return -1;
  if (s[19] == '.') {
    int digits = 0;
    for (size_t i = 20; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
      if (digits < 3) fraction_ms = fraction_ms * 10 + (s[i] - '0');
      ++digits;
    }
    for (int d = digits; d < 3; ++d) fraction_ms *= 10;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + fraction_ms;
}

}  // namespace gantry::clock
