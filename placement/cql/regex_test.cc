#include "placement/cql/regex.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

namespace gantry::placement::cql {
namespace {

bool Matches(const std::string& pattern, const std::string& value) {
  auto re = Regex::Compile(pattern);
  EXPECT_TRUE(re.ok()) << pattern << ": " << (re.ok() ? "" : re.error().message);
  return re.ok() && re->FullMatch(value);
}

// The literal forms (no RE2 program) must decide exactly as a regular expression engine does.
// std::regex (ECMAScript) is the oracle: for these patterns its semantics and RE2's agree.
TEST(RegexTest, LiteralFormsAgreeWithARegexEngine) {
  const std::vector<std::string> patterns = {
      "t2.*",     ".*",      "",      "t2",   "t2\\..*",    "a\\.b", "a\\*",  "us-east-1a",
      "i-0abc 1", "\\\\x.*", "a\\.*", "x.*y", "t2\\.small", "@/:_-", ".*-1a", "t2..*"};
  const std::vector<std::string> values = {
      "",  "t2",    "t2.small", "t2xsmall",   "mt2.small", "t2\nx", "a.b",        "axb", "a*",
      "a", "a..",   "a.",       "aaa",        "\\x",       "\\xyz", "x",          "xzy", "xy",
      "y", "@/:_-", "i-0abc 1", "us-east-1a", "1a",        "-1a",   "us-east-1b", "t2.", "t2.\n"};
  for (const auto& p : patterns) {
    std::regex oracle(p, std::regex::ECMAScript);
    for (const auto& v : values) {
      EXPECT_EQ(Matches(p, v), std::regex_match(v, oracle))
          << "pattern '" << p << "' value '" << v << "'";
    }
  }
}

TEST(RegexTest, WholeValue) {
  EXPECT_FALSE(Matches("t2", "t2.small"));
  EXPECT_FALSE(Matches("small", "t2.small"));
  EXPECT_TRUE(Matches("t2\\.(small|medium)", "t2.medium"));
  EXPECT_FALSE(Matches("t2\\.(small|medium)", "t2.mediumx"));
  EXPECT_TRUE(Matches("[0-9]+", "123"));
  EXPECT_FALSE(Matches("[0-9]+", "12a"));
}

TEST(RegexTest, InvalidPatternsAreErrors) {
  for (std::string p : {"(", "a)", "[a", "(a)\\1", "(?=a)", "(?<=a)b", "a{2,1}"}) {
    auto re = Regex::Compile(p);
    ASSERT_FALSE(re.ok()) << p;
    EXPECT_EQ(re.error().message.rfind("invalid regular expression '" + p + "': ", 0), 0u)
        << re.error().message;
  }
}

TEST(RegexTest, ProgramSizeIsBounded) {
  EXPECT_TRUE(Regex::Compile("[a-z]{996}").ok());
  auto re = Regex::Compile("[a-z]{997}");
  ASSERT_FALSE(re.ok());
  EXPECT_EQ(re.error().message,
            "regular expression '[a-z]{997}' is too large: it compiles to 1001 instructions, the "
            "limit is 1000");
  // A literal is a string comparison however long it is.
  EXPECT_TRUE(Regex::Compile(std::string(1999, 'a')).ok());
  EXPECT_TRUE(Regex::Compile(std::string(1999, 'a') + ".*").ok());
}

}  // namespace
}  // namespace gantry::placement::cql
