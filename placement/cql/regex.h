#pragma once

// The pattern of `=~` / `!~`, compiled once when the expression is parsed and matched against
// whole values. RE2 does the matching: it never backtracks, so its time is linear in the value's
// length times the size of the compiled program, and the program size is bounded. Patterns that
// are a plain literal, or a literal followed by `.*` (the documented `t2.*`), mean a string
// comparison and skip RE2 entirely: building an RE2 program costs about 2 µs, more than a whole
// filter over 10,000 instances otherwise does.
//
// Matching is byte by byte (RE2's Latin-1 mode), as std::regex matched before; `.` does not match
// a newline. <re2/re2.h> stays in regex.cc.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "placement/status.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace gantry::placement::cql {

// A pattern may compile to at most this many RE2 instructions (`[a-z]{100}` is 104, `.{1000}`
// 2,004), and RE2 may use at most kRegexMaxMemory bytes for one pattern's program and its DFA
// cache, which also stops compiling a huge pattern early.
inline constexpr int kMaxRegexProgramSize = 1000;
inline constexpr int64_t kRegexMaxMemory = 1 << 20;

class Regex {
 public:
  // Compiles `pattern` (RE2 syntax). Errors name the pattern but no position; the parser adds
  // the column: "invalid regular expression '(a': missing ): (a".
  static Result<Regex> Compile(const std::string& pattern);

  // True when the pattern matches all of `value`.
  bool FullMatch(std::string_view value) const;

 private:
  std::shared_ptr<const re2::RE2> re2_;  // null for the literal forms
  std::string literal_;                  // the literal forms: the value, or its prefix
  bool any_suffix_ = false;              // literal followed by `.*`
};

}  // namespace gantry::placement::cql
