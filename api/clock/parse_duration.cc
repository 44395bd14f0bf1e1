#include "api/clock/parse_duration.h"

#include <cctype>
#include <string>

namespace gantry::clock {

bool ParseDuration(std::string_view s, std::chrono::milliseconds& out) {
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0 || i > 9) return false;  // more than 9 digits is no duration anyone means
  const long long n = std::stoll(std::string(s.substr(0, i)));
  const std::string_view unit = s.substr(i);
  if (unit == "ms") {
    out = std::chrono::milliseconds(n);
  } else if (unit == "s" || unit.empty()) {
    out = std::chrono::seconds(n);
  } else if (unit == "m") {
    out = std::chrono::minutes(n);
  } else if (unit == "h") {
    out = std::chrono::hours(n);
  } else {
    return false;
  }
  return true;
}

}  // namespace gantry::clock
