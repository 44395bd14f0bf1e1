#include "placement/placement.h"

#include <gtest/gtest.h>

#include <map>

#include "placement/testing/builders.h"

namespace gantry::placement {
namespace {

using testing::MakeInstance;
using testing::MakeRequest;

struct Outcome {
  std::vector<std::string> placements;
  std::vector<std::string> failures;
};

Outcome PlaceAll(const std::vector<InstanceSpec>& instances, const TaskRequest& request,
                 const PlaceOptions& options = {}) {
  auto s = ClusterSnapshot::Build(instances);
  EXPECT_TRUE(s.ok()) << s.error().ToString();
  auto d = Place(*s, request, options);
  EXPECT_TRUE(d.ok()) << d.error().ToString();
  Outcome o;
  for (uint32_t i : d->placements) o.placements.emplace_back(s->id(i));
  for (Stage st : d->failures) o.failures.emplace_back(ReasonText(st));
  return o;
}

std::map<std::string, int> Counts(const std::vector<std::string>& ids) {
  std::map<std::string, int> m;
  for (const auto& id : ids) ++m[id];
  return m;
}

using V = std::vector<std::string>;

// ---- Feasibility: one table per stage, with the reason of the stage that removed the last ----

struct StageCase {
  const char* name;
  std::vector<InstanceSpec> instances;
  TaskRequest request;
  V placements;
  V failures;
};

TEST(PlaceTest, EachStageFiltersAndNamesItsReason) {
  const StageCase cases[] = {
      {"no instances at all", {}, MakeRequest(), {}, {"AGENT"}},
      {"draining, inactive and disconnected instances get nothing",
       {MakeInstance("a").Draining(), MakeInstance("b").Inactive(),
        MakeInstance("c").Disconnected()},
       MakeRequest(),
       {},
       {"AGENT"}},
      {"only the active connected one",
       {MakeInstance("a").Draining(), MakeInstance("b"), MakeInstance("c").Disconnected()},
       MakeRequest(),
       {"b"},
       {}},
      {"cpu",
       {MakeInstance("a").Cpu(100), MakeInstance("b").Cpu(300)},
       MakeRequest().Cpu(256),
       {"b"},
       {}},
      {"cpu exhausted", {MakeInstance("a").Cpu(100)}, MakeRequest().Cpu(256), {}, {"RESOURCE:CPU"}},
      {"cpu left after existing tasks",
       {MakeInstance("a").Cpu(512).Task("x", 300)},
       MakeRequest().Cpu(256),
       {},
       {"RESOURCE:CPU"}},
      {"exact fit",
       {MakeInstance("a").Cpu(256).Memory(512)},
       MakeRequest().Cpu(256).Memory(512),
       {"a"},
       {}},
      {"memory",
       {MakeInstance("a").Memory(100)},
       MakeRequest().Memory(256),
       {},
       {"RESOURCE:MEMORY"}},
      {"ports in use on the instance",
       {MakeInstance("a").Ports({80}), MakeInstance("b")},
       MakeRequest().Ports({80}),
       {"b"},
       {}},
      {"ports used by a task",
       {MakeInstance("a").Task("x", 0, 0, {443})},
       MakeRequest().Ports({80, 443}),
       {},
       {"RESOURCE:PORTS"}},
      {"memberOf",
       {MakeInstance("a").Attr("stack", "dev")},
       MakeRequest().MemberOf("attribute:stack == prod"),
       {},
       {"MemberOf placement constraint unsatisfied."}},
      {"task definition memberOf is ANDed",
       {MakeInstance("a").Attr("stack", "prod").Zone("z1"),
        MakeInstance("b").Attr("stack", "prod").Zone("z2")},
       MakeRequest()
           .TaskDefinitionMemberOf("attribute:stack == prod")
           .MemberOf("attribute:ecs.availability-zone == z2"),
       {"b"},
       {}},
      {"distinctInstance counts tasks already there",
       {MakeInstance("a").Task("family:web"), MakeInstance("b").Task("other")},
       MakeRequest().DistinctInstance(),
       {"b"},
       {}},
      {"distinctInstance exhausted",
       {MakeInstance("a").Task("family:web")},
       MakeRequest().DistinctInstance(),
       {},
       {"DistinctInstance placement constraint unsatisfied."}},
      {"the last stage to remove candidates names the failure",
       {MakeInstance("a").Draining(), MakeInstance("b").Cpu(10), MakeInstance("c").Memory(10)},
       MakeRequest().Cpu(100).Memory(100),
       {},
       {"RESOURCE:MEMORY"}},
      {"an early stage wins when it removes everyone",
       {MakeInstance("a").Cpu(10).Memory(10)},
       MakeRequest().Cpu(100).Memory(100),
       {},
       {"RESOURCE:CPU"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Outcome o = PlaceAll(c.instances, c.request);
    EXPECT_EQ(o.placements, c.placements);
    EXPECT_EQ(o.failures, c.failures);
  }
}

TEST(PlaceTest, CountersPerStage) {
  auto s = ClusterSnapshot::Build({MakeInstance("a").Draining(), MakeInstance("b").Cpu(10),
                                   MakeInstance("c").Memory(10), MakeInstance("d").Ports({80}),
                                   MakeInstance("e").Attr("stack", "dev"),
                                   MakeInstance("f").Attr("stack", "prod").Task("family:web"),
                                   MakeInstance("g").Attr("stack", "prod")});
  ASSERT_TRUE(s.ok());
  auto d = Place(*s, MakeRequest()
                         .Cpu(100)
                         .Memory(100)
                         .Ports({80})
                         .MemberOf("attribute:stack == prod")
                         .DistinctInstance()
                         .Count(2));
  ASSERT_TRUE(d.ok());
  const StageCounts& c = d->first_task;
  EXPECT_EQ(c.evaluated, 7u);
  EXPECT_EQ(c.rejected, (std::array<uint32_t, kNumStages>{1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(c.feasible, 1u);
  EXPECT_FALSE(c.ExhaustedBy().has_value());
  // The second task finds g holding port 80 now.
  ASSERT_EQ(d->placements.size(), 1u);
  // Ports removed g, but distinctInstance removed f later in the pipeline: the last candidates.
  ASSERT_EQ(d->failures, std::vector<Stage>{Stage::kDistinctInstance});
  ASSERT_TRUE(d->at_exhaustion.has_value());
  EXPECT_EQ(d->at_exhaustion->rejected, (std::array<uint32_t, kNumStages>{1, 1, 1, 2, 1, 1}));
  EXPECT_EQ(d->at_exhaustion->ExhaustedBy(), Stage::kDistinctInstance);
  // In a sentence, every stage that rejected any.
  EXPECT_EQ(RejectionSummary(*d->at_exhaustion, {"attribute:stack == prod"}),
            "0/7 instances: 1 not ACTIVE or agent disconnected, 1 insufficient cpu, 1 insufficient "
            "memory, 2 host port in use, 1 memberOf(attribute:stack == prod), 1 distinctInstance");
  EXPECT_EQ(RejectionSummary(c, {"a", "b"}).substr(0, 15), "1/7 instances: ");
  EXPECT_NE(RejectionSummary(c, {"a", "b"}).find(", 1 memberOf,"), std::string::npos);
}

// ---- Strategies ----

TEST(PlaceTest, BinpackPicksTheLeastRemainingThatFits) {
  std::vector<InstanceSpec> in = {MakeInstance("a").Memory(4096), MakeInstance("b").Memory(1024),
                                  MakeInstance("c").Memory(256), MakeInstance("d").Memory(2048)};
  EXPECT_EQ(PlaceAll(in, MakeRequest().Memory(512).Binpack("memory")).placements, V{"b"});
  // b takes two 512s, then d, then a.
  EXPECT_EQ(PlaceAll(in, MakeRequest().Memory(512).Count(5).Binpack("memory")).placements,
            (V{"b", "b", "d", "d", "d"}));
  std::vector<InstanceSpec> cpu = {MakeInstance("a").Cpu(1024), MakeInstance("b").Cpu(512),
                                   MakeInstance("c").Cpu(2048)};
  EXPECT_EQ(PlaceAll(cpu, MakeRequest().Cpu(256).Count(3).Binpack("cpu")).placements,
            (V{"b", "b", "a"}));
}

TEST(PlaceTest, SpreadByAttributeCountsTheGroupOnly) {
  std::vector<InstanceSpec> in = {
      MakeInstance("a1").Zone("a").Task("family:web").Task("other").Task("other"),
      MakeInstance("b1").Zone("b").Task("family:web"),
      MakeInstance("c1").Zone("c"),
  };
  // c has no family:web task: it goes first; then the three zones are level.
  Outcome o = PlaceAll(in, MakeRequest().Count(4).Spread("attribute:ecs.availability-zone"));
  EXPECT_EQ(o.placements[0], "c1");
  EXPECT_EQ(Counts(o.placements), (std::map<std::string, int>{{"a1", 1}, {"b1", 1}, {"c1", 2}}));
}

TEST(PlaceTest, SpreadIgnoresValuesWithoutFeasibleInstances) {
  // Zone c has no task of the group but cannot take one: it is never "the fewest".
  std::vector<InstanceSpec> in = {
      MakeInstance("a1").Zone("a").Task("family:web"),
      MakeInstance("b1").Zone("b").Task("family:web").Task("family:web").Task("family:web"),
      MakeInstance("c1").Zone("c").Memory(10),
  };
  EXPECT_EQ(
      PlaceAll(in, MakeRequest().Memory(100).Count(2).Spread("attribute:ecs.availability-zone"))
          .placements,
      (V{"a1", "a1"}));
}

TEST(PlaceTest, SpreadMissingAttributeIsOneValue) {
  std::vector<InstanceSpec> in = {MakeInstance("x1"), MakeInstance("x2").Attr("rack", ""),
                                  MakeInstance("r1").Attr("rack", "r1")};
  Outcome o = PlaceAll(in, MakeRequest().Count(4).Spread("attribute:rack").Binpack("memory"));
  // Two values: "" (x1, x2) and r1. Even across them.
  int empty = 0;
  for (const auto& p : o.placements) empty += p != "r1";
  EXPECT_EQ(empty, 2);
}

TEST(PlaceTest, SpreadInstanceIdAndHostAreTheSame) {
  std::vector<InstanceSpec> in = {MakeInstance("a").Task("family:web").Task("family:web"),
                                  MakeInstance("b").Task("family:web"), MakeInstance("c")};
  for (const char* field : {"instanceId", "host"}) {
    Outcome o = PlaceAll(in, MakeRequest().Count(3).Spread(field).Seed(7));
    EXPECT_EQ(o.placements[0], "c") << field;
    EXPECT_EQ(Counts(o.placements), (std::map<std::string, int>{{"b", 1}, {"c", 2}})) << field;
  }
}

TEST(PlaceTest, ChainedStrategiesBreakTiesInOrder) {
  // The talk's run-task --count 9 with spread(AZ) then binpack(memory): even across zones,
  // packed within each zone.
  std::vector<InstanceSpec> in = {
      MakeInstance("a-big").Zone("a").Memory(8192), MakeInstance("a-small").Zone("a").Memory(2048),
      MakeInstance("b-big").Zone("b").Memory(8192), MakeInstance("b-small").Zone("b").Memory(2048),
      MakeInstance("c-big").Zone("c").Memory(8192), MakeInstance("c-small").Zone("c").Memory(2048),
  };
  Outcome o = PlaceAll(in, MakeRequest()
                               .Count(9)
                               .Memory(512)
                               .Spread("attribute:ecs.availability-zone")
                               .Binpack("memory"));
  EXPECT_EQ(Counts(o.placements),
            (std::map<std::string, int>{{"a-small", 3}, {"b-small", 3}, {"c-small", 3}}));
  EXPECT_TRUE(o.failures.empty());
  // spread(AZ) then spread(instanceId): even across zones, then across instances inside each.
  Outcome spread2 = PlaceAll(
      in, MakeRequest().Count(6).Spread("attribute:ecs.availability-zone").Spread("instanceId"));
  for (const auto& [id, n] : Counts(spread2.placements)) EXPECT_EQ(n, 1) << id;
}

TEST(PlaceTest, RandomIsSeededAndUsesEveryone) {
  std::vector<InstanceSpec> in;
  for (int i = 0; i < 10; ++i) in.push_back(MakeInstance("i-" + std::to_string(i)));
  Outcome a = PlaceAll(in, MakeRequest().Count(200).Seed(42));
  Outcome b = PlaceAll(in, MakeRequest().Count(200).Seed(42));
  Outcome c = PlaceAll(in, MakeRequest().Count(200).Seed(43));
  EXPECT_EQ(a.placements, b.placements);
  EXPECT_NE(a.placements, c.placements);
  // Ties are visited round-robin in a seeded random order: 20 each, in a seed-dependent order.
  auto counts = Counts(a.placements);
  EXPECT_EQ(counts.size(), 10u);
  for (const auto& [id, n] : counts) EXPECT_EQ(n, 20) << id;
  // One-task requests spread over different instances as the seed changes.
  std::set<std::string> chosen;
  for (uint64_t seed = 0; seed < 50; ++seed)
    chosen.insert(PlaceAll(in, MakeRequest().Seed(seed)).placements[0]);
  EXPECT_GE(chosen.size(), 6u);
}

// ---- Multi-task requests ----

TEST(PlaceTest, PartialSuccessKeepsPlacingWhatFits) {
  std::vector<InstanceSpec> in = {MakeInstance("a").Memory(1024), MakeInstance("b").Memory(512)};
  Outcome o = PlaceAll(in, MakeRequest().Count(5).Memory(512).Binpack("memory"));
  EXPECT_EQ(o.placements, (V{"b", "a", "a"}));
  EXPECT_EQ(o.failures, (V{"RESOURCE:MEMORY", "RESOURCE:MEMORY"}));
}

TEST(PlaceTest, DistinctInstanceWithMoreTasksThanInstances) {
  std::vector<InstanceSpec> in = {MakeInstance("a"), MakeInstance("b"),
                                  MakeInstance("c").Task("family:web")};
  Outcome o = PlaceAll(in, MakeRequest().Count(4).DistinctInstance());
  EXPECT_EQ(Counts(o.placements), (std::map<std::string, int>{{"a", 1}, {"b", 1}}));
  EXPECT_EQ(o.failures, (V{"DistinctInstance placement constraint unsatisfied.",
                           "DistinctInstance placement constraint unsatisfied."}));
}

TEST(PlaceTest, PortsTakenByEarlierTasksOfTheRequest) {
  Outcome o =
      PlaceAll({MakeInstance("a"), MakeInstance("b")}, MakeRequest().Count(3).Ports({8080}));
  EXPECT_EQ(Counts(o.placements), (std::map<std::string, int>{{"a", 1}, {"b", 1}}));
  EXPECT_EQ(o.failures, V{"RESOURCE:PORTS"});
}

TEST(PlaceTest, DynamicMemberOfSeesEarlierTasks) {
  // Anti-affinity with the request's own group behaves like distinctInstance...
  std::vector<InstanceSpec> in = {MakeInstance("a"), MakeInstance("b")};
  Outcome o = PlaceAll(in, MakeRequest().Count(3).MemberOf("not(task:group == family:web)"));
  EXPECT_EQ(o.placements.size(), 2u);
  EXPECT_EQ(o.failures, V{"MemberOf placement constraint unsatisfied."});
  // ...and a runningTasksCount cap fills each instance up to it.
  Outcome capped = PlaceAll(in, MakeRequest().Count(5).MemberOf("runningTasksCount < 2"));
  EXPECT_EQ(Counts(capped.placements), (std::map<std::string, int>{{"a", 2}, {"b", 2}}));
  EXPECT_EQ(capped.failures, V{"MemberOf placement constraint unsatisfied."});
  // Affinity to another group.
  std::vector<InstanceSpec> db = {MakeInstance("a"), MakeInstance("b").Task("database")};
  EXPECT_EQ(PlaceAll(db, MakeRequest().Count(2).MemberOf("task:group == database")).placements,
            (V{"b", "b"}));
}

TEST(PlaceTest, RescanGivesTheSameDecision) {
  std::vector<InstanceSpec> in;
  for (int i = 0; i < 30; ++i) {
    in.push_back(MakeInstance("i-" + std::to_string(i))
                     .Zone("z" + std::to_string(i % 3))
                     .Memory(1024 + 512 * (i % 4))
                     .Cpu(1024));
  }
  TaskRequest r = MakeRequest()
                      .Count(60)
                      .Memory(256)
                      .Cpu(64)
                      .Spread("attribute:ecs.availability-zone")
                      .Binpack("memory")
                      .Seed(3);
  EXPECT_EQ(PlaceAll(in, r).placements, PlaceAll(in, r, {.rescan_per_task = true}).placements);
}

// ---- Explain and Filter ----

TEST(ExplainTest, PerInstanceStageOrScores) {
  auto s = ClusterSnapshot::Build({MakeInstance("a").Draining(), MakeInstance("b").Memory(100),
                                   MakeInstance("c").Zone("z1").Memory(2048),
                                   MakeInstance("d").Zone("z2").Memory(1024).Task("family:web")});
  ASSERT_TRUE(s.ok());
  auto e = Explain(
      *s, MakeRequest().Memory(512).Spread("attribute:ecs.availability-zone").Binpack("memory"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->score_names,
            (V{"spread(attribute:ecs.availability-zone)", "binpack(memory)", "tie-break"}));
  ASSERT_EQ(e->instances.size(), 4u);
  EXPECT_EQ(e->instances[0].rejected_by, Stage::kAgent);
  EXPECT_EQ(e->instances[1].rejected_by, Stage::kMemory);
  EXPECT_FALSE(e->instances[2].rejected_by.has_value());
  EXPECT_EQ(e->instances[2].scores[0], 0);     // no family:web task in z1
  EXPECT_EQ(e->instances[2].scores[1], 2048);  // memory left
  EXPECT_EQ(e->instances[3].scores[0], 1);
  EXPECT_TRUE(e->instances[2].chosen);
  EXPECT_FALSE(e->instances[3].chosen);
}

TEST(FilterTest, ReturnsMatchesInSnapshotOrder) {
  auto s = ClusterSnapshot::Build({MakeInstance("a").Attr("stack", "prod"), MakeInstance("b"),
                                   MakeInstance("c").Attr("stack", "prod").Inactive()});
  ASSERT_TRUE(s.ok());
  auto r = Filter(*s, "attribute:stack == prod");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<uint32_t>{0, 2}));
  auto bad = Filter(*s, "attribute:stack prod");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "expected an operator after 'attribute:stack' at column 17");
}

}  // namespace
}  // namespace gantry::placement
