// Tests for the AWS CLI shorthand (and JSON) that run-task's --placement-constraints and
// --placement-strategy take: what parses to what, and errors that name the flag and the column.

#include "cli/fleet/shorthand.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gantry::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::vector<std::string> kConstraint = {"type", "expression"};
const std::vector<std::string> kStrategy = {"type", "field"};

struct ParseCase {
  const char* name;
  std::vector<std::string> args;  // as argv holds them after the flag
  const std::vector<std::string>* members;
  std::vector<ShorthandStruct> want;
};

class ParsesTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParsesTest, Parses) {
  const ParseCase& c = GetParam();
  auto got = ParseStructureList("--flag", c.args, *c.members);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, c.want);
}

const std::string kSmall = "attribute:ecs.instance-type == t2.small";

INSTANTIATE_TEST_SUITE_P(
    Shorthand, ParsesTest,
    ::testing::Values(
        ParseCase{"DoubleQuoted",
                  {R"(type="memberOf",expression="attribute:ecs.instance-type == t2.small")"},
                  &kConstraint,
                  {{{"type", "memberOf"}, {"expression", kSmall}}}},
        ParseCase{"OneItemPerArgument",
                  {R"(type="memberOf",expression="attribute:ecs.instance-type == t2.small")",
                   R"(type="distinctInstance")"},
                  &kConstraint,
                  {{{"type", "memberOf"}, {"expression", kSmall}}, {{"type", "distinctInstance"}}}},
        // What bash leaves of the line above: quotes gone, the spaces still inside one argument.
        ParseCase{"ShellStrippedQuotes",
                  {"type=memberOf,expression=attribute:ecs.instance-type == t2.small",
                   "type=distinctInstance"},
                  &kConstraint,
                  {{{"type", "memberOf"}, {"expression", kSmall}}, {{"type", "distinctInstance"}}}},
        // And what bash leaves when nothing was quoted: the expression in three arguments.
        ParseCase{"UnquotedExpressionAcrossArguments",
                  {"type=memberOf,expression=attribute:ecs.instance-type", "==", "t2.small",
                   "type=distinctInstance"},
                  &kConstraint,
                  {{{"type", "memberOf"}, {"expression", kSmall}}, {{"type", "distinctInstance"}}}},
        ParseCase{"Strategies",
                  {R"(type="spread",field="attribute:ecs.availability-zone")",
                   R"(type="binpack",field="memory")"},
                  &kStrategy,
                  {{{"type", "spread"}, {"field", "attribute:ecs.availability-zone"}},
                   {{"type", "binpack"}, {"field", "memory"}}}},
        ParseCase{"SingleQuoted",
                  {"type='spread',field='instanceId'"},
                  &kStrategy,
                  {{{"type", "spread"}, {"field", "instanceId"}}}},
        ParseCase{"EscapesInQuotes",
                  {R"x(expression="attribute:x == \"a b\" and \\")x"},
                  &kConstraint,
                  {{{"expression", R"(attribute:x == "a b" and \)"}}}},
        ParseCase{"SpacesAroundKeysAndValues",
                  {"  type = spread ,  field = memory  "},
                  &kStrategy,
                  {{{"type", "spread"}, {"field", "memory"}}}},
        ParseCase{"BareListInBrackets",
                  {"type=memberOf,expression=attribute:ecs.instance-type in [t2.small, t2.medium]"},
                  &kConstraint,
                  {{{"type", "memberOf"},
                    {"expression", "attribute:ecs.instance-type in [t2.small, t2.medium]"}}}},
        ParseCase{"EscapedComma",
                  {R"(expression=a\,b,type=memberOf)"},
                  &kConstraint,
                  {{{"expression", "a,b"}, {"type", "memberOf"}}}},
        ParseCase{"QueryOperatorsAreNotKeys",
                  {"type=memberOf,expression=attribute:ecs.instance-type =~ t2.* and "
                   "attribute:ecs.os-type != windows"},
                  &kConstraint,
                  {{{"type", "memberOf"},
                    {"expression",
                     "attribute:ecs.instance-type =~ t2.* and attribute:ecs.os-type != windows"}}}},
        ParseCase{"SeveralItemsInOneArgument",
                  {"type=spread,field=instanceId type=binpack,field=memory"},
                  &kStrategy,
                  {{{"type", "spread"}, {"field", "instanceId"}},
                   {{"type", "binpack"}, {"field", "memory"}}}},
        ParseCase{
            "SeveralQuotedItemsInOneArgument",
            {R"(type="spread",field="attribute:ecs.availability-zone" type="binpack",field="memory")"},
            &kStrategy,
            {{{"type", "spread"}, {"field", "attribute:ecs.availability-zone"}},
             {{"type", "binpack"}, {"field", "memory"}}}},
        ParseCase{"EmptyQuotedValue",
                  {R"(type="random",field="")"},
                  &kStrategy,
                  {{{"type", "random"}, {"field", ""}}}},
        ParseCase{"Utf8Value",
                  {"type=memberOf,expression=attribute:zone == zürich"},
                  &kConstraint,
                  {{{"type", "memberOf"}, {"expression", "attribute:zone == zürich"}}}},
        ParseCase{"JsonArray",
                  {R"([{"type":"spread","field":"instanceId"},{"type":"binpack","field":"cpu"}])"},
                  &kStrategy,
                  {{{"type", "spread"}, {"field", "instanceId"}},
                   {{"type", "binpack"}, {"field", "cpu"}}}},
        ParseCase{"JsonObject",
                  {R"( {"type": "distinctInstance"} )"},
                  &kConstraint,
                  {{{"type", "distinctInstance"}}}},
        ParseCase{"JsonNullIsAbsent",
                  {R"([{"type":"random","field":null}])"},
                  &kStrategy,
                  {{{"type", "random"}}}},
        ParseCase{"JsonEmptyArray", {"[]"}, &kStrategy, {}}),
    [](const ::testing::TestParamInfo<ParseCase>& p) { return std::string(p.param.name); });

