#include "api/service/label_selector.h"

#include <gtest/gtest.h>

#include <map>

namespace gantry::api {
namespace {

using Labels = std::map<std::string, std::string>;

bool Match(const std::string& selector, const Labels& labels) {
  auto s = LabelSelector::Parse(selector);
  EXPECT_TRUE(s.ok()) << selector << ": " << s.status().ToString();
  return s.ok() && s->Matches(labels);
}

TEST(LabelSelectorTest, EqualityAndSets) {
  Labels web{{"app", "web"}, {"tier", "front"}, {"env", "prod"}};
  EXPECT_TRUE(Match("", web));
  EXPECT_TRUE(Match("app=web", web));
  EXPECT_TRUE(Match("app==web", web));
  EXPECT_FALSE(Match("app=db", web));
  EXPECT_TRUE(Match("app!=db", web));
  EXPECT_TRUE(Match("missing!=x", web));
  EXPECT_TRUE(Match("env in (prod, staging)", web));
  EXPECT_FALSE(Match("env notin (prod)", web));
  EXPECT_TRUE(Match("app=web, tier", web));
  EXPECT_FALSE(Match("!tier", web));
  EXPECT_TRUE(Match("!canary,app = web", web));
  EXPECT_FALSE(Match("env in (staging)", Labels{}));
}

TEST(LabelSelectorTest, ErrorsNameThePosition) {
  for (const char* bad : {"app=web,", "in (a)", "env in prod", "env in (a b)", "=x", "!"}) {
    auto s = LabelSelector::Parse(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
    EXPECT_NE(s.status().message().find("position"), std::string::npos) << s.status().message();
  }
}

TEST(LabelSelectorTest, PrintsBackToTheSameSelector) {
  struct Case {
    const char* text;
    const char* printed;
  };
  for (const Case& c : {Case{"", ""}, Case{"app==web", "app=web"}, Case{" app = web ", "app=web"},
                        Case{"a!=", "a!="}, Case{"env in (prod, staging)", "env in (prod,staging)"},
                        Case{"team notin ( x )", "team notin (x)"},
                        Case{"canary , ! legacy", "canary,!legacy"}, Case{"in", "in"}}) {
    auto s = LabelSelector::Parse(c.text);
    ASSERT_TRUE(s.ok()) << c.text << ": " << s.status().ToString();
    EXPECT_EQ(s->String(), c.printed) << c.text;
    auto again = LabelSelector::Parse(s->String());
    ASSERT_TRUE(again.ok()) << s->String();
    EXPECT_TRUE(*again == *s) << c.text;
  }
  EXPECT_FALSE(*LabelSelector::Parse("a=b") == *LabelSelector::Parse("a!=b"));
  EXPECT_FALSE(*LabelSelector::Parse("a in (b,c)") == *LabelSelector::Parse("a in (c,b)"));
}

}  // namespace
}  // namespace gantry::api
