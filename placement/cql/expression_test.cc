#include "placement/cql/expression.h"

#include <gtest/gtest.h>

namespace gantry::placement::cql {
namespace {

TEST(ExpressionParseTest, AcceptsTheDocumentedExamples) {
  for (const char* text : {
           "attribute:ecs.instance-type == t2.small",
           "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
           "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
           "task:group == service:production",
           "not(task:group == database)",
           "runningTasksCount == 1",
           "agentVersion < 1.14.5",
           "registeredAt < 2018-02-13",
           "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']",
           "attribute:stack == prod",
           "attribute:stack != prod",
           "attribute:ecs.instance-type in [t2.small, t2.medium]",
           "attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone == us-east-1a",
           "(attribute:a == 1 or attribute:b == 2) and attribute:c == 3",
           "attribute:gpu exists",
           "attribute:gpu !exists",
           "attribute:gpu not_exists",
           "attribute:x !in [a]",
           "attribute:x NOT_IN [a]",
           "attribute:x Equals y AND attribute:y matches 'a.*' OR NOT attribute:z exists",
           "agentConnected == true && !(attribute:a == b) || agentVersion >= 1.0",
           "attribute:name == \"two words\"",
           "attribute:path == /var/lib/x@y",
           "registeredAt >= 2018-06-18T22:28:28+00:00",
           "agentConnected in [true, false]",
       }) {
    auto e = Expression::Parse(text);
    EXPECT_TRUE(e.ok()) << text << ": " << (e.ok() ? "" : e.error().message);
  }
}

struct ErrorCase {
  const char* text;
  const char* message;
};

TEST(ExpressionParseTest, ErrorsNameThePosition) {
  const ErrorCase cases[] = {
      {"attribute:stack prod", "expected an operator after 'attribute:stack' at column 17"},
      {"attribute:stack", "expected an operator after 'attribute:stack' at column 16"},
      {"", "empty expression"},
      {"   ", "empty expression"},
      {"attribute:stack ==", "expected a value after '==', found end of input at column 19"},
      {"Attribute:stack == prod", "unknown subject 'Attribute:stack'"},
      {"stack == prod", "unknown subject 'stack' (expected attribute:NAME"},
      {"attribute: == x", "missing attribute name after 'attribute:' at column 1"},
      {"attribute:a == b and", "expected an expression at column 21"},
      {"attribute:a == b c", "expected 'and', 'or' or end of input, found 'c' at column 18"},
      {"(attribute:a == b", "expected ')' to close the '(' at column 1, found end of input"},
      {"attribute:a == b)", "unmatched ')' at column 17"},
      {"attribute:a == 'b", "unterminated string starting at column 16"},
      {"attribute:a == b$", "unexpected character '$' at column 17"},
      {"attribute:a = b", "unexpected character '=' at column 13"},
      {"attribute:a in a, b", "expected a list such as [a, b] after 'in', found 'a' at column 16"},
      {"attribute:a in [a b]", "expected ',' or ']' in the list, found 'b' at column 19"},
      {"attribute:a in []", "expected a value in the list, found ']' at column 17"},
      {"attribute:a =~ '('", "invalid regular expression '(': missing ): ( at column 16"},
      // RE2 syntax: no backreferences, no lookaround.
      {"attribute:a =~ '(a)\\1'",
       "invalid regular expression '(a)\\1': invalid escape sequence: "
       "\\1 at column 16"},
      {"attribute:a =~ '(?=a)'", "invalid regular expression '(?=a)'"},
      // The program-size limit, with the pattern's column.
      {"attribute:a =~ '.{1000}'",
       "regular expression '.{1000}' is too large: it compiles to 2004 instructions, the limit is "
       "1000 at column 16"},
      {"attribute:a == b or ec2InstanceId !~ '[a-z]{999}x'",
       "regular expression '[a-z]{999}x' is too large: it compiles to 1004 instructions, the limit "
       "is 1000 at column 38"},
      {"task:group =~ '(a{100}){100}'",
       "invalid regular expression '(a{100}){100}': invalid repetition size"},
      {"task:group > a", "operator '>' is not supported for 'task:group' at column 12"},
      {"agentConnected < true", "operator '<' is not supported for 'agentConnected'"},
      {"ec2InstanceId >= i-1", "operator '>=' is not supported for 'ec2InstanceId'"},
      {"registeredAt =~ 2018.*", "operator '=~' is not supported for 'registeredAt'"},
      {"runningTasksCount !~ 1", "operator '!~' is not supported for 'runningTasksCount'"},
      {"registeredAt < yesterday", "invalid date 'yesterday' for registeredAt"},
      {"runningTasksCount > many", "invalid count 'many' for runningTasksCount"},
      {"agentVersion < latest", "invalid version 'latest' for agentVersion"},
      {"attribute:a == b and and", "expected a subject, found 'and' at column 22"},
      {"not", "expected an expression at column 4"},
  };
  for (const auto& c : cases) {
    auto e = Expression::Parse(c.text);
    ASSERT_FALSE(e.ok()) << c.text;
    EXPECT_NE(e.error().message.find(c.message), std::string::npos)
        << c.text << "\n  got: " << e.error().message << "\n  want: " << c.message;
    EXPECT_TRUE(e.error().field.empty());
  }
}

TEST(ExpressionParseTest, RegexProgramSizeLimit) {
  EXPECT_TRUE(Expression::Parse("attribute:a =~ 'a{990}'").ok());  // 994 instructions
  // Far over the limit: RE2's memory limit stops compiling early, with the same kind of message.
  std::string many;
  for (int k = 0; k < 40; ++k) many += "[0-9a-z]{1000}";
  auto e = Expression::Parse("attribute:a == b or attribute:a =~ '" + many + "'");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "regular expression '" + many +
                                   "' is too large to compile (at most 1000 instructions) at "
                                   "column 36");
}

TEST(ExpressionParseTest, LengthLimit) {
  std::string ok = "attribute:a == " + std::string(kMaxExpressionLength - 15, 'x');
  ASSERT_EQ(ok.size(), kMaxExpressionLength);
  EXPECT_TRUE(Expression::Parse(ok).ok());
  auto e = Expression::Parse(ok + "x");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "expression is 2001 characters long; the limit is 2000");
}

