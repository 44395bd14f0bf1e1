#include "cli/fleet/shorthand.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace gantry::cli {
namespace {

using api::Status;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// The characters of a shorthand key, as the AWS CLI's parser takes them.
bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '#' || c == '/' || c == ':';
}

// Whether `key=` starts at pos (spaces before '=' allowed when `spaces`), '=' not being the start
// of the query language's `==` or `=~`.
bool MemberAt(std::string_view text, size_t pos, bool spaces) {
  size_t q = pos;
  while (q < text.size() && IsKeyChar(text[q])) ++q;
  if (q == pos) return false;
  if (spaces) {
    while (q < text.size() && IsSpace(text[q])) ++q;
  }
  if (q >= text.size() || text[q] != '=') return false;
  return q + 1 >= text.size() || (text[q + 1] != '=' && text[q + 1] != '~');
}

// "type or expression", "type, field or name".
std::string OneOf(const std::vector<std::string>& members) {
  std::string out;
  for (size_t k = 0; k < members.size(); ++k) {
    if (k > 0) out += k + 1 == members.size() ? " or " : ", ";
    out += members[k];
  }
  return out;
}

// Parses one argument: one structure, or several separated by spaces.
class ArgumentParser {
 public:
  ArgumentParser(std::string_view flag, std::string_view text,
                 const std::vector<std::string>& members)
      : flag_(flag), text_(text), members_(members) {}

  Status Parse(std::vector<ShorthandStruct>& out) {
    size_t pos = 0;
    SkipSpaces(pos);
    if (pos == text_.size()) return Error(pos, "expected key=value");
    ShorthandStruct current;
    while (true) {
      size_t key_start = pos;
      while (pos < text_.size() && IsKeyChar(text_[pos])) ++pos;
      std::string key(text_.substr(key_start, pos - key_start));
      if (key.empty()) {
        if (pos == text_.size()) return Error(pos, "expected a key");
        return Error(pos, std::string("expected a key, got '") + text_[pos] + "'");
      }
      SkipSpaces(pos);
      if (pos == text_.size() || text_[pos] != '=')
        return Error(pos, "expected '=' after \"" + key + "\"");
      if (std::find(members_.begin(), members_.end(), key) == members_.end()) {
        return Error(key_start, "unknown key \"" + key + "\" (expected " + OneOf(members_) + ")");
      }
      for (const auto& [seen, value] : current) {
        if (seen == key) {
          return Error(key_start, "\"" + key +
                                      "\" given twice in one item (separate items with a space, "
                                      "not a ',')");
        }
      }
      ++pos;
      SkipSpaces(pos);
      std::string value;
      Next next;
      if (pos < text_.size() && (text_[pos] == '"' || text_[pos] == '\'')) {
        if (auto st = Quoted(pos, value, next); !st.ok()) return st;
      } else {
        size_t value_start = pos;
        Bare(pos, value, next);
        if (value.empty()) return Error(value_start, "missing value for \"" + key + "\"");
      }
      current.emplace_back(std::move(key), std::move(value));
      if (next == Next::kMember) continue;
      out.push_back(std::move(current));
      current.clear();
      if (next == Next::kEnd) return {};
    }
  }

 private:
  // What follows a value: the end, ',' and another member, or a space and another structure.
  enum class Next { kEnd, kMember, kStruct };

  void SkipSpaces(size_t& pos) const {
    while (pos < text_.size() && IsSpace(text_[pos])) ++pos;
  }

  bool MemberStartsAt(size_t pos, bool spaces) const { return MemberAt(text_, pos, spaces); }

  Status Quoted(size_t& pos, std::string& value, Next& next) const {
    const char quote = text_[pos];
    const size_t open = pos++;
    bool closed = false;
    while (pos < text_.size()) {
      char c = text_[pos];
      if (c == '\\' && pos + 1 < text_.size() &&
          (text_[pos + 1] == quote || text_[pos + 1] == '\\')) {
        value += text_[pos + 1];
        pos += 2;
        continue;
      }
      ++pos;
      if (c == quote) {
        closed = true;
        break;
      }
      value += c;
    }
    if (!closed)
      return Error(open, std::string("unterminated quoted value (no closing ") + quote + ")");
    const size_t after = pos;
    SkipSpaces(pos);
    if (pos == text_.size()) {
      next = Next::kEnd;
    } else if (text_[pos] == ',') {
      ++pos;
      SkipSpaces(pos);
      next = Next::kMember;
    } else if (pos > after && MemberStartsAt(pos, false)) {
      next = Next::kStruct;
    } else {
      return Error(pos, std::string("expected ',' or the end after the quoted value, got '") +
                            text_[pos] + "'");
    }
    return {};
  }

