#include "api/service/label_selector.h"

#include <cctype>

namespace gantry::api {
namespace {

bool IsLabelChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '/';
}

}  // namespace

StatusOr<LabelSelector> LabelSelector::Parse(std::string_view s) {
  LabelSelector out;
  size_t i = 0;
  auto skip = [&] {
    while (i < s.size() && s[i] == ' ') ++i;
  };
  auto fail = [&](const std::string& what) {
    return Status(Code::kInvalidArgument,
                  "invalid label selector '" + std::string(s) + "': " + what + " at position " +
                      std::to_string(i + 1),
                  "labelSelector");
  };
  auto word = [&] {
    size_t start = i;
    while (i < s.size() && IsLabelChar(s[i])) ++i;
    return std::string(s.substr(start, i - start));
  };
  skip();
  if (i == s.size()) return out;
  while (true) {
    skip();
    Term t;
    if (i < s.size() && s[i] == '!') {
      ++i;
      skip();
      t.key = word();
      if (t.key.empty()) return fail("expected a label key after '!'");
      t.op = Op::kNotExists;
    } else {
      t.key = word();
      if (t.key.empty()) return fail("expected a label key");
      skip();
      if (s.substr(i, 2) == "==" || s.substr(i, 2) == "!=") {
        t.op = s[i] == '=' ? Op::kEquals : Op::kNotEquals;
        i += 2;
        skip();
        t.values.push_back(word());
      } else if (i < s.size() && s[i] == '=') {
        t.op = Op::kEquals;
        ++i;
        skip();
        t.values.push_back(word());
      } else if (s.substr(i, 2) == "in" || s.substr(i, 5) == "notin") {
        t.op = s[i] == 'i' ? Op::kIn : Op::kNotIn;
        i += t.op == Op::kIn ? 2 : 5;
        skip();
        if (i >= s.size() || s[i] != '(') return fail("expected '('");
        ++i;
        while (true) {
          skip();
          std::string v = word();
          if (v.empty()) return fail("expected a value");
          t.values.push_back(v);
          skip();
          if (i < s.size() && s[i] == ',') {
            ++i;
            continue;
          }
          if (i < s.size() && s[i] == ')') {
            ++i;
            break;
          }
          return fail("expected ',' or ')'");
        }
      } else {
        t.op = Op::kExists;
      }
    }
    out.terms_.push_back(std::move(t));
    skip();
    if (i == s.size()) break;
    if (s[i] != ',') return fail("expected ','");
    ++i;
  }
  return out;
}

std::string LabelSelector::String() const {
  std::string out;
  for (const Term& t : terms_) {
    if (!out.empty()) out += ',';
    switch (t.op) {
      case Op::kEquals:
        out += t.key + "=" + t.values[0];
        break;
      case Op::kNotEquals:
        out += t.key + "!=" + t.values[0];
        break;
      case Op::kIn:
      case Op::kNotIn: {
        out += t.key + (t.op == Op::kIn ? " in (" : " notin (");
        for (size_t i = 0; i < t.values.size(); ++i) {
          if (i > 0) out += ',';
          out += t.values[i];
        }
        out += ')';
        break;
      }
      case Op::kExists:
        out += t.key;
        break;
      case Op::kNotExists:
        out += "!" + t.key;
        break;
    }
  }
  return out;
}

}  // namespace gantry::api
