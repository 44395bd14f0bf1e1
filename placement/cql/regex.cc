#include "placement/cql/regex.h"

#include <re2/re2.h>

#include <optional>

namespace gantry::placement::cql {
namespace {

bool IsMeta(char c) {
  switch (c) {
    case '\\':
    case '.':
    case '+':
    case '*':
    case '?':
    case '(':
    case ')':
    case '|':
    case '[':
    case ']':
    case '{':
    case '}':
    case '^':
    case '$':
      return true;
    default:
      return false;
  }
}

// The string `text` means when it is a literal (metacharacters escaped with a backslash count as
// themselves), or nullopt when it uses any regular expression feature.
std::optional<std::string> Literal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\') {
      if (i + 1 == text.size() || !IsMeta(text[i + 1])) return std::nullopt;  // \d, \n, ...
      out += text[++i];
    } else if (IsMeta(c)) {
      return std::nullopt;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Result<Regex> Regex::Compile(const std::string& pattern) {
  Regex out;
  std::string_view text = pattern;
  if (text.ends_with(".*") && !text.ends_with("\\.*")) {
    if (auto prefix = Literal(text.substr(0, text.size() - 2))) {
      out.literal_ = std::move(*prefix);
      out.any_suffix_ = true;
      return out;
    }
  } else if (auto literal = Literal(text)) {
    out.literal_ = std::move(*literal);
    return out;
  }

  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_never_capture(true);  // only "does it match" is asked
  options.set_log_errors(false);    // no I/O: the error goes back to the caller
  options.set_max_mem(kRegexMaxMemory);
  auto re = std::make_shared<const re2::RE2>(pattern, options);
  if (re->error_code() == RE2::ErrorPatternTooLarge) {
    return InvalidArgument("", "regular expression '" + pattern +
                                   "' is too large to compile (at most " +
                                   std::to_string(kMaxRegexProgramSize) + " instructions)");
  }
  if (!re->ok()) {
    return InvalidArgument("", "invalid regular expression '" + pattern + "': " + re->error());
  }
  if (re->ProgramSize() > kMaxRegexProgramSize) {
    return InvalidArgument("",
                           "regular expression '" + pattern + "' is too large: it compiles to " +
                               std::to_string(re->ProgramSize()) + " instructions, the limit is " +
                               std::to_string(kMaxRegexProgramSize));
  }
  out.re2_ = std::move(re);
  return out;
}

bool Regex::FullMatch(std::string_view value) const {
  if (re2_) {
    return re2_->Match(re2::StringPiece(value.data(), value.size()), 0, value.size(),
                       RE2::ANCHOR_BOTH, nullptr, 0);
  }
  if (!any_suffix_) return value == literal_;
  // `.*` matches anything but a newline.
  return value.starts_with(literal_) && value.find('\n', literal_.size()) == std::string_view::npos;
}

}  // namespace gantry::placement::cql