TEST(ExpressionParseTest, NestingIsBounded) {
  std::string deep(200, '(');
  deep += "attribute:a == b";
  deep += std::string(200, ')');
  auto e = Expression::Parse(deep);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("nested too deeply"), std::string::npos);
  std::string nots;
  for (int k = 0; k < 500; ++k) nots += "not ";
  EXPECT_FALSE(Expression::Parse(nots + "attribute:a == b").ok());
}

TEST(ExpressionParseTest, PrecedenceNotThenAndThenOr) {
  // a or b and not c  ==  a or (b and (not c))
  auto e = Expression::Parse("attribute:a == 1 or attribute:b == 2 and not attribute:c == 3");
  ASSERT_TRUE(e.ok());
  const auto& nodes = e->nodes();
  const Node& root = nodes[e->root()];
  ASSERT_EQ(root.kind, Node::Kind::kOr);
  EXPECT_EQ(nodes[root.a].kind, Node::Kind::kPredicate);
  const Node& rhs = nodes[root.b];
  ASSERT_EQ(rhs.kind, Node::Kind::kAnd);
  EXPECT_EQ(nodes[rhs.b].kind, Node::Kind::kNot);
}

TEST(ExpressionParseTest, OperatorWordsAndSymbolsAreTheSame) {
  const std::pair<const char*, Op> cases[] = {
      {"attribute:a == b", Op::kEq},
      {"attribute:a EQUALS b", Op::kEq},
      {"attribute:a != b", Op::kNe},
      {"attribute:a not_equals b", Op::kNe},
      {"attribute:a > b", Op::kGt},
      {"attribute:a greater_than b", Op::kGt},
      {"attribute:a >= b", Op::kGe},
      {"attribute:a greater_than_equal b", Op::kGe},
      {"attribute:a < b", Op::kLt},
      {"attribute:a less_than b", Op::kLt},
      {"attribute:a <= b", Op::kLe},
      {"attribute:a less_than_equal b", Op::kLe},
      {"attribute:a exists", Op::kExists},
      {"attribute:a !exists", Op::kNotExists},
      {"attribute:a not_exists", Op::kNotExists},
      {"attribute:a in [b]", Op::kIn},
      {"attribute:a !in [b]", Op::kNotIn},
      {"attribute:a not_in [b]", Op::kNotIn},
      {"attribute:a =~ b", Op::kMatches},
      {"attribute:a matches b", Op::kMatches},
      {"attribute:a !~ b", Op::kNotMatches},
      {"attribute:a not_matches b", Op::kNotMatches},
  };
  for (auto [text, op] : cases) {
    auto e = Expression::Parse(text);
    ASSERT_TRUE(e.ok()) << text;
    EXPECT_EQ(e->predicates()[0].op, op) << text;
  }
}

TEST(ExpressionParseTest, QuotedLiterals) {
  auto e = Expression::Parse(R"(attribute:a in ['x y', "it's", 'a\'b', 'c\\d', 'e\.f'])");
  ASSERT_TRUE(e.ok());
  const auto& v = e->predicates()[0].values;
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0], "x y");
  EXPECT_EQ(v[1], "it's");
  EXPECT_EQ(v[2], "a'b");
  EXPECT_EQ(v[3], "c\\d");
  EXPECT_EQ(v[4], "e\\.f");  // other backslashes stay, for regular expressions
}

TEST(ExpressionParseTest, DynamicSubjectsAreFlagged) {
  EXPECT_FALSE(Expression::Parse("attribute:a == b")->is_dynamic());
  EXPECT_TRUE(Expression::Parse("attribute:a == b or task:group == x")->is_dynamic());
  EXPECT_TRUE(Expression::Parse("runningTasksCount < 3")->is_dynamic());
}

}  // namespace
}  // namespace gantry::placement::cql