struct ErrorCase {
  const char* name;
  std::vector<std::string> args;
  const std::vector<std::string>* members;
  std::string want;  // a part of Status::ToString(), with the position
};

class RejectsTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(RejectsTest, NamesFlagAndPosition) {
  const ErrorCase& c = GetParam();
  auto got = ParseStructureList("--placement-x", c.args, *c.members);
  ASSERT_FALSE(got.ok()) << "parsed, but should not have";
  EXPECT_EQ(got.status().code(), api::Code::kInvalidArgument);
  EXPECT_THAT(got.status().ToString(), StartsWith("--placement-x"));
  EXPECT_THAT(got.status().ToString(), HasSubstr(c.want));
}

INSTANTIATE_TEST_SUITE_P(
    Shorthand, RejectsTest,
    ::testing::Values(
        ErrorCase{"NoValues", {}, &kConstraint, "--placement-x: needs a value"},
        ErrorCase{"EmptyArgument", {"  "}, &kConstraint, "expected key=value at column 3"},
        ErrorCase{"SpaceInKey",
                  {"typ e=memberOf"},
                  &kConstraint,
                  R"(expected '=' after "typ" at column 5 of "typ e=memberOf")"},
        ErrorCase{"ValueWithoutKey",
                  {"memberOf"},
                  &kConstraint,
                  R"(expected '=' after "memberOf" at column 9)"},
        ErrorCase{
            "StartsWithEquals", {"=memberOf"}, &kConstraint, "expected a key, got '=' at column 1"},
        ErrorCase{"TrailingComma", {"type=memberOf,"}, &kConstraint, "expected a key at column 15"},
        ErrorCase{"DoubleComma",
                  {"type=memberOf,,expression=x"},
                  &kConstraint,
                  "expected a key, got ',' at column 15"},
        ErrorCase{"CommaBeforeNonMember",
                  {"type=spread,instanceId"},
                  &kStrategy,
                  R"(expected '=' after "instanceId" at column 23)"},
        ErrorCase{"Unterminated",
                  {R"(type="memberOf,expression="x")"},
                  &kConstraint,
                  "expected ',' or the end after the quoted value, got 'x' at column 28"},
        ErrorCase{"UnterminatedAtEnd",
                  {R"(type=memberOf,expression="a == b)"},
                  &kConstraint,
                  "unterminated quoted value (no closing \") at column 26"},
        ErrorCase{"TextAfterQuote",
                  {R"(type="spread"x)"},
                  &kStrategy,
                  "expected ',' or the end after the quoted value, got 'x' at column 14"},
        ErrorCase{
            "RepeatedKey",
            {"type=spread,field=cpu,type=binpack"},
            &kStrategy,
            R"("type" given twice in one item (separate items with a space, not a ',') at column 23)"},
        ErrorCase{"UnknownKey",
                  {"type=memberOf,expresion=x"},
                  &kConstraint,
                  R"(unknown key "expresion" (expected type or expression) at column 15)"},
        ErrorCase{"MissingValue",
                  {"type=,field=memory"},
                  &kStrategy,
                  R"(missing value for "type" at column 6)"},
        ErrorCase{"ErrorInSecondArgument",
                  {"type=distinctInstance", "type=memberOf,expression"},
                  &kConstraint,
                  R"(expected '=' after "expression" at column 25 of "type=memberOf,expression")"},
        // An argument without key= continues the one before, so the column is in the joined text.
        ErrorCase{
            "ErrorAfterJoin",
            {"type=memberOf,expression=\"a", "==", "b\"x"},
            &kConstraint,
            R"(expected ',' or the end after the quoted value, got 'x' at column 34 of "type=memberOf,expression="a == b"x")"},
        // Columns count characters, not bytes: 'ü' is two bytes.
        ErrorCase{"ColumnInCharacters",
                  {"expression=zürich,x"},
                  &kConstraint,
                  R"(expected '=' after "x" at column 20)"},
        ErrorCase{"JsonSyntax",
                  {R"([{"type":"spread",}])"},
                  &kStrategy,
                  "--placement-x: invalid JSON at line 1, column 19"},
        ErrorCase{"JsonNotString",
                  {R"([{"type":"spread","field":1}])"},
                  &kStrategy,
                  "--placement-x[0].field: must be a string"},
        ErrorCase{"JsonUnknownKey",
                  {R"([{"type":"spread"},{"kind":"x"}])"},
                  &kStrategy,
                  R"(--placement-x[1]: unknown key "kind" (expected type or field))"},
        ErrorCase{"JsonNotObjects",
                  {"[1]"},
                  &kStrategy,
                  "--placement-x[0]: expected an object with type or field"},
        ErrorCase{"JsonWithMoreArguments",
                  {R"([{"type":"random"}])", "type=spread"},
                  &kStrategy,
                  "a JSON value must be the flag's only argument"}),
    [](const ::testing::TestParamInfo<ErrorCase>& p) { return std::string(p.param.name); });