  // A bare value, trailing spaces dropped.
  void Bare(size_t& pos, std::string& value, Next& next) const {
    int depth = 0;  // inside [...] or (...), where ',' and spaces belong to the value
    next = Next::kEnd;
    while (pos < text_.size()) {
      char c = text_[pos];
      if (c == '\\' && pos + 1 < text_.size() && text_[pos + 1] == ',') {
        value += ',';
        pos += 2;
        continue;
      }
      if (c == '[' || c == '(') {
        ++depth;
      } else if ((c == ']' || c == ')') && depth > 0) {
        --depth;
      } else if (depth == 0 && c == ',') {
        ++pos;
        SkipSpaces(pos);
        next = Next::kMember;
        break;
      } else if (depth == 0 && IsSpace(c)) {
        size_t p = pos;
        SkipSpaces(p);
        if (p < text_.size() && MemberStartsAt(p, false)) {
          pos = p;
          next = Next::kStruct;
          break;
        }
      }
      value += c;
      ++pos;
    }
    while (!value.empty() && IsSpace(value.back())) value.pop_back();
  }

  // 1-based, in characters (UTF-8 continuation bytes do not count).
  size_t Column(size_t pos) const {
    size_t column = 1;
    for (size_t k = 0; k < pos && k < text_.size(); ++k) {
      if ((static_cast<unsigned char>(text_[k]) & 0xC0) != 0x80) ++column;
    }
    return column;
  }

  Status Error(size_t pos, const std::string& problem) const {
    return api::InvalidArgument(std::string(flag_), problem + " at column " +
                                                        std::to_string(Column(pos)) + " of \"" +
                                                        std::string(text_) + "\"");
  }

  std::string_view flag_;
  std::string_view text_;
  const std::vector<std::string>& members_;
};

api::StatusOr<std::vector<ShorthandStruct>> ParseJson(std::string_view flag,
                                                      const std::string& text,
                                                      const std::vector<std::string>& members) {
  nlohmann::ordered_json doc;  // members in the order written
  try {
    doc = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::ordered_json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error ..."
    std::string what = e.what();
    size_t at = what.find("parse error at ");
    std::string where =
        at == std::string::npos ? what : what.substr(at + std::string("parse error ").size());
    return api::InvalidArgument(std::string(flag), "invalid JSON " + where);
  }
  if (doc.is_object()) doc = nlohmann::ordered_json::array({doc});
  if (!doc.is_array()) {
    return api::InvalidArgument(std::string(flag), "expected a JSON array of objects");
  }
  std::vector<ShorthandStruct> out;
  for (size_t k = 0; k < doc.size(); ++k) {
    const std::string path = std::string(flag) + "[" + std::to_string(k) + "]";
    const auto& item = doc[k];
    if (!item.is_object()) {
      return api::InvalidArgument(path, "expected an object with " + OneOf(members));
    }
    ShorthandStruct s;
    for (const auto& [key, value] : item.items()) {
      if (std::find(members.begin(), members.end(), key) == members.end()) {
        return api::InvalidArgument(
            path, "unknown key \"" + key + "\" (expected " + OneOf(members) + ")");
      }
      if (value.is_null()) continue;  // null means absent, as in the AWS CLI
      if (!value.is_string()) return api::InvalidArgument(path + "." + key, "must be a string");
      s.emplace_back(key, value.get<std::string>());
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

api::StatusOr<std::vector<ShorthandStruct>> ParseStructureList(
    std::string_view flag, const std::vector<std::string>& args,
    const std::vector<std::string>& members) {
  if (args.empty()) return api::InvalidArgument(std::string(flag), "needs a value");
  for (size_t k = 0; k < args.size(); ++k) {
    size_t first = args[k].find_first_not_of(" \t\r\n");
    if (first == std::string::npos || (args[k][first] != '[' && args[k][first] != '{')) continue;
    if (args.size() > 1) {
      return api::InvalidArgument(std::string(flag),
                                  "a JSON value must be the flag's only argument (quote it)");
    }
    return ParseJson(flag, args[k], members);
  }
  // An argument that does not start with key= continues the one before: what the shell leaves
  // of an unquoted `expression=attribute:ecs.instance-type == t2.small`.
  std::vector<std::string> joined;
  for (const auto& arg : args) {
    size_t first = arg.find_first_not_of(" \t\r\n");
    if (!joined.empty() && (first == std::string::npos || !MemberAt(arg, first, true))) {
      joined.back() += " " + arg;
    } else {
      joined.push_back(arg);
    }
  }
  std::vector<ShorthandStruct> out;
  for (const auto& arg : joined) {
    if (auto st = ArgumentParser(flag, arg, members).Parse(out); !st.ok()) return st;
  }
  return out;
}

bool TakeListFlag(const std::vector<std::string>& args, size_t& i, std::string_view flag,
                  std::vector<std::string>& values, std::string& error) {
  const std::string& a = args[i];
  size_t taken = 0;
  if (a.size() > flag.size() && a.starts_with(flag) && a[flag.size()] == '=') {
    values.push_back(a.substr(flag.size() + 1));
    ++taken;
  } else if (a != flag) {
    return false;
  }
  while (i + 1 < args.size() && !(args[i + 1].size() > 1 && args[i + 1][0] == '-')) {
    values.push_back(args[++i]);
    ++taken;
  }
  if (taken == 0) error = std::string(flag) + " needs a value";
  return true;
}

}  // namespace gantry::cli
