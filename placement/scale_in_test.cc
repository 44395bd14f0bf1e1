#include "placement/scale_in.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace gantry::placement {
namespace {

InstanceSpec Instance(const std::string& id, const std::string& zone, int64_t memory = 4096) {
  InstanceSpec in;
  in.id = id;
  in.cpu = 4096;
  in.memory = memory;
  in.attributes = {{"ecs.availability-zone", zone}};
  return in;
}

// A RUNNING task of 256 cpu / 512 MiB on `instance`, also held in the instance's own tasks.
StopCandidate Task(std::vector<InstanceSpec>& instances, const std::string& name,
                   const std::string& instance, bool running = true) {
  for (auto& in : instances) {
    if (in.id == instance) in.tasks.push_back({"service:web", 256, 512, {}});
  }
  return {name, instance, running, 256, 512};
}

std::map<std::string, int> ZonesLeft(const std::vector<StopCandidate>& all,
                                     const std::vector<std::string>& stopped,
                                     const std::map<std::string, std::string>& zone_of) {
  std::set<std::string> gone(stopped.begin(), stopped.end());
  std::map<std::string, int> left;
  for (const auto& c : all) {
    if (!gone.count(c.task)) left[zone_of.at(c.instance)]++;
  }
  return left;
}

TEST(ChooseToStopTest, WithoutAStrategyTheFullestZoneThenTheFullestInstanceGivesUpATask) {
  std::vector<InstanceSpec> in = {Instance("a1", "us-east-1a"), Instance("a2", "us-east-1a"),
                                  Instance("b1", "us-east-1b"), Instance("c1", "us-east-1c")};
  std::vector<StopCandidate> tasks = {Task(in, "t1", "a1"), Task(in, "t2", "a1"),
                                      Task(in, "t3", "a2"), Task(in, "t4", "b1"),
                                      Task(in, "t5", "b1"), Task(in, "t6", "c1")};
  auto stopped = ChooseToStop(in, tasks, {}, 1, 7);
  ASSERT_TRUE(stopped.ok());
  // Zone a holds three: it gives one up, from a1 (two there).
  ASSERT_EQ(stopped->size(), 1u);
  EXPECT_TRUE(stopped->at(0) == "t1" || stopped->at(0) == "t2") << stopped->at(0);

  auto three = ChooseToStop(in, tasks, {}, 3, 7);
  ASSERT_TRUE(three.ok());
  const std::map<std::string, std::string> zone_of = {
      {"a1", "a"}, {"a2", "a"}, {"b1", "b"}, {"c1", "c"}};
  EXPECT_EQ(ZonesLeft(tasks, *three, zone_of),
            (std::map<std::string, int>{{"a", 1}, {"b", 1}, {"c", 1}}));
}

TEST(ChooseToStopTest, PendingTasksGoBeforeRunningOnesAndLostOnesFirst) {
  std::vector<InstanceSpec> in = {Instance("a1", "us-east-1a"), Instance("b1", "us-east-1b")};
  std::vector<StopCandidate> tasks = {Task(in, "run-a", "a1"), Task(in, "run-b", "b1"),
                                      Task(in, "pending-b", "b1", false),
                                      StopCandidate{"lost", "gone-instance", true, 256, 512}};
  auto stopped = ChooseToStop(in, tasks, {}, 3, 1);
  ASSERT_TRUE(stopped.ok());
  ASSERT_EQ(stopped->size(), 3u);
  EXPECT_EQ(stopped->at(0), "lost");
  EXPECT_EQ(stopped->at(1), "pending-b");
}

TEST(ChooseToStopTest, BinpackStopsWhereTheMostWouldBeLeft) {
  std::vector<InstanceSpec> in = {Instance("small", "z", 2048), Instance("big", "z", 8192)};
  std::vector<StopCandidate> tasks = {Task(in, "s1", "small"), Task(in, "s2", "small"),
                                      Task(in, "b1", "big")};
  auto stopped = ChooseToStop(in, tasks, {{"binpack", "memory"}}, 2, 3);
  ASSERT_TRUE(stopped.ok());
  // big: 8192 - 512 left, + 512 once b1 goes; small: 1024 (+512): big's task goes first, then
  // one of small's (big has none left).
  ASSERT_EQ(stopped->size(), 2u);
  EXPECT_EQ(stopped->at(0), "b1");
  EXPECT_NE(stopped->at(1), "b1");
}

TEST(ChooseToStopTest, SpreadThenBinpackKeepsZonesEvenAndEmptiesTheEmptiestInstance) {
  std::vector<InstanceSpec> in = {Instance("a-small", "a", 2048), Instance("a-big", "a", 8192),
                                  Instance("b1", "b")};
  std::vector<StopCandidate> tasks = {Task(in, "as1", "a-small"), Task(in, "ab1", "a-big"),
                                      Task(in, "b1t", "b1")};
  auto stopped = ChooseToStop(
      in, tasks, {{"spread", "attribute:ecs.availability-zone"}, {"binpack", "memory"}}, 1, 5);
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(*stopped, std::vector<std::string>{"ab1"});
}

TEST(ChooseToStopTest, TheSeedDecidesTiesAndTheSameSeedDecidesTheSame) {
  std::vector<InstanceSpec> in = {Instance("a1", "a")};
  std::vector<StopCandidate> tasks;
  for (int i = 0; i < 8; ++i) tasks.push_back(Task(in, "t" + std::to_string(i), "a1"));
  std::set<std::string> firsts;
  for (uint64_t seed = 0; seed < 16; ++seed) {
    auto a = ChooseToStop(in, tasks, {{"random", std::nullopt}}, 3, seed);
    auto b = ChooseToStop(in, tasks, {{"random", std::nullopt}}, 3, seed);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b);
    firsts.insert(a->front());
  }
  EXPECT_GT(firsts.size(), 1u);
}

TEST(ChooseToStopTest, CountsBeyondTheCandidatesStopThemAllAndBadStrategiesNameTheirField) {
  std::vector<InstanceSpec> in = {Instance("a1", "a")};
  std::vector<StopCandidate> tasks = {Task(in, "t1", "a1"), Task(in, "t2", "a1")};
  auto all = ChooseToStop(in, tasks, {}, 5, 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(std::set<std::string>(all->begin(), all->end()), (std::set<std::string>{"t1", "t2"}));
  auto none = ChooseToStop(in, tasks, {}, 0, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  auto bad = ChooseToStop(in, tasks, {{"spread", "instanceId"}, {"binpack", "disk"}}, 1, 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "placementStrategy[1].field");
  std::vector<StrategySpec> six(6, StrategySpec{"random", std::nullopt});
  auto many = ChooseToStop(in, tasks, six, 1, 0);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().field, "placementStrategy");
}

}  // namespace
}  // namespace gantry::placement
