#include "placement/request.h"

#include <gtest/gtest.h>

#include "placement/testing/builders.h"

namespace gantry::placement {
namespace {

using testing::MakeRequest;

struct Case {
  const char* name;
  TaskRequest request;
  const char* field;
  const char* message;
};

TEST(CompileRequestTest, RejectsWhatEcsRejects) {
  auto many = [](int n, bool constraints) {
    auto r = MakeRequest();
    for (int k = 0; k < n; ++k) constraints ? r.MemberOf("attribute:a == b") : r.Random();
    return r.Build();
  };
  auto with = [](auto&& edit) {
    TaskRequest r = MakeRequest();
    edit(r);
    return r;
  };
  const Case cases[] = {
      {"count 0", MakeRequest().Count(0), "count", "must be between 1 and 1000000, got 0"},
      {"count huge", MakeRequest().Count(2'000'000), "count", "must be between 1"},
      {"no group", MakeRequest().Group(""), "group", "is required"},
      {"cpu negative", MakeRequest().Cpu(-1), "cpu", "must be between 0"},
      {"memory negative", MakeRequest().Memory(-1), "memory", "must be between 0"},
      {"port zero", MakeRequest().Ports({80, 0}), "ports[1]", "outside 1-65535"},
      {"port twice", MakeRequest().Ports({80, 80}), "ports[1]", "listed twice"},
      {"11 constraints", many(11, true), "placementConstraints", "at most 10"},
      {"6 strategies", many(6, false), "placementStrategy",
       "at most 5 placement strategies are allowed, got 6"},
      {"unknown constraint", with([](TaskRequest& r) {
         r.constraints.push_back({"sameZone", "x"});
       }),
       "placementConstraints[0].type", "unknown constraint type 'sameZone'"},
      {"empty constraint type", with([](TaskRequest& r) {
         r.constraints.push_back({"", "x"});
       }),
       "placementConstraints[0].type", "is required"},
      {"distinct with expression", with([](TaskRequest& r) {
         r.constraints.push_back({"distinctInstance", "attribute:a == b"});
       }),
       "placementConstraints[0].expression",
       "distinctInstance expression should not be specified."},
      {"distinct with empty expression", with([](TaskRequest& r) {
         r.constraints.push_back({"distinctInstance", ""});
       }),
       "placementConstraints[0].expression",
       "distinctInstance expression should not be specified."},
      {"distinct in task definition", with([](TaskRequest& r) {
         r.task_definition_constraints.push_back({"distinctInstance", std::nullopt});
       }),
       "taskDefinition.placementConstraints[0].type", "not allowed in a task definition"},
      {"memberOf without expression", with([](TaskRequest& r) {
         r.constraints.push_back({"memberOf", std::nullopt});
       }),
       "placementConstraints[0].expression", "memberOf requires an expression"},
      {"bad expression",
       MakeRequest().MemberOf("attribute:a == b").MemberOf("attribute:stack prod"),
       "placementConstraints[1].expression",
       "expected an operator after 'attribute:stack' at column 17"},
      {"long expression", MakeRequest().MemberOf("attribute:a == " + std::string(1990, 'x')),
       "placementConstraints[0].expression", "the limit is 2000"},
      {"unknown strategy", MakeRequest().Strategy("pack", "cpu"), "placementStrategy[0].type",
       "unknown strategy type 'pack' (expected binpack, spread or random)"},
      {"binpack disk", MakeRequest().Random().Binpack("disk"), "placementStrategy[1].field",
       "binpack field must be cpu or memory, got 'disk'"},
      {"binpack no field", MakeRequest().Strategy("binpack"), "placementStrategy[0].field",
       "binpack requires field cpu or memory"},
      {"spread zone", MakeRequest().Spread("zone"), "placementStrategy[0].field",
       "spread field must be instanceId, host or attribute:NAME, got 'zone'"},
      {"spread attribute without name", MakeRequest().Spread("attribute:"),
       "placementStrategy[0].field", "spread field must be"},
      {"spread no field", MakeRequest().Strategy("spread"), "placementStrategy[0].field",
       "spread requires field"},
      {"strategy type case", MakeRequest().Strategy("BINPACK", "cpu"), "placementStrategy[0].type",
       "unknown strategy type 'BINPACK'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = CompileRequest(c.request);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().field, c.field);
    EXPECT_NE(r.error().message.find(c.message), std::string::npos) << r.error().message;
  }
}

TEST(CompileRequestTest, TenConstraintsCountingTheTaskDefinitionAreFine) {
  auto r = MakeRequest();
  for (int k = 0; k < 5; ++k) r.TaskDefinitionMemberOf("attribute:a == b");
  for (int k = 0; k < 4; ++k) r.MemberOf("attribute:a == b");
  r.DistinctInstance();
  auto ok = CompileRequest(r);
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(ok->member_of.size(), 9u);
  EXPECT_TRUE(ok->distinct_instance);
  r.MemberOf("attribute:a == b");
  auto bad = CompileRequest(r);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("got 11"), std::string::npos);
}

TEST(CompileRequestTest, StrategiesCompile) {
  auto r = CompileRequest(MakeRequest()
                              .Spread("attribute:ecs.availability-zone")
                              .Spread("instanceId")
                              .Spread("host")
                              .Binpack("memory")
                              .Strategy("random", "ignored"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->strategies.size(), 5u);
  EXPECT_EQ(r->strategies[0].kind, Strategy::Kind::kSpreadAttribute);
  EXPECT_EQ(r->strategies[0].attribute, "ecs.availability-zone");
  EXPECT_EQ(r->strategies[0].name, "spread(attribute:ecs.availability-zone)");
  EXPECT_EQ(r->strategies[1].kind, Strategy::Kind::kSpreadInstance);
  EXPECT_EQ(r->strategies[2].kind, Strategy::Kind::kSpreadInstance);
  EXPECT_EQ(r->strategies[3].kind, Strategy::Kind::kBinpackMemory);
  EXPECT_EQ(r->strategies[4].kind, Strategy::Kind::kRandom);
}

TEST(CompileRequestTest, NoStrategyMeansRandom) {
  auto r = CompileRequest(MakeRequest());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->strategies.size(), 1u);
  EXPECT_EQ(r->strategies[0].kind, Strategy::Kind::kRandom);
}

TEST(ErrorTest, FieldPrefix) {
  Error e = InvalidArgument("placementConstraints[0].expression", "bad");
  EXPECT_EQ(e.WithFieldPrefix("request").ToString(),
            "request.placementConstraints[0].expression: bad");
  EXPECT_EQ(InvalidArgument("", "bad").WithFieldPrefix("filter").field, "filter");
}

}  // namespace
}  // namespace gantry::placement
