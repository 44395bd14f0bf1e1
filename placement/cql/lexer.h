#pragma once

// Splits a CQL expression into tokens with their 1-based columns.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "placement/status.h"

namespace gantry::placement::cql {

struct Token {
  enum class Kind : uint8_t {
    kBare,      // letters, digits and . - _ : / * @ +  (subjects, keywords, unquoted literals)
    kQuoted,    // '...' or "..." with the quotes removed
    kSymbol,    // == != > >= < <= =~ !~ && || !
    kLParen,    // (
    kRParen,    // )
    kLBracket,  // [
    kRBracket,  // ]
    kComma,     // ,
    kEnd,       // end of input
  };
  Kind kind = Kind::kEnd;
  std::string text;  // as written (quoted: the content)
  uint32_t column = 0;
};

// Tokenizes `text`. The last token is always kEnd, at the column just past the input.
Result<std::vector<Token>> Tokenize(std::string_view text);

// How a token reads in an error message: 'attribute:stack', '(' or "end of input".
std::string Describe(const Token& token);

}  // namespace gantry::placement::cql