TEST(TakeListFlagTest, TakesArgumentsUpToTheNextFlag) {
  std::vector<std::string> args{"--placement-strategy", "type=spread", "type=binpack,field=cpu",
                                "--count", "2"};
  size_t i = 0;
  std::vector<std::string> values;
  std::string error;
  ASSERT_TRUE(TakeListFlag(args, i, "--placement-strategy", values, error));
  EXPECT_EQ(error, "");
  EXPECT_EQ(values, (std::vector<std::string>{"type=spread", "type=binpack,field=cpu"}));
  EXPECT_EQ(i, 2u);  // on the last value taken, as FlagValue leaves it
}

TEST(TakeListFlagTest, TakesTheValueAfterEquals) {
  std::vector<std::string> args{"--placement-strategy=type=random", "type=spread"};
  size_t i = 0;
  std::vector<std::string> values;
  std::string error;
  ASSERT_TRUE(TakeListFlag(args, i, "--placement-strategy", values, error));
  EXPECT_EQ(values, (std::vector<std::string>{"type=random", "type=spread"}));
  EXPECT_EQ(i, 1u);
}

TEST(TakeListFlagTest, MissingValueIsAnError) {
  std::vector<std::string> args{"--placement-constraints", "-o", "json"};
  size_t i = 0;
  std::vector<std::string> values;
  std::string error;
  ASSERT_TRUE(TakeListFlag(args, i, "--placement-constraints", values, error));
  EXPECT_EQ(error, "--placement-constraints needs a value");
  EXPECT_EQ(i, 0u);
}

TEST(TakeListFlagTest, OtherArgumentsAreLeftAlone) {
  std::vector<std::string> args{"--placement-constraintsX", "type=random"};
  size_t i = 0;
  std::vector<std::string> values;
  std::string error;
  EXPECT_FALSE(TakeListFlag(args, i, "--placement-constraints", values, error));
  EXPECT_TRUE(values.empty());
  EXPECT_EQ(i, 0u);
}

}  // namespace
}  // namespace gantry::cli
