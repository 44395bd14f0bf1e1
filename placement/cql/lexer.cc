#include "placement/cql/lexer.h"

#include <cstdio>

namespace gantry::placement::cql {
namespace {

bool IsBareChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_' || c == ':' || c == '/' || c == '*' || c == '@' || c == '+';
}

std::string Printable(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string(1, c);
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", u);
  return buf;
}

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  auto column = [](size_t pos) { return static_cast<uint32_t>(pos + 1); };
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    size_t start = i;
    if (IsBareChar(c)) {
      while (i < s.size() && IsBareChar(s[i])) ++i;
      out.push_back({Token::Kind::kBare, std::string(s.substr(start, i - start)), column(start)});
      continue;
    }
    if (c == '\'' || c == '"') {
      // Inside quotes a backslash escapes the quote character and itself; any other backslash
      // stays, so regular expressions such as '\d+' need no doubling.
      std::string text;
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char d = s[i];
        if (d == '\\' && i + 1 < s.size() && (s[i + 1] == c || s[i + 1] == '\\')) {
          text += s[i + 1];
          i += 2;
          continue;
        }
        if (d == c) {
          closed = true;
          ++i;
          break;
        }
        text += d;
        ++i;
      }
      if (!closed) {
        return InvalidArgument(
            "", "unterminated string starting at column " + std::to_string(column(start)));
      }
      out.push_back({Token::Kind::kQuoted, std::move(text), column(start)});
      continue;
    }
    auto two = s.substr(i, 2);
    if (two == "==" || two == "!=" || two == ">=" || two == "<=" || two == "=~" || two == "!~" ||
        two == "&&" || two == "||") {
      out.push_back({Token::Kind::kSymbol, std::string(two), column(start)});
      i += 2;
      continue;
    }
    Token::Kind kind;
    switch (c) {
      case '>':
      case '<':
      case '!':
        kind = Token::Kind::kSymbol;
        break;
      case '(':
        kind = Token::Kind::kLParen;
        break;
      case ')':
        kind = Token::Kind::kRParen;
        break;
      case '[':
        kind = Token::Kind::kLBracket;
        break;
      case ']':
        kind = Token::Kind::kRBracket;
        break;
      case ',':
        kind = Token::Kind::kComma;
        break;
      default:
        return InvalidArgument("", "unexpected character '" + Printable(c) + "' at column " +
                                       std::to_string(column(start)));
    }
    out.push_back({kind, std::string(1, c), column(start)});
    ++i;
  }
  out.push_back({Token::Kind::kEnd, "", column(s.size())});
  return out;
}

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Token::Kind::kEnd:
      return "end of input";
    case Token::Kind::kQuoted:
      return "'" + t.text + "'";
    default:
      return "'" + t.text + "'";
  }
}

}  // namespace gantry::placement::cql
