#include "placement/cql/literals.h"

#include <charconv>
#include <cmath>

namespace gantry::placement::cql {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at `pos`, advancing it.
std::optional<int> Digits(std::string_view s, size_t& pos, int n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (int k = 0; k < n; ++k) {
    char c = s[pos + k];
    if (!IsDigit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

unsigned DaysInMonth(int y, int m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

std::optional<int64_t> ParseTimestamp(std::string_view s) {
  size_t pos = 0;
  auto year = Digits(s, pos, 4);
  if (!year || !Expect(s, pos, '-')) return std::nullopt;
  auto month = Digits(s, pos, 2);
  if (!month || !Expect(s, pos, '-')) return std::nullopt;
  auto day = Digits(s, pos, 2);
  if (!day || *month < 1 || *month > 12 || *day < 1 ||
      static_cast<unsigned>(*day) > DaysInMonth(*year, *month)) {
    return std::nullopt;
  }
  int64_t ms = DaysFromCivil(*year, *month, *day) * 86'400'000;
  if (pos == s.size()) return ms;  // date only: 00:00:00Z

  if (!Expect(s, pos, 'T')) return std::nullopt;
  auto hh = Digits(s, pos, 2);
  if (!hh || !Expect(s, pos, ':')) return std::nullopt;
  auto mm = Digits(s, pos, 2);
  if (!mm || !Expect(s, pos, ':')) return std::nullopt;
  auto ss = Digits(s, pos, 2);
  if (!ss || *hh > 23 || *mm > 59 || *ss > 59) return std::nullopt;
  ms += ((*hh * 60 + *mm) * 60 + *ss) * int64_t{1000};

  if (Expect(s, pos, '.')) {  // fractional seconds: keep milliseconds, ignore finer digits
    size_t start = pos;
    int64_t frac = 0;
    int scale = 100;
    while (pos < s.size() && IsDigit(s[pos])) {
      if (scale > 0) frac += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
    ms += frac;
  }
  if (pos == s.size()) return ms;  // no offset: UTC
  if (s[pos] == 'Z' && pos + 1 == s.size()) return ms;
  if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
  int sign = s[pos] == '+' ? 1 : -1;
  ++pos;
  auto oh = Digits(s, pos, 2);
  if (!oh) return std::nullopt;
  Expect(s, pos, ':');
  auto om = Digits(s, pos, 2);
  if (!om || pos != s.size() || *oh > 23 || *om > 59) return std::nullopt;
  // Local time minus its offset is UTC.
  return ms - sign * ((*oh * 60 + *om) * int64_t{60'000});
}

bool IsVersion(std::string_view s) {
  if (s.empty()) return false;
  bool component_start = true;
  for (char c : s) {
    if (c == '.') {
      if (component_start) return false;  // empty component
      component_start = true;
      continue;
    }
    if (component_start && !IsDigit(c)) return false;
    component_start = false;
  }
  return !component_start;
}

int CompareVersions(std::string_view a, std::string_view b) {
  auto next = [](std::string_view& s) {
    size_t dot = s.find('.');
    std::string_view part = s.substr(0, dot);
    s = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
    return part;
  };
  auto all_digits = [](std::string_view p) {
    for (char c : p)
      if (!IsDigit(c)) return false;
    return true;
  };
  while (!a.empty() || !b.empty()) {
    std::string_view pa = next(a), pb = next(b);
    if (pa.empty()) pa = "0";
    if (pb.empty()) pb = "0";
    if (all_digits(pa) && all_digits(pb)) {
      // Compare arbitrarily long digit strings without overflow: drop leading zeros, then the
      // longer one is larger, then lexicographic.
      while (pa.size() > 1 && pa.front() == '0') pa.remove_prefix(1);
      while (pb.size() > 1 && pb.front() == '0') pb.remove_prefix(1);
      if (pa.size() != pb.size()) return pa.size() < pb.size() ? -1 : 1;
    }
    if (int c = pa.compare(pb); c != 0) return c < 0 ? -1 : 1;
  }
  return 0;
}

std::optional<double> ParseNumber(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int64_t> ParseNonNegativeInteger(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace gantry::placement::cql
